package audit_test

import (
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/zone"
)

// TestReappeared: a record cleanup removed that is back is reported, and
// the finding refers to the record; a pending removal (interrupted, maybe
// never applied) is not.
func TestReappeared(t *testing.T) {
	res := &zone.Snapshot{Zone: "r.example.", Source: zone.SourceFile, Records: []zone.Record{
		{Zone: "r.example.", Name: "_vlmcs._tcp.r.example.", TTL: 3600, Port: 1688, Target: "kms-old.r.example."},
		{Zone: "r.example.", Name: "_vlmcs._tcp.r.example.", TTL: 3600, Port: 1688, Target: "kms-half.r.example."},
	}}
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	removed := []audit.Removed{
		{Zone: "r.example.", Name: "_vlmcs._tcp.r.example.", Port: 1688, Target: "kms-old.r.example.", RemovedAt: at},
		{Zone: "r.example.", Name: "_vlmcs._tcp.r.example.", Port: 1688, Target: "kms-half.r.example.", RemovedAt: at, Pending: true},
	}
	rep := audit.Run(t.Context(), []*zone.Snapshot{res}, audit.Options{Removed: removed, Policy: audit.Policy{Decommissioned: []string{"kms-old.r.example"}}})
	var got []audit.Finding
	for _, f := range rep.Findings {
		if f.Check == audit.CheckReappeared {
			got = append(got, f)
		}
	}
	if len(got) != 1 || got[0].Target != "kms-old.r.example." || got[0].Record != &res.Records[0] {
		t.Fatalf("reappeared findings: %+v", got)
	}
	linked := 0
	for _, f := range rep.Findings {
		if f.Check == audit.CheckDecommissioned && f.Record == &res.Records[0] {
			linked++
		}
		if f.Target != "" && f.Record == nil {
			t.Errorf("finding %s about %s refers to no record", f.Check, f.Target)
		}
	}
	if linked != 1 {
		t.Errorf("the decommissioned finding does not refer to its record: %+v", rep.Findings)
	}
}
