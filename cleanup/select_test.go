package cleanup_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/zone"
)

func TestSelect(t *testing.T) {
	res := &zone.Snapshot{Zone: "c.example.", Records: []zone.Record{
		{Zone: "c.example.", Name: "_vlmcs._tcp.c.example.", Port: 1688, Target: "kms-ok.c.example."},
		{Zone: "c.example.", Name: "_vlmcs._tcp.c.example.", Port: 1688, Target: "kms-old.c.example."},
		{Zone: "c.example.", Name: "_vlmcs._tcp.c.example.", Port: 1688, Target: "gone.c.example."},
		{Zone: "c.example.", Name: "_vlmcs._tcp.c.example.", Port: 1688, Target: "dead.c.example."},
		// Same target and port as the unresolvable one, under another
		// name: the finding is about the record above only.
		{Zone: "c.example.", Name: "_vlmcs._tcp.emea.c.example.", Port: 1688, Target: "kms-ok.c.example."},
	}}
	rep := &audit.Report{
		Findings: []audit.Finding{
			{Check: audit.CheckTargetUnresolv, Zone: "c.example.", Record: &res.Records[2]},
			{Check: audit.CheckHostUnreachable, Zone: "c.example.", Record: &res.Records[3]},
			{Check: audit.CheckLongTTL, Zone: "c.example.", Record: &res.Records[0]},
		},
		Targets: []audit.Target{{Target: "kms-old.c.example.", Port: 1688, Probe: "kms"}},
	}
	targets := func(rs []cleanup.Removal) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Record.Target+" "+r.Check())
		}
		return out
	}
	for _, c := range []struct {
		name string
		sel  cleanup.Selection
		want []string
	}{
		{"host only", cleanup.Selection{Hosts: []string{"kms-old.c.example"}}, []string{"kms-old.c.example. host"}},
		{"stale", cleanup.Selection{Stale: true}, []string{"gone.c.example. target-unresolvable"}},
		{"stale and unreachable", cleanup.Selection{Stale: true, IncludeUnreachable: true}, []string{"gone.c.example. target-unresolvable", "dead.c.example. host-unreachable"}},
		{"both", cleanup.Selection{Hosts: []string{"KMS-OLD.c.example."}, Stale: true}, []string{"kms-old.c.example. host", "gone.c.example. target-unresolvable"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := cleanup.Select([]*zone.Snapshot{res}, rep, c.sel)
			if err != nil || !slices.Equal(targets(got), c.want) {
				t.Fatalf("got %v (%v), want %v", targets(got), err, c.want)
			}
			for _, r := range got {
				if r.Alive != (r.Record.Target == "kms-old.c.example.") {
					t.Errorf("%s alive %v", r.Record.Target, r.Alive)
				}
			}
		})
	}
	if _, err := cleanup.Select([]*zone.Snapshot{res}, rep, cleanup.Selection{}); !errors.Is(err, cleanup.ErrNothingSelected) {
		t.Errorf("empty selection: %v", err)
	}
	_, err := cleanup.Select([]*zone.Snapshot{res}, rep, cleanup.Selection{Hosts: []string{"kms-odl.c.example"}})
	var uh *cleanup.UnknownHostError
	if !errors.As(err, &uh) || len(uh.Closest) == 0 || uh.Closest[0] != "kms-old.c.example." || !strings.Contains(err.Error(), "closest targets seen: kms-old.c.example") {
		t.Errorf("typo: %v", err)
	}
}
