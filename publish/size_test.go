package publish_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// longHosts are n KMS hosts with long names: about 560 of them fill one
// UPDATE message.
func longHosts(n int, zoneName string) []publish.Record {
	var recs []publish.Record
	for i := range n {
		recs = append(recs, publish.Record{Target: fmt.Sprintf("kms%04d-%s.%s", i, strings.Repeat("x", 50), zoneName), Port: 1688})
	}
	return recs
}

// TestUpdateSizeCheckedAtPlanning: a plan whose UPDATE would not fit in
// one DNS message over TCP (less room for the signature) fails when it is
// made, naming the zone, the record count and the size; exactly
// MaxUpdateSize octets passes.
func TestUpdateSizeCheckedAtPlanning(t *testing.T) {
	// A plan of exactly MaxUpdateSize octets passes, one octet more fails.
	size := func(recs []publish.Record) int {
		return publish.PlanPublishAll("a.example", "127.0.0.1:1", nil, recs, nil).Msg().Len()
	}
	all := longHosts(1000, "a.example")
	var exact []publish.Record
	for _, r := range all {
		if size(append(exact, r)) > publish.MaxUpdateSize {
			break
		}
		exact = append(exact, r)
	}
	// Pad the last target to the exact size: one more character in its
	// first label adds one octet, a label of n characters n+1.
	last := &exact[len(exact)-1]
	pad := publish.MaxUpdateSize - size(exact)
	if pad == 1 {
		last.Target, pad = "z"+last.Target, 0
	}
	for pad > 0 {
		l := min(pad-1, 63)
		if pad-l-1 == 1 {
			l-- // never leave exactly one octet
		}
		last.Target = strings.Repeat("p", l) + "." + last.Target
		pad -= l + 1
	}
	if got := size(exact); got != publish.MaxUpdateSize {
		t.Skipf("could not build a plan of exactly %d octets (got %d)", publish.MaxUpdateSize, got)
	}
	if p := publish.PlanPublishAll("a.example", "127.0.0.1:1", nil, exact, nil); p.Err != nil || p.CheckSize() != nil {
		t.Errorf("a plan of exactly %d octets was refused: %v", publish.MaxUpdateSize, p.Err)
	}
	over := append([]publish.Record{}, exact...)
	over[len(over)-1].Target = "q" + over[len(over)-1].Target
	p := publish.PlanPublishAll("a.example", "127.0.0.1:1", nil, over, nil)
	if p.Msg().Len() != publish.MaxUpdateSize+1 {
		t.Fatalf("over: %d octets", p.Msg().Len())
	}
	if !errors.Is(p.Err, publish.ErrUpdateTooLarge) || p.Action != publish.ActionFailed || !p.Empty() {
		t.Fatalf("one octet over: err %v, action %s", p.Err, p.Action)
	}
	msg := p.Err.Error()
	for _, want := range []string{"zone a.example:", fmt.Sprintf("%d records", len(over)), fmt.Sprintf("%d octets", publish.MaxUpdateSize+1), "nothing was sent"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %s", want, msg)
		}
	}
	if publish.MaxUpdateSize != dns.MaxMsgSize-publish.TSIGReserve || publish.TSIGReserve < 512 {
		t.Errorf("MaxUpdateSize %d, TSIGReserve %d", publish.MaxUpdateSize, publish.TSIGReserve)
	}

	// Unpublish and restore plans are checked too: removing many hosts
	// carries the whole RRset as prerequisite and every deletion.
	own := "_vlmcs._tcp.a.example."
	var cur []zone.Record
	var hosts []string
	for _, r := range longHosts(400, "a.example") {
		cur = append(cur, zone.Record{Zone: "a.example.", Name: own, TTL: 3600, Port: 1688, Target: dns.CanonicalName(r.Target)})
		hosts = append(hosts, r.Target)
	}
	if p := publish.PlanUnpublishAll("a.example", "127.0.0.1:1", nil, hosts[:399], map[string][]zone.Record{own: cur}, false); !errors.Is(p.Err, publish.ErrUpdateTooLarge) {
		t.Errorf("unpublish of 399 of 400 hosts: %v (%d octets)", p.Err, p.Msg().Len())
	}
	if p := publish.PlanUnpublishAll("a.example", "127.0.0.1:1", nil, hosts[:2], map[string][]zone.Record{own: cur[:3]}, false); p.Err != nil {
		t.Errorf("small unpublish: %v", p.Err)
	}
	var big []zone.Record
	for _, r := range longHosts(700, "a.example") {
		big = append(big, zone.Record{Zone: "a.example.", Name: own, TTL: 3600, Port: 1688, Target: dns.CanonicalName(r.Target)})
	}
	if p := publish.PlanRestore("a.example", "127.0.0.1:1", big, map[string][]zone.Record{}); !errors.Is(p.Err, publish.ErrUpdateTooLarge) {
		t.Errorf("restore of 700 records: %v", p.Err)
	}
	if p := publish.PlanRestore("a.example", "127.0.0.1:1", big[:10], map[string][]zone.Record{}); p.Err != nil {
		t.Errorf("restore of 10 records: %v", p.Err)
	}
}

// TestUpdateTooLargeNothingSentBIND: against BIND, a too-large publish
// fails at planning and Apply sends nothing (the zone reads back
// unchanged); a plan built elsewhere (as converge and cleanup build
// theirs) is refused by Apply before sending; the server is still fine
// for a normal update afterwards.
func TestUpdateTooLargeNothingSentBIND(t *testing.T) {
	bind := startUpdatableBIND(t, "a.example")
	ctx := t.Context()
	before := testserver.Records(t, bind.Addr, "a.example")
	cl := publish.NewClient(publish.Options{Signer: publish.TSIG{Key: zkey(t, updKey)}, Timeout: 5 * time.Second})
	defer cl.Close()
	targets := []publish.Primary{{Zone: "a.example", Server: bind.Addr}}

	plans := cl.PlanPublishAll(ctx, targets, nil, longHosts(700, "a.example"))
	if !errors.Is(plans[0].Err, publish.ErrUpdateTooLarge) {
		t.Fatalf("plan: %v", plans[0].Err)
	}
	rs := cl.Apply(ctx, plans)
	if rs[0].Action != publish.ActionFailed || !errors.Is(rs[0].Err, publish.ErrUpdateTooLarge) || rs[0].Answer != "nothing sent" {
		t.Errorf("apply: %s %s %v", rs[0].Action, rs[0].Answer, rs[0].Err)
	}
	assertZone(t, bind.Addr, "a.example", before)

	// A plan made by other code, not checked when it was made.
	var add []zone.Record
	for _, r := range longHosts(700, "a.example") {
		add = append(add, zone.Record{Zone: "a.example.", Name: "_vlmcs._tcp.a.example.", TTL: 3600, Port: 1688, Target: dns.CanonicalName(r.Target)})
	}
	raw := &publish.ZonePlan{Zone: "a.example.", Server: bind.Addr, Add: add, Action: publish.ActionAdded,
		Current: map[string][]zone.Record{"_vlmcs._tcp.a.example.": {}}}
	rs = cl.Apply(ctx, []*publish.ZonePlan{raw})
	if !errors.Is(rs[0].Err, publish.ErrUpdateTooLarge) || rs[0].Answer != "nothing sent" {
		t.Errorf("unchecked plan: %s %s %v", rs[0].Action, rs[0].Answer, rs[0].Err)
	}
	assertZone(t, bind.Addr, "a.example", before)

	rs = cl.Apply(ctx, cl.PlanPublishAll(ctx, targets, nil, longHosts(3, "a.example")))
	if rs[0].Err != nil || !rs[0].Verified {
		t.Fatalf("small publish after: %v", rs[0].Err)
	}
	if got := testserver.Records(t, bind.Addr, "a.example"); len(got) != len(before)+3 {
		t.Errorf("small publish: %d records, want %d", len(got), len(before)+3)
	}
}
