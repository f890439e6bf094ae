//go:build !windows

package cleanup_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

var updKey = testserver.Key{Name: "upd", Algorithm: "hmac-sha256", Secret: "2z1o3F1bIYb8cQ4uXkM0m9b4o6Q2QeQfW1yq0m9oVrQ="}

func zoneText(origin string) string {
	return fmt.Sprintf(`$ORIGIN %s.
$TTL 600
@ IN SOA ns1 hostmaster 1 3600 900 1209600 300
  IN NS ns1
ns1 IN A 127.0.0.1
www IN A 127.0.0.80
_vlmcs._tcp IN SRV 0 0 1688 kms-ok
_vlmcs._tcp IN SRV 0 0 1688 kms-old
`, origin)
}

// lab is one BIND for the whole package; each test has zones of its own.
type lab struct {
	bind *testserver.Server
}

var labZones = []string{"ns1.example", "ns2.example", "i1.example", "i2.example", "i3.example", "b1.example", "t1.example", "t2.example", "e1.example", "l1.example", "l2.example", "a1.example", "a2.example", "a3.example", "ch1.example", "n1.example", "rr1.example", "rr2.example", "big1.example", "bu1.example"}

// labExtra are records some lab zones hold besides zoneText's.
var labExtra = map[string]string{
	"a1.example":   "kms IN CNAME kms-old\nchain IN CNAME kms.a1.example.\nother IN CNAME www\n",
	"a2.example":   "legacy IN CNAME kms-old.a1.example.\nloop1 IN CNAME loop2\nloop2 IN CNAME loop1\n",
	"a3.example":   "kms IN CNAME kms-old.a1.example.\n",
	"big1.example": bigRRset,
}

// bigRRset is 1500 KMS records at one name: removing them all takes an
// UPDATE larger than one DNS message.
var bigRRset = func() string {
	var b strings.Builder
	for i := range 1500 {
		fmt.Fprintf(&b, "_vlmcs._tcp.big IN SRV 0 0 1688 kms-%04d\n", i)
	}
	return b.String()
}()

func startLab(t *testing.T) *lab {
	var zs []testserver.Zone
	for _, z := range labZones {
		xfr := "any;"
		if z == "a3.example" {
			xfr = "none;" // read by queries: its CNAMEs cannot be listed
		}
		zs = append(zs, testserver.Zone{Name: z, Content: zoneText(z) + labExtra[z], Transfer: xfr, Extra: "update-policy { grant upd zonesub SRV; };"})
	}
	return &lab{bind: testserver.StartBIND(t, testserver.BINDConfig{Keys: []testserver.Key{updKey}, Zones: zs})}
}

func signer(t *testing.T) publish.Signer {
	t.Helper()
	key, err := zone.NewKey(updKey.Name, updKey.Algorithm, updKey.Secret)
	if err != nil {
		t.Fatal(err)
	}
	return publish.TSIG{Key: key}
}

func oldRecord(z string) zone.Record {
	z = dns.Fqdn(z)
	return zone.Record{Zone: z, Name: "_vlmcs._tcp." + z, TTL: 600, Port: 1688, Target: "kms-old." + z}
}

func srvLines(recs []string) []string {
	var out []string
	for _, r := range recs {
		if strings.Contains(r, "\tsrv\t") {
			out = append(out, r)
		}
	}
	return out
}

func hasOld(t *testing.T, server, z string) bool {
	return slices.ContainsFunc(testserver.Records(t, server, z), func(r string) bool { return strings.Contains(r, "kms-old") && strings.Contains(r, "\tsrv\t") })
}

// planFor plans removing kms-old from zones, through server.
func planFor(t *testing.T, ctx context.Context, cl *publish.Client, server string, replace *publish.Record, zones ...string) *cleanup.Plan {
	t.Helper()
	var targets []publish.Primary
	var rms []cleanup.Removal
	for _, z := range zones {
		targets = append(targets, publish.Primary{Zone: z, Server: server})
		rms = append(rms, cleanup.Removal{Record: oldRecord(z)})
	}
	p := cleanup.NewPlan(ctx, cl, targets, rms, replace, false)
	if p.Sends() != len(zones) {
		t.Fatalf("plan sends %d of %d zones: %+v", p.Sends(), len(zones), p.Zones)
	}
	return p
}

func TestAgainstBIND(t *testing.T) {
	l := startLab(t)
	t.Run("interrupted between zones", l.testInterrupted)
	t.Run("backup on disk before the first update", l.testBackupFirst)
	t.Run("timed-out update read back", l.testTimeoutReadBack)
	t.Run("signing or connecting failed: not sent, nothing pending", l.testNotSent)
	t.Run("record edited meanwhile", l.testEditedMeanwhile)
	t.Run("replacement TTL", l.testReplacementTTL)
	t.Run("CNAMEs of a removed host in every zone", l.testAliases)
	t.Run("record changed since it was read is kept", l.testChangedSinceRead)
	t.Run("a plan that only adds writes no backup", l.testAddOnly)
	t.Run("replacement refused or warned", l.testReplacementRefused)
	t.Run("too large for one message: refused at planning", l.testTooLarge)
}

// testTooLarge: removing 1500 records at one name (each also in the
// prerequisite) would not fit one DNS message: the plan refuses that zone
// with publish.ErrUpdateTooLarge before anything is sent, and the zone
// still holds every record.
func (l *lab) testTooLarge(t *testing.T) {
	const z = "big1.example."
	var rms []cleanup.Removal
	for i := range 1500 {
		rms = append(rms, cleanup.Removal{Record: zone.Record{Zone: z, Name: "_vlmcs._tcp.big." + z, TTL: 600, Port: 1688, Target: fmt.Sprintf("kms-%04d.%s", i, z)}})
	}
	cl := publish.NewClient(publish.Options{Signer: signer(t)})
	p := cleanup.NewPlan(t.Context(), cl, []publish.Primary{{Zone: z, Server: l.bind.Addr}}, rms, nil, true)
	if len(p.Zones) != 1 || !errors.Is(p.Zones[0].Err, publish.ErrUpdateTooLarge) || p.Sends() != 0 {
		t.Fatalf("plan: %d zones, sends %d, err %v; want ErrUpdateTooLarge", len(p.Zones), p.Sends(), p.Zones[0].Err)
	}
	if n := len(srvLines(testserver.Records(t, l.bind.Addr, z))); n != 1502 {
		t.Errorf("the zone holds %d SRV records, want 1502", n)
	}
}

// testInterrupted: the context is cancelled after the first zone's update
// (as SIGTERM does): the second and third zones are not sent, the account
// says so, and the state file holds exactly the first zone's record.
func (l *lab) testInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cl := publish.NewClient(publish.Options{Signer: signer(t)})
	defer cl.Close()
	plan := planFor(t, ctx, cl, l.bind.Addr, nil, "i1.example", "i2.example", "i3.example")
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	calls := 0
	out, err := cleanup.Apply(ctx, cl, plan, cleanup.ApplyOptions{
		BackupPath: filepath.Join(dir, "backup.zone"),
		State:      &cleanup.StateStore{Path: state},
		BeforeZone: func(z string) {
			calls++
			if calls == 2 {
				cancel()
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, z := range out.Zones {
		got = append(got, fmt.Sprintf("%s %s", z.Zone, z.Status))
	}
	want := []string{"i1.example. changed", "i2.example. not sent", "i3.example. not sent"}
	if !out.Interrupted || !slices.Equal(got, want) {
		t.Errorf("account: interrupted %v %v, want %v", out.Interrupted, got, want)
	}
	if hasOld(t, l.bind.Addr, "i1.example") || !hasOld(t, l.bind.Addr, "i2.example") || !hasOld(t, l.bind.Addr, "i3.example") {
		t.Errorf("zones: i1 %v i2 %v i3 %v", hasOld(t, l.bind.Addr, "i1.example"), hasOld(t, l.bind.Addr, "i2.example"), hasOld(t, l.bind.Addr, "i3.example"))
	}
	s, err := cleanup.LoadState(state)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Removed) != 1 || !s.Removed[0].Same(oldRecord("i1.example")) || s.Removed[0].Pending {
		t.Errorf("state: %+v", s.Removed)
	}
}

// testBackupFirst: when the first update is about to be sent, the backup
// is on disk with every record to remove.
func (l *lab) testBackupFirst(t *testing.T) {
	ctx := t.Context()
	cl := publish.NewClient(publish.Options{Signer: signer(t)})
	defer cl.Close()
	plan := planFor(t, ctx, cl, l.bind.Addr, nil, "b1.example")
	dir := t.TempDir()
	path := filepath.Join(dir, "backup.zone")
	var atFirstSend []byte
	out, err := cleanup.Apply(ctx, cl, plan, cleanup.ApplyOptions{BackupPath: path, BeforeZone: func(string) {
		if atFirstSend == nil {
			atFirstSend, _ = os.ReadFile(path)
			if atFirstSend == nil {
				atFirstSend = []byte{}
			}
		}
	}})
	if err != nil || out.Zones[0].Status != cleanup.StatusChanged {
		t.Fatalf("apply: %v %+v", err, out)
	}
	b, err := publish.ReadBackup(strings.NewReader(string(atFirstSend)), path)
	if err != nil || len(b.Zones) != 1 || len(b.Zones[0].Records) != 1 || b.Zones[0].Records[0] != oldRecord("b1.example") {
		t.Fatalf("backup when the first update went: %v\n%s", err, atFirstSend)
	}
	// An existing backup file is never overwritten: nothing is sent.
	before := testserver.Records(t, l.bind.Addr, "i2.example")
	plan = planFor(t, ctx, cl, l.bind.Addr, nil, "i2.example")
	if _, err := cleanup.Apply(ctx, cl, plan, cleanup.ApplyOptions{BackupPath: path}); !errors.Is(err, cleanup.ErrBackup) {
		t.Errorf("existing backup: %v", err)
	}
	if got := testserver.Records(t, l.bind.Addr, "i2.example"); !slices.Equal(got, before) {
		t.Errorf("sent without a backup: %v", got)
	}
	// A default (time-of-day) name that exists: the backup goes beside it.
	first, _ := os.ReadFile(path)
	plan = planFor(t, ctx, cl, l.bind.Addr, nil, "bu1.example")
	out, err = cleanup.Apply(ctx, cl, plan, cleanup.ApplyOptions{BackupPath: path, BackupUnique: true})
	if err != nil || out.Backup != filepath.Join(dir, "backup-2.zone") || out.Zones[0].Status != cleanup.StatusChanged {
		t.Fatalf("unique backup: %v %+v", err, out)
	}
	if again, _ := os.ReadFile(path); string(again) != string(first) {
		t.Errorf("the existing backup was overwritten")
	}
	if b, _ := os.ReadFile(out.Backup); !strings.Contains(string(b), "bu1.example") {
		t.Errorf("backup-2.zone:\n%s", b)
	}
}

// testTimeoutReadBack: an UPDATE whose answer never comes is read back:
// applied (t1, the server got it) or not applied (t2, it never arrived),
// and the result says which.
func (l *lab) testTimeoutReadBack(t *testing.T) {
	ctx := t.Context()
	for _, c := range []struct {
		zone     string
		forward  bool
		status   cleanup.Status
		readBack string
		oldLeft  bool
	}{
		{"t1.example", true, cleanup.StatusChanged, "applied", false},
		{"t2.example", false, cleanup.StatusNotChanged, "not applied", true},
	} {
		t.Run(c.zone, func(t *testing.T) {
			addr := testserver.LoseUpdates(t, l.bind.Addr, c.forward)
			cl := publish.NewClient(publish.Options{Signer: signer(t), Timeout: 500 * time.Millisecond})
			defer cl.Close()
			plan := planFor(t, ctx, cl, addr, nil, c.zone)
			dir := t.TempDir()
			state := filepath.Join(dir, "state.json")
			out, err := cleanup.Apply(ctx, cl, plan, cleanup.ApplyOptions{BackupPath: filepath.Join(dir, "b.zone"), State: &cleanup.StateStore{Path: state}})
			if err != nil {
				t.Fatal(err)
			}
			z := out.Zones[0]
			if z.Status != c.status || z.ReadBack != c.readBack || !strings.Contains(z.Note, "read back: it was "+c.readBack) {
				t.Errorf("status %q read-back %q note %q err %v", z.Status, z.ReadBack, z.Note, z.Err)
			}
			if got := hasOld(t, l.bind.Addr, c.zone); got != c.oldLeft {
				t.Errorf("kms-old still there: %v", got)
			}
			s, _ := cleanup.LoadState(state)
			if remembered := len(s.Removed) == 1 && !s.Removed[0].Pending; remembered == c.oldLeft || (c.oldLeft && len(s.Removed) != 0) {
				t.Errorf("state: %+v", s.Removed)
			}
		})
	}
}

// failSigner fails as a GSS-TSIG negotiation does (a wrong password, an
// unknown principal, clock skew): before anything is written.
type failSigner struct{}

func (failSigner) Sign(context.Context, string) (string, string, dns.TsigProvider, error) {
	return "", "", nil, errors.New("negotiating GSS-TSIG: KDC_ERR_PREAUTH_FAILED")
}
func (failSigner) Close() error { return nil }

// testNotSent: an update whose signing failed, or whose server refused
// the connection, never left this host: the zone is "not sent" (not
// "unknown"), the record is still there and the state file keeps no
// pending entry for it.
func (l *lab) testNotSent(t *testing.T) {
	ctx := t.Context()
	for _, c := range []struct {
		zone  string
		spoil func(*cleanup.ZonePlan)
		err   string
	}{
		{"ns1.example", func(zp *cleanup.ZonePlan) { zp.Signer = failSigner{} }, "KDC_ERR_PREAUTH_FAILED"},
		{"ns2.example", func(zp *cleanup.ZonePlan) { zp.Server = "127.0.0.1:1" }, "connecting to 127.0.0.1:1"},
	} {
		t.Run(c.zone, func(t *testing.T) {
			cl := publish.NewClient(publish.Options{Signer: signer(t)})
			defer cl.Close()
			plan := planFor(t, ctx, cl, l.bind.Addr, nil, c.zone)
			c.spoil(plan.Zones[0])
			dir := t.TempDir()
			state := filepath.Join(dir, "state.json")
			out, err := cleanup.Apply(ctx, cl, plan, cleanup.ApplyOptions{BackupPath: filepath.Join(dir, "b.zone"), State: &cleanup.StateStore{Path: state}})
			if err != nil {
				t.Fatal(err)
			}
			z := out.Zones[0]
			if z.Status != cleanup.StatusNotSent || z.Answer != "nothing sent" || z.Err == nil || !strings.Contains(z.Err.Error(), c.err) {
				t.Errorf("status %q answer %q err %v", z.Status, z.Answer, z.Err)
			}
			if !hasOld(t, l.bind.Addr, c.zone) {
				t.Error("kms-old was removed")
			}
			if s, err := cleanup.LoadState(state); err != nil || len(s.Removed) != 0 {
				t.Errorf("state (%v): %+v", err, s.Removed)
			}
		})
	}
}

// testEditedMeanwhile: a record edited between the plan and the update
// is not clobbered: the zone is not changed and the state forgets it.
func (l *lab) testEditedMeanwhile(t *testing.T) {
	ctx := t.Context()
	cl := publish.NewClient(publish.Options{Signer: signer(t)})
	defer cl.Close()
	plan := planFor(t, ctx, cl, l.bind.Addr, nil, "e1.example")
	// Someone moves kms-old to another port meanwhile.
	m := new(dns.Msg)
	m.SetUpdate("e1.example.")
	old, _ := dns.NewRR("_vlmcs._tcp.e1.example. 600 IN SRV 0 0 1688 kms-old.e1.example.")
	moved, _ := dns.NewRR("_vlmcs._tcp.e1.example. 600 IN SRV 0 0 1700 kms-old.e1.example.")
	m.Remove([]dns.RR{old})
	m.Insert([]dns.RR{moved})
	m.SetTsig("upd.", dns.HmacSHA256, 300, time.Now().Unix())
	c := &dns.Client{Net: "tcp", TsigSecret: map[string]string{"upd.": updKey.Secret}}
	if r, _, err := c.Exchange(m, l.bind.Addr); err != nil || r.Rcode != dns.RcodeSuccess {
		t.Fatalf("edit: %v %v", r, err)
	}
	before := testserver.Records(t, l.bind.Addr, "e1.example")
	dir := t.TempDir()
	state := filepath.Join(dir, "s.json")
	out, err := cleanup.Apply(ctx, cl, plan, cleanup.ApplyOptions{BackupPath: filepath.Join(dir, "b.zone"), State: &cleanup.StateStore{Path: state}})
	if err != nil {
		t.Fatal(err)
	}
	if z := out.Zones[0]; z.Status != cleanup.StatusNotChanged || !errors.Is(z.Err, publish.ErrChanged) {
		t.Errorf("%s: %v", z.Status, z.Err)
	}
	if got := testserver.Records(t, l.bind.Addr, "e1.example"); !slices.Equal(got, before) {
		t.Errorf("changed: %v", got)
	}
	if s, _ := cleanup.LoadState(state); len(s.Removed) != 0 {
		t.Errorf("state remembers a record not removed: %+v", s.Removed)
	}
}

// testReplacementTTL: without a TTL the replacement takes the RRset's
// (600); with another TTL the plan says it changes the TTL of the others,
// and the server holds one TTL for the set.
func (l *lab) testReplacementTTL(t *testing.T) {
	ctx := t.Context()
	cl := publish.NewClient(publish.Options{Signer: signer(t)})
	defer cl.Close()
	for _, c := range []struct {
		zone    string
		ttl     uint32
		wantTTL int
		note    string
	}{
		{"l1.example", 0, 600, ""},
		{"l2.example", 60, 60, "changes the TTL of 1 other records from 600 to 60"},
	} {
		t.Run(c.zone, func(t *testing.T) {
			rep := &publish.Record{Target: "kms-new." + c.zone + ".", Port: 1688, TTL: c.ttl, Priority: 5, Weight: 10}
			plan := planFor(t, ctx, cl, l.bind.Addr, rep, c.zone)
			notes := strings.Join(plan.Zones[0].TTLNotes, "; ")
			if c.note == "" && notes != "" || !strings.Contains(notes, c.note) {
				t.Errorf("TTL notes %q, want %q", notes, c.note)
			}
			dir := t.TempDir()
			out, err := cleanup.Apply(ctx, cl, plan, cleanup.ApplyOptions{BackupPath: filepath.Join(dir, "b.zone")})
			if err != nil || out.Zones[0].Status != cleanup.StatusChanged {
				t.Fatalf("%v %+v", err, out.Zones)
			}
			z := c.zone + "."
			want := []string{
				fmt.Sprintf("_vlmcs._tcp.%s\t%d\tin\tsrv\t0 0 1688 kms-ok.%s", z, c.wantTTL, z),
				fmt.Sprintf("_vlmcs._tcp.%s\t%d\tin\tsrv\t5 10 1688 kms-new.%s", z, c.wantTTL, z),
			}
			slices.Sort(want)
			if got := srvLines(testserver.Records(t, l.bind.Addr, c.zone)); !slices.Equal(got, want) {
				t.Errorf("zone:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// testAliases: removing kms-old.a1.example warns about every CNAME that
// leads to it in any zone read (in its own zone, from another zone,
// through a chain), names the zone whose CNAMEs could not be listed (read
// by queries), and says nothing of other CNAMEs (or a loop). Without
// ReadOptions.Aliases nothing is kept.
func (l *lab) testAliases(t *testing.T) {
	specs := []zone.Spec{{Zone: "a1.example", Server: l.bind.Addr}, {Zone: "a2.example", Server: l.bind.Addr}, {Zone: "a3.example", Server: l.bind.Addr}}
	rms := []cleanup.Removal{{Record: oldRecord("a1.example")}}
	results := zone.ReadAll(t.Context(), specs, zone.ReadOptions{Aliases: true})
	for _, r := range results {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	if results[2].Source != zone.SourceQuery {
		t.Fatalf("a3.example read by %s", results[2].Source)
	}
	got := cleanup.AliasWarnings(&audit.Report{}, rms, results...)
	want := []string{
		"chain.a1.example (a CNAME in zone a1.example) leads to kms-old.a1.example, which this cleanup removes: clients configured with it (slmgr /skms chain.a1.example) or records pointing at it still reach the failed host; point it at a working host or remove it",
		"kms.a1.example (a CNAME in zone a1.example) leads to kms-old.a1.example, which this cleanup removes: clients configured with it (slmgr /skms kms.a1.example) or records pointing at it still reach the failed host; point it at a working host or remove it",
		"legacy.a2.example (a CNAME in zone a2.example) leads to kms-old.a1.example, which this cleanup removes: clients configured with it (slmgr /skms legacy.a2.example) or records pointing at it still reach the failed host; point it at a working host or remove it",
		"zone a3.example was read by direct queries (no transfer): CNAMEs in it that point at the removed hosts could not be looked for",
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	// An SRV target that is itself an alias is told once, as such.
	rep := &audit.Report{Targets: []audit.Target{{Target: "kms.a1.example.", CNAME: "kms-old.a1.example."}}}
	want[1] = "kms.a1.example is an alias (CNAME) of kms-old.a1.example, which this cleanup removes: records pointing at kms.a1.example still send clients there"
	if got2 := cleanup.AliasWarnings(rep, rms, results...); !slices.Equal(got2, want) {
		t.Errorf("with the alias as a KMS target:\n  %s", strings.Join(got2, "\n  "))
	}
	for _, r := range zone.ReadAll(t.Context(), specs[:2], zone.ReadOptions{}) {
		if len(r.Aliases) != 0 {
			t.Errorf("%s: aliases kept without ReadOptions.Aliases: %v", r.Zone, r.Aliases)
		}
	}
}
