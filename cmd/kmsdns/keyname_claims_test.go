package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/internal/testserver"
)

// TestKeyNamePicksFromMultiKeyFile: the README's "a file may hold several
// key clauses (--key-name picks one)", against a real BIND that transfers
// the zone only to key xfr: with --key-name xfr the zone is transferred
// (AXFR, signed); without --key-name the file is refused, naming its keys,
// and nothing is read; a --key-name the file does not hold is refused too.
func TestKeyNamePicksFromMultiKeyFile(t *testing.T) {
	other := testserver.Key{Name: "other", Algorithm: "hmac-sha256", Secret: "AAAAZ0ZyN8gBq1dWnfPz6sN2b7cVYyqHfN1lZ0Xw1Ks="}
	xfr := testserver.Key{Name: "xfr", Algorithm: "hmac-sha512", Secret: "8JvDZ0ZyN8gBq1dWnfPz6sN2b7cVYyqHfN1lZ0Xw1Ks="}
	bind := testserver.StartBIND(t, testserver.BINDConfig{
		Keys: []testserver.Key{xfr, other},
		Zones: []testserver.Zone{{Name: "multi.example", Transfer: "key xfr;",
			Content: "$ORIGIN multi.example.\n$TTL 300\n@ IN SOA ns1 hm 7 1 1 1 1\n IN NS ns1\nns1 IN A 127.0.0.1\n_vlmcs._tcp IN SRV 0 0 1688 kms1\nkms1 IN A 127.0.0.10\n"}},
	})
	file := filepath.Join(t.TempDir(), "both.key")
	var text string
	for _, k := range []testserver.Key{other, xfr} {
		text += "key \"" + k.Name + "\" {\n\talgorithm " + k.Algorithm + ";\n\tsecret \"" + k.Secret + "\";\n};\n"
	}
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"audit", "--no-probe", "--server", bind.Addr, "--zone", "multi.example", "--key-file", file, "-o", "json"}

	out, errOut, code := run(t, append(base, "--key-name", "xfr")...)
	r := decode(t, out)
	if code != exitClean || len(r.Zones) != 1 || r.Zones[0].Source != "axfr" || r.Zones[0].Records != 1 || r.Zones[0].Error != "" {
		t.Errorf("--key-name xfr: exit %d %s: %+v", code, errOut, r.Zones)
	}

	out, errOut, code = run(t, base...)
	if code != exitUsage || !strings.Contains(errOut, "holds 2 keys (other, xfr): choose one with --key-name") || strings.Contains(out, "axfr") {
		t.Errorf("no --key-name: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, s := range []string{other.Secret, xfr.Secret} {
		if strings.Contains(out+errOut, s) {
			t.Error("a secret is printed")
		}
	}

	_, errOut, code = run(t, append(base, "--key-name", "upd")...)
	if code != exitUsage || !strings.Contains(errOut, `no key named "upd"`) {
		t.Errorf("--key-name upd: exit %d, %q", code, errOut)
	}
}
