package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/kmstest"
	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/miekg/dns"
)

func serial(t *testing.T, server, zoneName string) uint32 {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(zoneName), dns.TypeSOA)
	r, err := dns.Exchange(m, server)
	if err != nil || len(r.Answer) == 0 {
		t.Fatalf("SOA %s: %v", zoneName, err)
	}
	return r.Answer[0].(*dns.SOA).Serial
}

// cleanupLab: zones on one BIND, a live KMS host (kms-ok) and a failed
// one (kms-old: its address has nothing listening), TSIG updates.
type cleanupLab struct {
	bind    *testserver.Server
	port    int
	keyFile string
	dir     string
}

func startCleanupLab(t *testing.T, zones map[string]string) *cleanupLab {
	port := testserver.FreePortOn(t, "127.0.0.61", "127.0.0.62", "127.0.0.63")
	kmstest.Start(t, "127.0.0.61", port, kmstest.KMS) // kms-ok
	kmstest.Start(t, "127.0.0.63", port, kmstest.KMS) // kms-new
	// 127.0.0.62 (kms-old) and 127.0.0.64 (kms-gone) have nothing listening.
	var zs []testserver.Zone
	for name, body := range zones {
		zs = append(zs, testserver.Zone{Name: name, Transfer: "any;", Extra: "update-policy { grant upd zonesub SRV; };",
			Content: fmt.Sprintf("$ORIGIN %s.\n$TTL 300\n@ IN SOA ns1 hm 1 3600 900 1209600 300\n IN NS ns1\nns1 IN A 127.0.0.1\n"+
				"kms-ok IN A 127.0.0.61\nkms-old IN A 127.0.0.62\nkms-new IN A 127.0.0.63\nkms-gone IN A 127.0.0.64\nwww IN A 127.0.0.80\n%s",
				name, strings.ReplaceAll(body, "PORT", fmt.Sprint(port)))})
	}
	slices.SortFunc(zs, func(a, b testserver.Zone) int { return strings.Compare(a.Name, b.Name) })
	bind := testserver.StartBIND(t, testserver.BINDConfig{Keys: []testserver.Key{cliUpdKey}, Zones: zs})
	dir := t.TempDir()
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	return &cleanupLab{bind: bind, port: port, keyFile: cliUpdKey.WriteKeyFile(t, dir), dir: dir}
}

func (l *cleanupLab) args(extra ...string) []string {
	return append([]string{"cleanup", "--server", l.bind.Addr, "--key-file", l.keyFile, "--expected-port", fmt.Sprint(l.port),
		"--probe-timeout", "1s", "--backup", filepath.Join(l.dir, fmt.Sprintf("backup-%d.zone", time.Now().UnixNano()))}, extra...)
}

func backupPath(t *testing.T, stderr string) string {
	t.Helper()
	i := strings.Index(stderr, "backup of the records to remove: ")
	if i < 0 {
		t.Fatalf("no backup mentioned: %q", stderr)
	}
	rest := stderr[i+len("backup of the records to remove: "):]
	return rest[:strings.Index(rest, " ")]
}

// cleanupZones are the zones of every cleanup test, on one BIND.
func cleanupZones() map[string]string {
	zones := map[string]string{
		"r1.example": "_vlmcs._tcp IN SRV 0 0 PORT kms-old\n",
		"r2.example": "_vlmcs._tcp IN SRV 0 0 PORT kms-old.r1.example.\n_vlmcs._tcp.site IN SRV 0 0 PORT kms-old.r1.example.\n",
		"g1.example": "_vlmcs._tcp IN SRV 0 0 PORT kms-old\n",                                      // only the failed host
		"g2.example": "_vlmcs._tcp IN SRV 0 0 PORT kms-ok\n_vlmcs._tcp IN SRV 0 0 PORT kms-gone\n", // an unreachable host
		"g3.example": "_vlmcs._tcp IN SRV 0 0 PORT kms-ok\n_vlmcs._tcp IN SRV 0 0 PORT stale\n",    // unresolvable: removed with --stale
		"p1.example": "_vlmcs._tcp IN SRV 0 0 PORT kms-ok\n_vlmcs._tcp IN SRV 0 0 PORT kms-old\n",
		"p2.example": "_vlmcs._tcp IN SRV 0 0 PORT kms-ok.p1.example.\n_vlmcs._tcp IN SRV 0 0 PORT kms-old.p1.example.\n",
	}
	for _, z := range []string{"c1.example", "c2.example", "c3.example"} {
		zones[z] = "_vlmcs._tcp IN SRV 0 0 PORT kms-ok\n_vlmcs._tcp IN SRV 0 0 PORT kms-old.c1.example.\n_vlmcs._tcp.emea IN SRV 0 0 PORT kms-old.c1.example.\n_vlmcs._tcp.emea IN SRV 0 0 PORT kms-ok\n"
	}
	return zones
}

func testCleanupFailedHostEverywhere(t *testing.T, l *cleanupLab) {
	zones := []string{"c1.example", "c2.example", "c3.example"}
	before := map[string][]string{}
	for _, z := range zones {
		before[z] = testserver.Records(t, l.bind.Addr, z)
	}
	zoneArgs := []string{"--zone", "c1.example", "--zone", "c2.example", "--zone", "c3.example", "--host", "kms-old.c1.example"}

	// Dry run: the plan and the messages, nothing changed.
	out, errOut, code := run(t, l.args(append(zoneArgs, "--dry-run")...)...)
	if code != exitClean || !strings.Contains(out, "dry run: nothing was changed") || strings.Count(out, ";; DELETE") != 3 {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	for _, z := range zones {
		if got := testserver.Records(t, l.bind.Addr, z); !slices.Equal(got, before[z]) {
			t.Fatalf("dry run changed %s", z)
		}
	}

	// No terminal, no --yes: nothing changes, and it says how to go on.
	out, errOut, code = run(t, l.args(zoneArgs...)...)
	if code != exitUsage || !strings.Contains(errOut, "run again with --yes") {
		t.Fatalf("no terminal: exit %d\n%s%s", code, out, errOut)
	}
	for _, z := range zones {
		if got := testserver.Records(t, l.bind.Addr, z); !slices.Equal(got, before[z]) {
			t.Fatalf("no-terminal run changed %s", z)
		}
	}

	// On a terminal the plan is confirmed; "n" changes nothing.
	var o, eb bytes.Buffer
	app := newApp(env{stdin: strings.NewReader("n\n"), stdout: &o, stderr: &eb, now: time.Now, stdinTTY: true, stderrTTY: true})
	code = exitCode(app.RunContext(context.Background(), append([]string{"kmsdns"}, l.args(zoneArgs...)...)), &eb)
	if code != exitErrors || !strings.Contains(eb.String(), "[y/N]") || !strings.Contains(eb.String(), "nothing was changed") {
		t.Fatalf("answered no: exit %d\n%s", code, eb.String())
	}

	// --yes: gone from all three zones, at both names; kms-ok stays.
	out, errOut, code = run(t, l.args(append(zoneArgs, "--yes")...)...)
	if code != exitClean {
		t.Fatalf("cleanup: exit %d\n%s%s", code, out, errOut)
	}
	for _, z := range zones {
		got := testserver.Records(t, l.bind.Addr, z)
		for _, r := range got {
			if strings.Contains(r, "srv") && strings.Contains(r, "kms-old") {
				t.Errorf("%s still holds %s", z, r)
			}
		}
		if !slices.ContainsFunc(got, func(r string) bool {
			return strings.Contains(r, "_vlmcs._tcp.emea."+z) && strings.Contains(r, "kms-ok")
		}) {
			t.Errorf("%s lost its healthy record: %v", z, got)
		}
	}
	backup := backupPath(t, errOut)

	// A second run finds nothing to do.
	out, _, code = run(t, l.args(append(zoneArgs, "--yes")...)...)
	if code != exitClean || !strings.Contains(out, "nothing to clean") {
		t.Errorf("second run: exit %d\n%s", code, out)
	}

	// The backup restores the zones exactly.
	out, errOut, code = run(t, "publish", "--from-file", backup, "--key-file", l.keyFile)
	if code != exitClean {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
	}
	for _, z := range zones {
		if got := testserver.Records(t, l.bind.Addr, z); !slices.Equal(got, before[z]) {
			t.Errorf("restored %s:\n  %s\nwant:\n  %s", z, strings.Join(got, "\n  "), strings.Join(before[z], "\n  "))
		}
	}
}

func testCleanupReplaceWithOneMessage(t *testing.T, l *cleanupLab) {
	s1, s2 := serial(t, l.bind.Addr, "r1.example"), serial(t, l.bind.Addr, "r2.example")
	out, errOut, code := run(t, l.args("--zone", "r1.example", "--zone", "r2.example", "--host", "kms-old.r1.example",
		"--replace-with", "kms-new.r1.example", "--replace-port", fmt.Sprint(l.port), "--yes")...)
	if code != exitClean {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	// Each zone changed by exactly one UPDATE: one serial step each.
	if n1, n2 := serial(t, l.bind.Addr, "r1.example"), serial(t, l.bind.Addr, "r2.example"); n1 != s1+1 || n2 != s2+1 {
		t.Errorf("serials %d->%d, %d->%d: more than one update per zone", s1, n1, s2, n2)
	}
	for z, names := range map[string][]string{"r1.example": {"_vlmcs._tcp.r1.example."}, "r2.example": {"_vlmcs._tcp.r2.example.", "_vlmcs._tcp.site.r2.example."}} {
		got := testserver.Records(t, l.bind.Addr, z)
		for _, n := range names {
			want := fmt.Sprintf("%s\t300\tin\tsrv\t0 0 %d kms-new.r1.example.", n, l.port)
			if !slices.Contains(got, want) {
				t.Errorf("%s lacks %q: %v", z, want, got)
			}
		}
		for _, r := range got {
			if strings.Contains(r, "kms-old.r1.example.") && strings.Contains(r, "srv") {
				t.Errorf("%s still holds %s", z, r)
			}
		}
	}
}

func testCleanupGuardsAndOptIns(t *testing.T, l *cleanupLab) {
	g1, g2 := testserver.Records(t, l.bind.Addr, "g1.example"), testserver.Records(t, l.bind.Addr, "g2.example")

	// The last record of g1 is kept without a replacement or --force.
	out, errOut, code := run(t, l.args("--zone", "g1.example", "--host", "kms-old.g1.example", "--yes")...)
	if code != exitWarnings || !strings.Contains(out, "Kept: the last KMS record") || !strings.Contains(out, "0x8007232B") {
		t.Errorf("last record: exit %d\n%s%s", code, out, errOut)
	}
	if got := testserver.Records(t, l.bind.Addr, "g1.example"); !slices.Equal(got, g1) {
		t.Errorf("g1 changed: %v", got)
	}
	// With --force it goes.
	if out, errOut, code = run(t, l.args("--zone", "g1.example", "--host", "kms-old.g1.example", "--yes", "--force")...); code != exitClean {
		t.Errorf("force: exit %d\n%s%s", code, out, errOut)
	}
	if got := testserver.Records(t, l.bind.Addr, "g1.example"); slices.ContainsFunc(got, func(r string) bool { return strings.Contains(r, "\tsrv\t") && strings.Contains(r, "kms-old") }) || len(got) != len(g1)-1 {
		t.Errorf("--force did not remove exactly the last record: %v", got)
	}

	// An unreachable host is left alone unless --include-unreachable;
	// the unresolvable record in g3 goes either way, the healthy ones stay.
	out, errOut, code = run(t, l.args("--zone", "g2.example", "--zone", "g3.example", "--stale", "--yes")...)
	if code != exitClean {
		t.Errorf("default: exit %d\n%s%s", code, out, errOut)
	}
	if got := testserver.Records(t, l.bind.Addr, "g2.example"); !slices.Equal(got, g2) {
		t.Errorf("g2 changed without --include-unreachable: %v", got)
	}
	if got := testserver.Records(t, l.bind.Addr, "g3.example"); slices.ContainsFunc(got, func(r string) bool { return strings.Contains(r, "stale") }) {
		t.Errorf("g3 still holds the unresolvable record: %v", got)
	}
	out, errOut, code = run(t, l.args("--zone", "g2.example", "--yes", "--stale", "--include-unreachable")...)
	if code != exitClean || !strings.Contains(out, "KMS port does not answer") {
		t.Errorf("include-unreachable: exit %d\n%s%s", code, out, errOut)
	}
	got := testserver.Records(t, l.bind.Addr, "g2.example")
	if slices.ContainsFunc(got, func(r string) bool { return strings.Contains(r, "kms-gone") && strings.Contains(r, "srv") }) ||
		!slices.ContainsFunc(got, func(r string) bool { return strings.Contains(r, "kms-ok") && strings.Contains(r, "srv") }) {
		t.Errorf("g2 after --include-unreachable: %v", got)
	}
}

func testCleanupPartialFailureThenRerun(t *testing.T, l *cleanupLab) {
	// p2's updates first go with a key the server does not accept.
	bad := testserver.Key{Name: "upd", Algorithm: "hmac-sha256", Secret: "AAAA3F1bIYb8cQ4uXkM0m9b4o6Q2QeQfW1yq0m9oVrQ="}
	badFile := bad.WriteKeyFile(t, t.TempDir())
	cfg := filepath.Join(l.dir, "kmsdns.yaml")
	writeCfg := func(p2Key string) {
		os.WriteFile(cfg, []byte(fmt.Sprintf(`defaults:
  server: %s
  key-file: %s
zones:
  - name: p1.example
  - name: p2.example
    update:
      key-file: %s
`, l.bind.Addr, l.keyFile, p2Key)), 0o600)
	}
	writeCfg(badFile)
	args := []string{"cleanup", "--config", cfg, "--host", "kms-old.p1.example", "--yes", "--expected-port", fmt.Sprint(l.port),
		"--probe-timeout", "1s", "--backup", filepath.Join(l.dir, "b1.zone")}
	out, errOut, code := run(t, args...)
	if code != exitErrors || !strings.Contains(out, "BADSIG") {
		t.Fatalf("first run: exit %d\n%s%s", code, out, errOut)
	}
	has := func(z string) bool {
		return slices.ContainsFunc(testserver.Records(t, l.bind.Addr, z), func(r string) bool { return strings.Contains(r, "kms-old") && strings.Contains(r, "srv") })
	}
	if has("p1.example") || !has("p2.example") {
		t.Fatalf("after the first run: p1 %v, p2 %v\n%s%s", has("p1.example"), has("p2.example"), out, errOut)
	}
	// Fixed; the second run does only what is left.
	writeCfg(l.keyFile)
	args[len(args)-1] = filepath.Join(l.dir, "b2.zone")
	out, errOut, code = run(t, args...)
	if code != exitClean || has("p2.example") {
		t.Fatalf("second run: exit %d\n%s%s", code, out, errOut)
	}
	b2, _ := os.ReadFile(filepath.Join(l.dir, "b2.zone"))
	if strings.Contains(string(b2), "zone p1.example.") || !strings.Contains(string(b2), "zone p2.example.") {
		t.Errorf("the second run did p1 again:\n%s", b2)
	}

	// The host comes back (it re-registers): the audit says so.
	reg := new(dns.Msg)
	reg.SetUpdate("p1.example.")
	rr, _ := dns.NewRR(fmt.Sprintf("_vlmcs._tcp.p1.example. 300 IN SRV 0 0 %d kms-old.p1.example.", l.port))
	reg.Insert([]dns.RR{rr})
	reg.SetTsig("upd.", dns.HmacSHA256, 300, time.Now().Unix())
	c := &dns.Client{Net: "tcp", TsigSecret: map[string]string{"upd.": cliUpdKey.Secret}}
	if r, _, err := c.Exchange(reg, l.bind.Addr); err != nil || r.Rcode != dns.RcodeSuccess {
		t.Fatalf("re-registration: %v %v", r, err)
	}
	out, _, code = run(t, "audit", "--server", l.bind.Addr, "--zone", "p1.example", "--no-probe", "-o", "json")
	r := decode(t, out)
	found := false
	for _, f := range r.Findings {
		if f.Check == "reappeared" && strings.Contains(f.Name, "p1.example") {
			found = true
		}
	}
	if !found {
		t.Errorf("no reappeared finding (exit %d): %+v", code, r.Findings)
	}
}
