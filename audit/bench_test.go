package audit_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/zone"
)

// everyName resolves every target to one address, or to none.
type everyName struct{ status resolve.ResolveStatus }

func (e everyName) Resolve(_ context.Context, _ *zone.Snapshot, target string) resolve.Resolution {
	r := resolve.Resolution{Target: target, Status: e.status, Via: "test"}
	if e.status == resolve.Resolved {
		r.Addrs = []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	}
	return r
}

// generated is one zone of n SRV records under one name, each with its
// own target, as "$GENERATE 1-n _vlmcs._tcp SRV 0 0 1688 kms$" makes.
func generated(n int) *zone.Snapshot {
	r := &zone.Snapshot{Zone: "gen.example.", Source: zone.SourceFile}
	for i := 1; i <= n; i++ {
		r.Records = append(r.Records, zone.Record{Zone: r.Zone, Name: "_vlmcs._tcp.gen.example.", TTL: 3600, Port: 1688, Target: fmt.Sprintf("kms%d.gen.example.", i)})
	}
	return r
}

// BenchmarkTargets65535 judges 65,535 distinct targets under one name
// (issue 11: target listing was quadratic and took over 120 s), all
// resolving and all unresolvable (every record then gets a fix command).
func BenchmarkTargets65535(b *testing.B) {
	r := generated(65535)
	for _, st := range []resolve.ResolveStatus{resolve.Resolved, resolve.NXDomain} {
		b.Run(string(st), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				rep := audit.Run(context.Background(), []*zone.Snapshot{r}, audit.Options{Resolver: everyName{st}})
				if len(rep.Targets) != 65535 || len(rep.Records) != 65535 {
					b.Fatalf("%d targets, %d records", len(rep.Targets), len(rep.Records))
				}
			}
		})
	}
}
