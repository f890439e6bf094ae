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

// negativeCache is a resolver that forwards to upstream except for the
// names it still holds a negative answer for (NXDOMAIN with the zone's
// SOA at ttl seconds left): fault injection for a cache that answered
// before the host's address was added.
func negativeCache(t *testing.T, upstream, zoneName string, ttl uint32, names ...string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		for _, n := range names {
			if strings.EqualFold(r.Question[0].Name, n) {
				m := new(dns.Msg)
				m.SetRcode(r, dns.RcodeNameError)
				m.RecursionAvailable = true
				soa, err := dns.NewRR(fmt.Sprintf("%s %d IN SOA ns1.%s hm.%s 1 3600 900 1209600 300", zoneName, ttl, zoneName, zoneName))
				if err != nil {
					t.Error(err)
				}
				m.Ns = []dns.RR{soa}
				w.WriteMsg(m)
				return
			}
		}
		in, err := dns.Exchange(r, upstream)
		if err != nil {
			t.Error(err)
			return
		}
		w.WriteMsg(in)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

// TestNegativeCacheOneStoryCLI: the zone's own server (real BIND) has an
// address for kms-new, a resolver still answers NXDOMAIN from its
// negative cache. audit tells it once, as target-negative-cached, with
// the seconds left; the hosts table and JSON targets[] give the zone's
// address, and JSON adds what the resolver says.
func TestNegativeCacheOneStoryCLI(t *testing.T) {
	const ip = "127.0.0.73"
	port := testserver.FreePortOn(t, ip)
	kmstest.Start(t, ip, port, kmstest.KMS)
	zoneText := fmt.Sprintf("$ORIGIN negcli.example.\n$TTL 300\n@ IN SOA ns1 hm 1 3600 900 1209600 300\n IN NS ns1\nns1 IN A 127.0.0.1\n"+
		"_vlmcs._tcp IN SRV 0 0 %d kms-new\nkms-new IN A %s\n", port, ip)
	bind := testserver.StartBIND(t, testserver.BINDConfig{Zones: []testserver.Zone{{Name: "negcli.example", Content: zoneText, Transfer: "any;"}}})
	resolver := negativeCache(t, bind.Addr, "negcli.example.", 217, "kms-new.negcli.example.")
	args := []string{"audit", "--zone", "negcli.example", "--server", bind.Addr, "--resolver", resolver, "--expected-port", fmt.Sprint(port)}

	out, errOut, code := run(t, args...)
	if code != exitWarnings {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	for _, w := range []string{
		"WARNING target-negative-cached _vlmcs._tcp.negcli.example -> kms-new.negcli.example:",
		"resolves in the zone's own data to " + ip + " (server " + bind.Addr + "), but resolvers still answer NXDOMAIN (resolver " + resolver + ") for up to 217 s more",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	for _, no := range []string{"target-unresolvable", "host-unreachable", "no-live-host"} {
		if strings.Contains(out, no) {
			t.Errorf("output has %s:\n%s", no, out)
		}
	}
	if !regexp.MustCompile(`kms-new\.negcli\.example +\| ` + fmt.Sprint(port) + ` +\| ` + regexp.QuoteMeta(ip) + ` +\| kms`).MatchString(out) {
		t.Errorf("the hosts table does not say what the zone says:\n%s", out)
	}

	out, _, _ = run(t, append(args, "-o", "json")...)
	for _, w := range []string{`"resolution": "resolved"`, `"cached_resolution": "nxdomain"`, `"cached_ttl": 217`, `"check": "target-negative-cached"`} {
		if !strings.Contains(out, w) {
			t.Errorf("json lacks %s:\n%s", w, out)
		}
	}
}
