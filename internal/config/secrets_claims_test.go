package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const claimsSecret = "2z1o3F1bIYb8cQ4uXkM0m9b4o6Q2QeQfW1yq0m9oVrQ="

// TestReadableSecretWarnedForEveryType: the README's "kmsdns warns when a
// file holding a secret is readable by other users" holds for every kind
// of secret file: a TSIG key file (to read zones and to update them), a
// --key-secret-file (both), a keytab and a password file; a file only its
// owner can read gets no warning. The warning never quotes the secret.
func TestReadableSecretWarnedForEveryType(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyText := "key \"upd\" {\n\talgorithm hmac-sha256;\n\tsecret \"" + claimsSecret + "\";\n};\n"
	type merge func(path string) ([]string, error)
	update := func(fl func(p string) UpdateFlags) merge {
		return func(p string) ([]string, error) {
			plan, err := MergeUpdate(nil, fl(p))
			if err != nil {
				return nil, err
			}
			return plan.Warnings, nil
		}
	}
	read := func(fl func(p string) Flags) merge {
		return func(p string) ([]string, error) {
			plan, err := Merge(nil, fl(p))
			if err != nil {
				return nil, err
			}
			return plan.Warnings, nil
		}
	}
	for _, tc := range []struct {
		kind, content string
		merge         merge
	}{
		{"key file (update)", keyText, update(func(p string) UpdateFlags {
			return UpdateFlags{Zones: []string{"a.example"}, Update: Update{KeyFile: p}}
		})},
		{"key file (read)", keyText, read(func(p string) Flags {
			return Flags{Zones: []string{"a.example"}, Server: "127.0.0.1:9", KeyFile: p}
		})},
		{"key secret file (update)", claimsSecret + "\n", update(func(p string) UpdateFlags {
			return UpdateFlags{Zones: []string{"a.example"}, Update: Update{KeyName: "upd"}, KeyAlgorithm: "hmac-sha256", SecretFile: p}
		})},
		{"key secret file (read)", claimsSecret + "\n", read(func(p string) Flags {
			return Flags{Zones: []string{"a.example"}, Server: "127.0.0.1:9", KeyName: "upd", KeyAlgorithm: "hmac-sha256", SecretFile: p}
		})},
		{"keytab", "\x05\x02not parsed here", update(func(p string) UpdateFlags {
			return UpdateFlags{Zones: []string{"a.example"}, Update: Update{Keytab: p, Principal: "kmsdns@CORP.EXAMPLE"}}
		})},
		{"password file", "Pa55-w0rd-claims\n", update(func(p string) UpdateFlags {
			return UpdateFlags{Zones: []string{"a.example"}, Update: Update{PasswordFile: p, Principal: "kmsdns@CORP.EXAMPLE"}}
		})},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			name := strings.ReplaceAll(tc.kind, " ", "-")
			open := write(name+"-644", tc.content, 0o644)
			warnings, err := tc.merge(open)
			if err != nil {
				t.Fatal(err)
			}
			want := open + " holds a secret but is readable by other users (mode 0644): chmod 600 " + open
			if len(warnings) != 1 || warnings[0] != want {
				t.Errorf("mode 0644: warnings %q, want [%q]", warnings, want)
			}
			for _, w := range warnings {
				if strings.Contains(w, claimsSecret) || strings.Contains(w, "Pa55") {
					t.Errorf("a warning quotes the secret: %q", w)
				}
			}
			private := write(name+"-600", tc.content, 0o600)
			if warnings, err := tc.merge(private); err != nil || len(warnings) != 0 {
				t.Errorf("mode 0600: warnings %q (%v), want none", warnings, err)
			}
		})
	}
}

// TestUpdateGSSFromConfig: the README's `update:` settings select
// GSS-TSIG from the configuration file, per zone or in defaults, with
// keytab, password-file and krb5-conf paths relative to the file, the
// principal, and server-name for a server given by address; `gss: true`
// alone is the user's credential cache; a zone without update
// credentials keeps the key it is read with.
func TestUpdateGSSFromConfig(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "keys"), 0o700))
	must(os.WriteFile(filepath.Join(dir, "keys", "kmsdns.keytab"), []byte("\x05\x02"), 0o600))
	must(os.WriteFile(filepath.Join(dir, "keys", "pw"), []byte("Pa55-w0rd-claims\n"), 0o600))
	must(os.WriteFile(filepath.Join(dir, "krb5.conf"), []byte("[libdefaults]\n"), 0o600))
	must(os.WriteFile(filepath.Join(dir, "keys", "read.key"), []byte("key \"xfr\" {\n\talgorithm hmac-sha256;\n\tsecret \""+claimsSecret+"\";\n};\n"), 0o600))
	cfg := filepath.Join(dir, "kmsdns.yaml")
	must(os.WriteFile(cfg, []byte(`defaults:
  update:
    krb5-conf: krb5.conf
zones:
  - name: a.example
    server: 127.0.0.1:53
    update:
      server-name: dc1.a.example
      keytab: keys/kmsdns.keytab
      principal: kmsdns@A.EXAMPLE
  - name: b.example
    update:
      password-file: keys/pw
      principal: admin
  - name: c.example
    key-file: keys/read.key
  - name: d.example
    update:
      gss: true
`), 0o600))
	f, err := Load(cfg)
	must(err)
	plan, err := MergeUpdate(f, UpdateFlags{})
	must(err)
	if len(plan.Primaries) != 4 {
		t.Fatalf("%d targets, want 4: %+v", len(plan.Primaries), plan.Primaries)
	}
	a, b := plan.Primaries[0], plan.Primaries[1]
	if a.GSS == nil || a.GSS.Keytab != filepath.Join(dir, "keys", "kmsdns.keytab") || a.GSS.Principal != "kmsdns@A.EXAMPLE" ||
		a.GSS.Krb5Conf != filepath.Join(dir, "krb5.conf") || a.ServerName != "dc1.a.example" || a.Server != "127.0.0.1:53" {
		t.Errorf("a.example: %+v GSS %+v", a, a.GSS)
	}
	if b.GSS == nil || b.GSS.Password != "Pa55-w0rd-claims" || b.GSS.Principal != "admin" || b.GSS.Keytab != "" {
		t.Errorf("b.example: GSS %v", b.GSS)
	}
	if c := plan.Primaries[2]; c.GSS != nil || c.Key.Name != "xfr." {
		t.Errorf("c.example (no update credentials: the read key): GSS %v key %q", c.GSS, c.Key.Name)
	}
	if d := plan.Primaries[3]; d.GSS == nil || d.GSS.Principal != "" || d.GSS.Keytab != "" || d.GSS.Password != "" || d.GSS.Krb5Conf != filepath.Join(dir, "krb5.conf") {
		t.Errorf("d.example (gss: true: the user's credential cache): GSS %#v", d.GSS)
	}
}
