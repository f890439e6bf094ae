package publish

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// fakePrimary is an in-process update server for fault injection: it keeps
// one zone's KMS records in memory, checks an update's prerequisites as
// RFC 2136 section 3.2 says (NXRRSET, YXRRSET, NXDOMAIN, YXDOMAIN, with
// value-dependent RRsets compared whole), applies it as section 3.4 says
// (class NONE deletes an exact RR, class IN adds one, giving the RRset the
// new TTL) and answers as told.
type fakePrimary struct {
	mu      sync.Mutex
	records []dns.RR
	// apply says whether updates are applied; rcode and tsigErr shape the
	// answer; badSig signs answers with a wrong MAC (as Windows does in
	// some zones); unsigned answers a signed update without a TSIG;
	// timeSkew stamps answers that far from now.
	apply    bool
	rcode    int
	tsigErr  uint16
	badSig   bool
	unsigned bool
	timeSkew time.Duration
	// ttlPerRecord keeps each record's own TTL, against RFC 2181 5.2.
	ttlPerRecord bool
}

// rdataEqual compares two RRs' owner, type and RDATA (not TTL or class).
func rdataEqual(a, b dns.RR) bool {
	a, b = dns.Copy(a), dns.Copy(b)
	a.Header().Class, b.Header().Class = dns.ClassINET, dns.ClassINET
	return dns.IsDuplicate(a, b)
}

// prerequisites checks r's prerequisite section (RFC 2136 3.2) and returns
// the rcode it earns.
func (f *fakePrimary) prerequisites(r *dns.Msg) int {
	rrset := func(name string, t uint16) []dns.RR {
		var out []dns.RR
		for _, have := range f.records {
			if strings.EqualFold(have.Header().Name, name) && (t == dns.TypeANY || have.Header().Rrtype == t) {
				out = append(out, have)
			}
		}
		return out
	}
	// Value-dependent prerequisites, grouped by name and type (3.2.3).
	want := map[string][]dns.RR{}
	for _, rr := range r.Answer {
		h := rr.Header()
		switch h.Class {
		case dns.ClassANY:
			if h.Rrtype == dns.TypeANY && len(rrset(h.Name, dns.TypeANY)) == 0 {
				return dns.RcodeNameError
			}
			if h.Rrtype != dns.TypeANY && len(rrset(h.Name, h.Rrtype)) == 0 {
				return dns.RcodeNXRrset
			}
		case dns.ClassNONE:
			if h.Rrtype == dns.TypeANY && len(rrset(h.Name, dns.TypeANY)) > 0 {
				return dns.RcodeYXDomain
			}
			if h.Rrtype != dns.TypeANY && len(rrset(h.Name, h.Rrtype)) > 0 {
				return dns.RcodeYXRrset
			}
		case dns.ClassINET:
			k := strings.ToLower(h.Name) + "/" + dns.TypeToString[h.Rrtype]
			want[k] = append(want[k], rr)
		default:
			return dns.RcodeFormatError
		}
	}
	for _, rrs := range want {
		have := rrset(rrs[0].Header().Name, rrs[0].Header().Rrtype)
		if len(have) != len(rrs) {
			return dns.RcodeNXRrset
		}
		for _, w := range rrs {
			if !slices.ContainsFunc(have, func(h dns.RR) bool { return rdataEqual(h, w) }) {
				return dns.RcodeNXRrset
			}
		}
	}
	return dns.RcodeSuccess
}

// update applies r's update section (RFC 2136 3.4.2).
func (f *fakePrimary) update(r *dns.Msg) {
	for _, rr := range r.Ns {
		switch rr.Header().Class {
		case dns.ClassNONE:
			f.records = slices.DeleteFunc(f.records, func(have dns.RR) bool { return rdataEqual(have, rr) })
		case dns.ClassINET:
			for _, have := range f.records {
				if strings.EqualFold(have.Header().Name, rr.Header().Name) && have.Header().Rrtype == rr.Header().Rrtype && !f.ttlPerRecord {
					have.Header().Ttl = rr.Header().Ttl
				}
			}
			if !slices.ContainsFunc(f.records, func(have dns.RR) bool { return rdataEqual(have, rr) }) {
				f.records = append(f.records, dns.Copy(rr))
			}
		}
	}
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
				if m.Rcode == dns.RcodeSuccess {
					m.Rcode = f.prerequisites(r)
				}
				if f.apply && m.Rcode == dns.RcodeSuccess {
					f.update(r)
				}
			} else {
				for _, rr := range f.records {
					if strings.EqualFold(rr.Header().Name, r.Question[0].Name) {
						m.Answer = append(m.Answer, dns.Copy(rr))
					}
				}
			}
			if t := r.IsTsig(); t != nil && !f.unsigned {
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
	rec := Record{Target: "kms1.f.example.", Port: 1688, TTL: 3600}
	for _, tc := range []struct {
		name     string
		f        *fakePrimary
		action   Action
		verified bool
		want     string
	}{
		{"unverifiable answer, change in place", &fakePrimary{apply: true, badSig: true}, ActionAdded, true, "unverifiable: the answer's signature does not verify"},
		{"unsigned answer, change in place", &fakePrimary{apply: true, unsigned: true}, ActionAdded, true, "unverifiable: the answer is not signed"},
		{"unsigned answer, change not in place", &fakePrimary{unsigned: true}, ActionFailed, false, "the answer is not signed, and the records read back are not as asked"},
		{"signed answer", &fakePrimary{apply: true}, ActionAdded, true, ""},
		{"the set keeps its TTL", &fakePrimary{apply: true, ttlPerRecord: true, records: []dns.RR{mustSRV("_vlmcs._tcp.f.example. 600 IN SRV 0 0 1688 kms0.f.example.")}},
			ActionFailed, false, "TTL 600 instead of 3600: _vlmcs._tcp.f.example.\t3600\tIN\tSRV\t0 0 1688 kms0.f.example."},
		{"the set takes the new TTL", &fakePrimary{apply: true, records: []dns.RR{mustSRV("_vlmcs._tcp.f.example. 600 IN SRV 0 0 1688 kms0.f.example.")}},
			ActionAdded, true, "changes the TTL of 1 other record(s) of _vlmcs._tcp.f.example. from 600 to 3600"},
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
			rs := cl.Apply(t.Context(), cl.PlanPublish(t.Context(), []Primary{{Zone: "f.example", Server: addr}}, "", rec))
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
			// Only an answer whose TSIG verified counts as signed.
			if signed := tc.f.rcode == 0 && !tc.f.badSig && !tc.f.unsigned && tc.f.tsigErr == 0; r.AnswerSigned != signed {
				t.Errorf("AnswerSigned %v, want %v", r.AnswerSigned, signed)
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
	rs := cl.Apply(t.Context(), cl.PlanPublish(t.Context(), []Primary{{Zone: "f.example", Server: l.Addr().String()}}, "", Record{Target: "kms1.f.example.", Port: 1688, TTL: 60}))
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

// TestFakePrimaryPrerequisites: the fault-injection primary refuses an
// update whose prerequisites do not hold, as RFC 2136 3.2 says, so a
// plan made from a stale read is skipped there as on a real server.
func TestFakePrimaryPrerequisites(t *testing.T) {
	key, err := zone.NewKey("upd", "hmac-sha256", "2z1o3F1bIYb8cQ4uXkM0m9b4o6Q2QeQfW1yq0m9oVrQ=")
	if err != nil {
		t.Fatal(err)
	}
	rr := func(s string) dns.RR {
		r, err := dns.NewRR(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	f := &fakePrimary{apply: true, records: []dns.RR{
		rr("_vlmcs._tcp.f.example. 600 IN SRV 0 0 1688 kms1.f.example."),
		rr("_vlmcs._tcp.f.example. 600 IN SRV 0 0 1688 kms2.f.example."),
	}}
	addr := f.start(t, key)
	cl := NewClient(Options{Signer: TSIG{Key: key}, Timeout: 2 * time.Second})
	defer cl.Close()
	targets := []Primary{{Zone: "f.example", Server: addr}}
	plans := cl.PlanUnpublish(t.Context(), targets, "", "kms1.f.example", false)
	// Someone adds a record between the read and the update: the RRset is
	// no longer as read.
	f.mu.Lock()
	f.records = append(f.records, rr("_vlmcs._tcp.f.example. 600 IN SRV 0 0 1688 kms3.f.example."))
	f.mu.Unlock()
	rs := cl.Apply(t.Context(), plans)
	if rs[0].Action != ActionSkipped || !errors.Is(rs[0].Err, ErrChanged) {
		t.Fatalf("stale prerequisite: %s %v", rs[0].Action, rs[0].Err)
	}
	f.mu.Lock()
	n := len(f.records)
	f.mu.Unlock()
	if n != 3 {
		t.Errorf("the refused update changed the records: %d", n)
	}
	// Read again: the prerequisite holds, kms1 goes, the others stay with
	// their TTL.
	rs = cl.Apply(t.Context(), cl.PlanUnpublish(t.Context(), targets, "", "kms1.f.example", false))
	if rs[0].Action != ActionRemoved || rs[0].Err != nil || !rs[0].Verified {
		t.Fatalf("fresh prerequisite: %s %v", rs[0].Action, rs[0].Err)
	}
	for _, c := range []struct {
		name string
		msg  func(m *dns.Msg)
		want int
	}{
		{"name in use", func(m *dns.Msg) { m.NameUsed([]dns.RR{rr("nothing.f.example. 0 IN A 127.0.0.1")}) }, dns.RcodeNameError},
		{"name not in use", func(m *dns.Msg) { m.NameNotUsed([]dns.RR{rr("_vlmcs._tcp.f.example. 0 IN A 127.0.0.1")}) }, dns.RcodeYXDomain},
		{"rrset exists", func(m *dns.Msg) { m.RRsetUsed([]dns.RR{rr("nothing.f.example. 0 IN SRV 0 0 1 x.")}) }, dns.RcodeNXRrset},
		{"rrset does not exist", func(m *dns.Msg) { m.RRsetNotUsed([]dns.RR{rr("_vlmcs._tcp.f.example. 0 IN SRV 0 0 1 x.")}) }, dns.RcodeYXRrset},
		{"value-dependent, part of the set", func(m *dns.Msg) { m.Used([]dns.RR{rr("_vlmcs._tcp.f.example. 0 IN SRV 0 0 1688 kms2.f.example.")}) }, dns.RcodeNXRrset},
		{"value-dependent, the whole set", func(m *dns.Msg) {
			m.Used([]dns.RR{rr("_vlmcs._tcp.f.example. 0 IN SRV 0 0 1688 kms2.f.example."), rr("_vlmcs._tcp.f.example. 0 IN SRV 0 0 1688 kms3.f.example.")})
		}, dns.RcodeSuccess},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := new(dns.Msg)
			m.SetUpdate("f.example.")
			c.msg(m)
			f.mu.Lock()
			got := f.prerequisites(m)
			f.mu.Unlock()
			if got != c.want {
				t.Errorf("rcode %s, want %s", dns.RcodeToString[got], dns.RcodeToString[c.want])
			}
		})
	}
}

func mustSRV(s string) dns.RR {
	rr, err := dns.NewRR(s)
	if err != nil {
		panic(err)
	}
	return rr
}

// TestPlanPublishAllDuplicates: a host or name given twice is planned
// once.
func TestPlanPublishAllDuplicates(t *testing.T) {
	cur := map[string][]zone.Record{"_vlmcs._tcp.d.example.": {{Zone: "d.example.", Name: "_vlmcs._tcp.d.example.", TTL: 600, Port: 1688, Target: "kms1.d.example."}}}
	for _, recs := range [][]Record{
		{{Target: "kms1.d.example", Port: 1688}, {Target: "KMS1.d.example.", Port: 1688}},
		{{Target: "kms2.d.example", Port: 1688}, {Target: "kms2.d.example.", Port: 1688}},
	} {
		p := PlanPublishAll("d.example", "127.0.0.1:9", []string{"", "@"}, recs, cur)
		if len(p.Changes) != 1 || len(p.Add) > 1 {
			t.Errorf("%v: %d changes, %d additions", recs, len(p.Changes), len(p.Add))
		}
	}
}
