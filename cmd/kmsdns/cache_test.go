package main

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/internal/kmstest"
	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/miekg/dns"
)

// staleCache is a resolver that still holds an address for a name the
// zone's server no longer has (fault injection: a cache whose TTL has not
// run out). Every other name is NXDOMAIN.
func staleCache(t *testing.T, ttl uint32, cached map[string]string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.RecursionAvailable = true
		q := r.Question[0]
		ip, ok := cached[strings.ToLower(q.Name)]
		switch {
		case ok && q.Qtype == dns.TypeA:
			rr, err := dns.NewRR(fmt.Sprintf("%s %d IN A %s", q.Name, ttl, ip))
			if err != nil {
				t.Error(err)
			}
			m.Answer = []dns.RR{rr}
		case ok:
		default:
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

// TestCachedTargetOneStory: the zone's own server (real BIND) has no
// address for a target, a resolver still hands one out from its cache, and
// a KMS host answers there. The report tells that once, in
// target-unresolvable, with the cached address and TTL; no
// host-unreachable, and the hosts table says what the zone says.
func TestCachedTargetOneStory(t *testing.T) {
	const ipOld, ipGone = "127.0.0.71", "127.0.0.72" // nothing listens on ipGone
	port := testserver.FreePortOn(t, ipOld, ipGone)
	kmstest.Start(t, ipOld, port, kmstest.KMS)
	zoneText := fmt.Sprintf("$ORIGIN cache.example.\n$TTL 300\n@ IN SOA ns1 hm 1 3600 900 1209600 300\n IN NS ns1\nns1 IN A 127.0.0.1\n"+
		"_vlmcs._tcp IN SRV 0 0 %d kms-new\n_vlmcs._tcp IN SRV 0 0 %d kms-old\n_vlmcs._tcp IN SRV 0 0 %d kms-gone\nkms-new IN A %s\n", port, port, port, ipOld)
	bind := testserver.StartBIND(t, testserver.BINDConfig{Zones: []testserver.Zone{{Name: "cache.example", Content: zoneText, Transfer: "any;"}}})
	resolver := staleCache(t, 1234, map[string]string{"kms-old.cache.example.": ipOld, "kms-gone.cache.example.": ipGone})

	out, errOut, code := run(t, "audit", "--zone", "cache.example", "--server", bind.Addr, "--resolver", resolver, "--expected-port", fmt.Sprint(port))
	if code != exitErrors {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	for _, w := range []string{
		"ERROR   target-unresolvable _vlmcs._tcp.cache.example -> kms-old.cache.example:",
		"does not resolve in the zone's own data: the name does not exist (server " + bind.Addr + "); resolvers still hand out " + ipOld + " (resolver " + resolver + ") for up to 1234 s",
		"and a KMS host still answers, until the cache expires; after that they get NXDOMAIN",
		"ERROR   target-unresolvable _vlmcs._tcp.cache.example -> kms-gone.cache.example:",
		"resolvers still hand out " + ipGone + " (resolver " + resolver + ") for up to 1234 s more: clients that get the cached answer connect there and fail (refused)",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "host-unreachable") || strings.Count(out, "kms-old.cache.example:") != 1 || strings.Count(out, "kms-gone.cache.example:") != 1 {
		t.Errorf("more than one story for kms-old:\n%s", out)
	}
	if !regexp.MustCompile(`kms-old\.cache\.example +\| ` + fmt.Sprint(port) + ` +\| nxdomain `).MatchString(out) {
		t.Errorf("the hosts table does not say what the zone says:\n%s", out)
	}

	out, _, _ = run(t, "audit", "--zone", "cache.example", "--server", bind.Addr, "--resolver", resolver, "--expected-port", fmt.Sprint(port), "-o", "json")
	for _, w := range []string{`"resolution": "nxdomain"`, `"cached_addresses": [`, `"cached_ttl": 1234`} {
		if !strings.Contains(out, w) {
			t.Errorf("json lacks %s:\n%s", w, out)
		}
	}
}
