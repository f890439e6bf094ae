package publish

import (
	"testing"

	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// FuzzUpdateRoundTrip: an UPDATE built from any valid record packs and
// unpacks to the same sections (prerequisites, deletions, additions).
func FuzzUpdateRoundTrip(f *testing.F) {
	f.Add("contoso.com", "kms1.contoso.com", "emea", uint16(1688), uint32(3600), uint16(0), uint16(0), "kms-old.contoso.com", uint16(1689))
	f.Add("a.b", "x.a.b", "", uint16(1), uint32(1), uint16(65535), uint16(7), "y.c.d", uint16(65535))
	f.Fuzz(func(t *testing.T, zoneName, host, name string, port uint16, ttl uint32, prio, weight uint16, old string, oldPort uint16) {
		rec, err := Record{Target: host, Port: port, TTL: ttl, Priority: prio, Weight: weight}.Check()
		if err != nil {
			return
		}
		oldHost, err := dnsx.CheckHost(old)
		if err != nil || oldPort == 0 {
			return
		}
		// Zone and sub-domain names are host-like, as the CLI and config
		// accept them.
		z, err := dnsx.CheckHost(zoneName)
		if err != nil || len(name) > 50 {
			return
		}
		if name != "" {
			if _, err := dnsx.CheckHost(name + ".x"); err != nil {
				return
			}
		}
		own := owner(z, name)
		if _, ok := dns.IsDomainName(own); !ok || !dns.IsSubDomain(z, own) {
			return
		}
		current := []zone.Record{{Zone: z, Name: own, TTL: 60, Port: oldPort, Target: oldHost}}
		rec.Target = oldHost // same host: a replacement, with prerequisite and deletion
		p := PlanPublish(z, "127.0.0.1:53", name, rec, current)
		m := p.Msg()
		b, err := m.Pack()
		if err != nil {
			if len(own) > 240 {
				return
			}
			t.Fatalf("pack: %v\n%s", err, p.Text())
		}
		back := new(dns.Msg)
		if err := back.Unpack(b); err != nil {
			t.Fatalf("unpack: %v", err)
		}
		if back.Opcode != dns.OpcodeUpdate || len(back.Question) != 1 || dns.CanonicalName(back.Question[0].Name) != z {
			t.Fatalf("zone section: %v", back.Question)
		}
		if len(back.Answer) != len(p.Prerequisites()) || len(back.Ns) != len(p.Delete)+len(p.Add) {
			t.Fatalf("sections: %d prerequisites, %d updates; plan %d, %d+%d", len(back.Answer), len(back.Ns), len(p.Prerequisites()), len(p.Delete), len(p.Add))
		}
		for i, rr := range back.Ns {
			srv, ok := rr.(*dns.SRV)
			if !ok {
				t.Fatalf("update %d is %T", i, rr)
			}
			want := p.Add
			class := uint16(dns.ClassINET)
			if i < len(p.Delete) {
				want, class = p.Delete, dns.ClassNONE
			} else {
				i -= len(p.Delete)
			}
			w := want[i]
			if srv.Hdr.Class != class || dns.CanonicalName(srv.Hdr.Name) != w.Name || dns.CanonicalName(srv.Target) != w.Target ||
				srv.Port != w.Port || srv.Priority != w.Priority || srv.Weight != w.Weight {
				t.Fatalf("update %d: %v, want %v", i, srv, w)
			}
		}
	})
}
