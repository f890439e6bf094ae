package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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

// silentKMS accepts TCP connections on loopback and never answers, as a
// hung KMS host does: a probe of it lasts its whole timeout.
func silentKMS(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// TestPublishProbeTimeoutFromConfig: without --probe-timeout, publish
// probes the host it publishes with the config's defaults.probe-timeout
// (as the audit does), not the 3s default; --probe-timeout wins over the
// config. The host accepts connections and never answers, so each run
// lasts about its probe timeout; each publishes (a warning) and is read
// back.
func TestPublishProbeTimeoutFromConfig(t *testing.T) {
	bind := startCLIBIND(t, []testserver.Key{cliUpdKey}, map[string]string{"p.example": "upd"})
	port := silentKMS(t)
	dir := t.TempDir()
	keyFile := cliUpdKey.WriteKeyFile(t, dir)
	// ns1.p.example resolves to 127.0.0.1 in the zone.
	for _, tc := range []struct {
		name, configTimeout string
		flags               []string
		host                string
	}{
		{"config", "300ms", nil, "ns1.p.example"},
		{"flag over config", "20s", []string{"--probe-timeout", "300ms"}, "ns1.p.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
			os.WriteFile(cfg, []byte(fmt.Sprintf("defaults:\n  probe-timeout: %s\nzones:\n  - name: p.example\n    server: %s\n    update:\n      key-file: %s\n",
				tc.configTimeout, bind.Addr, keyFile)), 0o600)
			name := "n" + strings.ReplaceAll(tc.name, " ", "-")
			start := time.Now()
			out, errOut, code := run(t, append([]string{"publish", "-c", cfg, "--host", tc.host, "--port", fmt.Sprint(port), "--name", name}, tc.flags...)...)
			took := time.Since(start)
			if code != exitClean || !strings.Contains(out+errOut, "no answer to the RPC bind within 300ms") {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			// 3s (the default) or 20s (the config under the flag) would be
			// too long.
			if took > 2500*time.Millisecond {
				t.Errorf("publish took %v: the probe did not use a 300ms timeout", took)
			}
			want := fmt.Sprintf("_vlmcs._tcp.%s.p.example. %d 3600 ns1.p.example.", name, port)
			if got := kmsRecords(t, bind.Addr, "p.example"); !slices.Contains(got, want) {
				t.Errorf("zone holds %v, want %s", got, want)
			}
		})
	}
}

// TestPublishKeyFileWarningOncePerFile: a key file readable by others,
// named by the config for two zones (the read key of one, the update key
// of both), is warned about once, on publish as on cleanup
// (TestKeyFileWarningOnceRealBIND); the publish goes through and is read
// back.
func TestPublishKeyFileWarningOncePerFile(t *testing.T) {
	bind := startCLIBIND(t, []testserver.Key{cliUpdKey}, map[string]string{"w1.example": "upd", "w2.example": "upd"})
	dir := t.TempDir()
	keyFile := cliUpdKey.WriteKeyFile(t, dir)
	if err := os.Chmod(keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "kmsdns.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("defaults:\n  server: %s\n  update:\n    key-file: %s\nzones:\n  - name: w1.example\n    key-file: %s\n  - name: w2.example\n",
		bind.Addr, keyFile, keyFile)), 0o600)
	out, errOut, code := run(t, "publish", "-c", cfg, "--host", "kms1.w1.example", "--no-probe")
	if code != exitClean {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if n := strings.Count(errOut, "is readable by other users"); n != 1 {
		t.Errorf("the warning printed %d times:\n%s", n, errOut)
	}
	for _, z := range []string{"w1.example", "w2.example"} {
		if got := kmsRecords(t, bind.Addr, z); !slices.Equal(got, []string{"_vlmcs._tcp." + z + ". 1688 3600 kms1.w1.example."}) {
			t.Errorf("%s holds %v", z, got)
		}
	}
}

// TestPublishTooLargeRefusedAtPlanning: a publish whose UPDATE would not
// fit in one DNS message is refused when it is planned: the dry run says
// so (exit 2), and the real run sends nothing (the zone reads back
// unchanged); the message names the zone, the record count and the size.
func TestPublishTooLargeRefusedAtPlanning(t *testing.T) {
	bind := startCLIBIND(t, []testserver.Key{cliUpdKey}, map[string]string{"big.example": "upd"})
	keyFile := cliUpdKey.WriteKeyFile(t, t.TempDir())
	args := []string{"publish", "--server", bind.Addr, "--key-file", keyFile, "--zone", "big.example", "--no-probe"}
	for i := range 700 {
		args = append(args, "--host", fmt.Sprintf("kms%04d-%s.big.example", i, strings.Repeat("x", 50)))
	}
	before := testserver.Records(t, bind.Addr, "big.example")
	for _, extra := range [][]string{{"--dry-run"}, nil} {
		out, errOut, code := run(t, append(args, extra...)...)
		if code != exitErrors || !strings.Contains(out+errOut, "zone big.example: the UPDATE would not fit in one DNS message: 700 records") ||
			!strings.Contains(out+errOut, "octets, more than 64511") {
			t.Errorf("%v: exit %d\n%.2000s\n%s", extra, code, out, errOut)
		}
		if got := testserver.Records(t, bind.Addr, "big.example"); !slices.Equal(got, before) {
			t.Errorf("%v: the zone changed: %d records", extra, len(got))
		}
	}
}
