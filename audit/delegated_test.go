package audit_test

import (
	"testing"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/zone"
)

// TestBelowDelegationWarning: a record the zone reader dropped because it
// is below a delegation is reported as a below-delegation warning naming
// the cut, and nothing else is said about it.
func TestBelowDelegationWarning(t *testing.T) {
	occluded := zone.Record{Zone: "example.", Name: "_vlmcs._tcp.sub.example.", TTL: 60, Port: 1688, Target: "kms-occluded.example."}
	r := &zone.Snapshot{Zone: "example.", Source: zone.SourceAXFR, Server: "127.0.0.1:53", HasSerial: true,
		Records:  []zone.Record{{Zone: "example.", Name: "_vlmcs._tcp.example.", TTL: 60, Port: 1688, Target: "kms1.example."}},
		Warnings: []zone.Warning{{Kind: zone.WarnBelowCut, Record: occluded, Cut: "sub.example.", Message: "below the delegation sub.example"}},
	}
	rep := audit.Run(t.Context(), []*zone.Snapshot{r}, audit.Options{Resolver: &resolve.TargetResolver{Offline: true}})
	var got []audit.Finding
	for _, f := range rep.Findings {
		switch {
		case f.Check == audit.CheckBelowDelegation:
			got = append(got, f)
		case f.Target == occluded.Target || f.Name == occluded.Name:
			t.Errorf("the occluded record was audited: %+v", f)
		}
	}
	if len(got) != 1 || got[0].Severity != audit.SeverityWarning || got[0].Name != occluded.Name || got[0].Target != occluded.Target ||
		got[0].Command != nil || got[0].Fix == "" {
		t.Fatalf("findings %+v", got)
	}
}
