package audit_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/audit/probe"
	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/zone"
)

// fakeResolver answers from a table: by target for the zone's own view,
// and from cache (what a client's resolver hands out) for Source
// resolver lookups. Unknown names are NXDOMAIN.
type fakeResolver struct {
	auth, cache map[string]resolve.Resolution
}

func (f fakeResolver) Resolve(_ context.Context, r *zone.Snapshot, target string) resolve.Resolution {
	m := f.auth
	if r.Source == zone.SourceResolver && f.cache != nil {
		m = f.cache
	}
	if res, ok := m[target]; ok {
		res.Target = target
		return res
	}
	return resolve.Resolution{Target: target, Status: resolve.NXDomain, Via: "server 127.0.0.1:53"}
}

// fakeProber answers from a table by address:port; anything else is
// refused.
type fakeProber map[netip.AddrPort]probe.Result

func (f fakeProber) Probe(_ context.Context, ap netip.AddrPort) probe.Result {
	if r, ok := f[ap]; ok {
		r.Addr = ap
		return r
	}
	return probe.Result{Addr: ap, Status: probe.StatusRefused, Elapsed: time.Millisecond}
}

const tz = "t.example."

func at(ip string) resolve.Resolution {
	return resolve.Resolution{Status: resolve.Resolved, Addrs: []netip.Addr{netip.MustParseAddr(ip)}, Via: "server 127.0.0.1:53", TTL: 3600}
}

// mustRec parses "owner ttl prio weight port target" relative to tz.
func mustRec(t *testing.T, s string) zone.Record {
	t.Helper()
	var owner, target string
	var ttl uint32
	var prio, weight, port uint16
	if _, err := fmt.Sscan(s, &owner, &ttl, &prio, &weight, &port, &target); err != nil {
		t.Fatalf("record %q: %v", s, err)
	}
	q := func(n string) string {
		if n == "@" {
			return tz
		}
		if n == "." || strings.HasSuffix(n, ".") {
			return n
		}
		return n + "." + tz
	}
	name := "_vlmcs._tcp." + tz
	if owner != "@" {
		name = "_vlmcs._tcp." + q(owner)
	}
	return zone.Record{Zone: tz, Name: name, TTL: ttl, Priority: prio, Weight: weight, Port: port, Target: q(target)}
}

var (
	apUp   = netip.MustParseAddrPort("127.0.0.1:1688")
	apUp2  = netip.MustParseAddrPort("127.0.0.2:1688")
	apDown = netip.MustParseAddrPort("127.0.0.3:1688")
)

// fakeWorld is the default world of a case: up and up2 are KMS hosts, down
// refuses, cname is an alias of up.
func fakeWorld() (map[string]resolve.Resolution, fakeProber) {
	auth := map[string]resolve.Resolution{
		"up." + tz:     at("127.0.0.1"),
		"up2." + tz:    at("127.0.0.2"),
		"down." + tz:   at("127.0.0.3"),
		"cname." + tz:  {Status: resolve.Resolved, CNAME: "up." + tz, Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}, Via: "server 127.0.0.1:53"},
		"noaddr." + tz: {Status: resolve.NoAddress, Via: "server 127.0.0.1:53"},
	}
	prober := fakeProber{
		apUp:  {Status: probe.StatusKMS},
		apUp2: {Status: probe.StatusKMS},
		netip.MustParseAddrPort("127.0.0.1:1689"): {Status: probe.StatusNotKMS, Detail: "not an RPC answer"},
	}
	return auth, prober
}

var now = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// age is a Windows aging stamp for a refresh d before now.
func age(d time.Duration) uint32 { return uint32(now.Add(-d).Unix()/3600) + 3234576 }

func TestChecks(t *testing.T) {
	type tc struct {
		name    string
		records []string
		// ages set Record.Age by index.
		ages   map[int]uint32
		policy audit.Policy
		// edit changes the default world.
		edit  func(auth, cache map[string]resolve.Resolution, p fakeProber)
		names []string
		// noProbe runs the audit without a prober.
		noProbe bool
		// want are "check owner target" with owner and target relative.
		want []string
		// check looks further at the report.
		check func(t *testing.T, rep *audit.Report)
	}
	cases := []tc{
		{name: "healthy", records: []string{"@ 3600 0 0 1688 up", "@ 3600 0 0 1688 up2"}},
		{name: "primary and standby both healthy", records: []string{"@ 3600 0 0 1688 up", "@ 3600 10 0 1688 up2"}},
		{name: "target-null", records: []string{"lab 3600 0 0 0 ."}, want: []string{"target-null lab .", "no-live-host lab ", "no-kms-record @ "}},
		{name: "decommissioned", records: []string{"@ 3600 0 0 1688 up", "@ 3600 0 0 1688 up2"}, policy: audit.Policy{Decommissioned: []string{"up2.t.example"}},
			want: []string{"decommissioned @ up2"},
			check: func(t *testing.T, rep *audit.Report) {
				f := only(t, rep, audit.CheckDecommissioned)
				if got := f.Command.String(); got != "kmsdns unpublish --zone t.example --host up2.t.example" {
					t.Errorf("command %q", got)
				}
			}},
		{name: "target-unresolvable", records: []string{"@ 3600 0 0 1688 up", "@ 3600 0 0 1688 gone", "@ 3600 0 0 1688 noaddr"},
			want: []string{"target-unresolvable @ gone", "target-unresolvable @ noaddr"}},
		{name: "unresolvable but cached: one story", records: []string{"@ 3600 0 0 1688 up", "@ 3600 0 0 1688 gone"},
			edit: func(auth, cache map[string]resolve.Resolution, p fakeProber) {
				r := at("127.0.0.9")
				r.Via, r.TTL = "resolver 127.0.0.53:53", 1234
				cache["gone."+tz] = r
			},
			want: []string{"target-unresolvable @ gone"},
			check: func(t *testing.T, rep *audit.Report) {
				f := only(t, rep, audit.CheckTargetUnresolv)
				for _, w := range []string{"does not resolve in the zone's own data", "resolvers still hand out 127.0.0.9", "for up to 1234 s", "fail (refused)", "after that they get NXDOMAIN"} {
					if !strings.Contains(f.Message, w) {
						t.Errorf("message lacks %q: %s", w, f.Message)
					}
				}
				tg := target(t, rep, "gone."+tz)
				if tg.Resolution != "nxdomain" || !slices.Equal(tg.CachedAddresses, []string{"127.0.0.9"}) || tg.CachedTTL != 1234 {
					t.Errorf("targets[] says %+v", tg)
				}
			}},
		{name: "target-not-verified", records: []string{"@ 3600 0 0 1688 up", "@ 3600 0 0 1688 far.example."},
			edit: func(auth, cache map[string]resolve.Resolution, p fakeProber) {
				auth["far.example."] = resolve.Resolution{Status: resolve.NotVerified, Err: errors.New("offline")}
			},
			want: []string{"target-not-verified @ far.example."}},
		{name: "target-cname", records: []string{"@ 3600 0 0 1688 up2", "@ 3600 0 0 1688 cname"}, want: []string{"target-cname @ cname"},
			check: func(t *testing.T, rep *audit.Report) {
				if got := only(t, rep, audit.CheckTargetCNAME).Command.String(); got != "kmsdns publish --zone t.example --host up.t.example --port 1688 --priority 0 --weight 0 --ttl 3600" {
					t.Errorf("command %q", got)
				}
			}},
		{name: "unapproved, not repeated on decommissioned or unresolvable", records: []string{"@ 3600 0 0 1688 up", "@ 3600 0 0 1688 up2", "@ 3600 0 0 1688 gone"},
			policy: audit.Policy{Approved: []string{"up.t.example"}, Decommissioned: []string{"up2.t.example"}},
			want:   []string{"decommissioned @ up2", "target-unresolvable @ gone"}},
		{name: "unapproved", records: []string{"@ 3600 0 0 1688 up", "@ 3600 0 0 1688 up2"}, policy: audit.Policy{Approved: []string{"up.t.example"}},
			want: []string{"unapproved-host @ up2"}},
		// port-mismatch with a command tells the record's story alone:
		// no not-kms beside it (its message says what the port does).
		{name: "port-mismatch", records: []string{"emea 3600 10 50 1689 up", "emea 3600 0 0 1688 up2", "@ 3600 0 0 1688 up2"}, want: []string{"port-mismatch emea up"},
			check: func(t *testing.T, rep *audit.Report) {
				f := only(t, rep, audit.CheckPortMismatch)
				if got := f.Command.String(); got != "kmsdns publish --zone t.example --name emea --host up.t.example --port 1688 --priority 10 --weight 50 --ttl 3600" {
					t.Errorf("command %q", got)
				}
				if !strings.Contains(f.Message, "not on 1689 (not-kms: not an RPC answer)") {
					t.Errorf("message %s", f.Message)
				}
			}},
		// Review 2 item 2: a live host published on the wrong port, the
		// only record of its name. One story: port-mismatch says the port
		// is wrong and gives the command; host-unreachable does not also
		// suggest removing the record (unpublish --force would empty the
		// name), and no-live-host points at the port-mismatch command
		// rather than at another host.
		{name: "live host on the wrong port: one story", records: []string{"chk 900 5 7 1690 up", "@ 600 0 0 1688 up2"},
			want: []string{"port-mismatch chk up", "no-live-host chk "},
			check: func(t *testing.T, rep *audit.Report) {
				const want = "kmsdns publish --zone t.example --name chk --host up.t.example --port 1688 --priority 5 --weight 7 --ttl 900"
				pm, nl := only(t, rep, audit.CheckPortMismatch), only(t, rep, audit.CheckNoLiveHost)
				if pm.Command.String() != want || nl.Command.String() != want || nl.Commands != nil {
					t.Errorf("port-mismatch %q, no-live-host %q %v", pm.Command, nl.Command, nl.Commands)
				}
				if strings.Contains(nl.Fix, "Bring up") || !strings.Contains(nl.Fix, "port-mismatch") {
					t.Errorf("no-live-host fix %s", nl.Fix)
				}
				if !strings.Contains(pm.Message, "not on 1690 (refused)") || !slices.Equal(pm.ClientErrors, []string{audit.CodeRPCUnavail, audit.CodeNoKMS}) {
					t.Errorf("port-mismatch %s %v", pm.Message, pm.ClientErrors)
				}
			}},
		{name: "live host on the wrong port, which times out: one story", records: []string{"chk 900 5 7 1690 up", "@ 600 0 0 1688 up2"},
			edit: func(auth, cache map[string]resolve.Resolution, p fakeProber) {
				p[netip.MustParseAddrPort("127.0.0.1:1690")] = probe.Result{Status: probe.StatusTimeout, Detail: "no answer to the TCP connection"}
			},
			want: []string{"port-mismatch chk up", "no-live-host chk "},
			check: func(t *testing.T, rep *audit.Report) {
				pm := only(t, rep, audit.CheckPortMismatch)
				if !strings.Contains(pm.Message, "not on 1690 (timeout: no answer to the TCP connection)") || !slices.Equal(pm.ClientErrors, []string{audit.CodeKMSNoAnswer, audit.CodeNoKMS}) {
					t.Errorf("port-mismatch %s %v", pm.Message, pm.ClientErrors)
				}
			}},
		// Two hosts on wrong ports under one name: no-live-host lists both
		// moves; a stale registration of one does not suggest emptying
		// the name either.
		{name: "two live hosts on wrong ports, one stale", records: []string{"two 900 0 0 1690 up", "two 900 10 0 1690 up2"},
			ages: map[int]uint32{0: age(30 * 24 * time.Hour)},
			want: []string{"port-mismatch two up", "port-mismatch two up2", "stale-registration two up", "no-live-host two ", "no-kms-record @ "},
			check: func(t *testing.T, rep *audit.Report) {
				nl := only(t, rep, audit.CheckNoLiveHost)
				var got []string
				for _, c := range nl.Commands {
					got = append(got, c.String())
				}
				if !slices.Equal(got, []string{
					"kmsdns publish --zone t.example --name two --host up.t.example --port 1688 --priority 0 --weight 0 --ttl 900",
					"kmsdns publish --zone t.example --name two --host up2.t.example --port 1688 --priority 10 --weight 0 --ttl 900"}) || !slices.Equal(nl.Command, nl.Commands[0]) {
					t.Errorf("no-live-host commands %q", got)
				}
				for _, c := range got {
					if !strings.Contains(nl.Fix, c) {
						t.Errorf("no-live-host fix lacks %s: %s", c, nl.Fix)
					}
				}
				for _, f := range rep.Findings {
					if slices.Contains(f.Command, "unpublish") {
						t.Errorf("%s suggests %s", f.Check, f.Command)
					}
				}
			}},
		{name: "host-ports", records: []string{"@ 3600 0 0 1689 up", "@ 3600 0 0 1688 up2"}, policy: audit.Policy{HostPorts: map[string]uint16{"up.t.example.": 1689}},
			edit: func(auth, cache map[string]resolve.Resolution, p fakeProber) {
				p[netip.MustParseAddrPort("127.0.0.1:1689")] = probe.Result{Status: probe.StatusKMS}
			}},
		{name: "host-ports: the other hosts keep the expected port", records: []string{"@ 3600 0 0 1689 up2", "@ 3600 0 0 1688 up"}, policy: audit.Policy{HostPorts: map[string]uint16{"up.t.example.": 1689}},
			edit: func(auth, cache map[string]resolve.Resolution, p fakeProber) {
				p[netip.MustParseAddrPort("127.0.0.2:1689")] = probe.Result{Status: probe.StatusKMS}
			},
			// Both answer as KMS hosts on their records' ports: clients
			// activate, so the mismatches are notes, and no-live-host
			// would be false.
			want: []string{"port-mismatch @ up2", "port-mismatch @ up"},
			check: func(t *testing.T, rep *audit.Report) {
				for _, f := range rep.Findings {
					if f.Severity != audit.SeverityInfo || f.Command != nil {
						t.Errorf("%s %s %s: %s %s", f.Check, f.Target, f.Severity, f.Command, f.Fix)
					}
				}
			}},
		// N1: the only record's own port answers as a KMS host, nothing
		// listens on the expected port. Clients use the record's port:
		// nothing fails, and no command moves the record.
		{name: "port-mismatch: the record's own port answers", records: []string{"@ 3600 0 0 44101 up"},
			edit: func(auth, cache map[string]resolve.Resolution, p fakeProber) {
				delete(p, apUp)
				p[netip.MustParseAddrPort("127.0.0.1:44101")] = probe.Result{Status: probe.StatusKMS}
			},
			want: []string{"port-mismatch @ up"},
			check: func(t *testing.T, rep *audit.Report) {
				f := only(t, rep, audit.CheckPortMismatch)
				if f.Severity != audit.SeverityInfo || f.Command != nil || len(f.ClientErrors) != 0 {
					t.Errorf("%s %s %v", f.Severity, f.Command, f.ClientErrors)
				}
				for _, w := range []string{"answers as a KMS host on port 44101", "expects port 1688"} {
					if !strings.Contains(f.Message, w) {
						t.Errorf("message lacks %q: %s", w, f.Message)
					}
				}
				if !strings.Contains(f.Fix, "--expected-port 44101") || !strings.Contains(f.Fix, "host-ports") {
					t.Errorf("fix %s", f.Fix)
				}
				if o := rep.Outcome(tz); len(o.Working) != 1 {
					t.Errorf("outcome %+v: the working record is not counted", o)
				}
			}},
		{name: "port-mismatch: the record's port fails, the expected one answers", records: []string{"@ 3600 5 10 44101 up"},
			want: []string{"port-mismatch @ up", "no-live-host @ "},
			check: func(t *testing.T, rep *audit.Report) {
				f := only(t, rep, audit.CheckPortMismatch)
				if f.Severity != audit.SeverityError || f.Command.String() != "kmsdns publish --zone t.example --host up.t.example --port 1688 --priority 5 --weight 10 --ttl 3600" {
					t.Errorf("%s %s", f.Severity, f.Command)
				}
				if !strings.Contains(f.Message, "answers as a KMS host on port 1688") || !strings.Contains(f.Message, "not on 44101 (refused)") {
					t.Errorf("message %s", f.Message)
				}
			}},
		{name: "port-mismatch: neither port answers", records: []string{"@ 3600 0 0 44101 up"},
			edit: func(auth, cache map[string]resolve.Resolution, p fakeProber) { delete(p, apUp) },
			want: []string{"port-mismatch @ up", "host-unreachable @ up", "no-live-host @ "},
			check: func(t *testing.T, rep *audit.Report) {
				for _, f := range rep.Findings {
					if f.Command != nil && slices.Contains(f.Command, "publish") {
						t.Errorf("%s suggests %s, nothing answers on either port", f.Check, f.Command)
					}
				}
			}},
		{name: "port-mismatch: not probed", records: []string{"@ 3600 0 0 44101 up"}, noProbe: true,
			want: []string{"port-mismatch @ up", "no-live-host @ "},
			check: func(t *testing.T, rep *audit.Report) {
				f := only(t, rep, audit.CheckPortMismatch)
				if f.Severity != audit.SeverityError || f.Command != nil || !strings.Contains(f.Fix, "did not probe") {
					t.Errorf("%s %s %s", f.Severity, f.Command, f.Fix)
				}
			}},
		// N2: a probe the caller cancelled is no finding; the target says so.
		{name: "cancelled probe", records: []string{"@ 3600 0 0 1688 down"},
			edit: func(auth, cache map[string]resolve.Resolution, p fakeProber) {
				p[apDown] = probe.Result{Status: probe.StatusCancelled, Detail: "interrupted"}
			},
			check: func(t *testing.T, rep *audit.Report) {
				if tg := target(t, rep, "down."+tz); tg.Probe != string(probe.StatusCancelled) {
					t.Errorf("targets[] says probe %q", tg.Probe)
				}
			}},
		{name: "stale after the default week", records: []string{"@ 3600 0 0 1688 up", "@ 3600 0 0 1688 up2"}, ages: map[int]uint32{0: age(8 * 24 * time.Hour), 1: age(6 * 24 * time.Hour)},
			want: []string{"stale-registration @ up"}},
		{name: "stale threshold 0 is the default", records: []string{"@ 3600 0 0 1688 up"}, ages: map[int]uint32{0: age(2 * 24 * time.Hour)}, policy: audit.Policy{StaleAfter: 0}},
		{name: "policy stale-after", records: []string{"@ 3600 0 0 1688 up", "@ 3600 0 0 1688 up2"}, ages: map[int]uint32{0: age(3 * 24 * time.Hour), 1: age(24 * time.Hour)},
			policy: audit.Policy{StaleAfter: 48 * time.Hour}, want: []string{"stale-registration @ up"}},
		{name: "long-ttl", records: []string{"@ 172800 0 0 1688 up", "@ 3600 0 0 1688 up2"}, want: []string{"long-ttl @ up"},
			check: func(t *testing.T, rep *audit.Report) {
				if got := only(t, rep, audit.CheckLongTTL).Command.String(); got != "kmsdns publish --zone t.example --host up.t.example --port 1688 --priority 0 --weight 0 --ttl 3600" {
					t.Errorf("command %q", got)
				}
			}},
		{name: "host-unreachable: refused", records: []string{"@ 3600 0 0 1688 up", "@ 3600 0 0 1688 down"}, want: []string{"host-unreachable @ down"},
			check: func(t *testing.T, rep *audit.Report) {
				f := only(t, rep, audit.CheckHostUnreachable)
				if !strings.Contains(f.Message, "refused") || !slices.Equal(f.ClientErrors, []string{audit.CodeRPCUnavail, audit.CodeNoKMS}) {
					t.Errorf("%s %v", f.Message, f.ClientErrors)
				}
			}},
		{name: "host-unreachable: timeout", records: []string{"@ 3600 0 0 1688 up", "@ 3600 0 0 1688 down"},
			edit: func(auth, cache map[string]resolve.Resolution, p fakeProber) {
				p[apDown] = probe.Result{Status: probe.StatusTimeout, Detail: "no answer to the TCP connection", Elapsed: 3 * time.Second}
			},
			want: []string{"host-unreachable @ down"},
			check: func(t *testing.T, rep *audit.Report) {
				f := only(t, rep, audit.CheckHostUnreachable)
				if !strings.Contains(f.Message, "(waited 3s)") || !strings.Contains(f.Message, "no TCP connection") || !slices.Equal(f.ClientErrors, []string{audit.CodeKMSNoAnswer, audit.CodeNoKMS}) {
					t.Errorf("%s %v", f.Message, f.ClientErrors)
				}
				if !strings.Contains(f.Fix, "Open TCP 1688") {
					t.Errorf("fix %s", f.Fix)
				}
			}},
		{name: "not-kms", records: []string{"@ 3600 0 0 1688 up2", "@ 3600 0 0 1689 up"}, policy: audit.Policy{HostPorts: map[string]uint16{"up.t.example.": 1689}},
			want: []string{"not-kms @ up"}},
		// The host's working record (priority 0) beside one on the wrong
		// port (priority 5): both findings say the same, keep the working
		// record as it is and remove the other by hand; no command moves
		// the working record to priority 5 (REVIEW3 item 8), and publish
		// would leave the other record alone (item 7).
		{name: "duplicate-target", records: []string{"@ 3600 0 0 1688 up", "@ 3600 5 0 1689 up", "@ 3600 0 0 1688 up2"},
			want: []string{"duplicate-target @ up", "port-mismatch @ up"},
			check: func(t *testing.T, rep *audit.Report) {
				dup, pm := only(t, rep, audit.CheckDuplicateTarget), only(t, rep, audit.CheckPortMismatch)
				const same = "Keep up.t.example's record on port 1688 (priority 0, weight 0) as it is and remove the port-1689 record under _vlmcs._tcp.t.example by hand"
				for _, f := range []audit.Finding{dup, pm} {
					if f.Command != nil || f.Commands != nil || !strings.Contains(f.Fix, same) {
						t.Errorf("%s: command %q, fix %q", f.Check, f.Command, f.Fix)
					}
				}
				// unpublish would remove the good record too: no command
				for _, f := range rep.Findings {
					if f.Check == audit.CheckNotKMS && f.Command != nil {
						t.Errorf("not-kms suggests %s", f.Command)
					}
				}
			}},
		// Duplicates on the expected port: publishing the first as it is
		// replaces them all with it, keeping its priority and weight.
		{name: "duplicate-target on one port", records: []string{"@ 3600 0 0 1688 up", "@ 3600 5 0 1688 up", "@ 3600 0 0 1688 up2"},
			want: []string{"duplicate-target @ up"},
			check: func(t *testing.T, rep *audit.Report) {
				if got := only(t, rep, audit.CheckDuplicateTarget).Command.String(); got != "kmsdns publish --zone t.example --host up.t.example --port 1688 --priority 0 --weight 0 --ttl 3600" {
					t.Errorf("command %q", got)
				}
			}},
		// Names a zone file may hold but publish and unpublish refuse
		// (--name: a '$', a backtick, a leading hyphen; --host: an
		// underscore): no command, the fix says to edit by hand; a name
		// they accept keeps its command (REVIEW3 item 6).
		{name: "names no command accepts", records: []string{"@ 3600 0 0 1688 up", "@ 3600 0 0 1688 bad_host", "@ 3600 0 0 1688 noaddr",
			"y$home 3600 0 0 1688 up", "y$home 3600 0 0 1688 noaddr", "x`id` 3600 0 0 1688 up", "x`id` 3600 0 0 1688 noaddr", "-x 3600 0 0 1688 up", "-x 3600 0 0 1688 noaddr"},
			edit: func(auth, cache map[string]resolve.Resolution, p fakeProber) {
				auth["bad_host."+tz] = resolve.Resolution{Status: resolve.NXDomain, Via: "server 127.0.0.1:53"}
			},
			want: []string{"target-unresolvable @ bad_host", "target-unresolvable @ noaddr", "target-unresolvable y$home noaddr", "target-unresolvable x`id` noaddr", "target-unresolvable -x noaddr"},
			check: func(t *testing.T, rep *audit.Report) {
				for _, f := range rep.Findings {
					if f.Check != audit.CheckTargetUnresolv {
						continue
					}
					if f.Name == "_vlmcs._tcp."+tz && f.Target == "noaddr."+tz {
						if got := f.Command.String(); got != "kmsdns unpublish --zone t.example --host noaddr.t.example" {
							t.Errorf("%s: command %q", f.Name, got)
						}
						continue
					}
					if f.Command != nil || !strings.Contains(f.Fix, "No command is given: the publish and unpublish commands refuse this name (--") || !strings.Contains(f.Fix, "make the change by hand") {
						t.Errorf("%s %s: command %q, fix %q", f.Name, f.Target, f.Command, f.Fix)
					}
				}
			}},
		{name: "no-live-host", records: []string{"@ 3600 0 0 1688 up", "dead 3600 0 0 1688 down"}, want: []string{"host-unreachable dead down", "no-live-host dead "},
			check: func(t *testing.T, rep *audit.Report) {
				if got := only(t, rep, audit.CheckNoLiveHost).Command.String(); got != "kmsdns publish --zone t.example --name dead --host up.t.example --port 1688 --priority 0 --weight 0 --ttl 3600" {
					t.Errorf("command %q", got)
				}
				if got := only(t, rep, audit.CheckHostUnreachable).Command.String(); got != "kmsdns unpublish --zone t.example --name dead --host down.t.example --force" {
					t.Errorf("command %q", got)
				}
			}},
		// Review 2 item 3: the host another name lends keeps this
		// RRset's TTL (900, not the donor's 600) and takes the name's
		// lowest priority, weight 0 (not the donor's 10 5).
		{name: "no-live-host: the RRset keeps its TTL", records: []string{"@ 600 10 5 1688 up", "dead 900 5 3 1688 down", "dead 900 7 0 1688 gone"},
			want: []string{"host-unreachable dead down", "target-unresolvable dead gone", "no-live-host dead "},
			check: func(t *testing.T, rep *audit.Report) {
				if got := only(t, rep, audit.CheckNoLiveHost).Command.String(); got != "kmsdns publish --zone t.example --name dead --host up.t.example --port 1688 --priority 5 --weight 0 --ttl 900" {
					t.Errorf("command %q", got)
				}
			}},
		{name: "no-kms-record: a new name gets publish's defaults", records: []string{"@ 600 10 5 1688 up"}, names: []string{"emea"}, want: []string{"no-kms-record emea "},
			check: func(t *testing.T, rep *audit.Report) {
				if got := only(t, rep, audit.CheckNoKMSRecord).Command.String(); got != "kmsdns publish --zone t.example --name emea --host up.t.example --port 1688 --priority 0 --weight 0 --ttl 3600" {
					t.Errorf("command %q", got)
				}
			}},
		{name: "lowest-priority-dead", records: []string{"@ 3600 0 0 1688 down", "@ 3600 10 5 1688 up"}, want: []string{"host-unreachable @ down", "lowest-priority-dead @ "},
			check: func(t *testing.T, rep *audit.Report) {
				f := only(t, rep, audit.CheckLowestPrioDead)
				if f.Severity != audit.SeverityError || f.Command.String() != "kmsdns publish --zone t.example --host up.t.example --port 1688 --priority 0 --weight 5 --ttl 3600" {
					t.Errorf("%s %s", f.Severity, f.Command)
				}
			}},
		// The primary is a live host on the wrong port: its port-mismatch
		// command brings it back; no unpublish of it anywhere.
		{name: "lowest-priority-dead: the primary is on the wrong port", records: []string{"@ 3600 0 0 1690 up", "@ 3600 10 5 1688 up2"},
			want: []string{"port-mismatch @ up", "lowest-priority-dead @ "},
			check: func(t *testing.T, rep *audit.Report) {
				f := only(t, rep, audit.CheckLowestPrioDead)
				if got := f.Command.String(); got != "kmsdns publish --zone t.example --host up.t.example --port 1688 --priority 0 --weight 0 --ttl 3600" || !strings.Contains(f.Fix, "port-mismatch") {
					t.Errorf("command %q, fix %s", got, f.Fix)
				}
			}},
		{name: "zero-weight", records: []string{"@ 3600 0 10 1688 up", "@ 3600 0 0 1688 up2"}, want: []string{"zero-weight @ up2"},
			check: func(t *testing.T, rep *audit.Report) {
				f := only(t, rep, audit.CheckZeroWeight)
				if f.Severity != audit.SeverityInfo || f.Port != 1688 {
					t.Errorf("%+v", f)
				}
			}},
		{name: "no-kms-record", records: []string{"@ 3600 0 0 1688 up"}, names: []string{"emea", "apac"}, want: []string{"no-kms-record emea ", "no-kms-record apac "},
			check: func(t *testing.T, rep *audit.Report) {
				for _, f := range rep.Findings {
					if !strings.HasPrefix(f.Command.String(), "kmsdns publish --zone t.example --name ") {
						t.Errorf("%s", f.Command)
					}
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			auth, prober := fakeWorld()
			cache := map[string]resolve.Resolution{}
			if c.edit != nil {
				c.edit(auth, cache, prober)
			}
			r := &zone.Snapshot{Zone: tz, Source: zone.SourceAXFR, Server: "127.0.0.1:53", Names: c.names}
			for i, s := range c.records {
				rec := mustRec(t, s)
				rec.Age = c.ages[i]
				r.Records = append(r.Records, rec)
			}
			opts := audit.Options{
				Policy: c.policy, Resolver: fakeResolver{auth: auth, cache: cache}, Prober: prober,
				Now: func() time.Time { return now },
			}
			if c.noProbe {
				opts.Prober = nil
			}
			rep := audit.Run(t.Context(), []*zone.Snapshot{r}, opts)
			got := findingsOf(rep, tz)
			want := slices.Clone(c.want)
			for i, w := range want {
				want[i] = strings.ReplaceAll(w, " @ ", " _vlmcs._tcp ")
				f := strings.SplitN(want[i], " ", 3)
				if f[1] != "_vlmcs._tcp" {
					f[1] = "_vlmcs._tcp." + f[1]
				}
				want[i] = strings.Join(f, " ")
			}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("findings:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
			for _, f := range rep.Findings {
				if f.Command != nil && !strings.Contains(f.Fix, f.Command.String()) {
					t.Errorf("%s: fix %q does not print its command", f.Check, f.Fix)
				}
				if f.Check == audit.CheckUnapprovedHost && (f.Target == "gone."+tz) {
					t.Errorf("slmgr /ipk advised for a host that does not exist")
				}
			}
			if c.check != nil {
				c.check(t, rep)
			}
		})
	}
}

func only(t *testing.T, rep *audit.Report, check string) audit.Finding {
	t.Helper()
	var out []audit.Finding
	for _, f := range rep.Findings {
		if f.Check == check {
			out = append(out, f)
		}
	}
	if len(out) != 1 {
		t.Fatalf("%d %s findings", len(out), check)
	}
	return out[0]
}

func target(t *testing.T, rep *audit.Report, name string) audit.Target {
	t.Helper()
	for _, tg := range rep.Targets {
		if tg.Target == name {
			return tg
		}
	}
	t.Fatalf("no target %s", name)
	return audit.Target{}
}

// cancelProber stands for Ctrl-C during the probes: the first probe
// cancels the audit's context and, like probe.Prober, reports that.
type cancelProber struct{ cancel context.CancelFunc }

func (p cancelProber) Probe(_ context.Context, ap netip.AddrPort) probe.Result {
	p.cancel()
	return probe.Result{Addr: ap, Status: probe.StatusCancelled, Detail: "interrupted"}
}

// TestInterruptedAudit: an audit whose context ends while it probes says
// it is incomplete (interrupted), and makes no finding from the probes
// cut short: not-kms, host-unreachable and no-live-host would be false
// outages.
func TestInterruptedAudit(t *testing.T) {
	auth, _ := fakeWorld()
	r := &zone.Snapshot{Zone: tz, Source: zone.SourceAXFR, Server: "127.0.0.1:53",
		Records: []zone.Record{mustRec(t, "@ 3600 0 0 1688 down"), mustRec(t, "@ 3600 0 0 1689 up")}}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	rep := audit.Run(ctx, []*zone.Snapshot{r}, audit.Options{Resolver: fakeResolver{auth: auth}, Prober: cancelProber{cancel}, Concurrency: 1})
	if !rep.Interrupted {
		t.Error("report not marked interrupted")
	}
	for _, f := range rep.Findings {
		switch f.Check {
		case audit.CheckNotKMS, audit.CheckHostUnreachable, audit.CheckNoLiveHost:
			t.Errorf("finding from a cancelled probe: %s %s: %s", f.Check, f.Target, f.Message)
		case audit.CheckPortMismatch:
			if f.Command != nil || f.Severity != audit.SeverityWarning || !strings.Contains(f.Message, "interrupted") {
				t.Errorf("port-mismatch of an interrupted probe: %s %s %s", f.Severity, f.Message, f.Command)
			}
		}
	}
	if rep := audit.Run(t.Context(), []*zone.Snapshot{r}, audit.Options{Resolver: fakeResolver{auth: auth}}); rep.Interrupted {
		t.Error("a complete audit is marked interrupted")
	}
}

// TestPartialPublishKeepsTheRRsetTTL: the host partial-publish suggests
// for another zone keeps its priority and weight but takes the TTL of that
// zone's apex RRset (publish with another TTL changes the TTL of the
// records already there), or publish's default for a zone with none.
func TestPartialPublishKeepsTheRRsetTTL(t *testing.T) {
	a := &zone.Snapshot{Zone: tz, Source: zone.SourceAXFR, Records: []zone.Record{mustRec(t, "@ 600 5 10 1688 up"), mustRec(t, "@ 600 0 0 1688 up2")}}
	const held, empty = "held.example.", "empty.example."
	b := &zone.Snapshot{Zone: held, Source: zone.SourceAXFR, Records: []zone.Record{{Zone: held, Name: "_vlmcs._tcp." + held, TTL: 7200, Port: 1688, Target: "up." + tz}}}
	c := &zone.Snapshot{Zone: empty, Source: zone.SourceAXFR}
	auth, prober := fakeWorld()
	rep := audit.Run(t.Context(), []*zone.Snapshot{a, b, c}, audit.Options{
		Policy:   audit.Policy{PublishGroups: [][]string{{tz, held, empty}}},
		Resolver: fakeResolver{auth: auth}, Prober: prober,
	})
	var got []string
	for _, f := range rep.Findings {
		if f.Check == audit.CheckPartialPublish {
			got = append(got, f.Command.String())
		}
	}
	slices.Sort(got)
	want := []string{
		"kmsdns publish --zone empty.example --host up.t.example --port 1688 --priority 5 --weight 10 --ttl 3600",
		"kmsdns publish --zone empty.example --host up2.t.example --port 1688 --priority 0 --weight 0 --ttl 3600",
		"kmsdns publish --zone held.example --host up2.t.example --port 1688 --priority 0 --weight 0 --ttl 7200",
	}
	if !slices.Equal(got, want) {
		t.Errorf("partial-publish commands:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestClientViewFixesKeepTheRRsetTTL: a client view (kmsdns check) reads
// records through a resolver, whose TTLs are what its cache has left; a
// command that republishes into that RRset gives no --ttl (publish keeps
// the RRset's), where a --ttl of the cached value would lower the TTL of
// every record of the name. Only long-ttl's fix sets a TTL.
func TestClientViewFixesKeepTheRRsetTTL(t *testing.T) {
	const domain = "emea." + tz
	name := "_vlmcs._tcp." + domain
	rec := func(ttl uint32, prio, weight, port uint16, target string) zone.Record {
		return zone.Record{Zone: domain, Name: name, TTL: ttl, Priority: prio, Weight: weight, Port: port, Target: target + "." + tz}
	}
	auth, prober := fakeWorld()
	auth["up3."+tz] = auth["up."+tz] // a KMS host at up's address
	r := &zone.Snapshot{Zone: domain, Source: zone.SourceResolver, Server: "127.0.0.53:53", Records: []zone.Record{
		rec(3517, 5, 7, 1690, "up2"), rec(3517, 0, 0, 1688, "cname"), rec(3517, 0, 0, 1688, "down"), rec(3517, 0, 0, 1688, "up3"), rec(3517, 2, 0, 1688, "up3"),
	}}
	rep := audit.Run(t.Context(), []*zone.Snapshot{r}, audit.Options{
		Resolver: fakeResolver{auth: auth}, Prober: prober, Now: func() time.Time { return now },
		ContainingZone: map[string]string{domain: tz},
	})
	want := map[string]string{
		audit.CheckPortMismatch:    "kmsdns publish --zone t.example --name emea --host up2.t.example --port 1688 --priority 5 --weight 7",
		audit.CheckTargetCNAME:     "kmsdns publish --zone t.example --name emea --host up.t.example --port 1688 --priority 0 --weight 0",
		audit.CheckDuplicateTarget: "kmsdns publish --zone t.example --name emea --host up3.t.example --port 1688 --priority 0 --weight 0",
	}
	for check, w := range want {
		if got := only(t, rep, check).Command.String(); got != w {
			t.Errorf("%s: %q, want %q", check, got, w)
		}
	}
	for _, f := range rep.Findings {
		if slices.Contains(f.Command, "--ttl") {
			t.Errorf("%s suggests a TTL from a resolver's cache: %s", f.Check, f.Command)
		}
	}
}
