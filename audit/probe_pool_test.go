package audit_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/audit/probe"
	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/internal/kmstest"
	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/kmsdns/kmsdns/zone"
)

// staticResolver maps targets to addresses without DNS.
type staticResolver map[string]netip.Addr

func (s staticResolver) Resolve(_ context.Context, _ *zone.Snapshot, target string) resolve.Resolution {
	if a, ok := s[target]; ok {
		return resolve.Resolution{Target: target, Status: resolve.Resolved, Addrs: []netip.Addr{a}, Via: "test"}
	}
	return resolve.Resolution{Target: target, Status: resolve.NXDomain, Via: "test"}
}

// deadHostsLab starts n simulated hosts on 127.0.1.x, the first dead of
// them silent (they accept and never answer), and returns a zone naming
// them all and a resolver for their names.
func deadHostsLab(t testing.TB, n, dead int) (*zone.Snapshot, staticResolver) {
	ips := make([]string, n)
	for i := range ips {
		ips[i] = fmt.Sprintf("127.0.%d.%d", 1+i/250, 1+i%250)
	}
	port := testserver.FreePortOn(t, ips[0], ips[n-1])
	res := &zone.Snapshot{Zone: "pool.example.", Source: zone.SourceFile}
	sr := staticResolver{}
	for i, ip := range ips {
		b := kmstest.KMS
		if i < dead {
			b = kmstest.Silent
		}
		kmstest.Start(t, ip, port, b)
		target := fmt.Sprintf("kms%d.pool.example.", i)
		sr[target] = netip.MustParseAddr(ip)
		res.Records = append(res.Records, zone.Record{Zone: res.Zone, Name: "_vlmcs._tcp.pool.example.", TTL: 3600, Port: uint16(port), Target: target})
	}
	return res, sr
}

// TestDeadHostsProbedInParallel: 200 targets of which 50 never answer take
// about one probe timeout with the pool of 64 (the 50 silent hosts are
// probed at once), not 50 in a row. The bound, 4 timeouts, fails a pool
// of 8 (7 rounds of silent hosts).
func TestDeadHostsProbedInParallel(t *testing.T) {
	// Long enough that a live host on a loaded machine still answers in
	// time; 50 silent hosts in a row would take 100 s against a bound of 8.
	const timeout = 2 * time.Second
	res, sr := deadHostsLab(t, 200, 50)
	start := time.Now()
	rep := audit.Run(t.Context(), []*zone.Snapshot{res}, audit.Options{
		Policy:   audit.Policy{ExpectedPort: res.Records[0].Port},
		Resolver: sr,
		Prober:   probe.Prober{Timeout: timeout},
	})
	took := time.Since(start)
	notKMS := 0
	for _, f := range rep.Findings {
		if f.Check == audit.CheckNotKMS {
			notKMS++
		}
	}
	if notKMS != 50 || rep.Summary.Errors != 50 {
		t.Errorf("%d not-kms findings, %d errors; want 50", notKMS, rep.Summary.Errors)
	}
	t.Logf("200 targets, 50 silent, pool %d, probe timeout %v: %v", audit.DefaultConcurrency, timeout, took.Round(time.Millisecond))
	if took > 4*timeout {
		t.Errorf("took %v: dead hosts are not probed in parallel (50 in a row would take %v)", took, 50*timeout)
	}
}

// BenchmarkDeadHosts measures issue 6's target 3: 1,000 targets of which
// 200 never answer, against (ceil(200/pool)+1) probe timeouts.
func BenchmarkDeadHosts(b *testing.B) {
	const timeout = 300 * time.Millisecond
	res, sr := deadHostsLab(b, 1000, 200)
	pool := audit.DefaultConcurrency
	bound := time.Duration((200+pool-1)/pool+1) * timeout
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		audit.Run(context.Background(), []*zone.Snapshot{res}, audit.Options{
			Policy:   audit.Policy{ExpectedPort: res.Records[0].Port},
			Resolver: sr,
			Prober:   probe.Prober{Timeout: timeout},
		})
		took := time.Since(start)
		b.ReportMetric(float64(took.Milliseconds()), "ms/audit")
		b.ReportMetric(float64(bound.Milliseconds()), "ms-bound")
	}
}
