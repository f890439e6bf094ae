package zone_test

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/kmsdns/kmsdns/zone"
)

// mutAXFRServer is an in-process server for fault injection: it reads one
// query per connection and answers with the messages build returns, each
// a reply to the query.
func mutAXFRServer(t *testing.T, build func(q *dns.Msg) []*dns.Msg) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			var lb [2]byte
			if _, err := io.ReadFull(c, lb[:]); err == nil {
				b := make([]byte, binary.BigEndian.Uint16(lb[:]))
				q := new(dns.Msg)
				if _, err := io.ReadFull(c, b); err == nil && q.Unpack(b) == nil {
					for _, m := range build(q) {
						wire, err := m.Pack()
						if err != nil {
							panic(err)
						}
						c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(wire))), wire...))
					}
				}
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return l.Addr().String()
}

func mutRRs(t *testing.T, lines ...string) []dns.RR {
	t.Helper()
	var out []dns.RR
	for _, s := range lines {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		out = append(out, rr)
	}
	return out
}

// TestTransferGuards: answers a real server never sends are rejected, not
// taken as the zone.
func TestTransferGuards(t *testing.T) {
	const (
		soa  = "g.example. 60 IN SOA ns hm 5 1 1 1 1"
		kms  = "_vlmcs._tcp.g.example. 60 IN SRV 0 0 1688 kms1.g.example."
		host = "www.g.example. 60 IN A 127.0.0.1"
	)
	reply := func(q *dns.Msg, answer []dns.RR, extra ...dns.RR) *dns.Msg {
		m := new(dns.Msg)
		m.SetReply(q)
		m.Answer, m.Extra = answer, extra
		return m
	}
	tests := []struct {
		name  string
		build func(q *dns.Msg) []*dns.Msg
		want  string // in the error; "" for success
		is    error
	}{
		{"well formed", func(q *dns.Msg) []*dns.Msg {
			return []*dns.Msg{reply(q, mutRRs(t, soa, kms)), reply(q, mutRRs(t, host, soa))}
		}, "", nil},
		{"records after the closing SOA", func(q *dns.Msg) []*dns.Msg {
			return []*dns.Msg{reply(q, mutRRs(t, soa, kms, soa, host))}
		}, "after the closing SOA", nil},
		{"first SOA of another zone", func(q *dns.Msg) []*dns.Msg {
			return []*dns.Msg{reply(q, mutRRs(t, "other.example. 60 IN SOA ns hm 5 1 1 1 1", kms, soa))}
		}, "first SOA is for other.example.", nil},
		{"empty first answer", func(q *dns.Msg) []*dns.Msg {
			return []*dns.Msg{reply(q, nil)}
		}, "", zone.ErrTransferRefused},
		{"TSIG not the last record", func(q *dns.Msg) []*dns.Msg {
			tsig := &dns.TSIG{Hdr: dns.RR_Header{Name: "k.", Rrtype: dns.TypeTSIG, Class: dns.ClassANY}, Algorithm: dns.HmacSHA256, MAC: "00", MACSize: 1, OrigId: q.Id}
			return []*dns.Msg{reply(q, mutRRs(t, soa, kms, soa), tsig, mutRRs(t, host)[0])}
		}, "TSIG is not the last record", nil},
		{"cut short", func(q *dns.Msg) []*dns.Msg {
			return []*dns.Msg{reply(q, mutRRs(t, soa, kms))}
		}, "", zone.ErrTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := mutAXFRServer(t, tc.build)
			res, err := zone.Transfer(t.Context(), zone.TransferConfig{Zone: "g.example", Server: addr, Timeout: 2 * time.Second})
			switch {
			case tc.want == "" && tc.is == nil:
				if err != nil || len(res.Records) != 1 {
					t.Fatalf("got %v, %v; want one KMS record", res, err)
				}
			case err == nil:
				t.Fatalf("no error (%d records); want %q %v", len(res.Records), tc.want, tc.is)
			case tc.is != nil && !errors.Is(err, tc.is):
				t.Errorf("error %v; want errors.Is %v", err, tc.is)
			case !strings.Contains(err.Error(), tc.want):
				t.Errorf("error %v; want %q", err, tc.want)
			}
		})
	}
}
