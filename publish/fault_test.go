package publish

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// fakePrimary is an in-process update server for fault injection: it keeps
// one zone's KMS records in memory, applies updates (without checking
// prerequisites) and answers as told.
type fakePrimary struct {
	mu      sync.Mutex
	records []dns.RR
	// apply says whether updates are applied; rcode and tsigErr shape the
	// answer; badSig signs answers with a wrong MAC (as Windows does in
	// some zones); timeSkew stamps answers that far from now.
	apply    bool
	rcode    int
	tsigErr  uint16
	badSig   bool
	timeSkew time.Duration
}

func (f *fakePrimary) start(t *testing.T, key zone.Key) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{Listener: l, TsigProvider: key.Provider(), MsgAcceptFunc: func(dns.Header) dns.MsgAcceptAction { return dns.MsgAccept },
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(r)
			m.Authoritative = true
			f.mu.Lock()
			defer f.mu.Unlock()
			if r.Opcode == dns.OpcodeUpdate {
				m.Rcode = f.rcode
				if f.apply && f.rcode == dns.RcodeSuccess {
					for _, rr := range r.Ns {
						switch rr.Header().Class {
						case dns.ClassNONE:
							for i, have := range f.records {
								if have.(*dns.SRV).Target == rr.(*dns.SRV).Target {
									f.records = append(f.records[:i], f.records[i+1:]...)
									break
								}
							}
						default:
							f.records = append(f.records, dns.Copy(rr))
						}
					}
				}
			} else {
				for _, rr := range f.records {
					if strings.EqualFold(rr.Header().Name, r.Question[0].Name) {
						m.Answer = append(m.Answer, dns.Copy(rr))
					}
				}
			}
			if t := r.IsTsig(); t != nil {
				m.SetTsig(t.Hdr.Name, t.Algorithm, 300, time.Now().Add(f.timeSkew).Unix())
				if f.tsigErr != 0 {
					m.Extra[len(m.Extra)-1].(*dns.TSIG).Error = f.tsigErr
				}
				if f.badSig {
					ts := m.Extra[len(m.Extra)-1].(*dns.TSIG)
					ts.MAC, ts.MACSize, ts.OrigId = strings.Repeat("ab", 32), 32, m.Id
					b, _ := m.Pack()
					w.Write(b)
					return
				}
			}
			w.WriteMsg(m)
		})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return l.Addr().String()
}

func TestUpdateFaults(t *testing.T) {
	key, err := zone.NewKey("upd", "hmac-sha256", "2z1o3F1bIYb8cQ4uXkM0m9b4o6Q2QeQfW1yq0m9oVrQ=")
	if err != nil {
		t.Fatal(err)
	}
	rec := Record{Host: "kms1.f.example.", Port: 1688, TTL: 3600}
	for _, tc := range []struct {
		name     string
		f        *fakePrimary
		action   Action
		verified bool
		want     string
	}{
		{"unverifiable answer, change in place", &fakePrimary{apply: true, badSig: true}, ActionAdded, true, "unverifiable: the answer's signature does not verify"},
		{"unverifiable answer, change not in place", &fakePrimary{badSig: true}, ActionFailed, false, "the change is not in place"},
		{"accepted but not applied", &fakePrimary{}, ActionFailed, false, "the records read back are not as asked"},
		{"BADTIME", &fakePrimary{rcode: dns.RcodeNotAuth, tsigErr: dns.RcodeBadTime}, ActionFailed, false, "300 s fudge"},
		{"NOTZONE", &fakePrimary{rcode: dns.RcodeNotZone}, ActionFailed, false, "not inside zone"},
		{"NOTIMP", &fakePrimary{rcode: dns.RcodeNotImplemented}, ActionFailed, false, "does not accept dynamic updates"},
		{"YXRRSET", &fakePrimary{rcode: dns.RcodeYXRrset}, ActionSkipped, false, "changed since they were read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := tc.f.start(t, key)
			cl := NewClient(Options{Signer: TSIG{Key: key}, Timeout: 2 * time.Second})
			defer cl.Close()
			rs := cl.Apply(t.Context(), cl.PlanPublish(t.Context(), []Target{{Zone: "f.example", Server: addr}}, "", rec))
			r := rs[0]
			text := r.Note
			if r.Err != nil {
				text += " " + r.Err.Error()
			}
			if r.Unverifiable != nil {
				text += " unverifiable: " + r.Unverifiable.Error()
			}
			if r.Action != tc.action || r.Verified != tc.verified || !strings.Contains(text, tc.want) {
				t.Errorf("action %s verified %v: %q, want %s %v %q", r.Action, r.Verified, text, tc.action, tc.verified, tc.want)
			}
		})
	}
}

func TestUpdateTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accept and stay silent
		}
	}()
	cl := NewClient(Options{Timeout: 300 * time.Millisecond})
	defer cl.Close()
	rs := cl.Apply(t.Context(), cl.PlanPublish(t.Context(), []Target{{Zone: "f.example", Server: l.Addr().String()}}, "", Record{Host: "kms1.f.example.", Port: 1688, TTL: 60}))
	if rs[0].Action != ActionFailed || rs[0].Err == nil || !strings.Contains(rs[0].Err.Error(), "timed out") || !strings.Contains(rs[0].Err.Error(), "f.example") {
		t.Errorf("%s %v", rs[0].Action, rs[0].Err)
	}
}

func TestGSSClockSkewCheckedFirst(t *testing.T) {
	// A server whose clock is an hour ahead: kmsdns says so before any
	// Kerberos exchange, instead of a bare BADTIME later.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{Listener: l, MsgAcceptFunc: func(dns.Header) dns.MsgAcceptAction { return dns.MsgAccept },
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg)
			m.SetRcode(r, dns.RcodeNotAuth)
			if ts := r.IsTsig(); ts != nil {
				m.Extra = append(m.Extra, &dns.TSIG{Hdr: dns.RR_Header{Name: ts.Hdr.Name, Rrtype: dns.TypeTSIG, Class: dns.ClassANY},
					Algorithm: ts.Algorithm, TimeSigned: uint64(time.Now().Add(time.Hour).Unix()), Fudge: 300, Error: dns.RcodeBadKey, OrigId: r.Id})
			}
			b, _ := m.Pack()
			w.Write(b)
		})}
	go srv.ActivateAndServe()
	defer srv.Shutdown()
	g := &GSS{Principal: "admin@F.EXAMPLE", Password: "x", ServerNames: map[string]string{l.Addr().String(): "ns1.f.example"}, Timeout: 2 * time.Second}
	_, _, _, err = g.Sign(context.Background(), l.Addr().String())
	if err == nil || !strings.Contains(err.Error(), "differ by") || !strings.Contains(err.Error(), "more than the 5m0s") || !strings.Contains(err.Error(), "NTP") {
		t.Fatalf("err = %v", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("timed out instead")
	}
}

func TestGSSNeverPrintsPassword(t *testing.T) {
	g := &GSS{Principal: "admin", Password: "s3cret-pass"}
	for _, s := range []string{fmt.Sprint(g), fmt.Sprintf("%v %+v %#v %s", g, g, g, g)} {
		if strings.Contains(s, "s3cret-pass") {
			t.Errorf("password printed: %s", s)
		}
	}
}
