package audit_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/zone"
)

// TestStaleJudgedAgainstTheExport: a zone file is a snapshot, so
// stale-registration in a file is judged against the newest refresh in
// it (Snapshot.Refreshed), whatever today's date; a zone read from a
// server keeps the wall clock, and an export stamped in the future is
// judged against now.
func TestStaleJudgedAgainstTheExport(t *testing.T) {
	export := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
	before := func(days int) uint32 { return agedHours(export.Add(-time.Duration(days) * 24 * time.Hour)) }
	recs := []zone.Record{
		{Port: 1688, Target: "fresh.p.example.", Age: before(0)},
		{Port: 1688, Target: "six.p.example.", Age: before(6)},
		{Port: 1688, Target: "ten.p.example.", Age: before(10)},
	}
	tests := []struct {
		name      string
		source    zone.Source
		refreshed time.Time
		now       time.Time
		want      []string
		text      string
	}{
		{"file, audited the day after", zone.SourceFile, export, export.Add(24 * time.Hour), []string{"stale-registration ten"}, "10 days older than the newest refresh in this export (2026-11-18)"},
		{"file, audited years later", zone.SourceFile, export, export.AddDate(3, 0, 0), []string{"stale-registration ten"}, "10 days older than the newest refresh in this export (2026-11-18)"},
		{"file without stamps elsewhere", zone.SourceFile, time.Time{}, export.Add(24 * time.Hour), []string{"stale-registration ten"}, "11 days ago"},
		{"file stamped in the future: now", zone.SourceFile, export.AddDate(1, 0, 0), export.Add(5 * 24 * time.Hour), []string{"stale-registration six", "stale-registration ten"}, "15 days ago"},
		{"server: the wall clock", zone.SourceAXFR, export, export.AddDate(0, 0, 30), []string{"stale-registration fresh", "stale-registration six", "stale-registration ten"}, "40 days ago"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := &zone.Snapshot{Zone: "p.example.", Source: tc.source, Refreshed: tc.refreshed}
			for _, r := range recs {
				r.Zone, r.Name, r.TTL = res.Zone, "_vlmcs._tcp.p.example.", 3600
				res.Records = append(res.Records, r)
			}
			rep := audit.Run(t.Context(), []*zone.Snapshot{res}, audit.Options{Now: func() time.Time { return tc.now }})
			var got []string
			text := ""
			for _, f := range rep.Findings {
				if f.Check == audit.CheckStale {
					got = append(got, f.Check+" "+strings.TrimSuffix(f.Target, ".p.example."))
					if strings.HasPrefix(f.Target, "ten.") {
						text = f.Message
					}
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("findings %q, want %q", got, tc.want)
			}
			if !strings.Contains(text, tc.text) {
				t.Errorf("message %q does not say %q", text, tc.text)
			}
		})
	}
}
