package publish_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/kmsdns/kmsdns/publish"
)

// TestPublishPortLeavesOtherPortsBIND: on real BIND, publish --port 1688
// for a host with records at ports 1688 and 1689 under one name finds the
// 1688 record present (nothing sent), and a changed priority replaces only
// that record: the 1689 record is read back untouched (REVIEW3 item 7).
func TestPublishPortLeavesOtherPortsBIND(t *testing.T) {
	const z = "pp.example"
	content := baseZone(z) + "_vlmcs._tcp.two IN SRV 0 0 1688 kms1\n_vlmcs._tcp.two IN SRV 5 0 1689 kms1\n"
	bind := testserver.StartBIND(t, testserver.BINDConfig{Keys: []testserver.Key{updKey}, Zones: []testserver.Zone{{Name: z, Content: content, Transfer: "any;",
		Extra: "update-policy { grant upd zonesub SRV; };"}}})
	cl := publish.NewClient(publish.Options{Signer: publish.TSIG{Key: zkey(t, updKey)}, Timeout: 5 * time.Second})
	defer cl.Close()
	targets := []publish.Primary{{Zone: z, Server: bind.Addr}}
	base := testserver.Records(t, bind.Addr, z)
	p1688 := func(prio int) string {
		return "_vlmcs._tcp.two.pp.example.\t3600\tin\tsrv\t" + strconv.Itoa(prio) + " 0 1688 kms1.pp.example."
	}
	p1689 := "_vlmcs._tcp.two.pp.example.\t3600\tin\tsrv\t5 0 1689 kms1.pp.example."
	if !slices.Contains(base, p1688(0)) || !slices.Contains(base, p1689) {
		t.Fatalf("zone as loaded: %q", base)
	}
	publishOne := func(step string, rec publish.Record, want publish.Action) {
		t.Helper()
		plans := cl.PlanPublishAll(t.Context(), targets, []string{"two"}, []publish.Record{rec})
		rs := cl.Apply(t.Context(), plans)
		if len(rs) != 1 || rs[0].Action != want || rs[0].Err != nil {
			t.Errorf("%s: %s (note %q)", step, results(t, rs), plans[0].Note)
		}
	}
	publishOne("--port 1688", publish.Record{Target: "kms1.pp.example", Port: 1688, Keep: publish.FieldPriority | publish.FieldWeight}, publish.ActionAlreadyPresent)
	publishOne("--port 1688 --priority 0 --weight 0", publish.Record{Target: "kms1.pp.example", Port: 1688}, publish.ActionAlreadyPresent)
	if got := testserver.Records(t, bind.Addr, z); !slices.Equal(got, base) {
		t.Errorf("already present, yet the zone changed:\n%q\nwas\n%q", got, base)
	}
	publishOne("--port 1688 --priority 3", publish.Record{Target: "kms1.pp.example", Port: 1688, Priority: 3, Keep: publish.FieldWeight}, publish.ActionReplaced)
	if got, want := testserver.Records(t, bind.Addr, z), with(without(base, p1688(0)), p1688(3)); !slices.Equal(got, want) {
		t.Errorf("after --priority 3:\n%q\nwant\n%q", got, want)
	}
}
