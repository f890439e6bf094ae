package audit_test

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/audit/probe"
	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/zone"
)

// countingProber answers from a table and records how many probes run at
// once. Each probe waits (up to hold) until want probes are in flight, so
// a pool of the right size reaches it at once and a smaller one never does.
type countingProber struct {
	mu             sync.Mutex
	cond           *sync.Cond
	inflight, peak int
	want           int
	hold           time.Duration
	status         map[netip.Addr]probe.Status
	probed         map[netip.AddrPort]int
}

func newCountingProber(want int, hold time.Duration) *countingProber {
	p := &countingProber{want: want, hold: hold, status: map[netip.Addr]probe.Status{}, probed: map[netip.AddrPort]int{}}
	p.cond = sync.NewCond(&p.mu)
	return p
}

func (p *countingProber) Probe(_ context.Context, ap netip.AddrPort) probe.Result {
	p.mu.Lock()
	p.inflight++
	p.probed[ap]++
	p.peak = max(p.peak, p.inflight)
	p.cond.Broadcast()
	deadline := time.Now().Add(p.hold)
	if p.inflight < p.want {
		t := time.AfterFunc(p.hold, func() { p.mu.Lock(); p.cond.Broadcast(); p.mu.Unlock() })
		for p.peak < p.want && time.Now().Before(deadline) {
			p.cond.Wait()
		}
		t.Stop()
	}
	p.inflight--
	st, ok := p.status[ap.Addr()]
	p.mu.Unlock()
	if !ok {
		st = probe.StatusKMS
	}
	return probe.Result{Addr: ap, Status: st, Detail: string(st)}
}

// multiResolver maps a target to several addresses.
type multiResolver map[string][]netip.Addr

func (m multiResolver) Resolve(_ context.Context, _ *zone.Snapshot, target string) resolve.Resolution {
	if a, ok := m[target]; ok {
		return resolve.Resolution{Target: target, Status: resolve.Resolved, Addrs: a, Via: "test"}
	}
	return resolve.Resolution{Target: target, Status: resolve.NXDomain, Via: "test"}
}

// TestProbePoolSize: by default 64 probes run at once (the README's
// number), never more; Options.Concurrency changes it.
func TestProbePoolSize(t *testing.T) {
	for _, tc := range []struct {
		concurrency, want int
	}{
		{0, 64},
		{5, 5},
	} {
		t.Run(fmt.Sprint(tc.concurrency), func(t *testing.T) {
			res := &zone.Snapshot{Zone: "pool.example.", Source: zone.SourceFile}
			mr := multiResolver{}
			for i := 0; i < 2*tc.want; i++ {
				target := fmt.Sprintf("kms%d.pool.example.", i)
				mr[target] = []netip.Addr{netip.AddrFrom4([4]byte{127, 0, byte(1 + i/250), byte(1 + i%250)})}
				res.Records = append(res.Records, zone.Record{Zone: res.Zone, Name: "_vlmcs._tcp.pool.example.", TTL: 3600, Port: 1688, Target: target})
			}
			// Wait for up to 64 probes even when fewer are expected, so
			// that a pool larger than asked shows as a peak above it.
			p := newCountingProber(64, 300*time.Millisecond)
			audit.Run(t.Context(), []*zone.Snapshot{res}, audit.Options{Resolver: mr, Prober: p, Concurrency: tc.concurrency})
			if p.peak != tc.want {
				t.Errorf("Concurrency %d: at most %d probes ran at once, want %d", tc.concurrency, p.peak, tc.want)
			}
			if len(p.probed) != 2*tc.want {
				t.Errorf("%d addresses probed, want %d", len(p.probed), 2*tc.want)
			}
		})
	}
}

// TestProbeTriesEveryAddress: a target whose first address is dead and
// second is a KMS host is a working host; one whose addresses all fail is
// reported with the last failure. Each address is probed once.
func TestProbeTriesEveryAddress(t *testing.T) {
	dead1, dead2, live := netip.MustParseAddr("127.0.9.1"), netip.MustParseAddr("127.0.9.2"), netip.MustParseAddr("127.0.9.3")
	mr := multiResolver{
		"kms1.multi.example.": {dead1, live},
		"kms2.multi.example.": {dead1, dead2},
	}
	p := newCountingProber(1, 0)
	p.status[dead1] = probe.StatusRefused
	p.status[dead2] = probe.StatusTimeout
	res := &zone.Snapshot{Zone: "multi.example.", Source: zone.SourceFile, Records: []zone.Record{
		{Zone: "multi.example.", Name: "_vlmcs._tcp.multi.example.", TTL: 3600, Port: 1688, Target: "kms1.multi.example."},
		{Zone: "multi.example.", Name: "_vlmcs._tcp.multi.example.", TTL: 3600, Port: 1688, Target: "kms2.multi.example."},
	}}
	rep := audit.Run(t.Context(), []*zone.Snapshot{res}, audit.Options{Resolver: mr, Prober: p})
	got := map[string]string{}
	for _, tg := range rep.Targets {
		got[tg.Target] = tg.Probe
	}
	if got["kms1.multi.example."] != string(probe.StatusKMS) || got["kms2.multi.example."] != string(probe.StatusTimeout) {
		t.Errorf("probe results %v; want kms1 kms (its second address), kms2 timeout (its last address)", got)
	}
	var unreachable []string
	for _, f := range rep.Findings {
		if f.Check == audit.CheckHostUnreachable {
			unreachable = append(unreachable, f.Target)
		}
	}
	if len(unreachable) != 1 || unreachable[0] != "kms2.multi.example." {
		t.Errorf("host-unreachable for %v, want kms2.multi.example. only", unreachable)
	}
	for ap, n := range p.probed {
		if n != 1 {
			t.Errorf("%s probed %d times, want once", ap, n)
		}
	}
}
