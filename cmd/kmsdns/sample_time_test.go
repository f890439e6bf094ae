package main

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// TestSampleIndependentOfToday: the sample zones are exports, judged
// against their own newest refresh, so the sample's table and findings are
// the same whatever today's date is (the golden files can not age).
func TestSampleIndependentOfToday(t *testing.T) {
	runAt := func(now time.Time, args ...string) string {
		var out, errb bytes.Buffer
		app := newApp(env{stdout: &out, stderr: &errb, now: func() time.Time { return now }, warned: map[string]bool{}})
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		execute(ctx, app, append([]string{"kmsdns"}, args...))
		return out.String()
	}
	for _, args := range [][]string{
		{"audit", "--offline", "-f", sampleContoso, "-f", sampleFabrikam},
		{"audit", "--offline", "-f", sampleContoso, "-f", sampleFabrikam, "--findings-only"},
	} {
		want := runAt(fixedNow, args...)
		for _, now := range []time.Time{
			time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC), // the day after the export
			time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC),
			time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC),
		} {
			if got := runAt(now, args...); got != want {
				t.Errorf("%v at %v: output differs from the one at %v:\n%s", args[len(args)-1], now, fixedNow, lineDiff(want, got))
			}
		}
	}
}
