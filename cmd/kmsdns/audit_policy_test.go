package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/internal/kmstest"
	"github.com/kmsdns/kmsdns/internal/testserver"
)

// writeZone writes a zone file for origin with body and returns its path.
func writeZone(t *testing.T, origin, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), origin+".zone")
	text := fmt.Sprintf("$ORIGIN %s.\n$TTL 3600\n@ IN SOA ns1 hm 1 3600 900 1209600 300\n IN NS ns1\nns1 IN A 127.0.0.1\n%s", origin, body)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAuditExitCodesAndPolicyFlags: the exit code follows the worst
// severity (warnings only: 1), and --decommissioned and --approved
// change the findings.
func TestAuditExitCodesAndPolicyFlags(t *testing.T) {
	healthy := "_vlmcs._tcp IN SRV 0 0 1688 kms1\n_vlmcs._tcp IN SRV 0 0 1688 kms2\nkms1 IN A 127.0.0.1\nkms2 IN A 127.0.0.2\n"
	cases := []struct {
		name  string
		body  string
		flags []string
		code  int
		want  []string
		not   []string
	}{
		{name: "clean", body: healthy, code: exitClean, not: []string{"WARNING", "ERROR"}},
		{name: "info only", body: healthy + "_vlmcs._tcp.ttl 172800 IN SRV 0 0 1688 kms1\n", code: exitClean, want: []string{"INFO    long-ttl"}},
		{name: "warnings only", body: healthy + "_vlmcs._tcp.alias IN SRV 0 0 1688 alias\nalias IN CNAME kms1\n", code: exitWarnings, want: []string{"WARNING target-cname"}, not: []string{"ERROR"}},
		{name: "errors", body: healthy + "_vlmcs._tcp.gone IN SRV 0 0 1688 gone\n", code: exitErrors, want: []string{"ERROR   target-unresolvable"}},
		{name: "--decommissioned", body: healthy, flags: []string{"--decommissioned", "kms2.pol.example"}, code: exitErrors,
			want: []string{"ERROR   decommissioned _vlmcs._tcp.pol.example -> kms2.pol.example:1688", "kmsdns unpublish --zone pol.example --host kms2.pol.example"}},
		{name: "--approved", body: healthy, flags: []string{"--approved", "kms1.pol.example"}, code: exitWarnings,
			want: []string{"WARNING unapproved-host _vlmcs._tcp.pol.example -> kms2.pol.example:1688"}, not: []string{"unapproved-host _vlmcs._tcp.pol.example -> kms1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := writeZone(t, "pol.example", c.body)
			out, errOut, code := run(t, append([]string{"audit", "--offline", "--zone-file", f}, c.flags...)...)
			if code != c.code {
				t.Errorf("exit %d, want %d\n%s%s", code, c.code, out, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, n := range c.not {
				if strings.Contains(out, n) {
					t.Errorf("output has %q:\n%s", n, out)
				}
			}
		})
	}
}

// TestAuditProbeFlags: without --no-probe every host is probed, with it
// none is; without --probe-timeout a silent host is given 3 s.
func TestAuditProbeFlags(t *testing.T) {
	const ipUp, ipSilent = "127.0.0.61", "127.0.0.62"
	port := testserver.FreePortOn(t, ipUp, ipSilent)
	up := kmstest.Start(t, ipUp, port, kmstest.KMS)
	silent := kmstest.Start(t, ipSilent, port, kmstest.Silent)
	f := writeZone(t, "probe.example", fmt.Sprintf("_vlmcs._tcp IN SRV 0 0 %d up\n_vlmcs._tcp IN SRV 0 0 %d silent\nup IN A %s\nsilent IN A %s\n", port, port, ipUp, ipSilent))
	args := []string{"audit", "--zone-file", f, "--expected-port", fmt.Sprint(port)}

	out, errOut, code := run(t, append(args, "--no-probe")...)
	if code != exitClean || up.Connections() != 0 || silent.Connections() != 0 {
		t.Errorf("--no-probe: exit %d, %d+%d connections\n%s%s", code, up.Connections(), silent.Connections(), out, errOut)
	}

	out, errOut, code = run(t, args...)
	if code != exitErrors || up.Connections() != 1 || silent.Connections() != 1 {
		t.Errorf("probed: exit %d, %d+%d connections\n%s%s", code, up.Connections(), silent.Connections(), out, errOut)
	}
	if !strings.Contains(out, "not-kms _vlmcs._tcp.probe.example -> silent.probe.example") || !strings.Contains(out, "no answer to the RPC bind within 3s") {
		t.Errorf("the default probe timeout is not 3s:\n%s", out)
	}
}

// TestAuditPolicyFromConfig: policy.stale-after and policy.host-ports in
// the config file change what is reported.
func TestAuditPolicyFromConfig(t *testing.T) {
	dir := t.TempDir()
	hours := func(daysAgo int) uint32 { return uint32(fixedNow.Unix()/3600) + 3234576 - uint32(24*daysAgo) }
	zoneFile := filepath.Join(dir, "aged.example.dns")
	dnscmd := fmt.Sprintf(`@ IN SOA ns1.aged.example. hostmaster.aged.example. ( 1 900 600 86400 3600 )
@ NS ns1.aged.example.
ns1 [AGE:%d] 3600 A 127.0.0.1
_vlmcs._tcp [AGE:%d] 600 SRV 0 0 1688 kms1.aged.example.
            [AGE:%d] 600 SRV 0 0 1689 kms2.aged.example.
kms1 A 127.0.0.1
kms2 A 127.0.0.2
`, hours(0), hours(3), hours(1))
	if err := os.WriteFile(zoneFile, []byte(dnscmd), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, policy string
		want, not    []string
	}{
		{name: "defaults", policy: "",
			want: []string{"port-mismatch _vlmcs._tcp.aged.example -> kms2.aged.example:1689"},
			not:  []string{"stale-registration"}},
		{name: "stale-after and host-ports", policy: "policy:\n  stale-after: 48h\n  host-ports:\n    kms2.aged.example: 1689\n",
			want: []string{"stale-registration _vlmcs._tcp.aged.example -> kms1.aged.example:1688", "3 days older than the newest refresh in this export"},
			not:  []string{"port-mismatch", "stale-registration _vlmcs._tcp.aged.example -> kms2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "kmsdns.yaml")
			text := c.policy + "zones:\n  - name: aged.example\n    files: [" + zoneFile + "]\n"
			if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			out, errOut, _ := run(t, "audit", "--offline", "-c", cfg)
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, errOut)
				}
			}
			for _, n := range c.not {
				if strings.Contains(out, n) {
					t.Errorf("output has %q:\n%s", n, out)
				}
			}
		})
	}
}

// TestCleanupNotesLiveHost: removing the record of a host that still
// answers as a KMS host says it will register again.
func TestCleanupNotesLiveHost(t *testing.T) {
	const ipLive, ipOther = "127.0.0.63", "127.0.0.64"
	port := testserver.FreePortOn(t, ipLive, ipOther)
	live := kmstest.Start(t, ipLive, port, kmstest.KMS)
	kmstest.Start(t, ipOther, port, kmstest.KMS)
	body := fmt.Sprintf("$ORIGIN live.example.\n$TTL 3600\n@ IN SOA ns1 hm 1 3600 900 1209600 300\n IN NS ns1\nns1 IN A 127.0.0.1\n"+
		"_vlmcs._tcp IN SRV 0 0 %d live\n_vlmcs._tcp IN SRV 0 0 %d other\nlive IN A %s\nother IN A %s\n", port, port, ipLive, ipOther)
	bind := testserver.StartBIND(t, testserver.BINDConfig{Keys: []testserver.Key{cliUpdKey}, Zones: []testserver.Zone{
		{Name: "live.example", Content: body, Transfer: "any;", Extra: "update-policy { grant upd zonesub SRV; };"},
	}})
	keyFile := cliUpdKey.WriteKeyFile(t, t.TempDir())
	out, errOut, code := run(t, "cleanup", "--zone", "live.example", "--server", bind.Addr, "--resolver", bind.Addr, "--key-file", keyFile,
		"--expected-port", fmt.Sprint(port), "--host", "live.live.example", "--dry-run", "--state", filepath.Join(t.TempDir(), "state.json"))
	if code != exitClean || live.Connections() == 0 {
		t.Errorf("exit %d, %d probes\n%s%s", code, live.Connections(), out, errOut)
	}
	if !strings.Contains(out, "Note: live.live.example still answers on its KMS port") || strings.Contains(out, "Note: other.live.example") {
		t.Errorf("no note for the live host:\n%s", out)
	}
}
