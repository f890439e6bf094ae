package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/audit"
)

// runAt runs kmsdns as run does, with the clock at now.
func runAt(t *testing.T, now time.Time, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	app := newApp(env{stdout: &out, stderr: &errb, now: func() time.Time { return now }, warned: map[string]bool{}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := execute(ctx, app, append([]string{"kmsdns"}, args...))
	return out.String(), errb.String(), exitCode(err, app.ErrWriter)
}

func readReport(t *testing.T, path string) *audit.Report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep audit.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &rep
}

// TestAuditReportFiles writes every report format from one run of the
// sample audit: Markdown and HTML are golden files, the JSON report is
// what --output json prints, stdout is the nagios line.
func TestAuditReportFiles(t *testing.T) {
	dir := t.TempDir()
	args := []string{"audit", "--offline", "--zone-file", sampleContoso, "--zone-file", sampleFabrikam}
	var files []string
	for _, ext := range []string{"md", "html", "json", "prom"} {
		files = append(files, "--report", filepath.Join(dir, "audit-sample."+ext))
	}
	out, errOut, code := run(t, append(append(args, files...), "--output", "nagios")...)
	if code != exitErrors || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if want := "KMSDNS CRITICAL - 8 errors, 4 warnings in 2 zones | errors=8 warnings=4 zones=2 records=13\n"; out != want {
		t.Errorf("nagios line %q, want %q", out, want)
	}
	for _, ext := range []string{"md", "html"} {
		b, err := os.ReadFile(filepath.Join(dir, "audit-sample."+ext))
		if err != nil {
			t.Fatal(err)
		}
		assertGolden(t, "audit-sample."+ext, string(b))
	}
	jsonOut, _, _ := run(t, append(args, "--output", "json")...)
	if b, _ := os.ReadFile(filepath.Join(dir, "audit-sample.json")); string(b) != jsonOut {
		t.Error("the .json report differs from --output json")
	}
	prom, _ := os.ReadFile(filepath.Join(dir, "audit-sample.prom"))
	if !strings.Contains(string(prom), `kmsdns_zone_records{zone="contoso.com"} 10`) {
		t.Errorf(".prom report:\n%s", prom)
	}
}

func TestAuditReportErrors(t *testing.T) {
	dir := t.TempDir()
	args := []string{"audit", "--offline", "--zone-file", sampleContoso}
	tests := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"directory missing", []string{"--report", filepath.Join(dir, "no", "r.md")}, exitErrors, filepath.Join(dir, "no", "r.md")},
		{"a directory in the way", []string{"--report", dir + "/x.json", "--report", dir}, exitUsage, dir},
		{"unknown extension", []string{"--report", filepath.Join(dir, "r.pdf")}, exitUsage, "r.pdf: unknown report format"},
		{"baseline missing", []string{"--baseline", filepath.Join(dir, "none.json")}, exitUsage, "none.json"},
		{"baseline not a report", []string{"--baseline", sampleContoso}, exitUsage, sampleContoso},
		{"keep 0", []string{"--history", dir, "--keep", "0"}, exitUsage, "--keep"},
		{"bad output", []string{"--output", "xml"}, exitUsage, "table, json or nagios"},
	}
	t.Run("nagios: nothing audited is UNKNOWN", func(t *testing.T) {
		out, _, code := run(t, append(args, "--output", "nagios", "--baseline", filepath.Join(dir, "none.json"))...)
		if code != exitUsage || !strings.HasPrefix(out, "KMSDNS UNKNOWN - baseline: report "+filepath.Join(dir, "none.json")) || strings.Count(out, "\n") != 1 {
			t.Errorf("exit %d, stdout %q", code, out)
		}
	})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := run(t, append(args, tc.args...)...)
			if code != tc.code || !strings.Contains(errOut, tc.inStderr) {
				t.Errorf("exit %d (want %d), stderr %q (want %q); stdout %d bytes", code, tc.code, errOut, tc.inStderr, len(out))
			}
		})
	}
	// A report written before the failing one is complete; the failing
	// one leaves no temporary file behind.
	mustRun := func() {
		_, errOut, code := run(t, append(args, "--report", filepath.Join(dir, "ok.md"), "--report", filepath.Join(dir, "d.html"))...)
		if code != exitErrors || !strings.Contains(errOut, filepath.Join(dir, "d.html")) {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "d.html"), 0o755); err != nil {
		t.Fatal(err)
	}
	mustRun()
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "d.html ok.md" {
		t.Errorf("directory holds %v", names)
	}
}

// TestAuditBaselineHistory runs the audit twice over a zone file changed
// in between: one stale record removed, another added.
func TestAuditBaselineHistory(t *testing.T) {
	zdir, hist := t.TempDir(), filepath.Join(t.TempDir(), "history")
	for _, f := range []string{"contoso.com.zone", "contoso.com-apac.inc"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "zones", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(zdir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	zfile := filepath.Join(zdir, "contoso.com.zone")
	week1 := time.Date(2026, 11, 16, 6, 0, 0, 0, time.UTC)
	week2 := week1.Add(7 * 24 * time.Hour)
	auditAt := func(now time.Time, extra ...string) (*audit.Report, string) {
		t.Helper()
		out := filepath.Join(t.TempDir(), "r.json")
		stdout, errOut, code := runAt(t, now, append([]string{"audit", "--offline", "--zone-file", zfile, "--report", out, "--history", hist}, extra...)...)
		if code != exitErrors || errOut != "" {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
		return readReport(t, out), stdout
	}
	r1, _ := auditAt(week1)
	for _, f := range r1.Findings {
		if f.ID == "" || f.Change != "" {
			t.Errorf("first run, no baseline: id %q change %q", f.ID, f.Change)
		}
	}

	b, _ := os.ReadFile(zfile)
	old := "_vlmcs._tcp     IN SRV  0 0 1688 kms-old.contoso.com.\n"
	edited := strings.Replace(string(b), old, "_vlmcs._tcp     IN SRV  0 0 1688 kms-gone.contoso.com.\n", 1)
	if edited == string(b) {
		t.Fatal("sample zone changed: kms-old record not found")
	}
	if err := os.WriteFile(zfile, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	r2, table := auditAt(week2)

	ids1 := map[string]audit.Finding{}
	for _, f := range r1.Findings {
		ids1[f.ID] = f
	}
	var news []audit.Finding
	for _, f := range r2.Findings {
		switch f.Change {
		case "new":
			news = append(news, f)
		case "persisting":
			if _, ok := ids1[f.ID]; !ok {
				t.Errorf("persisting %s %s has an id the first run did not have", f.Check, f.Target)
			}
		default:
			t.Errorf("finding %s %s: change %q", f.Check, f.Target, f.Change)
		}
	}
	if len(news) != 1 || news[0].Target != "kms-gone.contoso.com." || news[0].Check != "target-unresolvable" {
		t.Errorf("new findings: %+v", news)
	}
	if len(r2.Resolved) != 1 || r2.Resolved[0].Target != "kms-old.contoso.com." || ids1[r2.Resolved[0].ID].Target != "kms-old.contoso.com." {
		t.Errorf("resolved: %+v", r2.Resolved)
	}
	if len(r2.Findings) != len(r1.Findings) {
		t.Errorf("%d findings, then %d", len(r1.Findings), len(r2.Findings))
	}
	for _, want := range []string{"target-unresolvable _vlmcs._tcp.contoso.com -> kms-gone.contoso.com:1688 [new]", "Resolved since the baseline\n  contoso.com: target-unresolvable _vlmcs._tcp.contoso.com -> kms-old.contoso.com:1688 (was error)"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}

	// An explicit --baseline gives the same marks as the history did.
	r1path := filepath.Join(hist, "kmsdns-20261116T060000Z.json")
	out := filepath.Join(t.TempDir(), "b.json")
	if _, errOut, code := runAt(t, week2, "audit", "--offline", "--zone-file", zfile, "--report", out, "--baseline", r1path); code != exitErrors {
		t.Fatalf("--baseline: exit %d %s", code, errOut)
	}
	rb := readReport(t, out)
	for i := range rb.Findings {
		if rb.Findings[i].ID != r2.Findings[i].ID || rb.Findings[i].Change != r2.Findings[i].Change {
			t.Errorf("--baseline %+v, --history %+v", rb.Findings[i], r2.Findings[i])
		}
	}

	// The history holds each run; --keep prunes the oldest.
	names := func() string {
		es, _ := os.ReadDir(hist)
		var n []string
		for _, e := range es {
			n = append(n, e.Name())
		}
		return strings.Join(n, " ")
	}
	if got := names(); got != "kmsdns-20261116T060000Z.json kmsdns-20261123T060000Z.json" {
		t.Errorf("history: %s", got)
	}
	page := filepath.Join(t.TempDir(), "week3.html")
	r3, _ := auditAt(week2.Add(7*24*time.Hour), "--keep", "2", "--report", page)
	if b, _ := os.ReadFile(page); !strings.Contains(string(b), "Errors and warnings over 2 runs") || strings.Count(string(b), "<circle") != 4 {
		t.Errorf("the chart does not show the 2 runs kept:\n%s", b)
	}
	if got := names(); got != "kmsdns-20261123T060000Z.json kmsdns-20261130T060000Z.json" {
		t.Errorf("history after --keep 2: %s", got)
	}
	for _, f := range r3.Findings {
		if f.Change != "persisting" {
			t.Errorf("third run, nothing changed: %s %s is %q", f.Check, f.Target, f.Change)
		}
	}
	if len(r3.Resolved) != 0 {
		t.Errorf("third run resolved %+v", r3.Resolved)
	}
}
