package audit_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/zone"
)

// agedHours is a Windows aging timestamp (hours since 1601-01-01 UTC) for t.
func agedHours(t time.Time) uint32 {
	const epoch1970 = 369*365*24 + 89*24 // 1601-01-01 to 1970-01-01, 89 leap days
	return uint32(epoch1970 + t.Unix()/3600)
}

// policyFindings audits records of zone p.example. read from a file
// (no resolver, no prober: only the policy checks run) at time now and
// returns "check target" for each finding.
func policyFindings(t *testing.T, now time.Time, pol audit.Policy, recs ...zone.Record) []string {
	t.Helper()
	res := &zone.Snapshot{Zone: "p.example.", Source: zone.SourceFile}
	for _, r := range recs {
		r.Zone, r.Name = res.Zone, "_vlmcs._tcp.p.example."
		if r.TTL == 0 {
			r.TTL = 3600
		}
		res.Records = append(res.Records, r)
	}
	rep := audit.Run(t.Context(), []*zone.Snapshot{res}, audit.Options{Policy: pol, Now: func() time.Time { return now }})
	var out []string
	for _, f := range rep.Findings {
		if f.Check != audit.CheckNoLiveHost {
			out = append(out, f.Check+" "+strings.TrimSuffix(f.Target, ".p.example."))
		}
	}
	slices.Sort(out)
	return out
}

// TestPolicyChecks pins the policy settings issue 12 found untested: the
// per-host expected port and the stale-registration threshold (a week by
// default, policy.stale-after otherwise).
func TestPolicyChecks(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	days := func(n int) uint32 { return agedHours(now.Add(-time.Duration(n) * 24 * time.Hour)) }
	tests := []struct {
		name string
		pol  audit.Policy
		recs []zone.Record
		want []string
	}{
		{"host port honoured", audit.Policy{HostPorts: map[string]uint16{"emea.p.example.": 1689}},
			[]zone.Record{{Port: 1689, Target: "emea.p.example."}, {Port: 1688, Target: "kms1.p.example."}}, nil},
		{"host port is per host", audit.Policy{HostPorts: map[string]uint16{"emea.p.example.": 1689}},
			[]zone.Record{{Port: 1688, Target: "emea.p.example."}, {Port: 1689, Target: "kms1.p.example."}},
			[]string{"port-mismatch emea", "port-mismatch kms1"}},
		{"expected port", audit.Policy{ExpectedPort: 1700},
			[]zone.Record{{Port: 1700, Target: "a.p.example."}, {Port: 1688, Target: "b.p.example."}, {Port: 1701, Target: "c.p.example."}},
			[]string{"port-mismatch b", "port-mismatch c"}},
		{"default stale-after is a week", audit.Policy{},
			[]zone.Record{{Port: 1688, Target: "fresh.p.example.", Age: days(1)}, {Port: 1688, Target: "six.p.example.", Age: days(6)},
				{Port: 1688, Target: "eight.p.example.", Age: days(8)}, {Port: 1688, Target: "static.p.example."}},
			[]string{"stale-registration eight"}},
		{"stale-after set", audit.Policy{StaleAfter: 2 * 24 * time.Hour},
			[]zone.Record{{Port: 1688, Target: "fresh.p.example.", Age: days(1)}, {Port: 1688, Target: "three.p.example.", Age: days(3)}},
			[]string{"stale-registration three"}},
		{"long TTL", audit.Policy{MaxTTL: 3600},
			[]zone.Record{{Port: 1688, Target: "a.p.example.", TTL: 3600}, {Port: 1688, Target: "b.p.example.", TTL: 3601}, {Port: 1688, Target: "c.p.example.", TTL: 7200}},
			[]string{"long-ttl b", "long-ttl c"}},
		{"default max TTL is a day", audit.Policy{},
			[]zone.Record{{Port: 1688, Target: "a.p.example.", TTL: 86400}, {Port: 1688, Target: "b.p.example.", TTL: 86401}},
			[]string{"long-ttl b"}},
		{"weight 0 beside a weight", audit.Policy{},
			[]zone.Record{{Port: 1688, Target: "a.p.example."}, {Port: 1688, Target: "b.p.example.", Weight: 10}, {Port: 1688, Target: "c.p.example.", Priority: 5}},
			[]string{"zero-weight a"}},
		{"one approved host", audit.Policy{Approved: []string{"a.p.example."}},
			[]zone.Record{{Port: 1688, Target: "a.p.example."}, {Port: 1688, Target: "b.p.example."}},
			[]string{"unapproved-host b"}},
		{"decommissioned", audit.Policy{Decommissioned: []string{"old.p.example."}},
			[]zone.Record{{Port: 1688, Target: "a.p.example."}, {Port: 1688, Target: "old.p.example."}},
			[]string{"decommissioned old"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := policyFindings(t, now, tc.pol, tc.recs...)
			if !slices.Equal(got, tc.want) {
				t.Errorf("findings %q, want %q", got, tc.want)
			}
		})
	}
}
