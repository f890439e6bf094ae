package resolve_test

import (
	"fmt"
	"testing"

	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/zone"
)

// Every _vlmcs._tcp name of the zone is asked of each name server, the
// apex and configured names first, at most MaxAskedNames in all.
func TestAskedNamesCapped(t *testing.T) {
	r := &zone.Snapshot{Zone: "big.test.", Names: []string{"conf"}}
	for i := range resolve.MaxAskedNames + 500 {
		r.Records = append(r.Records, zone.Record{Zone: r.Zone, Name: fmt.Sprintf("_vlmcs._tcp.s%04d.big.test.", i), Port: 1688, Target: "kms.big.test."})
	}
	asked, domains, capped := resolve.AskedNames(r)
	if !capped || len(asked) != resolve.MaxAskedNames || len(domains) != resolve.MaxAskedNames-1 {
		t.Fatalf("capped %v, %d names asked, %d domains", capped, len(asked), len(domains))
	}
	for _, n := range []string{"_vlmcs._tcp.big.test.", "_vlmcs._tcp.conf.big.test.", "_vlmcs._tcp.s0000.big.test."} {
		if !asked[n] {
			t.Errorf("%s not asked", n)
		}
	}
	r.Records = r.Records[:3]
	if asked, domains, capped := resolve.AskedNames(r); capped || len(asked) != 5 || len(domains) != 4 {
		t.Errorf("3 sub-names: capped %v, asked %v, domains %v", capped, asked, domains)
	}
}
