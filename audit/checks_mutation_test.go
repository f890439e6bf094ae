package audit_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/zone"
)

// statusResolver answers each target with a fixed status (no network).
type statusResolver map[string]resolve.ResolveStatus

func (s statusResolver) Resolve(_ context.Context, _ *zone.Snapshot, target string) resolve.Resolution {
	st, ok := s[target]
	if !ok {
		st = resolve.NXDomain
	}
	r := resolve.Resolution{Target: target, Status: st, Via: "test"}
	if st == resolve.NotVerified {
		r.Err = errors.New("offline")
	}
	return r
}

func srvRec(zoneName, target string, port uint16) zone.Record {
	return zone.Record{Zone: zoneName, Name: "_vlmcs._tcp." + zoneName, TTL: 3600, Port: port, Target: target}
}

// checkFindings returns "check severity target" for every finding of rep.
func checkFindings(rep *audit.Report) []string {
	var out []string
	for _, f := range rep.Findings {
		out = append(out, f.Check+" "+string(f.Severity)+" "+f.Target)
	}
	slices.Sort(out)
	return out
}

// TestChecksWithoutNetwork covers checks whose every variant issue 12's
// mutation run left untested: resolution states, no-live-host after port
// mismatches, secondaries that disagree or stay silent, partial publish
// severity, and reappeared records.
func TestChecksWithoutNetwork(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	const z = "c.example."
	tests := []struct {
		name    string
		results []*zone.Snapshot
		opts    audit.Options
		want    []string
	}{
		{
			name:    "no address",
			results: []*zone.Snapshot{{Zone: z, Source: zone.SourceFile, Records: []zone.Record{srvRec(z, "kms1.c.example.", 1688), srvRec(z, "kms2.c.example.", 1688)}}},
			opts:    audit.Options{Resolver: statusResolver{"kms1.c.example.": resolve.NoAddress, "kms2.c.example.": resolve.Resolved}},
			want:    []string{"target-unresolvable error kms1.c.example."},
		},
		{
			name:    "not verified",
			results: []*zone.Snapshot{{Zone: z, Source: zone.SourceFile, Records: []zone.Record{srvRec(z, "kms1.c.example.", 1688)}}},
			opts:    audit.Options{Resolver: statusResolver{"kms1.c.example.": resolve.NotVerified}},
			want:    []string{"target-not-verified info kms1.c.example."},
		},
		{
			name:    "every record on the wrong port",
			results: []*zone.Snapshot{{Zone: z, Source: zone.SourceFile, Records: []zone.Record{srvRec(z, "kms1.c.example.", 1689), srvRec(z, "kms2.c.example.", 1690)}}},
			want:    []string{"no-live-host error ", "port-mismatch error kms1.c.example.", "port-mismatch error kms2.c.example."},
		},
		{
			name: "secondary with an extra record",
			results: []*zone.Snapshot{{Zone: z, Source: zone.SourceAXFR, Server: "127.0.0.1:53", Serial: 5, HasSerial: true,
				Records: []zone.Record{srvRec(z, "kms1.c.example.", 1688)},
				Servers: []zone.ServerView{{Host: "ns2.c.example.", Server: "127.0.0.2:53", Serial: 5, HasSerial: true,
					Records: []zone.Record{srvRec(z, "kms1.c.example.", 1688), srvRec(z, "old.c.example.", 1688)}}}}},
			want: []string{"servers-disagree warning "},
		},
		{
			name: "silent secondary",
			results: []*zone.Snapshot{{Zone: z, Source: zone.SourceAXFR, Server: "127.0.0.1:53", Serial: 5, HasSerial: true,
				Records: []zone.Record{srvRec(z, "kms1.c.example.", 1688)},
				Servers: []zone.ServerView{{Host: "ns2.c.example.", Server: "127.0.0.2:53", Err: errors.New("timed out")}}}},
			want: []string{"servers-disagree warning "},
		},
		{
			name: "agreeing secondary",
			results: []*zone.Snapshot{{Zone: z, Source: zone.SourceAXFR, Server: "127.0.0.1:53", Serial: 5, HasSerial: true,
				Records: []zone.Record{srvRec(z, "kms1.c.example.", 1688)},
				Servers: []zone.ServerView{{Host: "ns2.c.example.", Server: "127.0.0.2:53", Serial: 5, HasSerial: true, Records: []zone.Record{srvRec(z, "kms1.c.example.", 1688)}}}}},
			want: nil,
		},
		{
			name: "partial publish is a warning",
			results: []*zone.Snapshot{
				{Zone: "a.example.", Source: zone.SourceFile, Records: []zone.Record{srvRec("a.example.", "kms1.a.example.", 1688)}},
				{Zone: "b.example.", Source: zone.SourceFile, Records: []zone.Record{srvRec("b.example.", "kms2.a.example.", 1688)}},
			},
			opts: audit.Options{Policy: audit.Policy{PublishGroups: [][]string{{"a.example", "b.example"}}}},
			want: []string{"partial-publish warning kms1.a.example.", "partial-publish warning kms2.a.example."},
		},
		{
			name:    "reappeared",
			results: []*zone.Snapshot{{Zone: z, Source: zone.SourceFile, Records: []zone.Record{srvRec(z, "kms1.c.example.", 1688), srvRec(z, "kms2.c.example.", 1688)}}},
			opts: audit.Options{Removed: []audit.Removed{
				{Zone: z, Name: "_vlmcs._tcp." + z, TTL: 3600, Port: 1688, Target: "kms1.c.example.", RemovedAt: now.Add(-time.Hour)},
				{Zone: z, Name: "_vlmcs._tcp." + z, TTL: 3600, Port: 1689, Target: "kms2.c.example.", RemovedAt: now.Add(-time.Hour)},
			}},
			want: []string{"reappeared warning kms1.c.example."},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Now = func() time.Time { return now }
			got := checkFindings(audit.Run(t.Context(), tc.results, tc.opts))
			if !slices.Equal(got, tc.want) {
				t.Errorf("findings:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}
