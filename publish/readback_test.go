package publish_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/kmsdns/kmsdns/zone"
)

// TestTimedOutUpdateReadBack: an UPDATE whose answer never comes is read
// back, and the result says whether it was applied: the fault proxy in
// front of a real BIND either lets the update through and swallows the
// answer (applied) or drops it (not applied), for publish and unpublish.
// The zone read back by AXFR holds exactly what the result says.
func TestTimedOutUpdateReadBack(t *testing.T) {
	zones := []string{"r1.example", "r2.example", "r3.example", "r4.example"}
	bind := startUpdatableBIND(t, zones...)
	ctx := t.Context()
	signer := publish.TSIG{Key: zkey(t, updKey)}
	// r3 and r4 start with the record unpublish removes.
	direct := publish.NewClient(publish.Options{Signer: signer})
	defer direct.Close()
	for _, r := range direct.Apply(ctx, direct.PlanPublish(ctx, []publish.Primary{{Zone: "r3.example", Server: bind.Addr}, {Zone: "r4.example", Server: bind.Addr}},
		"", publish.Record{Target: "kms-old.example.com", Port: 1688, TTL: 600})) {
		if r.Err != nil || !r.Verified {
			t.Fatalf("setup: %+v", r)
		}
	}
	for _, c := range []struct {
		zone     string
		unpub    bool
		apply    bool
		readBack string
		has      bool // kms1 (publish) or kms-old (unpublish) is there afterwards
	}{
		{"r1.example", false, true, publish.ReadBackApplied, true},
		{"r2.example", false, false, publish.ReadBackNotApplied, false},
		{"r3.example", true, true, publish.ReadBackApplied, false},
		{"r4.example", true, false, publish.ReadBackNotApplied, true},
	} {
		t.Run(c.zone, func(t *testing.T) {
			before := testserver.Records(t, bind.Addr, c.zone)
			addr := testserver.LoseUpdates(t, bind.Addr, c.apply)
			cl := publish.NewClient(publish.Options{Signer: signer, Timeout: 500 * time.Millisecond})
			defer cl.Close()
			targets := []publish.Primary{{Zone: c.zone, Server: addr}}
			host := "kms1.example.com."
			var plans []*publish.ZonePlan
			if c.unpub {
				host = "kms-old.example.com."
				plans = cl.PlanUnpublish(ctx, targets, "", host, true)
			} else {
				plans = cl.PlanPublish(ctx, targets, "", publish.Record{Target: host, Port: 1688, TTL: 600})
			}
			r := cl.Apply(ctx, plans)[0]
			applied := c.readBack == publish.ReadBackApplied
			if r.ReadBack != c.readBack || r.Verified != applied || (r.Err == nil) != applied || !strings.Contains(r.Note, "read back: it was "+c.readBack) {
				t.Errorf("read-back %q verified %v action %s note %q err %v", r.ReadBack, r.Verified, r.Action, r.Note, r.Err)
			}
			if !applied && !errors.Is(r.Err, zone.ErrTimeout) {
				t.Errorf("not applied: %v, want a timeout", r.Err)
			}
			line := srvText("_vlmcs._tcp."+c.zone+".", 600, 1688, host)
			got := testserver.Records(t, bind.Addr, c.zone)
			if slices.Contains(got, line) != c.has {
				t.Errorf("%s there: %v, want %v: %v", host, !c.has, c.has, got)
			}
			// Nothing else changed.
			if !slices.Equal(without(got, line), without(before, line)) {
				t.Errorf("zone changed beyond %s:\n%v\n%v", line, before, got)
			}
		})
	}
}

// TestApplyNotSentAfterCancel: once the context is done, Apply sends
// nothing more and says so; no read-back is needed.
func TestApplyNotSentAfterCancel(t *testing.T) {
	bind := startUpdatableBIND(t, "n1.example")
	before := testserver.Records(t, bind.Addr, "n1.example")
	cl := publish.NewClient(publish.Options{Signer: publish.TSIG{Key: zkey(t, updKey)}})
	defer cl.Close()
	plans := cl.PlanPublish(t.Context(), []publish.Primary{{Zone: "n1.example", Server: bind.Addr}}, "", publish.Record{Target: "kms1.example.com", Port: 1688, TTL: 600})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := cl.Apply(ctx, plans)[0]
	if !errors.Is(r.Err, context.Canceled) || r.Answer != "nothing sent" || r.ReadBack != "" || r.Verified {
		t.Errorf("%+v", r)
	}
	if got := testserver.Records(t, bind.Addr, "n1.example"); !slices.Equal(got, before) {
		t.Errorf("zone changed: %v", got)
	}
}
