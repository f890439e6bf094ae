package audit_test

import (
	"fmt"
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
)

// lab is a set of KMS hosts simulated on 127.0.0.x, all on one port.
type lab struct {
	port   int
	good1  *kmstest.Host
	good2  *kmstest.Host
	garbge *kmstest.Host
	silent *kmstest.Host
	rogue  *kmstest.Host
}

const (
	ipGood1   = "127.0.0.31"
	ipGood2   = "127.0.0.32"
	ipGarbage = "127.0.0.33"
	ipClosed  = "127.0.0.34" // nothing listens
	ipSilent  = "127.0.0.35"
	ipRogue   = "127.0.0.36"
)

func startLab(t *testing.T) *lab {
	port := testserver.FreePortOn(t, ipGood1, ipGood2, ipGarbage, ipClosed, ipSilent, ipRogue)
	return &lab{
		port:   port,
		good1:  kmstest.Start(t, ipGood1, port, kmstest.KMS),
		good2:  kmstest.Start(t, ipGood2, port, kmstest.KMS),
		garbge: kmstest.Start(t, ipGarbage, port, kmstest.Garbage),
		silent: kmstest.Start(t, ipSilent, port, kmstest.Silent),
		rogue:  kmstest.Start(t, ipRogue, port, kmstest.KMS),
	}
}

func zoneText(origin string, serial int, body string) string {
	return fmt.Sprintf("$ORIGIN %s.\n$TTL 3600\n@ IN SOA ns1 hostmaster %d 3600 900 1209600 300\n  IN NS ns1\nns1 IN A 127.0.0.1\n%s", origin, serial, body)
}

// finding is a finding reduced to what a test compares.
type finding struct{ check, name, target string }

func (f finding) String() string { return f.check + " " + f.name + " " + f.target }

func findingsOf(rep *audit.Report, zoneName string) []string {
	var out []string
	for _, f := range rep.Findings {
		if f.Zone == zoneName {
			out = append(out, finding{f.Check, strings.TrimSuffix(f.Name, "."+zoneName), strings.TrimSuffix(f.Target, "."+zoneName)}.String())
		}
	}
	slices.Sort(out)
	return out
}

func TestEveryCheckAgainstRealBIND(t *testing.T) {
	l := startLab(t)
	P, Q := l.port, l.port+1
	srv := func(name string, port int, target string) string {
		return fmt.Sprintf("%s IN SRV 0 0 %d %s\n", name, port, target)
	}
	bad := srv("_vlmcs._tcp", P, "good1") +
		srv("_vlmcs._tcp", P, "gone") +
		srv("_vlmcs._tcp", P, "alias") +
		srv("_vlmcs._tcp", P, "decom") +
		srv("_vlmcs._tcp", P, "rogue") +
		srv("_vlmcs._tcp", Q, "good2") +
		srv("_vlmcs._tcp", P, "garbage") +
		srv("_vlmcs._tcp", P, "closed") +
		// primary/standby, both healthy: nothing to report
		fmt.Sprintf("_vlmcs._tcp.prio IN SRV 5 10 %d good1\n_vlmcs._tcp.prio IN SRV 0 0 %d good2\n", P, P) +
		// the primary is dead, the standby works
		fmt.Sprintf("_vlmcs._tcp.standby IN SRV 0 0 %d closed\n_vlmcs._tcp.standby IN SRV 10 0 %d good1\n", P, P) +
		// good2 shares nothing with good1
		fmt.Sprintf("_vlmcs._tcp.weights IN SRV 0 10 %d good1\n_vlmcs._tcp.weights IN SRV 0 0 %d good2\n", P, P) +
		fmt.Sprintf("_vlmcs._tcp.ttl 172800 IN SRV 0 0 %d good1\n", P) +
		srv("_vlmcs._tcp.dup", P, "good2") + srv("_vlmcs._tcp.dup", Q, "good2") +
		"_vlmcs._tcp.null IN SRV 0 0 0 .\n" +
		srv("_vlmcs._tcp.dead", P, "closed") + srv("_vlmcs._tcp.dead", P, "silent") +
		"good1 IN A " + ipGood1 + "\ngood2 IN A " + ipGood2 + "\nalias IN CNAME good2\ndecom IN A " + ipGood2 +
		"\nrogue IN A " + ipRogue + "\ngarbage IN A " + ipGarbage + "\nclosed IN A " + ipClosed + "\nsilent IN A " + ipSilent + "\n"
	healthy := srv("_vlmcs._tcp", P, "kms.bad.example.") + srv("_vlmcs._tcp", P, "good1.bad.example.")
	// kms.bad.example does not exist: healthy.example would not be healthy.
	healthy = srv("_vlmcs._tcp", P, "good1.bad.example.") + srv("_vlmcs._tcp", P, "kms") + "kms IN A " + ipGood2 + "\n"

	bindPort := testserver.FreePortOn(t, "127.0.0.1", "127.0.0.2")
	primary := testserver.StartBIND(t, testserver.BINDConfig{Port: bindPort, Zones: []testserver.Zone{
		{Name: "bad.example", Content: zoneText("bad.example", 1, bad), Transfer: "any;"},
		{Name: "healthy.example", Content: zoneText("healthy.example", 1, healthy), Transfer: "any;"},
		{Name: "refused.example", Content: zoneText("refused.example", 1, srv("_vlmcs._tcp", P, "good1.bad.example.")), Transfer: "none;"},
		{Name: "pub1.example", Content: zoneText("pub1.example", 1, srv("_vlmcs._tcp", P, "good1.bad.example.")+srv("_vlmcs._tcp", P, "good2.bad.example.")), Transfer: "any;"},
		{Name: "pub2.example", Content: zoneText("pub2.example", 1, srv("_vlmcs._tcp", P, "good1.bad.example.")), Transfer: "any;"},
		{Name: "stale.example", Content: zoneText("stale.example", 7, "@ IN NS ns2\nns2 IN A 127.0.0.2\n"+srv("_vlmcs._tcp", P, "good1.bad.example.")+srv("_vlmcs._tcp", P, "good2.bad.example.")), Transfer: "any;"},
		{Name: "sub.example", Content: zoneText("sub.example", 7, "@ IN NS ns2\nns2 IN A 127.0.0.2\n"+srv("_vlmcs._tcp", P, "good1.bad.example.")+srv("_vlmcs._tcp.emea", P, "good2.bad.example.")), Transfer: "any;"},
		// ns3 is down (nothing listens at 127.0.0.3); the Knot at
		// 127.0.0.2 does not have lame.example.
		{Name: "down.example", Content: zoneText("down.example", 1, "@ IN NS ns3\nns3 IN A 127.0.0.3\n"+srv("_vlmcs._tcp", P, "good1.bad.example.")), Transfer: "any;"},
		{Name: "lame.example", Content: zoneText("lame.example", 1, "@ IN NS ns2\nns2 IN A 127.0.0.2\n"+srv("_vlmcs._tcp", P, "good1.bad.example.")), Transfer: "any;"},
	}})
	// A secondary that missed the last change: an older serial, one host
	// less. Knot, because BIND listens only on interface addresses.
	testserver.StartKnot(t, testserver.KnotConfig{IP: "127.0.0.2", Port: bindPort, Zones: []testserver.Zone{
		{Name: "stale.example", Content: zoneText("stale.example", 6, "@ IN NS ns2\nns2 IN A 127.0.0.2\n"+srv("_vlmcs._tcp", P, "good1.bad.example.")), Transfer: "any;"},
		// The same serial, but without the sub-name's record (edited
		// without a serial bump): only asking every _vlmcs._tcp name of
		// the zone tells it.
		{Name: "sub.example", Content: zoneText("sub.example", 7, "@ IN NS ns2\nns2 IN A 127.0.0.2\n"+srv("_vlmcs._tcp", P, "good1.bad.example.")), Transfer: "any;"},
	}})

	specs := []zone.Spec{
		{Zone: "bad.example", Server: primary.Addr, Names: []string{"missing"}},
		{Zone: "healthy.example", Server: primary.Addr},
		{Zone: "refused.example", Server: primary.Addr},
		{Zone: "pub1.example", Server: primary.Addr},
		{Zone: "pub2.example", Server: primary.Addr},
		{Zone: "stale.example", Server: primary.Addr},
		{Zone: "sub.example", Server: primary.Addr},
		{Zone: "down.example", Server: primary.Addr},
		{Zone: "lame.example", Server: primary.Addr},
		{Zone: "unserved.example", Server: primary.Addr, Timeout: time.Second},
	}
	results := zone.ReadAll(t.Context(), specs, zone.ReadOptions{Resolver: primary.Addr})
	resolve.ViewAll(t.Context(), results, resolve.ViewOptions{Resolver: primary.Addr})
	rep := audit.Run(t.Context(), results, audit.Options{
		Policy: audit.Policy{
			ExpectedPort:   uint16(P),
			Decommissioned: []string{"decom.bad.example"},
			Approved: []string{"good1.bad.example", "good2.bad.example", "alias.bad.example", "decom.bad.example", "gone.bad.example",
				"garbage.bad.example", "closed.bad.example", "silent.bad.example", "kms.healthy.example"},
			PublishGroups: [][]string{{"pub1.example", "pub2.example"}},
		},
		Resolver: &resolve.TargetResolver{Resolver: primary.Addr, Timeout: 2 * time.Second},
		Prober:   probe.Prober{Timeout: 500 * time.Millisecond},
	})

	want := map[string][]string{
		"bad.example.": {
			"decommissioned _vlmcs._tcp decom",
			"duplicate-target _vlmcs._tcp.dup good2",
			"host-unreachable _vlmcs._tcp closed",
			"host-unreachable _vlmcs._tcp.dead closed",
			"long-ttl _vlmcs._tcp.ttl good1",
			"no-kms-record _vlmcs._tcp.missing ",
			"no-live-host _vlmcs._tcp.dead ",
			"no-live-host _vlmcs._tcp.null ",
			"not-kms _vlmcs._tcp garbage",
			"not-kms _vlmcs._tcp.dead silent",
			// port Q: nothing listens, good2 answers on P: port-mismatch
			// tells it (and gives the command), host-unreachable does not
			// repeat it
			"port-mismatch _vlmcs._tcp good2",
			"port-mismatch _vlmcs._tcp.dup good2",
			"host-unreachable _vlmcs._tcp.standby closed",
			"lowest-priority-dead _vlmcs._tcp.standby ",
			"zero-weight _vlmcs._tcp.weights good2",
			"target-cname _vlmcs._tcp alias",
			"target-null _vlmcs._tcp.null .",
			"target-unresolvable _vlmcs._tcp gone",
			"unapproved-host _vlmcs._tcp rogue",
		},
		"healthy.example.":  nil,
		"refused.example.":  {"transfer-refused  "},
		"pub1.example.":     nil,
		"pub2.example.":     {"partial-publish _vlmcs._tcp good2.bad.example."},
		"stale.example.":    {"servers-disagree  "},
		"sub.example.":      {"servers-disagree  "},
		"down.example.":     {"servers-disagree  "},
		"lame.example.":     {"servers-disagree  "},
		"unserved.example.": {"zone-unreadable  "},
	}
	for z, w := range want {
		got := findingsOf(rep, z)
		slices.Sort(w)
		if !slices.Equal(got, w) {
			t.Errorf("%s findings:\n  %s\nwant:\n  %s", z, strings.Join(got, "\n  "), strings.Join(w, "\n  "))
		}
	}
	for _, f := range rep.Findings {
		if f.Message == "" || f.Fix == "" || f.Severity == "" {
			t.Errorf("incomplete finding %+v", f)
		}
		if f.Command != nil && !strings.Contains(f.Fix, f.Command.String()) {
			t.Errorf("%s: fix %q does not print its command %q", f.Check, f.Fix, f.Command)
		}
		switch f.Check {
		case audit.CheckServersDisagree:
			if f.Zone == "down.example." || f.Zone == "lame.example." {
				// The right advice, and no ephemeral local port in the text.
				want, fix := "does not answer", "Start the DNS server on ns3.down.example"
				if f.Zone == "lame.example." {
					want, fix = "does not serve the zone", "Configure the zone on ns2.lame.example"
				}
				if !strings.Contains(f.Message, want) || !strings.HasPrefix(f.Fix, fix) || strings.Contains(f.Fix, "transfer") ||
					strings.Contains(f.Message, "->") || f.Disagreement == nil || strings.Contains(f.Disagreement.Error, "->") {
					t.Errorf("%s servers-disagree: %s / %s", f.Zone, f.Message, f.Fix)
				}
				break
			}
			if f.Zone == "sub.example." {
				if d := f.Disagreement; d == nil || len(d.Missing) != 1 || !strings.HasPrefix(d.Missing[0], "_vlmcs._tcp.emea.sub.example.") ||
					len(d.MissingRecords) != 1 || d.MissingRecords[0] != (audit.DisagreeRecord{Name: "_vlmcs._tcp.emea.sub.example.", Target: "good2.bad.example.", Port: uint16(P), TTL: d.MissingRecords[0].TTL}) || d.MissingRecords[0].TTL == 0 ||
					len(d.Extra) != 0 || len(d.ExtraRecords) != 0 || strings.Contains(f.Message, "serial") || !strings.Contains(f.Message, "lacks _vlmcs._tcp.emea.sub.example.") {
					t.Errorf("sub.example servers-disagree: %s %+v", f.Message, d)
				}
				break
			}
			if !strings.Contains(f.Message, "127.0.0.2") || !strings.Contains(f.Message, "serial 6 instead of 7") || !strings.Contains(f.Message, "lacks _vlmcs._tcp.stale.example.") {
				t.Errorf("servers-disagree message: %s", f.Message)
			}
			d := f.Disagreement
			if d == nil || !strings.HasPrefix(d.Server, "127.0.0.2:") || d.Serial == nil || *d.Serial != 6 || d.SourceSerial == nil || *d.SourceSerial != 7 ||
				len(d.Extra) != 0 || len(d.Missing) != 1 || !strings.Contains(d.Missing[0], "good2.bad.example.") {
				t.Errorf("servers-disagree fields: %+v", d)
			}
		case audit.CheckHostUnreachable:
			if !strings.Contains(f.Message, "refused") {
				t.Errorf("host-unreachable does not say refused: %s", f.Message)
			}
		case audit.CheckNotKMS:
			if f.Target == "silent.bad.example." && !strings.Contains(f.Message, "no answer to the RPC bind within 500ms") {
				t.Errorf("silent host: %s", f.Message)
			}
		}
	}
	// Every distinct address:port is probed once, however many records,
	// names and zones lead to it.
	if n := l.good1.Connections(); n != 1 {
		t.Errorf("good1 probed %d times", n)
	}
	if n := l.good2.Connections(); n != 1 { // good2, alias, decom and kms.healthy all lead to its address
		t.Errorf("good2 probed %d times", n)
	}
	if rep.Summary.Errors == 0 || rep.Summary.Warnings == 0 || rep.Summary.Info == 0 {
		t.Errorf("summary %+v", rep.Summary)
	}
}
