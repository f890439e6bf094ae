package main

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/testserver"
)

// runWith runs kmsdns with stdin and the terminal flags of e (its other
// fields are filled in) and returns stdout, stderr and the exit code.
func runWith(t *testing.T, e env, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	e.stdout, e.stderr, e.now, e.warned = &out, &errb, func() time.Time { return fixedNow }, map[string]bool{}
	if e.stdin == nil {
		e.stdin = strings.NewReader("")
	}
	app := newApp(e)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := exitCode(execute(ctx, app, append([]string{"kmsdns"}, args...)), app.ErrWriter)
	return out.String(), errb.String(), code
}

// TestJSONEveryCommandRealBIND: with -o json, stdout is exactly one JSON
// document for every command, dry runs, real runs, confirmed and refused
// prompts included; the human text (plans, prompts, notes) goes to stderr.
// Each write is read back: what changed, and that refused runs changed
// nothing.
func TestJSONEveryCommandRealBIND(t *testing.T) {
	l := startPubLab(t, "ja.example", "jb.example", "jc.example")
	srv := []string{"--server", l.bind.Addr, "-k", l.keyFile, "-r", l.bind.Addr, "-o", "json"}
	backup := func(t *testing.T) []string { return []string{"--backup", filepath.Join(t.TempDir(), "b.zone")} }
	cleanupArgs := func(t *testing.T, extra ...string) []string {
		return slices.Concat([]string{"cleanup", "--zone", "jc.example", "--host", "kms-live.jc.example", "--replace-with", "kms-b.jc.example", "--no-probe"}, srv, backup(t), extra)
	}
	type doc = map[string]any
	for _, tc := range []struct {
		name string
		e    env
		args []string
		code int // -1: 0, 1 or 2, as the report's findings say
		// zone and its KMS targets afterwards; stderr holds stderrHas.
		zone      string
		targets   []string
		stderrHas string
		docHas    string
	}{
		{"audit", env{}, []string{"audit", "--zone", "ja.example", "--server", l.bind.Addr, "-r", l.bind.Addr, "--no-probe", "-o", "json"}, -1,
			"ja.example", []string{"kms-live.ja.example."}, "", "records"},
		{"check", env{}, []string{"check", "ja.example", "-r", l.bind.Addr, "--no-probe", "-o", "json"}, -1,
			"ja.example", []string{"kms-live.ja.example."}, "", "findings"},
		{"publish dry run", env{}, slices.Concat([]string{"publish", "--zone", "jb.example", "--host", "kms-a.jb.example", "--no-probe", "--dry-run"}, srv), exitClean,
			"jb.example", []string{"kms-live.jb.example."}, "", "plans"},
		{"publish", env{}, slices.Concat([]string{"publish", "--zone", "jb.example", "--host", "kms-a.jb.example", "--no-probe"}, srv), exitClean,
			"jb.example", []string{"kms-a.jb.example.", "kms-live.jb.example."}, "", "results"},
		{"unpublish dry run", env{}, slices.Concat([]string{"unpublish", "--zone", "jb.example", "--host", "kms-a.jb.example", "--dry-run"}, srv), exitClean,
			"jb.example", []string{"kms-a.jb.example.", "kms-live.jb.example."}, "", "plans"},
		{"unpublish", env{}, slices.Concat([]string{"unpublish", "--zone", "jb.example", "--host", "kms-a.jb.example"}, srv), exitClean,
			"jb.example", []string{"kms-live.jb.example."}, "", "results"},
		{"cleanup dry run", env{}, cleanupArgs(t, "--dry-run"), exitClean,
			"jc.example", []string{"kms-live.jc.example."}, "Cleanup plan", "plan"},
		{"cleanup unattended, no --yes", env{}, cleanupArgs(t), exitUsage,
			"jc.example", []string{"kms-live.jc.example."}, "Cleanup plan", "no terminal to confirm on"},
		{"cleanup prompt refused", env{stdinTTY: true, stderrTTY: true, stdin: strings.NewReader("n\n")}, cleanupArgs(t), exitErrors,
			"jc.example", []string{"kms-live.jc.example."}, "[y/N]", "plan"},
		{"cleanup prompt confirmed", env{stdinTTY: true, stderrTTY: true, stdin: strings.NewReader("y\n")}, cleanupArgs(t), exitClean,
			"jc.example", []string{"kms-b.jc.example."}, "[y/N]", "restore"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runWith(t, tc.e, tc.args...)
			var d doc
			oneJSON(t, out, &d)
			// -1: a report's exit code (its findings decide it).
			if code != tc.code && (tc.code != -1 || code == exitUsage) {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
			if d["version"] != float64(1) || !strings.Contains(out, tc.docHas) {
				t.Errorf("document lacks version 1 or %q:\n%s", tc.docHas, out)
			}
			if tc.stderrHas == "" && errOut != "" || !strings.Contains(errOut, tc.stderrHas) {
				t.Errorf("stderr %q, want %q", errOut, tc.stderrHas)
			}
			if got := kmsTargets(t, l.bind.Addr, tc.zone); !slices.Equal(got, tc.targets) {
				t.Errorf("%s read back: %v, want %v", tc.zone, got, tc.targets)
			}
		})
	}
}

// kmsTargets are the targets of the apex KMS records, read back by AXFR.
func kmsTargets(t *testing.T, server, zoneName string) []string {
	t.Helper()
	var out []string
	for _, rr := range testserver.Records(t, server, zoneName) {
		f := strings.Fields(rr)
		if len(f) == 8 && f[0] == "_vlmcs._tcp."+zoneName+"." && strings.EqualFold(f[3], "srv") {
			out = append(out, f[7])
		}
	}
	slices.Sort(out)
	return out
}
