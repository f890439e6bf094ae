package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/internal/testserver"
)

// startCLIBIND starts BIND with zones updatable by the keys given (the
// first key of each zone's index in keys, all keys known to BIND).
func startCLIBIND(t *testing.T, keys []testserver.Key, grants map[string]string) *testserver.Server {
	t.Helper()
	var zones []testserver.Zone
	var names []string
	for z := range grants {
		names = append(names, z)
	}
	slices.Sort(names)
	for _, z := range names {
		zones = append(zones, testserver.Zone{Name: z, Transfer: "any;", Extra: "update-policy { grant " + grants[z] + " zonesub SRV; };",
			Content: fmt.Sprintf("$ORIGIN %s.\n$TTL 300\n@ IN SOA ns1 hm 1 3600 900 1209600 300\n IN NS ns1\nns1 IN A 127.0.0.1\n", z)})
	}
	return testserver.StartBIND(t, testserver.BINDConfig{Keys: keys, Zones: zones})
}

// noKerberos points Kerberos at an empty configuration and a ticket cache
// that does not exist, so that a GSS-TSIG attempt fails before sending.
func noKerberos(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "krb5.conf")
	os.WriteFile(conf, []byte("[libdefaults]\n"), 0o600)
	t.Setenv("KRB5_CONFIG", conf)
	t.Setenv("KRB5CCNAME", "FILE:"+filepath.Join(dir, "no-ccache"))
}

// TestPublishZoneGSSFalseOverridesDefault: with `gss: true` in the
// config's defaults, a zone's `update: {gss: false}` publishes signed
// with the key the zone is read with (read back from BIND); --gss on the command line wins over the
// zone's false (GSS-TSIG is tried, fails without a ticket, nothing sent).
func TestPublishZoneGSSFalseOverridesDefault(t *testing.T) {
	noKerberos(t)
	bind := startCLIBIND(t, []testserver.Key{cliUpdKey}, map[string]string{"g.example": "upd"})
	dir := t.TempDir()
	keyFile := cliUpdKey.WriteKeyFile(t, dir)
	cfg := filepath.Join(dir, "kmsdns.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`defaults:
  update:
    gss: true
zones:
  - name: g.example
    server: %s
    key-file: %s
    update:
      gss: false
`, bind.Addr, keyFile)), 0o600)

	out, errOut, code := run(t, "publish", "-c", cfg, "--host", "kms1.g.example")
	if code != exitClean || !strings.Contains(out, "added") {
		t.Fatalf("zone gss: false: exit %d\n%s%s", code, out, errOut)
	}
	if got := kmsRecords(t, bind.Addr, "g.example"); !slices.Equal(got, []string{"_vlmcs._tcp.g.example. 1688 3600 kms1.g.example."}) {
		t.Errorf("after publish: %v", got)
	}

	// --gss wins over the zone's false: GSS-TSIG (and its key file check)
	// is used, there is no ticket, nothing is sent.
	out, errOut, code = run(t, "publish", "-c", cfg, "--host", "kms2.g.example", "--gss")
	if code != exitErrors || !strings.Contains(out+errOut, "negotiating GSS-TSIG") {
		t.Errorf("--gss over gss: false: exit %d\n%s%s", code, out, errOut)
	}
	if got := kmsRecords(t, bind.Addr, "g.example"); len(got) != 1 {
		t.Errorf("--gss changed the zone: %v", got)
	}
}
