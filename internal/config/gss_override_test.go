package config

import (
	"os"
	"path/filepath"
	"testing"
)

// TestZoneGSSFalseOverridesDefault: a zone's `update: {gss: false}` wins
// over the defaults' `gss: true` (the zone is then signed with the key it
// is read with); a zone that says nothing keeps the default; --gss
// (UpdateFlags.Update.GSS true) and --gss=false (false) win over both.
func TestZoneGSSFalseOverridesDefault(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "read.key")
	if err := os.WriteFile(key, []byte("key \"xfr\" {\n\talgorithm hmac-sha256;\n\tsecret \""+claimsSecret+"\";\n};\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "kmsdns.yaml")
	if err := os.WriteFile(cfg, []byte(`defaults:
  key-file: read.key
  update:
    gss: true
zones:
  - name: off.example
    update:
      gss: false
  - name: default.example
  - name: on.example
    update:
      gss: true
      server-name: dc1.on.example
`), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		gss  *bool
		want []bool // GSS per zone: off, default, on
	}{
		{"config alone", nil, []bool{false, true, true}},
		{"--gss", new(true), []bool{true, true, true}},
		{"--gss=false", new(false), []bool{false, false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := MergeUpdate(f, UpdateFlags{Update: Update{GSS: tc.gss}})
			if err != nil {
				t.Fatal(err)
			}
			for i, pr := range p.Primaries {
				if got := pr.GSS != nil; got != tc.want[i] {
					t.Errorf("%s: GSS %v, want %v", pr.Zone, got, tc.want[i])
				}
				if pr.GSS == nil && pr.Key.Name != "xfr." {
					t.Errorf("%s: without GSS, key %q: want the read key xfr.", pr.Zone, pr.Key.Name)
				}
			}
		})
	}
	if _, err := Parse([]byte("zones:\n  - name: a.example\n    update:\n      gss: false\n      key-file: k.key\n"), "k.yaml"); err != nil {
		t.Errorf("gss: false with a key file: %v", err)
	}
}

// TestSecretWarnedOncePerFile: a password file and a keytab readable by
// others, named for several zones, give one warning each.
func TestSecretWarnedOncePerFile(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"pw", "k.keytab"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("Pa55-w0rd\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "kmsdns.yaml")
	if err := os.WriteFile(cfg, []byte(`defaults:
  update:
    password-file: pw
    principal: admin
zones:
  - name: a.example
  - name: b.example
  - name: c.example
    update: {keytab: k.keytab, principal: admin}
  - name: d.example
    update: {keytab: k.keytab, principal: admin}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := MergeUpdate(f, UpdateFlags{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) != 2 {
		t.Errorf("warnings %q, want one per file", p.Warnings)
	}
}
