package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGSSOnlySettingsNeedGSS: --principal, --server-name and --krb5-conf
// (and their config fields) without anything that turns GSS-TSIG on (gss:
// true, a keytab, a password file) are refused, naming the setting and
// what to add, instead of being dropped while the update goes out
// unsigned or TSIG-signed. Given in defaults.update, or in a zone's
// section when the command line chose the credentials, they are not used
// and not refused; with GSS-TSIG on they are taken.
func TestGSSOnlySettingsNeedGSS(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key := write("upd.key", "key \"upd\" {\n\talgorithm hmac-sha256;\n\tsecret \""+claimsSecret+"\";\n};\n")
	krb := write("krb5.conf", "[libdefaults]\n\tdefault_realm = A.EXAMPLE\n")
	pw := write("pw", "Pa55-w0rd\n")
	zones := []string{"a.example"}
	for _, c := range []struct {
		name string
		cfg  string // a config file, when set
		fl   Update
		want []string // parts of the error; none: accepted
	}{
		{name: "--principal alone", fl: Update{Principal: "KMSC1$@A.EXAMPLE"},
			want: []string{"--principal: ", "GSS-TSIG", "would not be signed as it", "--keytab", "--password-file", "--gss"}},
		{name: "--principal with --key-file", fl: Update{Principal: "x", KeyFile: key},
			want: []string{"--principal: set with a TSIG key (--key-file)", "leave --principal out"}},
		{name: "--principal with --gss=false", fl: Update{Principal: "x", GSS: new(false)},
			want: []string{"--principal: "}},
		{name: "--server-name alone", fl: Update{ServerName: "dc1.a.example"},
			want: []string{"zone a.example: --server-name is for GSS-TSIG", "would go out unsigned", "give --gss", "--keytab", "--password-file"}},
		{name: "--krb5-conf alone", fl: Update{Krb5Conf: krb},
			want: []string{"zone a.example: --krb5-conf is for GSS-TSIG", "unsigned"}},
		{name: "--server-name with --key-file", fl: Update{ServerName: "dc1.a.example", KeyFile: key},
			want: []string{"--server-name is for GSS-TSIG", "signed with the TSIG key in " + key + " (from --key-file)"}},
		{name: "--krb5-conf with --gss=false", fl: Update{Krb5Conf: krb, GSS: new(false)},
			want: []string{"--krb5-conf is for GSS-TSIG", "GSS-TSIG is off (--gss=false)"}},
		{name: "zone's principal alone", cfg: "zones:\n  - name: a.example\n    update: {principal: u}\n",
			want: []string{"zones[0].update.principal: ", "keytab or password-file", "gss: true"}},
		{name: "defaults' principal alone", cfg: "defaults:\n  update: {principal: u}\nzones:\n  - name: a.example\n",
			want: []string{"defaults.update.principal: "}},
		{name: "zone's principal with key-file", cfg: "zones:\n  - name: a.example\n    update: {principal: u, key-file: upd.key}\n",
			want: []string{"zones[0].update.principal: set with a TSIG key (key-file)"}},
		{name: "zone's server-name alone", cfg: "zones:\n  - name: a.example\n    update: {server-name: dc1.a.example}\n",
			want: []string{"zone a.example: ", "zones[0].update.server-name is for GSS-TSIG", "unsigned", "set gss: true"}},
		{name: "zone's krb5-conf with the read key", cfg: "zones:\n  - name: a.example\n    key-file: upd.key\n    update: {krb5-conf: krb5.conf}\n",
			want: []string{"zones[0].update.krb5-conf is for GSS-TSIG", "signed with the TSIG key in " + key}},

		{name: "--gss with --server-name and --krb5-conf", fl: Update{GSS: new(true), ServerName: "dc1.a.example", Krb5Conf: krb}},
		{name: "--password-file with all three", fl: Update{PasswordFile: pw, Principal: "u", ServerName: "dc1.a.example", Krb5Conf: krb}},
		{name: "defaults' krb5-conf, zone on TSIG", cfg: "defaults:\n  update: {krb5-conf: krb5.conf}\nzones:\n  - name: a.example\n    key-file: upd.key\n"},
		{name: "zone's server-name, --gss given", cfg: "zones:\n  - name: a.example\n    update: {server-name: dc1.a.example}\n", fl: Update{GSS: new(true)}},
		{name: "zone's server-name, --gss=false given", cfg: "zones:\n  - name: a.example\n    update: {gss: true, server-name: dc1.a.example}\n", fl: Update{GSS: new(false)}},
		{name: "zone's server-name, --key-file given", cfg: "zones:\n  - name: a.example\n    update: {gss: true, server-name: dc1.a.example}\n", fl: Update{KeyFile: key}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var f *File
			var err error
			if c.cfg != "" {
				f, err = Load(write("kmsdns.yaml", c.cfg))
			}
			if err == nil {
				_, err = MergeUpdate(f, UpdateFlags{Zones: zones, Update: c.fl})
			}
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
	// cleanup's merge: a read key and --principal, nothing GSS.
	if _, _, err := MergeWrite(nil, Flags{Zones: zones, Server: "127.0.0.1:53", KeyFile: key}, Update{Principal: "u"}); err == nil || !strings.Contains(err.Error(), "--principal: set with a TSIG key") {
		t.Errorf("cleanup -k --principal: %v", err)
	}
	if _, _, err := MergeWrite(nil, Flags{Zones: zones, Server: "127.0.0.1:53", KeyFile: key}, Update{ServerName: "dc1.a.example"}); err == nil || !strings.Contains(err.Error(), "--server-name is for GSS-TSIG") {
		t.Errorf("cleanup -k --server-name: %v", err)
	}
}
