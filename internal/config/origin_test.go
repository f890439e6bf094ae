package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeyOrigin: each update target says where its key came from, for
// error messages, and never carries the secret in that text.
func TestKeyOrigin(t *testing.T) {
	dir := t.TempDir()
	const secret = "2z1o3F1bIYb8cQ4uXkM0m9b4o6Q2QeQfW1yq0m9oVrQ="
	key := func(name string) string {
		p := filepath.Join(dir, name+".key")
		os.WriteFile(p, []byte("key \""+name+"\" {\n\talgorithm hmac-sha256;\n\tsecret \""+secret+"\";\n};\n"), 0o600)
		return p
	}
	upd, xfr, def := key("upd"), key("xfr"), key("def")
	secretFile := filepath.Join(dir, "secret")
	os.WriteFile(secretFile, []byte(secret), 0o600)
	file, err := Parse([]byte(`defaults:
  key-file: `+def+`
zones:
  - name: a.example
  - name: b.example
    update:
      key-file: `+upd+`
  - name: c.example
    key-file: `+xfr+`
`), "kmsdns.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		fl   UpdateFlags
		env  string
		want []string
	}{
		{"config", UpdateFlags{}, "", []string{def + " (kmsdns.yaml defaults.key-file)", upd + " (kmsdns.yaml zones[1].update.key-file)", xfr + " (kmsdns.yaml zones[2].key-file)"}},
		{"flag", UpdateFlags{Zones: []string{"b.example"}, Update: Update{KeyFile: upd}}, "", []string{upd + " (--key-file)"}},
		{"secret file", UpdateFlags{Zones: []string{"b.example"}, Update: Update{KeyName: "upd"}, KeyAlgorithm: "hmac-sha256", SecretFile: secretFile}, "", []string{secretFile + " (--key-secret-file)"}},
		{"environment", UpdateFlags{Zones: []string{"b.example"}, Update: Update{KeyName: "upd"}, KeyAlgorithm: "hmac-sha256"}, secret, []string{"$KMSDNS_TSIG_SECRET"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(SecretEnv, tc.env)
			p, err := MergeUpdate(file, tc.fl)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tg := range p.Primaries {
				got = append(got, tg.KeyOrigin)
				if strings.Contains(tg.KeyOrigin, secret) {
					t.Error("origin holds the secret")
				}
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("origins %q, want %q", got, tc.want)
			}
		})
	}
}
