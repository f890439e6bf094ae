package cleanup_test

import (
	"slices"
	"testing"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/zone"
)

// TestSelectDecommissionedAndNotKMS: the README's `--stale` removes
// decommissioned hosts' records with the unresolvable ones, and
// `--include-unreachable` adds not-kms (a port that answers TCP but not
// the KMS bind) beside host-unreachable; a record with any other finding
// stays.
func TestSelectDecommissionedAndNotKMS(t *testing.T) {
	res := &zone.Snapshot{Zone: "c.example.", Records: []zone.Record{
		{Zone: "c.example.", Name: "_vlmcs._tcp.c.example.", Port: 1688, Target: "old.c.example."},
		{Zone: "c.example.", Name: "_vlmcs._tcp.c.example.", Port: 1688, Target: "web.c.example."},
		{Zone: "c.example.", Name: "_vlmcs._tcp.c.example.", Port: 1688, Target: "ok.c.example."},
	}}
	rep := &audit.Report{Findings: []audit.Finding{
		{Check: audit.CheckDecommissioned, Zone: "c.example.", Record: &res.Records[0]},
		{Check: audit.CheckNotKMS, Zone: "c.example.", Record: &res.Records[1]},
		{Check: audit.CheckZeroWeight, Zone: "c.example.", Record: &res.Records[2]},
	}}
	for _, c := range []struct {
		name string
		sel  cleanup.Selection
		want []string
	}{
		{"stale", cleanup.Selection{Stale: true}, []string{"old.c.example. decommissioned"}},
		{"stale and unreachable", cleanup.Selection{Stale: true, IncludeUnreachable: true},
			[]string{"old.c.example. decommissioned", "web.c.example. not-kms"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := cleanup.Select([]*zone.Snapshot{res}, rep, c.sel)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range got {
				names = append(names, r.Record.Target+" "+r.Check())
			}
			if !slices.Equal(names, c.want) {
				t.Errorf("selected %q, want %q", names, c.want)
			}
		})
	}
}
