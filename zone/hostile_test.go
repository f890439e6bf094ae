package zone

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/miekg/dns"
)

// Hostile servers: transfers that never end, grow without bound, drip,
// inject records of other zones, or answer with garbage. Each is an
// in-process server with its own handler (fakeServer, queryServer).

// queryServer answers UDP queries on the port of tcpAddr for f.example:
// its SOA, and faultZone's apex KMS record plus extra answer records for
// _vlmcs._tcp.f.example. It stands in for the query fallback.
func queryServer(t *testing.T, tcpAddr string, extra ...string) {
	t.Helper()
	testserver.ServeUDP(t, tcpAddr, func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		switch q := r.Question[0]; {
		case q.Qtype == dns.TypeSOA:
			m.Answer = []dns.RR{mustRR(t, faultZone[0])}
		case q.Qtype == dns.TypeSRV && strings.EqualFold(q.Name, "_vlmcs._tcp.f.example."):
			m.Answer = []dns.RR{mustRR(t, faultZone[1])}
			for _, s := range extra {
				m.Answer = append(m.Answer, mustRR(t, s))
			}
		default:
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})
}

// pack packs an AXFR answer message to q holding rrs.
func pack(t *testing.T, q *dns.Msg, rrs ...dns.RR) []byte {
	m := new(dns.Msg)
	m.SetReply(q)
	m.Answer = rrs
	b, err := m.Pack()
	if err != nil {
		t.Error(err)
	}
	return b
}

// kmsRR is a distinct KMS record of f.example (or of owner's zone).
func kmsRR(owner string, i int) dns.RR {
	return &dns.SRV{Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: 60},
		Port: uint16(i), Weight: uint16(i >> 16), Target: fmt.Sprintf("kms%d.f.example.", i)}
}

// stream sends the SOA, then next(i) for i = 0, 1, ... until the client
// goes away, 100 records a message.
func stream(t *testing.T, c net.Conn, q *dns.Msg, next func(i int) dns.RR) {
	if !writeOK(c, pack(t, q, mustRR(t, faultZone[0]))) {
		return
	}
	for i := 0; ; {
		rrs := make([]dns.RR, 100)
		for j := range rrs {
			rrs[j] = next(i)
			i++
		}
		if !writeOK(c, pack(t, q, rrs...)) {
			return
		}
	}
}

func writeOK(c net.Conn, b []byte) bool {
	c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := c.Write(append([]byte{byte(len(b) >> 8), byte(len(b))}, b...))
	return err == nil
}

// TestTransferHostileServers: every transfer ends, with an error naming
// the limit, and the heap stays bounded whatever the server sends.
func TestTransferHostileServers(t *testing.T) {
	const heapBound = 24 << 20
	tests := []struct {
		name string
		cfg  TransferConfig
		// serve answers the AXFR query q on c.
		serve func(t *testing.T, c net.Conn, q *dns.Msg)
		want  []string // in the error
		// within bounds how long the transfer may take.
		within time.Duration
	}{
		{
			name: "endless distinct KMS records hit the default cap",
			cfg:  TransferConfig{TransferTimeout: 30 * time.Second},
			serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
				stream(t, c, q, func(i int) dns.RR { return kmsRR("_vlmcs._tcp.f.example.", i) })
			},
			want:   []string{"sent 10001 KMS records", "cap of 10000", "max-kms-records"},
			within: 20 * time.Second,
		},
		{
			name: "a lower cap",
			cfg:  TransferConfig{MaxRecords: 500, TransferTimeout: 30 * time.Second},
			serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
				stream(t, c, q, func(i int) dns.RR { return kmsRR("_vlmcs._tcp.f.example.", i) })
			},
			want:   []string{"sent 501 KMS records", "cap of 500"},
			within: 10 * time.Second,
		},
		{
			name: "endless duplicates are not kept, the deadline ends them",
			cfg:  TransferConfig{MaxRecords: 5, TransferTimeout: 1500 * time.Millisecond},
			serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
				stream(t, c, q, func(i int) dns.RR { return kmsRR("_vlmcs._tcp.f.example.", i%3) })
			},
			want:   []string{"took longer than 1.5s", "transfer-timeout"},
			within: 5 * time.Second,
		},
		{
			name: "endless out-of-zone KMS records are not kept",
			cfg:  TransferConfig{MaxRecords: 5, TransferTimeout: 1500 * time.Millisecond},
			serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
				stream(t, c, q, func(i int) dns.RR { return kmsRR(fmt.Sprintf("_vlmcs._tcp.x%d.evil.org.", i), i) })
			},
			want:   []string{"took longer than 1.5s"},
			within: 5 * time.Second,
		},
		{
			name: "no closing SOA, records without end",
			cfg:  TransferConfig{TransferTimeout: 1500 * time.Millisecond},
			serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
				stream(t, c, q, func(i int) dns.RR {
					return &dns.A{Hdr: dns.RR_Header{Name: fmt.Sprintf("h%d.f.example.", i), Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(127, 0, 0, 1)}
				})
			},
			want:   []string{"took longer than 1.5s", "stopped after"},
			within: 5 * time.Second,
		},
		{
			name: "drip: one message just inside the per-message timeout",
			cfg:  TransferConfig{Timeout: 400 * time.Millisecond, TransferTimeout: 1500 * time.Millisecond},
			serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
				if !writeOK(c, pack(t, q, mustRR(t, faultZone[0]))) {
					return
				}
				for i := 0; ; i++ {
					time.Sleep(300 * time.Millisecond)
					if !writeOK(c, pack(t, q, mustRR(t, fmt.Sprintf("h%d.f.example. 60 IN A 127.0.0.1", i)))) {
						return
					}
				}
			},
			want:   []string{"took longer than 1.5s"},
			within: 3 * time.Second,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var wg sync.WaitGroup
			addr := fakeServer(t, func(c net.Conn, q *dns.Msg) {
				wg.Add(1)
				defer wg.Done()
				tc.serve(t, c, q)
			})
			cfg := tc.cfg
			cfg.Zone, cfg.Server = "f.example", addr
			var err error
			start := time.Now()
			peak := heapPeak(func() { _, err = Transfer(t.Context(), cfg) })
			took := time.Since(start)
			t.Logf("ended after %v, peak heap %.1f MiB: %v", took.Round(time.Millisecond), float64(peak)/(1<<20), err)
			if !errors.Is(err, ErrLimit) {
				t.Fatalf("err = %v, want ErrLimit", err)
			}
			for _, w := range append(tc.want, "f.example.", addr) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if took > tc.within {
				t.Errorf("took %v, more than %v", took, tc.within)
			}
			if peak > heapBound {
				t.Errorf("peak heap %.1f MiB, more than %d MiB", float64(peak)/(1<<20), heapBound>>20)
			}
			wg.Wait() // the server saw the connection close
		})
	}
}

// TestTransferKeepsOnlyTheZone: exact duplicates are dropped, records of
// other zones are ignored with warnings, at most maxWarnings of them
// named one by one.
func TestTransferKeepsOnlyTheZone(t *testing.T) {
	rrs := func(extra ...string) []string {
		out := append([]string{}, faultZone[:len(faultZone)-1]...)
		return append(append(out, extra...), faultZone[len(faultZone)-1])
	}
	var many []string
	for i := 0; i < maxWarnings+5; i++ {
		many = append(many, fmt.Sprintf("_vlmcs._tcp.x%d.evil.org. 60 IN SRV 0 0 1688 kms.evil.org.", i))
	}
	tests := []struct {
		name     string
		rrs      []string
		records  int
		warnings []string // owner names warned about
		last     string   // in the last warning
	}{
		{"exact duplicates", rrs(faultZone[1], faultZone[3], "_vlmcs._tcp.f.example. 60 IN SRV 0 0 1688 KMS1.f.example."), 2, nil, ""},
		{"same target, other port is not a duplicate", rrs("_vlmcs._tcp.f.example. 60 IN SRV 0 0 1689 kms1.f.example."), 3, nil, ""},
		{"out of zone", rrs("_vlmcs._tcp.evil.org. 60 IN SRV 0 0 1688 kms.evil.org.", "_vlmcs._tcp.example. 60 IN SRV 0 0 1688 kms.example."), 2,
			[]string{"_vlmcs._tcp.evil.org.", "_vlmcs._tcp.example."}, "outside zone f.example."},
		{"many out of zone", rrs(many...), 2, many[:maxWarnings], "5 more records outside the zone"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := fakeServer(t, func(c net.Conn, q *dns.Msg) {
				for _, m := range answers(t, q, 4, tc.rrs...) {
					b, _ := m.Pack()
					writeMsg(c, b)
				}
			})
			res, err := Transfer(t.Context(), TransferConfig{Zone: "f.example", Server: addr, Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Records) != tc.records {
				t.Errorf("%d records, want %d:\n%s", len(res.Records), tc.records, recs(res.Records))
			}
			checkWarnings(t, res, tc.warnings, tc.last)
		})
	}
}

func checkWarnings(t *testing.T, res *Snapshot, owners []string, last string) {
	t.Helper()
	if len(res.Warnings) != len(owners) {
		t.Fatalf("%d warnings, want %d: %+v", len(res.Warnings), len(owners), res.Warnings)
	}
	for i, w := range res.Warnings {
		want := dns.CanonicalName(strings.Fields(owners[i])[0])
		if w.Kind != WarnOutOfZone || w.Record.Name != want || !strings.Contains(w.Message, want) || !strings.Contains(w.Message, res.Server) {
			t.Errorf("warning %d: %+v, want one about %s", i, w, want)
		}
	}
	for _, r := range res.Records {
		if !dns.IsSubDomain(res.Zone, r.Name) {
			t.Errorf("record outside the zone kept: %s", r)
		}
	}
	if last != "" && !strings.Contains(res.Warnings[len(res.Warnings)-1].Message, last) {
		t.Errorf("last warning %q does not say %q", res.Warnings[len(res.Warnings)-1].Message, last)
	}
}

// TestQueryIgnoresOutOfZone: the query path keeps only records of the zone,
// and refuses extra names outside it.
func TestQueryIgnoresOutOfZone(t *testing.T) {
	addr := fakeServer(t, func(c net.Conn, q *dns.Msg) {})
	queryServer(t, addr, "_vlmcs._tcp.evil.org. 60 IN SRV 0 0 1688 kms.evil.org.", faultZone[1])
	res, err := Query(t.Context(), QueryConfig{Zone: "f.example", Server: addr, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Records) != 1 || res.Records[0].Name != "_vlmcs._tcp.f.example." {
		t.Errorf("records:\n%s", recs(res.Records))
	}
	checkWarnings(t, res, []string{"_vlmcs._tcp.evil.org."}, "")

	for _, n := range []string{"evil.org.", "example.", "f.example.evil.org."} {
		_, err := Query(t.Context(), QueryConfig{Zone: "f.example", Server: addr, Names: []string{"emea", n}, Timeout: time.Second})
		if !errors.Is(err, ErrOutOfZone) || !strings.Contains(err.Error(), n) {
			t.Errorf("name %s: err = %v", n, err)
		}
	}
}

// TestReadMalformedIsNotRefused: a refusal falls back to direct queries;
// a transfer that started and went wrong is the zone's error, even though
// queries would have answered.
func TestReadMalformedIsNotRefused(t *testing.T) {
	key := zoneKey(t, keySHA256)
	rcode := func(rc int) func(t *testing.T, c net.Conn, q *dns.Msg) {
		return func(t *testing.T, c net.Conn, q *dns.Msg) {
			m := new(dns.Msg)
			m.SetRcode(q, rc)
			b, _ := m.Pack()
			writeMsg(c, b)
		}
	}
	tests := []struct {
		name  string
		key   Key
		serve func(t *testing.T, c net.Conn, q *dns.Msg)
		// want is the error's sentinel; nil means the zone is read by queries
		want error
		text string // in the note or the error
	}{
		{name: "REFUSED", serve: rcode(dns.RcodeRefused), text: "REFUSED"},
		{name: "NOTAUTH", serve: rcode(dns.RcodeNotAuth), text: "NOTAUTH"},
		{name: "NOTIMP", serve: rcode(dns.RcodeNotImplemented), text: "NOTIMP"},
		{name: "closed without a word", serve: func(t *testing.T, c net.Conn, q *dns.Msg) {}, text: "refused"},
		{name: "silent", serve: func(t *testing.T, c net.Conn, q *dns.Msg) { time.Sleep(time.Second) }, text: "timed out"},
		{name: "garbage", serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
			writeMsg(c, []byte("HTTP/1.1 400"))
		}, want: ErrMalformed},
		{name: "not DNS at all", serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
			c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
		}, want: ErrTruncated},
		{name: "wrong id", serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
			m := answers(t, q, 6, faultZone...)[0]
			m.Id++
			b, _ := m.Pack()
			writeMsg(c, b)
		}, want: ErrMalformed, text: "does not match query id"},
		{name: "FORMERR mid-stream", serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
			b, _ := answers(t, q, 2, faultZone...)[0].Pack()
			writeMsg(c, b)
			rcode(dns.RcodeFormatError)(t, c, q)
		}, want: ErrMalformed, text: "message 2 of the answer has rcode FORMERR"},
		{name: "REFUSED mid-stream", serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
			b, _ := answers(t, q, 2, faultZone...)[0].Pack()
			writeMsg(c, b)
			rcode(dns.RcodeRefused)(t, c, q)
		}, want: ErrMalformed, text: "rcode REFUSED"},
		{name: "SERVFAIL", serve: rcode(dns.RcodeServerFailure), want: &RcodeError{}, text: "SERVFAIL"},
		{name: "first message without SOA", serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
			b, _ := answers(t, q, 6, faultZone[1:]...)[0].Pack()
			writeMsg(c, b)
		}, want: ErrMalformed, text: "does not start with the SOA"},
		{name: "stalls mid-stream", serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
			b, _ := answers(t, q, 2, faultZone...)[0].Pack()
			writeMsg(c, b)
			time.Sleep(time.Second)
		}, want: ErrTimeout, text: "in the middle of the transfer, after 2 records"},
		{name: "cut short", serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
			b, _ := answers(t, q, 2, faultZone...)[0].Pack()
			writeMsg(c, b)
		}, want: ErrTruncated},
		{name: "BADTIME is not hidden", key: key, serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
			m := new(dns.Msg)
			m.SetRcode(q, dns.RcodeNotAuth)
			m.Extra = []dns.RR{&dns.TSIG{Hdr: dns.RR_Header{Name: key.Name, Rrtype: dns.TypeTSIG, Class: dns.ClassANY}, Algorithm: key.Algorithm, Error: dns.RcodeBadTime, TimeSigned: uint64(time.Now().Unix()), Fudge: 300}}
			b, _ := m.Pack()
			writeMsg(c, b)
		}, want: ErrTSIG, text: "signed with key xfr-sha256 (hmac-sha256) from k.key (--key-file): TSIG BADTIME"},
		{name: "BADKEY is not hidden", key: key, serve: func(t *testing.T, c net.Conn, q *dns.Msg) {
			m := new(dns.Msg)
			m.SetRcode(q, dns.RcodeNotAuth)
			m.Extra = []dns.RR{&dns.TSIG{Hdr: dns.RR_Header{Name: key.Name, Rrtype: dns.TypeTSIG, Class: dns.ClassANY}, Algorithm: key.Algorithm, Error: dns.RcodeBadKey, TimeSigned: uint64(time.Now().Unix()), Fudge: 300}}
			b, _ := m.Pack()
			writeMsg(c, b)
		}, want: ErrTSIG, text: "TSIG BADKEY"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := fakeServer(t, func(c net.Conn, q *dns.Msg) { tc.serve(t, c, q) })
			queryServer(t, addr)
			spec := Spec{Zone: "f.example", Server: addr, Key: tc.key, Timeout: 400 * time.Millisecond}
			if !tc.key.IsZero() {
				spec.KeyOrigin = "k.key (--key-file)"
			}
			res := Read(t.Context(), spec, ReadOptions{})
			if tc.want == nil {
				if res.Err != nil || res.Source != SourceQuery || len(res.Records) != 1 {
					t.Fatalf("want a fall-back to queries, got %v (source %q)", res.Err, res.Source)
				}
				if !strings.Contains(res.Note, tc.text) || !strings.Contains(res.Note, addr) {
					t.Errorf("note %q does not say %q", res.Note, tc.text)
				}
				return
			}
			if res.Err == nil {
				t.Fatalf("no error: read by %s (%s)", res.Source, res.Note)
			}
			var rc *RcodeError
			if _, ok := tc.want.(*RcodeError); ok && !errors.As(res.Err, &rc) || !ok && !errors.Is(res.Err, tc.want) {
				t.Errorf("err = %v, want %v", res.Err, tc.want)
			}
			if errors.Is(res.Err, ErrTransferRefused) {
				t.Errorf("err = %v: not a refusal", res.Err)
			}
			for _, w := range []string{tc.text, "f.example.", addr} {
				if !strings.Contains(res.Err.Error(), w) {
					t.Errorf("error %q does not say %q", res.Err, w)
				}
			}
		})
	}
}

// TestReadAllLimits: ReadAll reads Concurrency zones at once (4 by
// default) and never runs more than TransfersPerServer transfers at once
// from one server (DefaultTransfersPerServer by default), so that BIND's
// transfers-out quota is not mistaken for a refusal.
func TestReadAllLimits(t *testing.T) {
	tests := []struct {
		name             string
		concurrency, per int
		want             int
	}{
		{"defaults: 4 zones at once", 0, 0, 4},
		{"default transfers per server", 16, 0, DefaultTransfersPerServer},
		{"3 transfers per server", 16, 3, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			open, peak := 0, 0
			addr := fakeServer(t, func(c net.Conn, q *dns.Msg) {
				mu.Lock()
				open++
				peak = max(peak, open)
				mu.Unlock()
				time.Sleep(250 * time.Millisecond)
				mu.Lock()
				open--
				mu.Unlock()
				z := q.Question[0].Name
				soa := mustRR(t, z+" 60 IN SOA ns hm 1 1 1 1 1")
				writeMsg(c, pack(t, q, soa, mustRR(t, "_vlmcs._tcp."+z+" 60 IN SRV 0 0 1688 kms."+z), soa))
			})
			var specs []Spec
			for i := 0; i < 2*max(tc.want, 4)+1; i++ {
				specs = append(specs, Spec{Zone: fmt.Sprintf("z%d.example", i), Server: addr, Timeout: 5 * time.Second})
			}
			for _, r := range ReadAll(t.Context(), specs, ReadOptions{Concurrency: tc.concurrency, TransfersPerServer: tc.per}) {
				if r.Err != nil || r.Source != SourceAXFR || len(r.Records) != 1 {
					t.Fatalf("%s: %v, %s, %d records", r.Zone, r.Err, r.Source, len(r.Records))
				}
			}
			if peak != tc.want {
				t.Errorf("%d transfers at once, want %d", peak, tc.want)
			}
		})
	}
	if DefaultTransfersPerServer >= 10 {
		t.Errorf("DefaultTransfersPerServer %d is not below BIND's transfers-out default of 10", DefaultTransfersPerServer)
	}
}

// TestDefaultTimeout: a zero Timeout waits DefaultTimeout, 10 s, for a
// silent server (what --timeout's default promises).
func TestDefaultTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: waits 10 s")
	}
	t.Parallel()
	addr := fakeServer(t, func(c net.Conn, q *dns.Msg) { time.Sleep(15 * time.Second) })
	start := time.Now()
	_, err := Transfer(t.Context(), TransferConfig{Zone: "f.example", Server: addr})
	took := time.Since(start)
	if !errors.Is(err, ErrTimeout) || took < 10*time.Second || took > 12*time.Second {
		t.Errorf("after %v: %v; want a timeout after 10 s", took, err)
	}
}

// TestDiscoveryBoundsNSHosts: a zone listing many name servers gets at
// most MaxNSHosts of them tried.
func TestDiscoveryBoundsNSHosts(t *testing.T) {
	resolver := testserver.ServeUDP(t, "127.0.0.1:0", func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Compress = true
		switch q := r.Question[0]; q.Qtype {
		case dns.TypeNS:
			for i := 0; i < 2*MaxNSHosts; i++ {
				m.Answer = append(m.Answer, mustRR(t, fmt.Sprintf("f.example. 60 IN NS ns%d.f.example.", i)))
			}
		case dns.TypeSOA:
			m.Answer = []dns.RR{mustRR(t, faultZone[0])}
		case dns.TypeA:
			m.Answer = []dns.RR{mustRR(t, q.Name+" 60 IN A 127.0.0.1")}
		}
		w.WriteMsg(m)
	})
	closed := fmt.Sprint(testserver.FreePort(t))
	res := Read(t.Context(), Spec{Zone: "f.example", Timeout: time.Second}, ReadOptions{Resolver: resolver, Port: closed})
	if res.Err == nil {
		t.Fatal("read a zone from a closed port")
	}
	transfers := strings.SplitN(res.Err.Error(), "no answer to direct queries", 2)[0]
	if n := strings.Count(transfers, "127.0.0.1:"+closed+": "); n != MaxNSHosts {
		t.Errorf("%d servers tried, want %d: %v", n, MaxNSHosts, res.Err)
	}
}

// TestTransferCancelled: cancelling the context (Ctrl-C) ends an endless
// transfer at once, with the context's error.
func TestTransferCancelled(t *testing.T) {
	addr := fakeServer(t, func(c net.Conn, q *dns.Msg) {
		stream(t, c, q, func(i int) dns.RR { return kmsRR("_vlmcs._tcp.f.example.", i%3) })
	})
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, err := Transfer(ctx, TransferConfig{Zone: "f.example", Server: addr})
	if !errors.Is(err, context.Canceled) || time.Since(start) > 2*time.Second {
		t.Errorf("after %v: %v", time.Since(start), err)
	}
}
