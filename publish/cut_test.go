package publish_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/kmsdns/kmsdns/publish"
)

// TestNameBelowZoneCutRefused (review 3, item 4): publishing or removing a
// name that is below a zone cut in the zone given -- a zone of its own on
// the same server, or a delegation elsewhere -- would write occluded data
// into the parent that no client is ever served. The plan refuses it,
// naming the zone to use, and sends nothing; a name of the zone itself
// is planned.
func TestNameBelowZoneCutRefused(t *testing.T) {
	parent := `$ORIGIN cut.example.
$TTL 300
@ IN SOA ns1 hm 1 3600 900 1209600 300
  IN NS ns1
ns1 IN A 127.0.0.1
sub IN NS ns1.sub
ns1.sub IN A 127.0.0.1
away IN NS ns.elsewhere.invalid.
_vlmcs._tcp IN SRV 0 0 1688 kms1
kms1 IN A 127.0.0.61
`
	child := `$ORIGIN sub.cut.example.
$TTL 300
@ IN SOA ns1 hm 1 3600 900 1209600 300
  IN NS ns1
ns1 IN A 127.0.0.1
`
	bind := testserver.StartBIND(t, testserver.BINDConfig{Keys: []testserver.Key{updKey}, Zones: []testserver.Zone{
		{Name: "cut.example", Content: parent, Transfer: "any;", Extra: "update-policy { grant upd zonesub ANY; };"},
		{Name: "sub.cut.example", Content: child, Transfer: "any;", Extra: "update-policy { grant upd zonesub ANY; };"},
	}})
	before := testserver.Records(t, bind.Addr, "cut.example")
	cl := publish.NewClient(publish.Options{Signer: publish.TSIG{Key: zkey(t, updKey)}, Timeout: 5 * time.Second})
	rec := publish.Record{Target: "kms1.cut.example.", Port: 1688}
	for _, tc := range []struct{ name, cut string }{{"sub", "sub.cut.example"}, {"site.sub", "sub.cut.example"}, {"away", "away.cut.example"}, {"site", ""}} {
		plans := cl.PlanPublishAll(t.Context(), []publish.Primary{{Zone: "cut.example", Server: bind.Addr}}, []string{tc.name}, []publish.Record{rec})
		err := plans[0].Err
		switch {
		case tc.cut == "" && err != nil:
			t.Errorf("--name %s: %v", tc.name, err)
		case tc.cut != "" && (err == nil || !strings.Contains(err.Error(), "use --zone "+tc.cut)):
			t.Errorf("--name %s: err %v, want a refusal naming --zone %s", tc.name, err, tc.cut)
		case tc.cut != "":
			if rs := cl.Apply(t.Context(), plans); len(rs) != 1 || rs[0].Action != publish.ActionFailed {
				t.Errorf("--name %s: applied %+v", tc.name, rs)
			}
		}
	}
	if after := testserver.Records(t, bind.Addr, "cut.example"); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("the parent zone changed:\n%s", strings.Join(after, "\n"))
	}
}
