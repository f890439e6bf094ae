package report_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/audit/report"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// samplePath is the JSON report of the sample audit (the bundled zone
// files, offline), kept as a golden file by cmd/kmsdns's tests.
const samplePath = "../../testdata/golden/audit-sample.json"

func loadSample(t *testing.T) *audit.Report {
	t.Helper()
	rep, err := report.Load(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) < 10 {
		t.Fatalf("sample has %d findings", len(rep.Findings))
	}
	return rep
}

func TestID(t *testing.T) {
	base := audit.Finding{Check: "target-unresolvable", Severity: audit.SeverityError, Zone: "contoso.com.", Name: "_vlmcs._tcp.contoso.com.", Target: "kms-old.contoso.com.", Port: 1688, Message: "m", Fix: "f"}
	tests := []struct {
		name   string
		change func(*audit.Finding)
		same   bool
	}{
		{"message and fix reworded", func(f *audit.Finding) { f.Message, f.Fix, f.ClientErrors = "other words", "other fix", []string{"0x1"} }, true},
		{"severity changed by policy", func(f *audit.Finding) { f.Severity = audit.SeverityWarning }, true},
		{"case and final dot", func(f *audit.Finding) { f.Zone, f.Target = "Contoso.COM", "KMS-old.contoso.com" }, true},
		{"other check", func(f *audit.Finding) { f.Check = "host-unreachable" }, false},
		{"other zone", func(f *audit.Finding) { f.Zone = "fabrikam.com." }, false},
		{"other owner", func(f *audit.Finding) { f.Name = "_vlmcs._tcp.emea.contoso.com." }, false},
		{"other target", func(f *audit.Finding) { f.Target = "kms1.contoso.com." }, false},
		{"other port", func(f *audit.Finding) { f.Port = 1689 }, false},
		{"fields not shifted", func(f *audit.Finding) { f.Name, f.Target = f.Target, f.Name }, false},
	}
	ns1 := audit.Finding{Check: "servers-disagree", Zone: "contoso.com.", Disagreement: &audit.Disagreement{Host: "ns1.contoso.com.", Serial: new(uint32)}}
	ns1b := ns1
	ns1b.Disagreement = &audit.Disagreement{Host: "ns1.contoso.com.", Extra: []string{"x"}}
	ns2 := ns1
	ns2.Disagreement = &audit.Disagreement{Host: "ns2.contoso.com."}
	if report.ID(ns1) == report.ID(ns2) || report.ID(ns1) != report.ID(ns1b) {
		t.Errorf("servers-disagree ids: one per name server, whatever it lacks: %s %s %s", report.ID(ns1), report.ID(ns1b), report.ID(ns2))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := base
			tc.change(&f)
			if got := report.ID(f) == report.ID(base); got != tc.same {
				t.Errorf("same id = %v, want %v (%s, %s)", got, tc.same, report.ID(f), report.ID(base))
			}
		})
	}
	if id := report.ID(base); !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(id) {
		t.Errorf("id %q", id)
	}
}

func TestMark(t *testing.T) {
	f := func(check, target string) audit.Finding {
		return audit.Finding{Check: check, Severity: audit.SeverityError, Zone: "a.example.", Name: "_vlmcs._tcp.a.example.", Target: target, Port: 1688, Message: check + " " + target}
	}
	zones := []audit.ZoneReport{{Zone: "a.example"}}
	base := &audit.Report{Zones: zones, Findings: []audit.Finding{f("target-unresolvable", "gone.a.example."), f("not-kms", "k1.a.example."), f("not-kms", "k1.a.example.")}}
	rep := &audit.Report{Zones: zones, Findings: []audit.Finding{f("not-kms", "k1.a.example."), f("host-unreachable", "k2.a.example.")}}
	rep.Findings[0].Message = "reworded"

	report.Mark(rep, nil)
	for _, x := range rep.Findings {
		if x.ID == "" || x.Change != "" {
			t.Errorf("without a baseline: %+v", x)
		}
	}
	if rep.Resolved != nil {
		t.Errorf("resolved without a baseline: %v", rep.Resolved)
	}
	report.Mark(rep, base)
	if got := rep.Findings[0].Change; got != report.ChangePersisting {
		t.Errorf("persisting finding: %q", got)
	}
	if got := rep.Findings[1].Change; got != report.ChangeNew {
		t.Errorf("new finding: %q", got)
	}
	if len(rep.Resolved) != 1 || rep.Resolved[0].Target != "gone.a.example." || rep.Resolved[0].ID != report.ID(base.Findings[0]) {
		t.Errorf("resolved: %+v", rep.Resolved)
	}
	// Marking again against no baseline clears what the baseline set.
	report.Mark(rep, nil)
	if rep.Findings[1].Change != "" || rep.Resolved != nil {
		t.Errorf("not cleared: %+v %v", rep.Findings[1], rep.Resolved)
	}
}

func TestNagios(t *testing.T) {
	tests := []struct {
		s    audit.Summary
		want string
	}{
		{audit.Summary{Zones: 5, Records: 12, Errors: 3, Warnings: 2}, "KMSDNS CRITICAL - 3 errors, 2 warnings in 5 zones | errors=3 warnings=2 zones=5 records=12"},
		{audit.Summary{Zones: 1, Records: 2, Warnings: 1, Info: 4}, "KMSDNS WARNING - 0 errors, 1 warning in 1 zone | errors=0 warnings=1 zones=1 records=2"},
		{audit.Summary{Zones: 2, Records: 4, Info: 1}, "KMSDNS OK - 0 errors, 0 warnings in 2 zones | errors=0 warnings=0 zones=2 records=4"},
	}
	for _, tc := range tests {
		if got := report.Nagios(&audit.Report{Summary: tc.s}); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

// probedReport is the sample with probe results and a zone that could
// not be read, and a hostile name in a label.
func probedReport(t *testing.T) *audit.Report {
	rep := loadSample(t)
	rep.Zones = append(rep.Zones, audit.ZoneReport{Zone: `bad"\zone.example.`, Error: "transfer refused"})
	rep.Targets = append(rep.Targets,
		audit.Target{Target: "kms1.contoso.com.", Port: 1688, Probe: "kms", ProbeMillis: 12},
		audit.Target{Target: "kms2.contoso.com.", Port: 1688, Probe: "timeout", ProbeMillis: 3000, ProbeDetail: "no answer"})
	return rep
}

func TestProm(t *testing.T) {
	rep := probedReport(t)
	var buf bytes.Buffer
	if err := report.WriteProm(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	value := func(name string, labels ...string) (float64, bool) {
		fam := fams[name]
		if fam == nil {
			return 0, false
		}
	next:
		for _, m := range fam.Metric {
			got := map[string]string{}
			for _, l := range m.Label {
				got[l.GetName()] = l.GetValue()
			}
			if len(got) != len(labels)/2 {
				continue
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if got[labels[i]] != labels[i+1] {
					continue next
				}
			}
			return m.GetGauge().GetValue(), true
		}
		return 0, false
	}
	tests := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"kmsdns_audit_timestamp_seconds", nil, float64(rep.GeneratedAt.Unix())},
		{"kmsdns_audit_records", nil, 13},
		{"kmsdns_audit_findings", []string{"severity", "error"}, float64(rep.Summary.Errors)},
		{"kmsdns_audit_findings", []string{"severity", "warning"}, float64(rep.Summary.Warnings)},
		{"kmsdns_zone_records", []string{"zone", "contoso.com"}, 10},
		{"kmsdns_zone_records", []string{"zone", "fabrikam.com"}, 3},
		{"kmsdns_zone_read_success", []string{"zone", "contoso.com"}, 1},
		{"kmsdns_zone_read_success", []string{"zone", `bad"\zone.example`}, 0},
		{"kmsdns_zone_findings", []string{"zone", "contoso.com", "severity", "error", "check", "target-unresolvable"}, 3},
		{"kmsdns_zone_findings", []string{"zone", "fabrikam.com", "severity", "warning", "check", "stale-registration"}, 1},
		{"kmsdns_target_probe_success", []string{"target", "kms1.contoso.com", "port", "1688"}, 1},
		{"kmsdns_target_probe_success", []string{"target", "kms2.contoso.com", "port", "1688"}, 0},
		{"kmsdns_target_probe_result", []string{"target", "kms2.contoso.com", "port", "1688", "result", "timeout"}, 1},
		{"kmsdns_target_probe_duration_seconds", []string{"target", "kms1.contoso.com", "port", "1688"}, 0.012},
		{"kmsdns_target_probe_duration_seconds", []string{"target", "kms2.contoso.com", "port", "1688"}, 3},
	}
	for _, tc := range tests {
		got, ok := value(tc.name, tc.labels...)
		if !ok || got != tc.want {
			t.Errorf("%s%v = %v (found %v), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}
	if _, ok := value("kmsdns_target_probe_success", "target", "kms-old.contoso.com", "port", "1688"); ok {
		t.Error("a target that was not probed has a probe metric")
	}
	// Naming conventions: kmsdns_ prefix, snake case, base units, _total
	// only on counters, a HELP text on each.
	snake := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	for name, fam := range fams {
		if !strings.HasPrefix(name, "kmsdns_") || !snake.MatchString(name) || !model.IsValidLegacyMetricName(name) {
			t.Errorf("metric name %q", name)
		}
		if strings.HasSuffix(name, "_total") && fam.GetType() != dto.MetricType_COUNTER {
			t.Errorf("%s: _total on a %s", name, fam.GetType())
		}
		if fam.GetType() != dto.MetricType_GAUGE {
			t.Errorf("%s: type %s, want gauge (one run's state)", name, fam.GetType())
		}
		for _, bad := range []string{"_ms", "millis", "_minutes", "_count"} {
			if strings.Contains(name, bad) {
				t.Errorf("%s: not a base unit (%s)", name, bad)
			}
		}
		if (strings.Contains(name, "duration") || strings.Contains(name, "timestamp")) && !strings.HasSuffix(name, "_seconds") {
			t.Errorf("%s: a time without _seconds", name)
		}
		if fam.GetHelp() == "" {
			t.Errorf("%s: no HELP", name)
		}
		for _, m := range fam.Metric {
			for _, l := range m.Label {
				if !snake.MatchString(l.GetName()) || !model.LabelName(l.GetName()).IsValidLegacy() || strings.HasPrefix(l.GetName(), "__") {
					t.Errorf("%s: label name %q", name, l.GetName())
				}
			}
		}
	}
}

func TestWriteFile(t *testing.T) {
	rep := loadSample(t)
	dir := t.TempDir()
	t.Run("every format replaces the file atomically", func(t *testing.T) {
		for _, ext := range []string{"json", "md", "html", "prom"} {
			path := filepath.Join(dir, "r."+ext)
			if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := report.WriteFile(path, rep, report.Options{}); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(path)
			if len(b) < 500 || string(b) == "old" {
				t.Errorf("%s: %d bytes", path, len(b))
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
				t.Errorf("%s: mode %v", path, fi.Mode())
			}
		}
		got, err := report.Load(filepath.Join(dir, "r.json"))
		if err != nil || len(got.Findings) != len(rep.Findings) {
			t.Errorf("JSON report read back: %v", err)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 4 {
			t.Errorf("temporary files left: %v", entries)
		}
	})
	tests := []struct {
		name string
		path string
		want error
	}{
		{"missing directory", filepath.Join(dir, "no", "such", "r.md"), os.ErrNotExist},
		{"a directory in the way", dir + string(filepath.Separator) + ".", nil},
		{"unknown extension", filepath.Join(dir, "r.txt"), report.ErrUnknownFormat},
	}
	if err := os.Mkdir(filepath.Join(dir, "d.html"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests[1].path = filepath.Join(dir, "d.html")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := report.WriteFile(tc.path, rep, report.Options{})
			var we *report.WriteError
			if !errors.As(err, &we) || we.Path != tc.path || !strings.Contains(err.Error(), tc.path) {
				t.Fatalf("error %v does not name %s", err, tc.path)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v is not %v", err, tc.want)
			}
		})
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestHistory(t *testing.T) {
	rep := loadSample(t)
	h := report.History{Dir: filepath.Join(t.TempDir(), "hist"), Keep: 3}
	start := time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)
	week := 7 * 24 * time.Hour
	if p, err := h.Latest(start); p != "" || err != nil {
		t.Fatalf("empty history: %q %v", p, err)
	}
	for i := range 5 {
		r := *rep
		r.GeneratedAt = start.Add(time.Duration(i) * week)
		r.Summary.Errors = i
		path, err := h.Save(&r)
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(h.Dir, "kmsdns-"+r.GeneratedAt.Format("20060102T150405Z")+".json"); path != want {
			t.Errorf("saved as %s, want %s", path, want)
		}
	}
	os.WriteFile(filepath.Join(h.Dir, "notes.txt"), []byte("kept"), 0o644)
	entries, _ := os.ReadDir(h.Dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"kmsdns-20261015T060000Z.json", "kmsdns-20261022T060000Z.json", "kmsdns-20261029T060000Z.json", "notes.txt"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("history holds %v, want %v", names, want)
	}
	latest, err := h.Latest(start.Add(4*week + time.Hour))
	if err != nil || filepath.Base(latest) != "kmsdns-20261029T060000Z.json" {
		t.Errorf("latest: %s %v", latest, err)
	}
	// A run at the same time as a saved one is not its own baseline.
	latest, _ = h.Latest(start.Add(4 * week))
	if filepath.Base(latest) != "kmsdns-20261022T060000Z.json" {
		t.Errorf("latest before the last run: %s", latest)
	}
	pts, err := h.Points(start.Add(5 * week))
	if err != nil || len(pts) != 2 || pts[0].Errors != 3 || pts[1].Errors != 4 || !pts[1].Time.Equal(start.Add(4*week)) {
		t.Errorf("points %+v %v", pts, err)
	}
}
