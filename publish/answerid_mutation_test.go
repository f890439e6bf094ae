package publish

import (
	"encoding/binary"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestUpdateAnswerWithOtherIDRefused: an answer to an update whose id is
// not the request's (a stale or spoofed answer) is not taken as the
// server's answer: the update counts as unanswered and the read-back
// decides (ReadBack set, "no clear answer" in the note). A
// fault-injection primary applies the update but answers it with id+1.
func TestUpdateAnswerWithOtherIDRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var updated atomic.Bool
	srv := mustSRV("_vlmcs._tcp.f.example. 3600 IN SRV 0 0 1688 kms1.f.example.")
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				for {
					var lb [2]byte
					if _, err := io.ReadFull(c, lb[:]); err != nil {
						return
					}
					b := make([]byte, binary.BigEndian.Uint16(lb[:]))
					if _, err := io.ReadFull(c, b); err != nil {
						return
					}
					q := new(dns.Msg)
					if q.Unpack(b) != nil {
						return
					}
					m := new(dns.Msg)
					m.SetReply(q)
					m.Authoritative = true
					switch {
					case q.Opcode == dns.OpcodeUpdate:
						updated.Store(true)
						m.Id = q.Id + 1
					case updated.Load() && len(q.Question) == 1 && strings.EqualFold(q.Question[0].Name, srv.Header().Name):
						m.Answer = []dns.RR{dns.Copy(srv)}
					}
					out, _ := m.Pack()
					if _, err := c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(out))), out...)); err != nil {
						return
					}
				}
			}()
		}
	}()
	cl := NewClient(Options{Timeout: 2 * time.Second})
	defer cl.Close()
	rs := cl.Apply(t.Context(), cl.PlanPublish(t.Context(), []Primary{{Zone: "f.example", Server: l.Addr().String()}}, "", Record{Target: "kms1.f.example.", Port: 1688, TTL: 3600}))
	if !updated.Load() {
		t.Fatal("no update was sent")
	}
	if r := rs[0]; r.ReadBack != ReadBackApplied || !strings.Contains(r.Note, "no clear answer to the update") || r.Action != ActionAdded {
		t.Errorf("answer with another id: %s, read back %q, note %q, err %v; want it unanswered, then read back applied", r.Action, r.ReadBack, r.Note, r.Err)
	}
}
