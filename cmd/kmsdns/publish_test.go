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

var cliUpdKey = testserver.Key{Name: "upd", Algorithm: "hmac-sha256", Secret: "2z1o3F1bIYb8cQ4uXkM0m9b4o6Q2QeQfW1yq0m9oVrQ="}

// kmsRecords is the zone's KMS SRV records as "name port ttl target".
func kmsRecords(t *testing.T, server, zoneName string) []string {
	t.Helper()
	var out []string
	for _, line := range testserver.Records(t, server, zoneName) {
		f := strings.Fields(line)
		if len(f) == 8 && f[3] == "srv" && strings.HasPrefix(f[0], "_vlmcs") {
			out = append(out, fmt.Sprintf("%s %s %s %s", f[0], f[6], f[1], f[7]))
		}
	}
	return out
}

func TestPublishCLI(t *testing.T) {
	var zones []testserver.Zone
	for _, z := range []string{"one.example", "two.example"} {
		zones = append(zones, testserver.Zone{Name: z, Transfer: "any;", Extra: "update-policy { grant upd zonesub SRV; };",
			Content: fmt.Sprintf("$ORIGIN %s.\n$TTL 300\n@ IN SOA ns1 hm 1 3600 900 1209600 300\n IN NS ns1\nns1 IN A 127.0.0.1\n", z)})
	}
	bind := testserver.StartBIND(t, testserver.BINDConfig{Keys: []testserver.Key{cliUpdKey}, Zones: zones})
	dir := t.TempDir()
	keyFile := cliUpdKey.WriteKeyFile(t, dir)
	common := []string{"--server", bind.Addr, "--key-file", keyFile, "--zone", "one.example", "--zone", "two.example"}
	pub := func(args ...string) (string, string, int) {
		return run(t, append(append([]string{"publish"}, common...), args...)...)
	}

	// Dry run: the UPDATE text, nothing sent, no secret.
	out, errOut, code := pub("--host", "kms1.one.example", "--dry-run")
	if code != exitClean || !strings.Contains(out, ";; ADD\n  _vlmcs._tcp.one.example.\t3600\tIN\tSRV\t0 0 1688 kms1.one.example.") || !strings.Contains(out, "dry run: nothing was sent") {
		t.Errorf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, cliUpdKey.Secret) {
		t.Error("dry run shows the secret")
	}
	if got := kmsRecords(t, bind.Addr, "one.example"); len(got) != 0 {
		t.Errorf("dry run changed the zone: %v", got)
	}

	out, errOut, code = pub("--host", "kms1.one.example")
	if code != exitClean || strings.Count(out, "added") != 2 {
		t.Errorf("publish: exit %d\n%s%s", code, out, errOut)
	}
	out, _, code = pub("--host", "kms1.one.example", "-o", "json")
	var again pubJSON
	oneJSON(t, out, &again)
	if code != exitClean || len(again.Results) != 2 || again.Results[0].Action != "already present" || again.Results[1].Action != "already present" {
		t.Errorf("republish: exit %d\n%s", code, out)
	}
	if _, _, code = pub("--host", "kms2.one.example", "--port", "1689", "--ttl", "600"); code != exitClean {
		t.Errorf("second host: exit %d", code)
	}
	// An RRset has one TTL: --ttl 600 gives kms1's record 600 too.
	want := []string{"_vlmcs._tcp.one.example. 1688 600 kms1.one.example.", "_vlmcs._tcp.one.example. 1689 600 kms2.one.example."}
	if got := kmsRecords(t, bind.Addr, "one.example"); !slices.Equal(got, want) {
		t.Errorf("one.example: %v", got)
	}

	// Unpublish: one host goes, the last one needs --force.
	out, _, code = run(t, append(append([]string{"unpublish"}, common...), "--host", "kms2.one.example")...)
	if code != exitClean || strings.Count(out, "removed") != 2 {
		t.Errorf("unpublish: exit %d\n%s", code, out)
	}
	out, _, code = run(t, append(append([]string{"unpublish"}, common...), "--host", "kms1.one.example")...)
	if code != exitErrors || !strings.Contains(out, "skipped") || !strings.Contains(out, "0x8007232B") || !strings.Contains(out, "--force") {
		t.Errorf("last record: exit %d\n%s", code, out)
	}
	if got := kmsRecords(t, bind.Addr, "two.example"); len(got) != 1 {
		t.Errorf("two.example after refused last-record removal: %v", got)
	}

	// A secret from the environment, never from argv.
	t.Setenv("KMSDNS_TSIG_SECRET", cliUpdKey.Secret)
	out, errOut, code = run(t, "publish", "--server", bind.Addr, "--zone", "two.example", "--host", "kms3.two.example", "--key-name", "upd", "--key-algorithm", "hmac-sha256")
	if code != exitClean {
		t.Errorf("env secret: exit %d\n%s%s", code, out, errOut)
	}
	t.Setenv("KMSDNS_TSIG_SECRET", "")

	// A wrong key: refused, explained, zone unchanged.
	bad := testserver.Key{Name: "upd", Algorithm: "hmac-sha256", Secret: "AAAA3F1bIYb8cQ4uXkM0m9b4o6Q2QeQfW1yq0m9oVrQ="}
	badDir := t.TempDir()
	before := kmsRecords(t, bind.Addr, "two.example")
	out, _, code = run(t, "publish", "--server", bind.Addr, "--zone", "two.example", "--host", "kms9.two.example", "--key-file", bad.WriteKeyFile(t, badDir))
	if code != exitErrors || !strings.Contains(out, "BADSIG") || strings.Contains(out, bad.Secret) {
		t.Errorf("wrong key: exit %d\n%s", code, out)
	}
	if got := kmsRecords(t, bind.Addr, "two.example"); !slices.Equal(got, before) {
		t.Errorf("wrong key changed the zone: %v", got)
	}

	// A key file others can read: a warning.
	loose := filepath.Join(dir, "loose.key")
	os.WriteFile(loose, []byte(cliUpdKey.BINDClause()), 0o644)
	_, errOut, _ = run(t, "publish", "--server", bind.Addr, "--zone", "two.example", "--host", "kms1.one.example", "--key-file", loose)
	if !strings.Contains(errOut, "readable by other users") {
		t.Errorf("no warning for a world-readable key file: %q", errOut)
	}
}

func TestPublishBadInputSendsNothing(t *testing.T) {
	dir := t.TempDir()
	keyFile := cliUpdKey.WriteKeyFile(t, dir)
	// 127.0.0.1:1: nothing listens; any attempt to send would fail with
	// exit 2, not 3.
	base := []string{"--server", "127.0.0.1:1", "--zone", "x.example", "--key-file", keyFile}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"publish", "--host", "kms1"}, "not a fully qualified name"},
		{[]string{"publish", "--host", "kms_1.x.example"}, "not a valid host name"},
		{[]string{"publish", "--host", "kms1.x.example", "--port", "0"}, "--port 0 is not between 1 and 65535"},
		{[]string{"publish", "--host", "kms1.x.example", "--ttl", "0"}, "--ttl 0"},
		{[]string{"publish", "--host", "kms1.x.example", "--ttl", "2147483648"}, "--ttl 2147483648"},
		{[]string{"publish", "--host", "kms1.x.example", "--key-name", "nope"}, `no key named "nope"`},
		{[]string{"publish"}, "--host is required"},
		{[]string{"publish", "--host", "kms1.x.example", "--name", "a..b"}, `--name: "a..b" is not a domain name: label 2 is empty`},
		{[]string{"unpublish", "--host", "kms1.x.example", "--name", strings.Repeat("n", 64)}, "--name: \"" + strings.Repeat("n", 64) + "\" is not a domain name: label 1 is 64 octets"},
		{[]string{"publish", "--host", "kms1.x.example", "--zone", "y..example"}, `--zone: "y..example" is not a domain name`},
		{[]string{"unpublish", "--host", "kms1.x.example", "--key-file", filepath.Join(dir, "missing.key")}, "missing.key"},
		{[]string{"publish", "--host", "kms1.x.example", "--gss", "--keytab", "/nonexistent.keytab", "--principal", "a"}, "gss: set together with key-file"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			args := append(append([]string{tc.args[0]}, base...), tc.args[1:]...)
			out, errOut, code := run(t, args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q, want %q\n%s", code, errOut, tc.want, out)
			}
		})
	}
	t.Run("unknown algorithm", func(t *testing.T) {
		t.Setenv("KMSDNS_TSIG_SECRET", cliUpdKey.Secret)
		_, errOut, code := run(t, "publish", "--server", "127.0.0.1:1", "--zone", "x.example", "--host", "kms1.x.example", "--key-name", "upd", "--key-algorithm", "hmac-sha999")
		if code != exitUsage || !strings.Contains(errOut, `unsupported algorithm "hmac-sha999"`) || strings.Contains(errOut, cliUpdKey.Secret) {
			t.Errorf("exit %d %q", code, errOut)
		}
	})
	t.Run("key name without a secret", func(t *testing.T) {
		t.Setenv("KMSDNS_TSIG_SECRET", "")
		_, errOut, code := run(t, "publish", "--server", "127.0.0.1:1", "--zone", "x.example", "--host", "kms1.x.example", "--key-name", "upd", "--key-algorithm", "hmac-sha256")
		if code != exitUsage || !strings.Contains(errOut, "never on the command line") {
			t.Errorf("exit %d %q", code, errOut)
		}
	})
}
