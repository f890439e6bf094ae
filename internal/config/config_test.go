package config

import (
	"strings"
	"testing"
	"time"
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
		{"bad extra name", "zones:\n  - name: a.example\n    names: [\"a b\"]\n", `zones[0].names[0]: "a b" is not a valid domain name`},
		{"key-name without file", "zones:\n  - name: a.example\n    key-name: k\n", "zones[0].key-name: set without a key-file"},
		{"not a map", "- a\n", "cannot unmarshal"},
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
		{"policy:\n  host-ports: {kms1: 0}\n", "policy.host-ports.kms1: 0"},
		{"policy:\n  approved-hosts: [\"a b\"]\n", "policy.approved-hosts[0]"},
		{"policy:\n  approved-hosts: [k]\n  decommissioned-hosts: [K.]\n", "also an approved host"},
		{"policy:\n  publish-groups: [[a.example]]\n", "publish-groups[0]: a group needs at least two zones"},
		{"policy:\n  max-ttl: 10ms\n", "max-ttl: must be at least 1s"},
		{"policy:\n  expected-prot: 1\n", `unknown field "expected-prot"`},
	} {
		if _, err := Parse([]byte(tc.text), "p.yaml"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.text, err, tc.want)
		}
	}
}
