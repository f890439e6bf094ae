package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/regfile"
)

func TestLoadExample(t *testing.T) {
	f, err := Load("../../testdata/kmsdns.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Zones) != 3 || time.Duration(f.Defaults.Timeout) != 10*time.Second || f.Defaults.Concurrency != 4 {
		t.Fatalf("%+v", f)
	}
	if got := f.Zones[2].Files[0]; got != "../../testdata/zones/contoso.com.zone" {
		t.Errorf("zone file path %q is not relative to the config file", got)
	}
	if got := f.Zones[0].Names; strings.Join(got, ",") != "emea,apac,site3.branch" {
		t.Errorf("names %v", got)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"unknown top-level field", "zonez: []\n", `line 1: unknown field "zonez"`},
		{"negative concurrency", "defaults:\n  concurrency: -1\n", "defaults.concurrency: -1"},
		{"name missing", "zones:\n  - server: 127.0.0.1\n", "zones[0].name: missing"},
		{"server and files", "zones:\n  - name: a.example\n    server: 127.0.0.1\n    files: [a]\n", "zones[0]: give either server or files"},
		{"bad extra name", "zones:\n  - name: a.example\n    names: [\"a b\"]\n", `zones[0].names[0]: "a b" is not a domain name`},
		{"key-name without file", "zones:\n  - name: a.example\n    key-name: k\n", "zones[0].key-name: set without a key-file"},
		{"not a map", "- a\n", "line 1: expected the file to be a mapping of settings (defaults:, policy:, zones:), found a list"},
		{"bad resolver", "defaults:\n  resolver: \"a:b:c:\"\n", "defaults.resolver"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.text), "k.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "config k.yaml: ") {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if f, err := Parse(nil, "empty.yaml"); err != nil || len(f.Zones) != 0 {
		t.Errorf("empty file: %v", err)
	}
}

func TestMergeFlagsWin(t *testing.T) {
	f, err := Parse([]byte("defaults:\n  server: 127.0.0.1:53\n  timeout: 3s\nzones:\n  - name: a.example\n    names: [x]\n  - name: b.example\n    server: 127.0.0.2\n"), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Merge(f, Flags{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Specs) != 2 || p.Specs[0].Server != "127.0.0.1:53" || p.Specs[1].Server != "127.0.0.2" || p.Specs[0].Timeout != 3*time.Second {
		t.Fatalf("%+v", p.Specs)
	}
	p, err = Merge(f, Flags{Zones: []string{"B.example."}, Server: "127.0.0.9", Timeout: time.Second, Names: []string{"y"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Specs) != 1 || p.Specs[0].Zone != "b.example" || p.Specs[0].Server != "127.0.0.9" || p.Specs[0].Timeout != time.Second || p.Specs[0].Names[0] != "y" {
		t.Fatalf("%+v", p.Specs)
	}
	if _, err := Merge(f, Flags{Names: []string{"y"}}); err == nil {
		t.Error("--name with several zones accepted")
	}
}

func TestIncludeDirs(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k.yaml")
	os.WriteFile(path, []byte("defaults:\n  include-dirs: [common, /abs]\nzones:\n  - name: a.example\n    files: [a.zone]\n"), 0o644)
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Merge(f, Flags{IncludeDirs: []string{"flag"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"flag", filepath.Join(dir, "common"), "/abs"}
	if !slices.Equal(p.Options.IncludeDirs, want) {
		t.Errorf("include dirs %q, want %q", p.Options.IncludeDirs, want)
	}
}

func TestPolicy(t *testing.T) {
	f, err := Parse([]byte(`defaults:
  probe-timeout: 2s
  probe-concurrency: 16
policy:
  expected-port: 1700
  host-ports: {kms-emea.contoso.com: 1689}
  approved-hosts: [kms1.contoso.com, kms-emea.contoso.com]
  decommissioned-hosts: [kms-old.contoso.com]
  publish-groups: [[contoso.com, fabrikam.com]]
  max-ttl: 12h
zones:
  - name: contoso.com
`), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Merge(f, Flags{Decommissioned: []string{"kms-older.contoso.com"}, ProbeTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	pol := p.Policy
	if pol.ExpectedPort != 1700 || pol.HostPorts["kms-emea.contoso.com."] != 1689 || len(pol.Approved) != 2 ||
		strings.Join(pol.Decommissioned, ",") != "kms-old.contoso.com,kms-older.contoso.com" || pol.MaxTTL != 43200 || len(pol.PublishGroups) != 1 {
		t.Errorf("policy %+v", pol)
	}
	if p.ProbeTimeout != time.Second || p.ProbeConcurrency != 16 || !p.Probe {
		t.Errorf("probe settings %v %d %v", p.ProbeTimeout, p.ProbeConcurrency, p.Probe)
	}
	if p, _ := Merge(f, Flags{NoProbe: true}); p.Probe {
		t.Error("--no-probe still probes")
	}

	for _, tc := range []struct{ text, want string }{
		{"policy:\n  expected-port: 70000\n", "policy.expected-port: 70000"},
		{"policy:\n  host-ports: {kms1.example: 0}\n", "policy.host-ports.kms1.example: 0"},
		{"policy:\n  host-ports: {kms1: 1688}\n", `policy.host-ports: host "kms1" is not a fully qualified name`},
		{"policy:\n  approved-hosts: [\"a b\"]\n", "policy.approved-hosts[0]"},
		{"policy:\n  approved-hosts: [k.example]\n  decommissioned-hosts: [K.example.]\n", "also an approved host"},
		{"policy:\n  decommissioned-hosts: [kms_1.example]\n", "policy.decommissioned-hosts[0]: host \"kms_1.example\" is not a valid host name"},
		{"policy:\n  publish-groups: [[a.example]]\n", "publish-groups[0]: a group needs at least two zones"},
		{"policy:\n  max-ttl: 10ms\n", "max-ttl: must be at least 1s"},
		{"policy:\n  expected-prot: 1\n", `unknown field "expected-prot"`},
	} {
		if _, err := Parse([]byte(tc.text), "p.yaml"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.text, err, tc.want)
		}
	}
}

func TestParseTypeMistakesInPlainWords(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"string for a list", "zones:\n  - name: a.example\n    names: emea\n",
			`line 3: zones[0].names: expected a list, like [a, b] or lines starting with "- ", found the text "emea"`},
		{"text for a number", "defaults:\n  concurrency: four\n",
			`line 2: defaults.concurrency: expected a whole number, found the text "four"`},
		{"yes for a boolean", "defaults:\n  no-probe: yes please\n",
			`line 2: defaults.no-probe: expected true or false, found the text "yes please"`},
		{"mapping for the zone list", "zones:\n  name: a.example\n",
			`line 2: zones: expected a list of entries (lines starting with "- "), found a mapping`},
		{"flat list for groups", "policy:\n  publish-groups: [a.example, b.example]\n",
			`line 2: policy.publish-groups[0]: expected a list, like [a, b] or lines starting with "- ", found the text "a.example"`},
		{"text for a port", "policy:\n  host-ports: {kms1: high}\n",
			`line 2: policy.host-ports.kms1: expected a whole number, found the text "high"`},
		{"list for a string", "zones:\n  - name: [a.example]\n",
			`line 2: zones[0].name: expected a string, found a list`},
		{"bad duration", "zones:\n  - name: a.example\n    timeout: 10 seconds\n",
			`line 3: zones[0].timeout: expected a duration like 10s or 1m30s, found the text "10 seconds"`},
		{"negative duration", "policy:\n  stale-after: -1h\n",
			`line 2: policy.stale-after: expected a duration like 10s or 1m30s, found the text "-1h"`},
		{"list for a duration", "defaults:\n  timeout: [10s]\n",
			`line 2: defaults.timeout: expected a duration like 10s or 1m30s, found a list`},
		{"long value quoted short", "defaults:\n  concurrency: " + strings.Repeat("x", 100) + "\n",
			`found the text "` + strings.Repeat("x", 40) + `..."`},
		{"update section", "defaults:\n  update:\n    gss: maybe\n",
			`line 3: defaults.update.gss: expected true or false, found the text "maybe"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.text), "k.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "unmarshal") || strings.Contains(err.Error(), "!!") {
				t.Errorf("yaml's own words leak: %v", err)
			}
			var se *ShapeError
			if !errors.As(err, &se) {
				t.Errorf("not a *ShapeError: %T", err)
			}
		})
	}
}

func TestUnknownFieldSuggestsClosest(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"top level", "zonez: []\n", `line 1: unknown field "zonez": did you mean "zones"?`},
		{"zone field", "zones:\n  - name: a.example\n    serverr: x\n", `line 3: zones[0]: unknown field "serverr": did you mean "server"?`},
		{"underscore", "defaults:\n  key_file: x\n", `line 2: defaults: unknown field "key_file": did you mean "key-file"?`},
		{"policy", "policy:\n  expected-prot: 1\n", `line 2: policy: unknown field "expected-prot": did you mean "expected-port"?`},
		{"update", "defaults:\n  update:\n    keytabs: x\n", `line 3: defaults.update: unknown field "keytabs": did you mean "keytab"?`},
		{"nothing close", "defaults:\n  colour: blue\n", `line 2: defaults: unknown field "colour"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.text), "k.yaml")
			if err == nil || !strings.HasSuffix(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant suffix %q", err, tc.want)
			}
		})
	}
}

// TestUnknownFieldBelongsElsewhere (issue 13, review N4): a field of
// another section is placed there, not left as "unknown field": for the
// fields of zones[], defaults, policy, update sections and the top level.
func TestUnknownFieldBelongsElsewhere(t *testing.T) {
	zone := "zones:\n  - name: a.example\n"
	tests := []struct{ name, text, want string }{
		{"policy field in defaults", "defaults: {expected-port: 44101}\n", `line 1: defaults: unknown field "expected-port": it belongs under policy:`},
		{"policy field in defaults, block", "defaults:\n  expected-port: 44101\n", `line 2: defaults: unknown field "expected-port": it belongs under policy:`},
		{"policy field in a zone", zone + "    max-ttl: 1h\n", `line 3: zones[0]: unknown field "max-ttl": it belongs under policy:`},
		{"policy field at the top", "approved-hosts: [kms.a.example]\n", `line 1: unknown field "approved-hosts": it belongs under policy:`},
		{"policy field in an update", zone + "    update:\n      stale-after: 1h\n", `line 4: zones[0].update: unknown field "stale-after": it belongs under policy:`},
		{"defaults field in policy", "policy:\n  probe-timeout: 5s\n", `line 2: policy: unknown field "probe-timeout": it belongs under defaults:`},
		{"defaults field in a zone", zone + "    concurrency: 4\n", `line 3: zones[0]: unknown field "concurrency": it belongs under defaults:`},
		{"zone field in defaults", "defaults:\n  names: [emea]\n", `line 2: defaults: unknown field "names": it belongs under a zone in zones:`},
		{"zone field in policy", "policy:\n  desired: {}\n", `line 2: policy: unknown field "desired": it belongs under a zone in zones:`},
		{"zone field in a second zone's update", zone + "  - name: b.example\n    update:\n      names: [emea]\n", `line 5: zones[1].update: unknown field "names": it belongs under zones[1]:`},
		{"zone field in the defaults' update", "defaults:\n  update:\n    files: [a.zone]\n", `line 3: defaults.update: unknown field "files": it belongs under a zone in zones:`},
		{"defaults field in the defaults' update", "defaults:\n  update:\n    concurrency: 2\n", `line 3: defaults.update: unknown field "concurrency": it belongs under defaults:`},
		{"a field of defaults and zones in the defaults' update", "defaults:\n  update:\n    timeout: 5s\n", `line 3: defaults.update: unknown field "timeout": it belongs under defaults:`},
		{"a field of defaults and zones in a zone's update", zone + "    update:\n      transfer-timeout: 5s\n", `line 4: zones[0].update: unknown field "transfer-timeout": it belongs under zones[0]:`},
		{"update field in defaults", "defaults:\n  keytab: /etc/krb5.keytab\n", `line 2: defaults: unknown field "keytab": it belongs under defaults.update:`},
		{"update field in a zone", zone + "    gss: true\n", `line 3: zones[0]: unknown field "gss": it belongs under zones[0].update:`},
		{"update field in policy", "policy:\n  principal: upd@A.EXAMPLE\n", `line 2: policy: unknown field "principal": it belongs under an update: section (of defaults: or a zone)`},
		{"in several sections", "policy:\n  server: 127.0.0.1\n", `line 2: policy: unknown field "server": it belongs under defaults:, a zone in zones: or an update: section (of defaults: or a zone)`},
		{"update section in policy", "policy:\n  update: {}\n", `line 2: policy: unknown field "update": it belongs under defaults: or a zone in zones:`},
		{"top-level field in defaults", "defaults:\n  zones: []\n", `line 2: defaults: unknown field "zones": it belongs at the top level`},
		{"top-level field in a zone", zone + "    policy: {}\n", `line 3: zones[0]: unknown field "policy": it belongs at the top level`},
		{"other spelling", "defaults:\n  Expected_Port: 1688\n", `line 2: defaults: unknown field "Expected_Port": it belongs under policy:, spelt "expected-port"`},
		{"own field misspelt: a typo, not elsewhere", "defaults:\n  key_file: x\n", `line 2: defaults: unknown field "key_file": did you mean "key-file"?`},
		{"nowhere", "policy:\n  colour: blue\n", `line 2: policy: unknown field "colour"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.text), "k.yaml")
			if err == nil || err.Error() != "config k.yaml: "+tc.want {
				t.Fatalf("err = %v\nwant    config k.yaml: %s", err, tc.want)
			}
		})
	}
}

func TestClosest(t *testing.T) {
	cands := []string{"audit", "check", "publish", "unpublish", "cleanup"}
	for in, want := range map[string]string{"audt": "audit", "chekc": "check", "pubish": "publish", "clean": "cleanup", "unpub": "unpublish", "xyz": "", "AUDIT": "audit"} {
		if got := Closest(in, cands); got != want {
			t.Errorf("Closest(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Closest("dryrun", []string{"dry-run", "yes", "force"}); got != "dry-run" {
		t.Errorf("dryrun: %q", got)
	}
}

func TestConfigFileSizeCapped(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.yaml")
	os.WriteFile(big, []byte("zones: []\n#"+strings.Repeat("x", MaxFileSize)), 0o600)
	// /dev/zero (like a FIFO) is refused as not a regular file, at once.
	if _, err := Load("/dev/zero"); !errors.Is(err, regfile.ErrNotRegular) {
		t.Errorf("/dev/zero: %v", err)
	}
	for _, path := range []string{big} {
		start := time.Now()
		_, err := Load(path)
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "config "+path+": file too large (1 MiB)") {
			t.Errorf("%s: %v", path, err)
		}
		if time.Since(start) > 2*time.Second {
			t.Errorf("%s: took %v", path, time.Since(start))
		}
	}
	ok := filepath.Join(t.TempDir(), "ok.yaml")
	os.WriteFile(ok, []byte("zones: [{name: a.example}]\n#"+strings.Repeat("x", MaxFileSize-40)), 0o600)
	if _, err := Load(ok); err != nil {
		t.Errorf("a file just under the cap: %v", err)
	}
}

func TestZoneNotInConfig(t *testing.T) {
	f, err := Parse([]byte("zones:\n  - name: contoso.com\n  - name: fabrikam.com.\n"), "z.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := "--zone contoso.org: zone not in the configuration z.yaml (it configures contoso.com, fabrikam.com); did you mean contoso.com?"
	if _, err := Merge(f, Flags{Zones: []string{"contoso.org"}}); !errors.Is(err, ErrZoneNotConfigured) || err.Error() != want {
		t.Errorf("Merge: %v", err)
	}
	if _, err := MergeUpdate(f, UpdateFlags{Zones: []string{"contoso.org"}}); !errors.Is(err, ErrZoneNotConfigured) || err.Error() != want {
		t.Errorf("MergeUpdate: %v", err)
	}
	if p, err := Merge(f, Flags{Zones: []string{"FABRIKAM.com"}}); err != nil || len(p.Specs) != 1 {
		t.Errorf("a configured zone in other letters: %v", err)
	}
	// Without zones in the config (or without a config), any zone goes.
	if _, err := Merge(&File{}, Flags{Zones: []string{"contoso.org"}}); err != nil {
		t.Errorf("no config zones: %v", err)
	}
}

func TestMissingKeyFileNamesZoneAndField(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "k.yaml")
	write := func(text string) *File {
		t.Helper()
		os.WriteFile(cfg, []byte(text), 0o600)
		f, err := Load(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	missing := filepath.Join(dir, "gone.key")
	f := write("defaults:\n  key-file: gone.key\nzones:\n  - name: a.example\n  - name: b.example\n    key-file: " + missing + "\n")
	for _, tc := range []struct {
		name string
		err  func() error
		want string
	}{
		{"zone field", func() error { _, err := Merge(f, Flags{Zones: []string{"b.example"}}); return err },
			"(from " + cfg + " zones[1].key-file)"},
		{"defaults", func() error { _, err := Merge(f, Flags{Zones: []string{"a.example"}}); return err },
			"(from " + cfg + " defaults.key-file)"},
		{"flag", func() error {
			_, err := Merge(f, Flags{Zones: []string{"a.example"}, KeyFile: missing})
			return err
		}, "(from --key-file)"},
		{"update from the read key", func() error { _, err := MergeUpdate(f, UpdateFlags{Zones: []string{"b.example"}}); return err },
			"(from " + cfg + " zones[1].key-file)"},
		{"update flag", func() error {
			_, err := MergeUpdate(f, UpdateFlags{Zones: []string{"a.example"}, Update: Update{KeyFile: missing}})
			return err
		}, "(from --key-file)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err()
			if err == nil || !strings.HasPrefix(err.Error(), "zone ") || !strings.Contains(err.Error(), "gone.key") ||
				!strings.HasSuffix(err.Error(), tc.want) || !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	f = write("defaults:\n  update:\n    key-file: gone.key\nzones:\n  - name: a.example\n  - name: b.example\n    update:\n      password-file: gone.pw\n      principal: u\n")
	if _, err := MergeUpdate(f, UpdateFlags{}); err == nil || !strings.HasPrefix(err.Error(), "zone a.example: ") || !strings.HasSuffix(err.Error(), "(from "+cfg+" defaults.update.key-file)") {
		t.Errorf("defaults.update: %v", err)
	}
	if _, err := MergeUpdate(f, UpdateFlags{Zones: []string{"b.example"}}); err == nil || !strings.HasPrefix(err.Error(), "zone b.example: password file: ") || !strings.HasSuffix(err.Error(), "(from "+cfg+" zones[1].update.password-file)") {
		t.Errorf("zones[1].update: %v", err)
	}
}

// TestMergeWrite: one merge gives each zone its read settings and its
// update settings. Updates go where the zone is read, signed with the read
// key, unless GSS-TSIG flags or an update section say otherwise; a key file
// readable by others is warned about once though both sides use it.
func TestMergeWrite(t *testing.T) {
	dir := t.TempDir()
	const secret = "2z1o3F1bIYb8cQ4uXkM0m9b4o6Q2QeQfW1yq0m9oVrQ="
	key := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name+".key")
		os.WriteFile(p, []byte("key \""+name+"\" {\n\talgorithm hmac-sha256;\n\tsecret \""+secret+"\";\n};\n"), mode)
		os.Chmod(p, mode)
		return p
	}
	xfr, upd := key("xfr", 0o644), key("upd", 0o600)
	secretFile := filepath.Join(dir, "s.secret")
	os.WriteFile(secretFile, []byte(secret), 0o600)
	cfg := filepath.Join(dir, "kmsdns.yaml")
	os.WriteFile(cfg, []byte("defaults:\n  key-file: xfr.key\nzones:\n  - name: a.example\n    server: 127.0.0.1:5300\n"+
		"  - name: b.example\n    update:\n      key-file: upd.key\n  - files: [c.zone]\n"), 0o600)
	f, err := Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	type target struct{ zone, server, key, origin string }
	for _, tc := range []struct {
		name     string
		fl       Flags
		upd      Update
		want     []target
		warnings int
	}{
		{"flag key, secret file", Flags{Zones: []string{"a.example"}, Server: "127.0.0.1:53", Resolver: "127.0.0.1:54", Timeout: 3 * time.Second,
			KeyName: "upd", KeyAlgorithm: "hmac-sha256", SecretFile: secretFile}, Update{},
			[]target{{"a.example", "127.0.0.1:53", "upd.", secretFile + " (--key-secret-file)"}}, 0},
		{"config: read key, update section", Flags{}, Update{},
			[]target{{"a.example", "127.0.0.1:5300", "xfr.", xfr + " (" + cfg + " defaults.key-file)"}, {"b.example", "", "upd.", upd + " (" + cfg + " zones[1].update.key-file)"}}, 1},
		{"GSS flags: no TSIG key for updates", Flags{Zones: []string{"a.example"}}, Update{GSS: new(true)},
			[]target{{"a.example", "127.0.0.1:5300", "", ""}}, 1},
		{"flag key file for both", Flags{Zones: []string{"a.example", "b.example"}, KeyFile: xfr}, Update{},
			[]target{{"a.example", "127.0.0.1:5300", "xfr.", xfr + " (--key-file)"}, {"b.example", "", "xfr.", xfr + " (--key-file)"}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, up, err := MergeWrite(f, tc.fl, tc.upd)
			if err != nil {
				t.Fatal(err)
			}
			var got []target
			for _, tg := range up.Primaries {
				got = append(got, target{tg.Zone, tg.Server, tg.Key.Name, tg.KeyOrigin})
				if tc.upd.UsesGSS() != (tg.GSS != nil) {
					t.Errorf("%s: GSS %v", tg.Zone, tg.GSS)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("targets %+v\nwant    %+v", got, tc.want)
			}
			if len(p.Warnings) != tc.warnings {
				t.Errorf("warnings %q, want %d", p.Warnings, tc.warnings)
			}
			if tc.fl.Resolver != "" && (up.Resolver != tc.fl.Resolver || up.Timeout != tc.fl.Timeout) {
				t.Errorf("resolver %q timeout %v", up.Resolver, up.Timeout)
			}
			// The read side of the same zones, from the same merge.
			if len(p.Specs) < len(up.Primaries) || p.Specs[0].Zone != got[0].zone {
				t.Errorf("specs %+v", p.Specs)
			}
		})
	}
}

// TestUpdatePlanOnly: the plan for some zones, matched whatever their
// spelling (an audit report names zones fully qualified), spelt as asked.
func TestUpdatePlanOnly(t *testing.T) {
	p, err := MergeUpdate(nil, UpdateFlags{Zones: []string{"a.example", "B.example", "c.example"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range p.Only([]string{"c.example.", "b.example.", "x.example."}).Primaries {
		got = append(got, tg.Zone)
	}
	if !slices.Equal(got, []string{"c.example.", "b.example."}) {
		t.Errorf("got %q", got)
	}
}
