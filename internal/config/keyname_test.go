package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeyNamePicksConfigKeyFile: --key-name alone picks the key in the
// key file the config names for each zone (update key file first, then
// the read key file), for publish (MergeUpdate), audit (Merge) and
// cleanup (MergeWrite); a zone updated with GSS-TSIG refuses it; with no
// key file anywhere it still needs --key-algorithm and a secret.
func TestKeyNamePicksConfigKeyFile(t *testing.T) {
	dir := t.TempDir()
	multi := filepath.Join(dir, "multi.key")
	var text string
	for _, n := range []string{"xfr", "upd"} {
		text += "key \"" + n + "\" {\n\talgorithm hmac-sha256;\n\tsecret \"" + claimsSecret + "\";\n};\n"
	}
	if err := os.WriteFile(multi, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "kmsdns.yaml")
	if err := os.WriteFile(cfg, []byte(`zones:
  - name: read.example
    key-file: multi.key
  - name: update.example
    update:
      key-file: multi.key
  - name: gss.example
    update:
      gss: true
`), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := MergeUpdate(f, UpdateFlags{Zones: []string{"read.example", "update.example"}, Update: Update{KeyName: "upd"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range p.Primaries {
		if pr.Key.Name != "upd." || !strings.HasPrefix(pr.KeyOrigin, multi) {
			t.Errorf("%s: key %q from %q", pr.Zone, pr.Key.Name, pr.KeyOrigin)
		}
	}
	if _, err := MergeUpdate(f, UpdateFlags{Zones: []string{"read.example"}}); err == nil || !strings.Contains(err.Error(), "holds 2 keys") {
		t.Errorf("no --key-name, two keys: %v", err)
	}
	if _, err := MergeUpdate(f, UpdateFlags{Zones: []string{"gss.example"}, Update: Update{KeyName: "upd"}}); err == nil ||
		!strings.Contains(err.Error(), "zone gss.example: --key-name: the zone is updated with GSS-TSIG") {
		t.Errorf("--key-name on a GSS zone: %v", err)
	}
	t.Setenv(SecretEnv, "")
	if _, err := MergeUpdate(nil, UpdateFlags{Zones: []string{"bare.example"}, Update: Update{KeyName: "upd"}}); err == nil || !strings.Contains(err.Error(), "--key-name without --key-file") {
		t.Errorf("--key-name, no key file anywhere: %v", err)
	}

	// Audit reads with the picked key; cleanup reads and updates with it.
	ap, err := Merge(f, Flags{Zones: []string{"read.example"}, KeyName: "upd"})
	if err != nil || ap.Specs[0].Key.Name != "upd." {
		t.Fatalf("audit: %v %+v", err, ap)
	}
	if _, err := Merge(nil, Flags{Zones: []string{"bare.example"}, KeyName: "upd"}); err == nil || !strings.Contains(err.Error(), "--key-name: given without a key file") {
		t.Errorf("audit --key-name, no key file: %v", err)
	}
	rp, up, err := MergeWrite(f, Flags{Zones: []string{"read.example", "update.example"}, KeyName: "upd"}, Update{})
	if err != nil {
		t.Fatal(err)
	}
	if rp.Specs[0].Key.Name != "upd." || up.Primaries[0].Key.Name != "upd." || up.Primaries[1].Key.Name != "upd." {
		t.Errorf("cleanup: read %q, update %q %q", rp.Specs[0].Key.Name, up.Primaries[0].Key.Name, up.Primaries[1].Key.Name)
	}
}
