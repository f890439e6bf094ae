package zone

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Fault injection with an in-process server speaking raw DNS over TCP:
// what real servers do not do on demand.

// fakeServer accepts one connection at a time on 127.0.0.1 and hands the
// decoded query to serve.
func fakeServer(t *testing.T, serve func(c net.Conn, q *dns.Msg)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var lb [2]byte
				if _, err := io.ReadFull(c, lb[:]); err != nil {
					return
				}
				b := make([]byte, binary.BigEndian.Uint16(lb[:]))
				if _, err := io.ReadFull(c, b); err != nil {
					return
				}
				q := new(dns.Msg)
				if err := q.Unpack(b); err != nil {
					return
				}
				serve(c, q)
			}()
		}
	}()
	return l.Addr().String()
}

func writeMsg(c net.Conn, b []byte) {
	out := binary.BigEndian.AppendUint16(nil, uint16(len(b)))
	c.Write(append(out, b...))
}

func mustRR(t *testing.T, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return rr
}

// answers splits a zone into AXFR messages of per records each.
func answers(t *testing.T, q *dns.Msg, per int, rrs ...string) []*dns.Msg {
	var out []*dns.Msg
	for i := 0; i < len(rrs); i += per {
		m := new(dns.Msg)
		m.SetReply(q)
		m.Extra = nil
		for _, s := range rrs[i:min(i+per, len(rrs))] {
			m.Answer = append(m.Answer, mustRR(t, s))
		}
		out = append(out, m)
	}
	return out
}

var faultZone = []string{
	"f.example. 60 IN SOA ns hm 5 1 1 1 1",
	"_vlmcs._tcp.f.example. 60 IN SRV 0 0 1688 kms1.f.example.",
	"www.f.example. 60 IN A 127.0.0.1",
	"_VLMCS._TCP.Sub.f.example. 60 IN SRV 0 0 1688 kms2.f.example.",
	"mail.f.example. 60 IN A 127.0.0.2",
	"f.example. 60 IN SOA ns hm 5 1 1 1 1",
}

func TestTransferFaults(t *testing.T) {
	key := zoneKey(t, keySHA256)
	other := zoneKey(t, keyWrong)

	// signWith signs msgs as a server would, message i with keyOf(i) at
	// timeOf(i), chaining MACs from the request; a zero key leaves that
	// message unsigned.
	signWith := func(t *testing.T, q *dns.Msg, msgs []*dns.Msg, keyOf func(i int) Key, timeOf func(i int) time.Time) [][]byte {
		reqMAC := q.IsTsig().MAC
		var out [][]byte
		for i, m := range msgs {
			k := keyOf(i)
			if k.IsZero() {
				b, _ := m.Pack()
				out = append(out, b)
				continue
			}
			m.SetTsig(k.Name, k.Algorithm, 300, timeOf(i).Unix())
			b, mac, err := dns.TsigGenerateWithProvider(m, k.Provider(), reqMAC, i > 0)
			if err != nil {
				t.Fatal(err)
			}
			reqMAC = mac
			out = append(out, b)
		}
		return out
	}
	// sign signs every message with k, now; skip leaves one unsigned.
	sign := func(t *testing.T, q *dns.Msg, msgs []*dns.Msg, k Key, skip int) [][]byte {
		return signWith(t, q, msgs, func(i int) Key {
			if i == skip {
				return Key{}
			}
			return k
		}, func(int) time.Time { return time.Now() })
	}
	// second signs message 2 (of 3) with k2 at t2, the others right.
	second := func(k2 Key, t2 time.Duration) func(t *testing.T, c net.Conn, q *dns.Msg) {
		return func(t *testing.T, c net.Conn, q *dns.Msg) {
			msgs := signWith(t, q, answers(t, q, 2, faultZone...),
				func(i int) Key {
					if i == 1 {
						return k2
					}
					return key
				},
				func(i int) time.Time {
					if i == 1 {
						return time.Now().Add(t2)
					}
					return time.Now()
				})
			for _, b := range msgs {
				writeMsg(c, b)
			}
		}
	}

	tests := []struct {
		name  string
		key   Key
		serve func(t *testing.T, c net.Conn, q *dns.Msg)
		check func(t *testing.T, res *Snapshot, err error)
	}{
		{
			name: "multi-message signed answer verifies",
			key:  key,
			serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
				for _, b := range sign(t, q, answers(t, q, 2, faultZone...), key, -1) {
					writeMsg(c, b)
				}
			},
			check: func(t *testing.T, res *Snapshot, err error) {
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Records) != 2 || res.Seen != 5 || res.Serial != 5 {
					t.Errorf("records %v seen %d serial %d", res.Records, res.Seen, res.Serial)
				}
			},
		},
		{
			name: "unsigned message inside a signed answer",
			key:  key,
			serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
				for _, b := range sign(t, q, answers(t, q, 2, faultZone...), key, 1) {
					writeMsg(c, b)
				}
			},
			check: wantTSIG(0, "message 2 of the answer is not signed"),
		},
		{
			name: "answer signed with another secret",
			key:  key,
			serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
				for _, b := range sign(t, q, answers(t, q, 3, faultZone...), other, -1) {
					writeMsg(c, b)
				}
			},
			check: wantTSIG(0, "signature does not verify"),
		},
		{
			name:  "message 2 of 3 signed with another secret",
			key:   key,
			serve: second(other, 0),
			check: wantTSIG(0, "signature does not verify"),
		},
		{
			name:  "message 2 of 3 signed 330 s in the past",
			key:   key,
			serve: second(key, -330*time.Second),
			check: wantTSIG(0, "more than the fudge of 300 s"),
		},
		{
			name:  "message 2 of 3 signed 330 s in the future",
			key:   key,
			serve: second(key, 330*time.Second),
			check: wantTSIG(0, "more than the fudge of 300 s"),
		},
		{
			name:  "message 2 of 3 signed 290 s away is within the fudge",
			key:   key,
			serve: second(key, -290*time.Second),
			check: func(t *testing.T, res *Snapshot, err error) {
				if err != nil || len(res.Records) != 2 {
					t.Fatalf("err = %v", err)
				}
			},
		},
		{
			name: "server reports BADTIME",
			key:  key,
			serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
				m := new(dns.Msg)
				m.SetRcode(q, dns.RcodeNotAuth)
				m.Extra = []dns.RR{&dns.TSIG{Hdr: dns.RR_Header{Name: key.Name, Rrtype: dns.TypeTSIG, Class: dns.ClassANY}, Algorithm: key.Algorithm, Error: dns.RcodeBadTime, TimeSigned: uint64(time.Now().Unix()), Fudge: 300}}
				b, _ := m.Pack()
				writeMsg(c, b)
			},
			check: wantTSIG(dns.RcodeBadTime, "clock"),
		},
		{
			name: "connection closed before the closing SOA",
			serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
				for _, m := range answers(t, q, 2, faultZone[:4]...) {
					b, _ := m.Pack()
					writeMsg(c, b)
				}
			},
			check: func(t *testing.T, res *Snapshot, err error) {
				if !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), "after 4 records") {
					t.Fatalf("err = %v", err)
				}
			},
		},
		{
			name: "connection closed inside a message",
			serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
				b, _ := answers(t, q, 6, faultZone...)[0].Pack()
				out := binary.BigEndian.AppendUint16(nil, uint16(len(b)))
				c.Write(append(out, b[:len(b)/2]...))
			},
			check: func(t *testing.T, res *Snapshot, err error) {
				if !errors.Is(err, ErrTruncated) {
					t.Fatalf("err = %v", err)
				}
			},
		},
		{
			name: "server never answers",
			serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
				time.Sleep(2 * time.Second)
			},
			check: func(t *testing.T, res *Snapshot, err error) {
				if !errors.Is(err, ErrTimeout) {
					t.Fatalf("err = %v", err)
				}
			},
		},
		{
			name: "wrong message id",
			serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
				m := answers(t, q, 6, faultZone...)[0]
				m.Id++
				b, _ := m.Pack()
				writeMsg(c, b)
			},
			check: func(t *testing.T, res *Snapshot, err error) {
				if err == nil || !strings.Contains(err.Error(), "does not match query id") {
					t.Fatalf("err = %v", err)
				}
			},
		},
		{
			name: "does not start with the SOA",
			serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
				b, _ := answers(t, q, 6, faultZone[1:]...)[0].Pack()
				writeMsg(c, b)
			},
			check: func(t *testing.T, res *Snapshot, err error) {
				if err == nil || !strings.Contains(err.Error(), "does not start with the SOA") {
					t.Fatalf("err = %v", err)
				}
			},
		},
		{
			name: "NOTIMP counts as refused",
			serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
				m := new(dns.Msg)
				m.SetRcode(q, dns.RcodeNotImplemented)
				b, _ := m.Pack()
				writeMsg(c, b)
			},
			check: func(t *testing.T, res *Snapshot, err error) {
				if !errors.Is(err, ErrTransferRefused) || !strings.Contains(err.Error(), "NOTIMP") {
					t.Fatalf("err = %v", err)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := fakeServer(t, func(c net.Conn, q *dns.Msg) { tc.serve(t, c, q) })
			res, err := Transfer(t.Context(), TransferConfig{Zone: "f.example", Server: addr, Key: tc.key, Timeout: 300 * time.Millisecond})
			if err != nil && (!strings.Contains(err.Error(), "f.example.") || !strings.Contains(err.Error(), addr)) {
				t.Errorf("error %q does not name zone and server", err)
			}
			tc.check(t, res, err)
		})
	}
}

func wantTSIG(code int, text string) func(t *testing.T, res *Snapshot, err error) {
	return func(t *testing.T, res *Snapshot, err error) {
		t.Helper()
		var te *TSIGError
		if !errors.As(err, &te) || te.Code != code || !errors.Is(err, ErrTSIG) {
			t.Fatalf("err = %v, want TSIG error %d", err, code)
		}
		if !strings.Contains(err.Error(), text) {
			t.Errorf("error %q does not say %q", err, text)
		}
	}
}

func TestReadTimeoutFallsBackToQueries(t *testing.T) {
	// A server that never answers AXFR but answers queries over UDP, as a
	// firewall that blocks TCP 53 would make it look.
	tcp := fakeServer(t, func(c net.Conn, q *dns.Msg) { time.Sleep(2 * time.Second) })
	pc, err := net.ListenPacket("udp", tcp)
	if err != nil {
		t.Skipf("cannot bind UDP on the same port: %v", err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		switch q := r.Question[0]; {
		case q.Qtype == dns.TypeSOA:
			m.Answer = []dns.RR{mustRR(t, faultZone[0])}
		case q.Qtype == dns.TypeSRV && strings.EqualFold(q.Name, "_vlmcs._tcp.f.example."):
			m.Answer = []dns.RR{mustRR(t, faultZone[1])}
		default:
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	res := Read(t.Context(), Spec{Zone: "f.example", Server: tcp, Timeout: 300 * time.Millisecond}, ReadOptions{})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if res.Source != SourceQuery || len(res.Records) != 1 || !strings.Contains(res.Note, "timed out") {
		t.Errorf("source %s, %d records, note %q", res.Source, len(res.Records), res.Note)
	}
}
