package publish_test

import (
	"testing"

	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/kmsdns/kmsdns/publish"
)

// TestPublishKnotAndPowerDNS: a publish and unpublish round trip with TSIG
// on Knot DNS and on PowerDNS (SQLite backend), read back by AXFR.
func TestPublishKnotAndPowerDNS(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(t *testing.T) *testserver.Server
	}{
		{"knot", func(t *testing.T) *testserver.Server {
			return testserver.StartKnot(t, testserver.KnotConfig{Keys: []testserver.Key{updKey},
				Zones: []testserver.Zone{{Name: "p.example", Content: baseZone("p.example"), Transfer: "any", Update: "upd"}}})
		}},
		{"powerdns", func(t *testing.T) *testserver.Server {
			return testserver.StartPowerDNS(t, testserver.PowerDNSConfig{Keys: []testserver.Key{updKey},
				Zones: []testserver.Zone{{Name: "p.example", Content: baseZone("p.example"), Update: "upd"}}})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.start(t)
			ctx := t.Context()
			base := testserver.Records(t, s.Addr, "p.example")
			cl := publish.NewClient(publish.Options{Signer: publish.TSIG{Key: zkey(t, updKey)}})
			defer cl.Close()
			targets := []publish.Primary{{Zone: "p.example", Server: s.Addr}}
			check := func(step string, rs []publish.Result, want publish.Action) {
				t.Helper()
				if rs[0].Action != want || rs[0].Err != nil || (want != publish.ActionAlreadyPresent && !rs[0].Verified) {
					t.Fatalf("%s on %s: %s", step, tc.name, results(t, rs))
				}
			}
			check("publish kms1", cl.Apply(ctx, cl.PlanPublish(ctx, targets, "", publish.Record{Target: "kms1.p.example", Port: 1688, TTL: 3600})), publish.ActionAdded)
			check("publish kms2", cl.Apply(ctx, cl.PlanPublish(ctx, targets, "", publish.Record{Target: "kms2.p.example", Port: 1688, TTL: 3600})), publish.ActionAdded)
			check("republish", cl.Apply(ctx, cl.PlanPublish(ctx, targets, "", publish.Record{Target: "kms2.p.example", Port: 1688, TTL: 3600})), publish.ActionAlreadyPresent)
			assertZone(t, s.Addr, "p.example", with(base,
				srvText("_vlmcs._tcp.p.example.", 3600, 1688, "kms1.p.example."),
				srvText("_vlmcs._tcp.p.example.", 3600, 1688, "kms2.p.example.")))
			check("replace", cl.Apply(ctx, cl.PlanPublish(ctx, targets, "", publish.Record{Target: "kms2.p.example", Port: 1689, TTL: 3600})), publish.ActionReplaced)
			check("unpublish kms1", cl.Apply(ctx, cl.PlanUnpublish(ctx, targets, "", "kms1.p.example", false)), publish.ActionRemoved)
			assertZone(t, s.Addr, "p.example", with(base, srvText("_vlmcs._tcp.p.example.", 3600, 1689, "kms2.p.example.")))
			check("unpublish kms2", cl.Apply(ctx, cl.PlanUnpublish(ctx, targets, "", "kms2.p.example", true)), publish.ActionRemoved)
			assertZone(t, s.Addr, "p.example", base)
		})
	}
}
