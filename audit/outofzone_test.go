package audit_test

import (
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/zone"
)

// TestOutOfZoneWarning: a record a server sent for another zone is not
// audited as the zone's, but reported as a warning.
func TestOutOfZoneWarning(t *testing.T) {
	evil := zone.Record{Zone: "contoso.com.", Name: "_vlmcs._tcp.evil.org.", TTL: 60, Port: 1688, Target: "kms.evil.org."}
	r := &zone.Snapshot{Zone: "contoso.com.", Source: zone.SourceAXFR, Server: "127.0.0.1:53", HasSerial: true,
		Records:  []zone.Record{{Zone: "contoso.com.", Name: "_vlmcs._tcp.contoso.com.", TTL: 60, Port: 1688, Target: "kms1.contoso.com."}},
		Warnings: []zone.Warning{{Kind: zone.WarnOutOfZone, Record: evil, Message: "127.0.0.1:53: owner _vlmcs._tcp.evil.org. is outside zone contoso.com.: ignored"}},
	}
	rep := audit.Run(t.Context(), []*zone.Snapshot{r}, audit.Options{Resolver: &resolve.TargetResolver{Offline: true}})
	var got []audit.Finding
	for _, f := range rep.Findings {
		if f.Check == audit.CheckOutOfZone {
			got = append(got, f)
		}
		if f.Target == evil.Target && f.Check != audit.CheckOutOfZone {
			t.Errorf("the out-of-zone record was audited: %+v", f)
		}
	}
	if len(got) != 1 || got[0].Severity != audit.SeverityWarning || got[0].Name != evil.Name || got[0].Target != evil.Target ||
		got[0].Port != 1688 || !strings.Contains(got[0].Message, "outside zone contoso.com.") || got[0].Fix == "" {
		t.Fatalf("findings %+v", got)
	}
	if rep.Summary.Warnings == 0 {
		t.Errorf("summary %+v", rep.Summary)
	}
}
