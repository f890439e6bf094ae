package config

import (
	"strings"
	"testing"
)

const desiredExample = `policy:
  publish-groups: [[contoso.com, fabrikam.com]]
zones:
  - name: contoso.com
    server: 127.0.0.1:53
    # the KMS records of contoso.com
    desired:
      "@":  [kms1.contoso.com, {host: kms2.contoso.com, priority: 10}]
      emea: [{host: kms-emea.contoso.com, port: 1689, weight: 100, ttl: 3600}]
  - name: fabrikam.com
    server: 127.0.0.1:53
  - name: other.example
    server: 127.0.0.1:53
`

func TestDesiredParse(t *testing.T) {
	f, err := Parse([]byte(desiredExample), "d.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dz, err := f.DesiredZones()
	if err != nil {
		t.Fatal(err)
	}
	if len(dz) != 2 || dz[0].Zone.Name != "contoso.com" || dz[1].Zone.Name != "fabrikam.com" {
		t.Fatalf("zones %+v", dz)
	}
	if !strings.Contains(dz[1].From, "publish-groups[0]") {
		t.Errorf("fabrikam.com from %q", dz[1].From)
	}
	c := dz[0].Names
	if len(c) != 2 || c[0].Owner != "_vlmcs._tcp.contoso.com." || c[1].Owner != "_vlmcs._tcp.emea.contoso.com." {
		t.Fatalf("names %+v", c)
	}
	want := []DesiredHost{{Host: "kms1.contoso.com.", Port: 1688, Line: 8}, {Host: "kms2.contoso.com.", Port: 1688, Priority: 10, Line: 8}}
	for i, h := range c[0].Hosts {
		if h != want[i] {
			t.Errorf("apex host %d: %+v, want %+v", i, h, want[i])
		}
	}
	if h := c[1].Hosts[0]; h.Port != 1689 || h.Weight != 100 || h.TTL != 3600 || h.Host != "kms-emea.contoso.com." {
		t.Errorf("emea: %+v", h)
	}
	if fab := dz[1].Names; fab[0].Owner != "_vlmcs._tcp.fabrikam.com." || fab[1].Domain != "emea.fabrikam.com." {
		t.Errorf("fabrikam names %+v", fab)
	}
}

func TestDesiredErrors(t *testing.T) {
	zone := func(desired string) string {
		return "zones:\n  - name: a.example\n    server: 127.0.0.1\n    desired:\n" + desired
	}
	tests := []struct{ name, text, want string }{
		{"scalar list", zone("      \"@\": kms1.a.example\n"), "desired.@: expected a list"},
		{"null list", zone("      emea:\n"), "write [] to remove every KMS record of emea"},
		{"bad host", zone("      \"@\": [kms1]\n"), `host "kms1" is not a fully qualified name`},
		{"unknown field", zone("      \"@\": [{host: kms1.a.example, prio: 1}]\n"), `unknown field "prio"`},
		{"port 0", zone("      \"@\": [{host: kms1.a.example, port: 0}]\n"), "port: \"0\" is not a whole number between 1 and 65535"},
		{"priority too big", zone("      \"@\": [{host: kms1.a.example, priority: 70000}]\n"), "priority"},
		{"ttl text", zone("      \"@\": [{host: kms1.a.example, ttl: 1h}]\n"), "ttl"},
		{"no host", zone("      \"@\": [{port: 1688}]\n"), "host: missing"},
		{"twice", zone("      \"@\": [kms1.a.example, {host: KMS1.a.example, priority: 1}]\n"), "listed twice"},
		{"two ttls", zone("      \"@\": [{host: kms1.a.example, ttl: 60}, {host: kms2.a.example, ttl: 300}]\n"), "an RRset has one TTL"},
		{"absolute name", zone("      emea.a.example.: []\n"), "relative to the zone"},
		{"owner name", zone("      _vlmcs._tcp.emea: []\n"), "not the SRV owner name"},
		{"same name", zone("      EMEA: []\n      emea: []\n"), "the same name as"},
		{"not a mapping", zone("      - a\n"), "expected a mapping"},
		{"bad name", zone("      \"a b\": []\n"), "is not a domain name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.text), "k.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "config k.yaml: ") {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestDesiredZonesErrors(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"none", "zones:\n  - name: a.example\n", "no zone has a desired: section"},
		{"group disagrees", `policy:
  publish-groups: [[a.example, b.example, c.example]]
zones:
  - name: a.example
    desired: {"@": [kms1.a.example]}
  - name: b.example
    desired: {"@": [kms2.a.example]}
  - name: c.example
`, "zones of its publish group disagree (a.example and b.example)"},
		{"files", "zones:\n  - name: a.example\n    files: [a.zone]\n    desired: {\"@\": []}\n", "needs a zone on a server"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse([]byte(tc.text), "k.yaml")
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.DesiredZones()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// Agreeing group members (same hosts in another order) are fine.
	f, err := Parse([]byte(`policy:
  publish-groups: [[a.example, b.example, c.example]]
zones:
  - name: a.example
    desired: {"@": [kms1.a.example, kms2.a.example]}
  - name: b.example
    desired: {"@": [kms2.a.example, kms1.a.example]}
  - name: c.example
`), "k.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if dz, err := f.DesiredZones(); err != nil || len(dz) != 3 {
		t.Fatalf("%v %+v", err, dz)
	}
}

func TestWriteDesiredRoundTrip(t *testing.T) {
	f, err := Parse([]byte(desiredExample), "d.yaml")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string][]DesiredName{
		"contoso.com.": {{Name: "@", Hosts: []DesiredHost{{Host: "kms9.contoso.com.", Port: 1688, TTL: 300}}}},
		"other.example.": {
			{Name: "@", Hosts: []DesiredHost{{Host: "kms1.other.example.", Port: 1700, Priority: 5, Weight: 50, TTL: 60}}},
			{Name: "site", Hosts: nil},
		},
	}
	out, err := WriteDesired([]byte(desiredExample), "d.yaml", names)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "# the KMS records of contoso.com") {
		t.Errorf("comment lost:\n%s", out)
	}
	g, err := Parse(out, "d2.yaml")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(g.Zones) != len(f.Zones) || g.Zones[0].Server != "127.0.0.1:53" {
		t.Fatalf("zones changed:\n%s", out)
	}
	if h := g.Zones[0].Desired.Hosts("@"); len(h) != 1 || h[0].Host != "kms9.contoso.com." || h[0].TTL != 300 || len(g.Zones[0].Desired) != 1 {
		t.Errorf("contoso.com: %+v\n%s", g.Zones[0].Desired, out)
	}
	if g.Zones[1].Desired != nil {
		t.Errorf("fabrikam.com got a desired section:\n%s", out)
	}
	h := g.Zones[2].Desired.Hosts("@")
	if len(h) != 1 || h[0].Port != 1700 || h[0].Priority != 5 || h[0].Weight != 50 || h[0].TTL != 60 {
		t.Errorf("other.example: %+v\n%s", h, out)
	}
	if site, ok := g.Zones[2].Desired["site"]; !ok || len(site) != 0 {
		t.Errorf("site: %v\n%s", site, out)
	}
}
