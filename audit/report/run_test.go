package report_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/audit/report"
)

var runStart = time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)

// weekly runs one weekly audit (the week-th) into the history dir: rep
// is marked against the history and saved; warnings are returned.
func weekly(t *testing.T, dir string, week int, rep *audit.Report) string {
	t.Helper()
	var warn bytes.Buffer
	now := runStart.Add(time.Duration(week) * 7 * 24 * time.Hour)
	rep.Version, rep.GeneratedAt = audit.ReportVersion, now
	r, err := report.Open(report.Config{HistoryDir: dir, Now: now, Warn: &warn, Files: []string{filepath.Join(dir, "..", "r.md")}})
	if err != nil {
		t.Fatalf("week %d: %v", week, err)
	}
	r.Mark(rep)
	if err := r.Finish(rep); err != nil {
		t.Fatalf("week %d: %v", week, err)
	}
	return warn.String()
}

func stale(zone string) audit.Finding {
	return audit.Finding{Check: "target-unresolvable", Severity: audit.SeverityError, Zone: zone, Name: "_vlmcs._tcp." + zone, Target: "gone." + zone, Port: 1688}
}

func changes(rep *audit.Report) map[string]string {
	m := map[string]string{}
	for _, f := range rep.Findings {
		m[f.Check+" "+f.Zone] = f.Change
	}
	return m
}

// A zone not read this run (unreadable, or not audited) has its findings
// neither resolved nor, once read again, new.
func TestRunUnreadZone(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "h")
	a, b := "a.test.", "b.test."
	weekly(t, dir, 0, &audit.Report{Zones: []audit.ZoneReport{{Zone: a}, {Zone: b}}, Findings: []audit.Finding{stale(a), stale(b)}})

	// Week 1: b's primary is down; a's stale record is fixed.
	unread := audit.Finding{Check: audit.CheckZoneUnreadable, Severity: audit.SeverityError, Zone: b}
	rep := &audit.Report{Zones: []audit.ZoneReport{{Zone: a}, {Zone: b, Error: "connection refused"}}, Findings: []audit.Finding{unread}}
	weekly(t, dir, 1, rep)
	if len(rep.Resolved) != 1 || rep.Resolved[0].Zone != a {
		t.Errorf("week 1 resolved %+v, want a's finding only", rep.Resolved)
	}
	if md, _ := os.ReadFile(filepath.Join(dir, "..", "r.md")); !strings.Contains(string(md), "Not compared (not read this run): b.test.") {
		t.Errorf("week 1 report does not say b.test was not compared:\n%s", md)
	}

	// Week 2: only a is audited (an ad-hoc run into the same history).
	rep = &audit.Report{Zones: []audit.ZoneReport{{Zone: a}}}
	weekly(t, dir, 2, rep)
	if len(rep.Resolved) != 0 {
		t.Errorf("week 2 (b not audited) resolved %+v", rep.Resolved)
	}

	// Week 3: b reads again with the same stale record: persisting.
	rep = &audit.Report{Zones: []audit.ZoneReport{{Zone: a}, {Zone: b}}, Findings: []audit.Finding{stale(b)}}
	weekly(t, dir, 3, rep)
	if got := changes(rep)["target-unresolvable "+b]; got != report.ChangePersisting {
		t.Errorf("week 3: b's finding is %q, want persisting", got)
	}
	if len(rep.Resolved) != 0 {
		t.Errorf("week 3 resolved %+v", rep.Resolved)
	}
}

// A history file that cannot be read is left out with a warning naming
// it; the baseline is the newest readable run, and the run is saved.
func TestRunCorruptHistory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "h")
	a := "a.test."
	weekly(t, dir, 1, &audit.Report{Zones: []audit.ZoneReport{{Zone: a}}, Findings: []audit.Finding{stale(a)}})
	oldest := filepath.Join(dir, "kmsdns-"+runStart.Format("20060102T150405Z")+".json")
	newest := filepath.Join(dir, "kmsdns-"+runStart.Add(14*24*time.Hour-time.Hour).Format("20060102T150405Z")+".json")
	for _, p := range []string{oldest, newest} {
		if err := os.WriteFile(p, []byte(`{"version": 1, "generated_at": "2026-11-`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rep := &audit.Report{Zones: []audit.ZoneReport{{Zone: a}}, Findings: []audit.Finding{stale(a)}}
	warn := weekly(t, dir, 2, rep)
	for _, p := range []string{oldest, newest} {
		if strings.Count(warn, p) != 1 {
			t.Errorf("not one warning naming %s: %q", p, warn)
		}
	}
	if got := changes(rep)["target-unresolvable "+a]; got != report.ChangePersisting {
		t.Errorf("finding is %q, want persisting against the newest readable run", got)
	}
	md, err := os.ReadFile(filepath.Join(dir, "..", "r.md"))
	if err != nil || !strings.Contains(string(md), "Since the baseline: 0 new") {
		t.Errorf("report: %v\n%s", err, md)
	}
	if _, err := os.Stat(filepath.Join(dir, "kmsdns-"+rep.GeneratedAt.Format("20060102T150405Z")+".json")); err != nil {
		t.Errorf("run not saved: %v", err)
	}
}
