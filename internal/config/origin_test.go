package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/publish"
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
			for _, tg := range p.Targets {
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
	// The GSS description names the principal and keytab, never a password.
	for _, tc := range []struct {
		g    *publish.GSS
		want string
	}{
		{&publish.GSS{Principal: "kmsdns@CORP.EXAMPLE", Keytab: "/etc/k.keytab"}, "signed with GSS-TSIG as kmsdns@CORP.EXAMPLE (keytab /etc/k.keytab)"},
		{&publish.GSS{Principal: "admin", Password: "s3cret"}, "signed with GSS-TSIG as admin (password file)"},
		{&publish.GSS{}, "signed with GSS-TSIG as the user of the credential cache (credential cache)"},
	} {
		if got := gssCredentials(tc.g); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	// And the targets carry it (a named server: nothing is sent).
	p := &UpdatePlan{Targets: []UpdateTarget{{Zone: "corp.example", Server: "127.0.0.1:9", ServerName: "dc1.corp.example",
		GSS: &publish.GSS{Principal: "kmsdns@CORP.EXAMPLE", Keytab: "/etc/k.keytab"}}}}
	targets, closeAll, err := p.PublishTargets(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	if want := "signed with GSS-TSIG as kmsdns@CORP.EXAMPLE (keytab /etc/k.keytab)"; targets[0].Credentials != want {
		t.Errorf("target credentials %q, want %q", targets[0].Credentials, want)
	}
}
