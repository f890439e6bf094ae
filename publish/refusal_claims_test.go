package publish_test

import (
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/kmsdns/kmsdns/publish"
)

// TestRefusalsKnotPDNS: the README's refusal explanations name what each
// server answers and what to check there: Knot answers BADKEY to a key
// that no update acl names and NOTAUTH to an unsigned update; PowerDNS
// answers REFUSED, even to a wrong secret, and the explanation names
// TSIG-ALLOW-DNSUPDATE. The zone is unchanged. (Names are short: the
// servers' control sockets live in the test's temporary directory, and a
// socket path holds at most 107 bytes, also under tools/mutate's TMPDIR.)
func TestRefusalsKnotPDNS(t *testing.T) {
	rec := publish.Record{Target: "kms1.x.example", Port: 1688, TTL: 3600}
	for _, tc := range []struct {
		server, name string
		signer       func(t *testing.T) publish.Signer
		want         []string
	}{
		{"knot", "noacl", func(t *testing.T) publish.Signer { return publish.TSIG{Key: zkey(t, noRights)} },
			[]string{"TSIG BADKEY", "Knot also answers BADKEY to a key that no acl of the zone names"}},
		{"knot", "unsigned", func(*testing.T) publish.Signer { return nil },
			[]string{"answered NOTAUTH", "Knot answers NOTAUTH to an update no acl of the zone allows"}},
		{"powerdns", "norights", func(t *testing.T) publish.Signer { return publish.TSIG{Key: zkey(t, noRights)} },
			[]string{"REFUSED the update", "TSIG-ALLOW-DNSUPDATE (PowerDNS)"}},
		{"powerdns", "badsecret", func(t *testing.T) publish.Signer { return publish.TSIG{Key: zkey(t, wrongKey)} },
			[]string{"REFUSED the update", "TSIG-ALLOW-DNSUPDATE (PowerDNS)"}},
	} {
		t.Run(tc.server+" "+tc.name, func(t *testing.T) {
			s := updatable(t, tc.server, "x.example")
			before := testserver.Records(t, s.Addr, "x.example")
			cl := publish.NewClient(publish.Options{Signer: tc.signer(t)})
			defer cl.Close()
			targets := []publish.Primary{{Zone: "x.example", Server: s.Addr}}
			rs := cl.Apply(t.Context(), cl.PlanPublish(t.Context(), targets, "", rec))
			if rs[0].Err == nil {
				t.Fatalf("accepted: %s", results(t, rs))
			}
			for _, w := range tc.want {
				if !strings.Contains(rs[0].Err.Error(), w) {
					t.Errorf("the explanation lacks %q:\n%v", w, rs[0].Err)
				}
			}
			assertZone(t, s.Addr, "x.example", before)
		})
	}
}
