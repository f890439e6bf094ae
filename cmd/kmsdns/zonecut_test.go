package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/internal/testserver"
)

// TestAuditBelowDelegation (review 3 item 4): zone example delegates
// sub.example and still holds a stale record below the cut, which clients
// never see. The audit of example, by transfer and from the zone file,
// does not judge it as sub.example's records (no false no-live-host or
// target-unresolvable ERROR, no publish/unpublish --name sub fix that
// would change the parent zone) but names it in a below-delegation
// warning; so is --name sub (no false no-kms-record).
func TestAuditBelowDelegation(t *testing.T) {
	parent := "$ORIGIN example.\n$TTL 3600\n@ IN SOA ns1 hm 1 3600 900 1209600 300\n IN NS ns1\nns1 IN A 127.0.0.1\nkms1 IN A 127.0.0.191\n" +
		"_vlmcs._tcp IN SRV 0 0 1688 kms1\n_vlmcs._tcp.sub IN SRV 0 0 1688 kms-occluded.example.\nsub IN NS ns1.sub\nns1.sub IN A 127.0.0.1\n"
	bind := testserver.StartBIND(t, testserver.BINDConfig{Zones: []testserver.Zone{{Name: "example", Transfer: "any;", Content: parent}}})
	file := filepath.Join(t.TempDir(), "example.zone")
	if err := os.WriteFile(file, []byte(parent), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"axfr": {"audit", "--server", bind.Addr, "--resolver", bind.Addr, "--zone", "example", "--name", "sub", "--no-probe"},
		"file": {"audit", "--zone-file", file, "--zone", "example", "--name", "sub", "--offline"},
	} {
		t.Run(name, func(t *testing.T) {
			out, errOut, _ := run(t, append(args, "-o", "json")...)
			var rep struct {
				Findings []struct{ Check, Severity, Name, Message, Fix string }
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("%v\n%s\n%s", err, out, errOut)
			}
			warned := 0
			for _, f := range rep.Findings {
				if f.Check == "below-delegation" {
					warned++
					if f.Severity != "warning" || f.Name != "_vlmcs._tcp.sub.example." ||
						!strings.Contains(f.Message, "below the delegation sub.example: it belongs to that zone; audit it there") ||
						!strings.Contains(f.Fix, "Audit zone sub.example") {
						t.Errorf("finding %+v", f)
					}
					continue
				}
				if strings.Contains(f.Name, "sub.example") || strings.Contains(f.Fix, "--name sub") || strings.Contains(f.Message, "kms-occluded") {
					t.Errorf("the occluded record was audited: %+v", f)
				}
			}
			if warned != 2 {
				t.Errorf("%d below-delegation findings:\n%s", warned, out)
			}
			text, _, _ := run(t, append(args, "--findings-only")...)
			if !strings.Contains(text, "below the delegation sub.example") || strings.Contains(text, "--name sub ") {
				t.Errorf("text output:\n%s", text)
			}
		})
	}
}
