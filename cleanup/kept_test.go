//go:build !windows

package cleanup_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/audit/probe"
	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/miekg/dns"
)

// update sends one signed UPDATE removing and inserting records, as
// another admin would.
func update(t *testing.T, server, z string, remove, insert string) {
	t.Helper()
	m := new(dns.Msg)
	m.SetUpdate(dns.Fqdn(z))
	if remove != "" {
		rr, _ := dns.NewRR(remove)
		m.Remove([]dns.RR{rr})
	}
	if insert != "" {
		rr, _ := dns.NewRR(insert)
		m.Insert([]dns.RR{rr})
	}
	m.SetTsig("upd.", dns.HmacSHA256, 300, time.Now().Unix())
	c := &dns.Client{Net: "tcp", TsigSecret: map[string]string{"upd.": updKey.Secret}}
	if r, _, err := c.Exchange(m, server); err != nil || r.Rcode != dns.RcodeSuccess {
		t.Fatalf("update: %v %v", r, err)
	}
}

// testChangedSinceRead: a record the audit read that the primary now holds
// in another form (kms-old moved to port 1700) is kept with the reason,
// not taken for gone; nothing is sent, no backup is written.
func (l *lab) testChangedSinceRead(t *testing.T) {
	const z = "ch1.example"
	ctx := t.Context()
	update(t, l.bind.Addr, z, "_vlmcs._tcp.ch1.example. 600 IN SRV 0 0 1688 kms-old.ch1.example.", "_vlmcs._tcp.ch1.example. 600 IN SRV 0 0 1700 kms-old.ch1.example.")
	before := testserver.Records(t, l.bind.Addr, z)
	cl := publish.NewClient(publish.Options{Signer: signer(t)})
	defer cl.Close()
	plan := cleanup.NewPlan(ctx, cl, []publish.Primary{{Zone: z, Server: l.bind.Addr}}, []cleanup.Removal{{Record: oldRecord(z)}}, nil, false)
	kept := plan.Kept()
	if len(kept) != 1 || kept[0].Record != oldRecord(z) || len(plan.Zones[0].Gone) != 0 || plan.Sends() != 0 ||
		!strings.Contains(kept[0].Reason, "changed since the audit read it: the primary now holds _vlmcs._tcp.ch1.example.\t600\tIN\tSRV\t0 0 1700 kms-old.ch1.example.") {
		t.Fatalf("kept %+v, gone %+v", kept, plan.Zones[0].Gone)
	}
	backup := filepath.Join(t.TempDir(), "b.zone")
	out, err := cleanup.Apply(ctx, cl, plan, cleanup.ApplyOptions{BackupPath: backup})
	if err != nil || out.Backup != "" || out.Zones[0].Status != cleanup.StatusNotSent {
		t.Fatalf("%v %+v", err, out)
	}
	if _, err := os.Stat(backup); !os.IsNotExist(err) {
		t.Errorf("backup written: %v", err)
	}
	if got := testserver.Records(t, l.bind.Addr, z); !slices.Equal(got, before) {
		t.Errorf("changed: %v", got)
	}
}

// testAddOnly: a plan that removes nothing (converge's apply can make
// one) writes no backup, says so (Outcome.Backup is empty), and applies.
func (l *lab) testAddOnly(t *testing.T) {
	const z = "n1.example"
	ctx := t.Context()
	cl := publish.NewClient(publish.Options{Signer: signer(t)})
	defer cl.Close()
	owner := "_vlmcs._tcp." + z + "."
	cur, err := cl.Current(ctx, l.bind.Addr, z, owner)
	if err != nil {
		t.Fatal(err)
	}
	zp := publish.PlanPublish(z, l.bind.Addr, "", publish.Record{Target: "kms-new." + z + ".", Port: 1688}, cur)
	plan := &cleanup.Plan{Zones: []*cleanup.ZonePlan{{ZonePlan: zp}}}
	if plan.Sends() != 1 || plan.Removes() != 0 {
		t.Fatalf("sends %d removes %d", plan.Sends(), plan.Removes())
	}
	backup := filepath.Join(t.TempDir(), "b.zone")
	out, err := cleanup.Apply(ctx, cl, plan, cleanup.ApplyOptions{BackupPath: backup})
	if err != nil || out.Backup != "" || out.Zones[0].Status != cleanup.StatusChanged {
		t.Fatalf("%v %+v", err, out)
	}
	if _, err := os.Stat(backup); !os.IsNotExist(err) {
		t.Errorf("a backup was written for a plan that removes nothing: %v", err)
	}
	want := []string{
		fmt.Sprintf("%s\t600\tin\tsrv\t0 0 1688 kms-new.%s.", owner, z),
		fmt.Sprintf("%s\t600\tin\tsrv\t0 0 1688 kms-ok.%s.", owner, z),
		fmt.Sprintf("%s\t600\tin\tsrv\t0 0 1688 kms-old.%s.", owner, z),
	}
	if got := srvLines(testserver.Records(t, l.bind.Addr, z)); !slices.Equal(got, want) {
		t.Errorf("zone:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// testReplacementRefused: HeedReplacement warns about a replacement that
// does not resolve; with refuse every zone is blocked, its removals kept
// with the reason, nothing is sent and the zones stay as they were.
func (l *lab) testReplacementRefused(t *testing.T) {
	zones := []string{"rr1.example", "rr2.example"}
	ctx := t.Context()
	cl := publish.NewClient(publish.Options{Signer: signer(t)})
	defer cl.Close()
	before := map[string][]string{}
	var targets []publish.Primary
	for _, z := range zones {
		before[z] = testserver.Records(t, l.bind.Addr, z)
		targets = append(targets, publish.Primary{Zone: z, Server: l.bind.Addr})
	}
	rep := publish.Record{Target: "kms-nowhere.rr1.example.", Port: 1688}
	checks := publish.CheckHosts(ctx, targets, []publish.Record{rep}, &resolve.TargetResolver{Timeout: time.Second}, probe.Prober{Timeout: time.Second})
	for _, refuse := range []bool{false, true} {
		plan := planFor(t, ctx, cl, l.bind.Addr, &rep, zones...)
		plan.HeedReplacement(checks, refuse)
		if len(plan.Warnings) != 1 || !strings.Contains(plan.Warnings[0], "--replace-with kms-nowhere.rr1.example does not resolve") {
			t.Errorf("refuse %v: warnings %q", refuse, plan.Warnings)
		}
		if !refuse {
			if plan.Sends() != 2 || len(plan.Kept()) != 0 {
				t.Errorf("a warning blocked the plan: %+v", plan.Kept())
			}
			continue
		}
		kept := plan.Kept()
		if plan.Sends() != 0 || len(kept) != 2 || !strings.Contains(kept[0].Reason, "--require-live: the replacement kms-nowhere.rr1.example is not live") {
			t.Fatalf("sends %d, kept %+v", plan.Sends(), kept)
		}
		out, err := cleanup.Apply(ctx, cl, plan, cleanup.ApplyOptions{BackupPath: filepath.Join(t.TempDir(), "b.zone")})
		if err != nil || out.Backup != "" {
			t.Fatalf("%v %+v", err, out)
		}
	}
	for _, z := range zones {
		if got := testserver.Records(t, l.bind.Addr, z); !slices.Equal(got, before[z]) {
			t.Errorf("%s changed: %v", z, got)
		}
	}
}
