package resolve

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/kmsdns/kmsdns/zone"
)

func TestResolveFromFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.zone")
	os.WriteFile(p, []byte(`$ORIGIN r.example.
$TTL 60
@ IN SOA ns hm 1 1 1 1 1
_vlmcs._tcp SRV 0 0 1688 kms1
kms1 A 127.0.0.1
kms1 AAAA ::1
alias CNAME kms1
dangling CNAME nowhere
out CNAME kms.elsewhere.example.
txtonly TXT "no address"
a.b.deep A 127.0.0.2
`), 0o644)
	r, err := zone.ReadFile(p, "")
	if err != nil {
		t.Fatal(err)
	}
	tr := &TargetResolver{Offline: true}
	tests := []struct {
		target string
		status ResolveStatus
		cname  string
		addrs  []string
	}{
		{"kms1.r.example.", Resolved, "", []string{"127.0.0.1", "::1"}},
		{"KMS1.R.example", Resolved, "", []string{"127.0.0.1", "::1"}},
		{"alias.r.example.", Resolved, "kms1.r.example.", []string{"127.0.0.1", "::1"}},
		{"dangling.r.example.", NoAddress, "nowhere.r.example.", nil},
		{"out.r.example.", NotVerified, "kms.elsewhere.example.", nil},
		{"txtonly.r.example.", NoAddress, "", nil},
		{"b.deep.r.example.", NoAddress, "", nil}, // empty non-terminal
		{"gone.r.example.", NXDomain, "", nil},
		{"kms.other.example.", NotVerified, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.target, func(t *testing.T) {
			res := tr.Resolve(t.Context(), r, tc.target)
			var addrs []string
			for _, a := range res.Addrs {
				addrs = append(addrs, a.String())
			}
			if res.Status != tc.status || res.CNAME != tc.cname || !slices.Equal(addrs, tc.addrs) {
				t.Errorf("got %s cname %q addrs %v (%v), want %s %q %v", res.Status, res.CNAME, addrs, res.Err, tc.status, tc.cname, tc.addrs)
			}
		})
	}
}

func TestResolveAtServerAndResolver(t *testing.T) {
	bind := testserver.StartBIND(t, testserver.BINDConfig{Zones: []testserver.Zone{
		{Name: "in.example", Content: `$ORIGIN in.example.
$TTL 60
@ IN SOA ns1 hm 1 1 1 1 1
  IN NS ns1
ns1 A 127.0.0.1
kms1 A 127.0.0.11
alias CNAME kms1
outalias CNAME kms.out.example.
noaddr TXT "x"
`, Transfer: "any;"},
		{Name: "out.example", Content: `$ORIGIN out.example.
$TTL 60
@ IN SOA ns1 hm 1 1 1 1 1
  IN NS ns1
ns1 A 127.0.0.1
kms AAAA ::1
`},
	}})
	r, err := zone.Transfer(t.Context(), zone.TransferConfig{Zone: "in.example", Server: bind.Addr})
	if err != nil {
		t.Fatal(err)
	}
	// The zone's server answers for in-zone names; out.example is asked of
	// the "resolver" (the same BIND, authoritative for it).
	tr := &TargetResolver{Resolver: bind.Addr}
	for _, tc := range []struct {
		target string
		status ResolveStatus
		cname  string
		addr   string
	}{
		{"kms1.in.example.", Resolved, "", "127.0.0.11"},
		{"alias.in.example.", Resolved, "kms1.in.example.", "127.0.0.11"},
		{"outalias.in.example.", Resolved, "kms.out.example.", "::1"},
		{"noaddr.in.example.", NoAddress, "", ""},
		{"gone.in.example.", NXDomain, "", ""},
		{"kms.out.example.", Resolved, "", "::1"},
		{"gone.out.example.", NXDomain, "", ""},
	} {
		res := tr.Resolve(t.Context(), r, tc.target)
		var addr string
		if len(res.Addrs) > 0 {
			addr = res.Addrs[0].String()
		}
		if res.Status != tc.status || res.CNAME != tc.cname || addr != tc.addr {
			t.Errorf("%s: got %s %q %q (%v, via %s), want %s %q %q", tc.target, res.Status, res.CNAME, addr, res.Err, res.Via, tc.status, tc.cname, tc.addr)
		}
	}
	// Offline, nothing is asked.
	off := (&TargetResolver{Offline: true}).Resolve(t.Context(), r, "kms1.in.example.")
	if off.Status != NotVerified {
		t.Errorf("offline: %s", off.Status)
	}
}

// TestViewServersBoundsNSHosts: a server listing many name servers gets
// at most zone.MaxNSHosts of them asked.
func TestViewServersBoundsNSHosts(t *testing.T) {
	mustRR := func(s string) dns.RR {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		return rr
	}
	addr := testserver.ServeUDP(t, "127.0.0.1:0", func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		switch q := r.Question[0]; q.Qtype {
		case dns.TypeNS:
			m.Compress = true
			for i := 0; i < 2*zone.MaxNSHosts; i++ {
				h := fmt.Sprintf("ns%d.f.example.", i)
				m.Answer = append(m.Answer, mustRR("f.example. 60 IN NS "+h))
				m.Extra = append(m.Extra, mustRR(h+" 60 IN A 127.0.0.1"))
			}
		case dns.TypeSOA:
			m.Answer = []dns.RR{mustRR("f.example. 60 IN SOA ns hm 5 1 1 1 1")}
		default:
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})
	r := &zone.Snapshot{Zone: "f.example.", Server: addr}
	views, err := ViewServers(t.Context(), r, ViewOptions{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(views) != zone.MaxNSHosts {
		t.Errorf("%d servers asked, want %d", len(views), zone.MaxNSHosts)
	}
}
