package config

import (
	"strings"
	"testing"
)

// TestCheckDomain: RFC 1035 label rules for zones, --name, client
// suffixes and config names.
func TestCheckDomain(t *testing.T) {
	l63, l64 := strings.Repeat("a", 63), strings.Repeat("a", 64)
	// 253 characters without the trailing dot is 255 octets on the wire.
	n253 := strings.Repeat(l63+".", 3) + strings.Repeat("b", 253-3*64)
	for _, tc := range []struct {
		name, in, want string // want "" means valid
	}{
		{"fqdn", "contoso.com", ""},
		{"trailing dot", "contoso.com.", ""},
		{"single label", "emea", ""},
		{"relative", "emea.sales", ""},
		{"underscore", "_msdcs.contoso.com", ""},
		{"digits and hyphen", "1st-floor.contoso.com", ""},
		{"label of 63", l63 + ".com", ""},
		{"name of 255 octets", n253, ""},
		{"empty", "", "empty"},
		{"root", ".", "empty"},
		{"empty label", "a..b", "label 2 is empty"},
		{"leading dot", ".contoso.com", "label 1 is empty"},
		{"two trailing dots", "contoso.com..", "label 3 is empty"},
		{"label of 64", l64 + ".com", "label 1 is 64 octets, more than 63"},
		{"name of 256 octets", n253 + "b", "256 octets, more than 255"},
		{"space", "con toso.com", `holds ' '`},
		{"slash", "a/b.com", `holds '/'`},
		{"at sign", "a@b.com", `holds '@'`},
		{"leading hyphen", "-a.com", "starts or ends with a hyphen"},
		{"trailing hyphen", "a.b-.com", "starts or ends with a hyphen"},
		{"escaped dot", `a\.b.com`, `holds '\\'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckDomain(tc.in)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("CheckDomain(%q): %v", tc.in, err)
			case tc.want != "" && err == nil:
				t.Errorf("CheckDomain(%q) accepted", tc.in)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("CheckDomain(%q): %v, want %q", tc.in, err, tc.want)
			case err != nil && len(err.Error()) > 200:
				t.Errorf("error quotes too much: %v", err)
			}
		})
	}
	if len(strings.TrimSuffix(n253, ".")) != 253 {
		t.Fatalf("n253 is %d", len(n253))
	}
}

// TestDomainErrorsNameTheField: every place a domain name is given says
// which flag or config field is wrong.
func TestDomainErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"zone name", "zones:\n  - name: a..example\n", "zones[0].name: \"a..example\" is not a domain name"},
		{"zone label", "zones:\n  - name: " + strings.Repeat("x", 64) + ".example\n", "zones[0].name:"},
		{"names", "zones:\n  - name: a.example\n    names: [emea, \"x..y\"]\n", "zones[0].names[1]:"},
		{"publish group", "policy:\n  publish-groups: [[a.example, \"b..example\"]]\n", "policy.publish-groups[0][1]:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "k.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name string
		fl   Flags
		want string
	}{
		{"audit --zone", Flags{Zones: []string{"a..example"}}, "--zone: \"a..example\""},
		{"audit --zone with --zone-file", Flags{Zones: []string{"a..example"}, ZoneFiles: []string{"x.zone"}}, "--zone: \"a..example\""},
		{"audit --name", Flags{Zones: []string{"a.example"}, Names: []string{"x..y"}}, "--name: \"x..y\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Merge(nil, tc.fl)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
	_, err := MergeUpdate(nil, UpdateFlags{Zones: []string{strings.Repeat("x", 64) + ".example"}})
	if err == nil || !strings.Contains(err.Error(), "--zone:") || !strings.Contains(err.Error(), "more than 63") {
		t.Errorf("publish --zone: %v", err)
	}
}
