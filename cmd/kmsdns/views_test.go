package main

import (
	"fmt"
	"slices"
	"testing"

	"github.com/kmsdns/kmsdns/internal/testserver"
)

// TestAuditComparesNameServers: kmsdns audit asks every name server of a
// zone read from a server for its serial and records (resolve.ViewAll),
// and reports the secondary that missed a change.
func TestAuditComparesNameServers(t *testing.T) {
	zoneText := func(serial int, hosts ...string) string {
		s := fmt.Sprintf("$ORIGIN v.example.\n$TTL 300\n@ IN SOA ns1 hm %d 1 1 1 1\n IN NS ns1\n IN NS ns2\nns1 IN A 127.0.0.1\nns2 IN A 127.0.0.2\n", serial)
		for _, h := range hosts {
			s += "_vlmcs._tcp IN SRV 0 0 1688 " + h + "\n"
		}
		return s
	}
	port := testserver.FreePortOn(t, "127.0.0.1", "127.0.0.2")
	primary := testserver.StartBIND(t, testserver.BINDConfig{Port: port, Zones: []testserver.Zone{
		{Name: "v.example", Content: zoneText(7, "kms1.example.com.", "kms2.example.com."), Transfer: "any;"},
	}})
	// A secondary one change behind (Knot: BIND listens only on interface
	// addresses).
	testserver.StartKnot(t, testserver.KnotConfig{IP: "127.0.0.2", Port: port, Zones: []testserver.Zone{
		{Name: "v.example", Content: zoneText(6, "kms1.example.com."), Transfer: "any"},
	}})
	checks := func(args ...string) []string {
		out, errOut, code := run(t, append([]string{"audit", "--no-probe", "--server", primary.Addr, "--zone", "v.example", "--output", "json"}, args...)...)
		if code == exitUsage || code > exitErrors {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var got []string
		for _, f := range decode(t, out).Findings {
			got = append(got, f.Check)
		}
		return got
	}
	if got := checks(); !slices.Contains(got, "servers-disagree") {
		t.Errorf("findings %v: the stale secondary is not reported", got)
	}
}
