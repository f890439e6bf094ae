package audit_test

import (
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/audit/probe"
	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/internal/kmstest"
	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// negCacheEntry is a negative answer a resolver still holds: NXDOMAIN or
// NODATA, with the SOA of soaOwner at ttl seconds left.
type negCacheEntry struct {
	rcode    int
	soaOwner string
	ttl      uint32
}

// negCache is a resolver that forwards to upstream (the zone's real
// server) except for names still in its negative cache (fault injection:
// a cache that answered before the host's address was added).
func negCache(t *testing.T, upstream string, cached map[string]negCacheEntry) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		q := r.Question[0]
		e, ok := cached[strings.ToLower(q.Name)]
		if !ok {
			in, err := dns.Exchange(r, upstream)
			if err != nil {
				t.Error(err)
				return
			}
			in.RecursionAvailable = true
			w.WriteMsg(in)
			return
		}
		m := new(dns.Msg)
		m.SetRcode(r, e.rcode)
		m.RecursionAvailable = true
		soa, err := dns.NewRR(fmt.Sprintf("%s %d IN SOA ns1.%s hostmaster.%s 1 3600 900 1209600 300", e.soaOwner, e.ttl, e.soaOwner, e.soaOwner))
		if err != nil {
			t.Error(err)
		}
		m.Ns = []dns.RR{soa}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

// TestNegativeCacheOneStory: the zone's own server (real BIND) has an
// address for a target, but a resolver still answers NXDOMAIN (or NODATA)
// from its negative cache. The report says that once, in
// target-negative-cached: what the zone says, what resolvers answer and
// for how long (the SOA TTL of the cached answer), and what clients see;
// no target-unresolvable, no host-unreachable, and targets[] says both
// views. A resolver that does not see the zone at all (another SOA) is
// not a cached copy of it and is not reported per target.
func TestNegativeCacheOneStory(t *testing.T) {
	const ipNew, ipV4 = "127.0.0.81", "127.0.0.82"
	port := testserver.FreePortOn(t, ipNew, ipV4)
	kmstest.Start(t, ipNew, port, kmstest.KMS)
	kmstest.Start(t, ipV4, port, kmstest.KMS)
	srv := func(target string) string { return fmt.Sprintf("_vlmcs._tcp IN SRV 0 0 %d %s\n", port, target) }
	body := srv("kms-new") + srv("kms-nodata") + srv("kms-elsewhere") + srv("kms-fine") +
		"kms-new IN A " + ipNew + "\nkms-nodata IN A " + ipV4 + "\nkms-elsewhere IN A " + ipV4 + "\nkms-fine IN A " + ipNew + "\n"
	bind := testserver.StartBIND(t, testserver.BINDConfig{Zones: []testserver.Zone{{Name: "neg.example", Content: zoneText("neg.example", 1, body), Transfer: "any;"}}})
	resolver := negCache(t, bind.Addr, map[string]negCacheEntry{
		"kms-new.neg.example.":       {dns.RcodeNameError, "neg.example.", 250},
		"kms-nodata.neg.example.":    {dns.RcodeSuccess, "neg.example.", 120},
		"kms-elsewhere.neg.example.": {dns.RcodeNameError, "example.", 900}, // a resolver that does not see the zone
	})

	results := zone.ReadAll(t.Context(), []zone.Spec{{Zone: "neg.example", Server: bind.Addr}}, zone.ReadOptions{Resolver: resolver})
	rep := audit.Run(t.Context(), results, audit.Options{
		Policy:   audit.Policy{ExpectedPort: uint16(port)},
		Resolver: &resolve.TargetResolver{Resolver: resolver, Timeout: 2 * time.Second},
		Prober:   probe.Prober{Timeout: time.Second},
	})

	if got, want := findingsOf(rep, "neg.example."), []string{
		"target-negative-cached _vlmcs._tcp kms-new",
		"target-negative-cached _vlmcs._tcp kms-nodata",
	}; !slices.Equal(got, want) {
		t.Fatalf("findings:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	cases := []struct {
		target, ip, answer, ttl, resolution string
		cachedTTL                           uint32
	}{
		{"kms-new.neg.example.", ipNew, "NXDOMAIN", "250", "nxdomain", 250},
		{"kms-nodata.neg.example.", ipV4, "no address (NODATA)", "120", "no-address", 120},
	}
	for _, c := range cases {
		t.Run(c.target, func(t *testing.T) {
			var f *audit.Finding
			for i := range rep.Findings {
				if rep.Findings[i].Target == c.target {
					if f != nil {
						t.Fatalf("more than one story for %s", c.target)
					}
					f = &rep.Findings[i]
				}
			}
			for _, w := range []string{
				strings.TrimSuffix(c.target, ".") + " resolves in the zone's own data to " + c.ip + " (server " + bind.Addr + ")",
				"resolvers still answer " + c.answer + " (resolver " + resolver + ") for up to " + c.ttl + " s more, from their negative cache (the SOA minimum of neg.example)",
				"clients that ask such a resolver find no address for the host and cannot activate through this record (they try the other records)",
				"after that they get " + c.ip + ", where a KMS host answers",
			} {
				if !strings.Contains(f.Message, w) {
					t.Errorf("message lacks %q:\n%s", w, f.Message)
				}
			}
			if f.Severity != audit.SeverityWarning || f.Command != nil || !strings.Contains(f.Fix, "rndc flushname "+strings.TrimSuffix(c.target, ".")) {
				t.Errorf("finding %+v", f)
			}
			var tg *audit.Target
			for i := range rep.Targets {
				if rep.Targets[i].Target == c.target {
					tg = &rep.Targets[i]
				}
			}
			if tg == nil || tg.Resolution != "resolved" || !slices.Equal(tg.Addresses, []string{c.ip}) || tg.Probe != "kms" ||
				tg.CachedResolution != c.resolution || tg.CachedTTL != c.cachedTTL || tg.CachedVia != "resolver "+resolver || len(tg.CachedAddresses) != 0 {
				t.Errorf("targets[] says %+v", tg)
			}
		})
	}
	for _, tg := range rep.Targets {
		if (tg.Target == "kms-fine.neg.example." || tg.Target == "kms-elsewhere.neg.example.") && (tg.CachedResolution != "" || tg.CachedTTL != 0) {
			t.Errorf("targets[] reports a cache disagreement for %+v", tg)
		}
	}
	js, err := json.Marshal(rep)
	if err != nil || !strings.Contains(string(js), `"cached_resolution":"nxdomain"`) || !strings.Contains(string(js), `"cached_ttl":250`) {
		t.Errorf("json: %v\n%s", err, js)
	}
}
