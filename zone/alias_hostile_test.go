package zone

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestTransferAliasesBounded: a server sending more CNAME records than
// DefaultMaxAliases (and some outside the zone) leaves at most that many
// kept, the rest counted; without TransferConfig.Aliases none is kept.
func TestTransferAliasesBounded(t *testing.T) {
	const n = DefaultMaxAliases + 1234
	addr := fakeServer(t, func(c net.Conn, q *dns.Msg) {
		if !writeOK(c, pack(t, q, mustRR(t, faultZone[0]))) {
			return
		}
		for i := 0; i < n; {
			rrs := make([]dns.RR, 0, 100)
			for j := 0; j < 100 && i < n; j++ {
				owner := fmt.Sprintf("a%d.f.example.", i)
				if i%1000 == 999 {
					owner = fmt.Sprintf("a%d.evil.example.", i)
				}
				rrs = append(rrs, &dns.CNAME{Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 60}, Target: "kms-old.f.example."})
				i++
			}
			if !writeOK(c, pack(t, q, rrs...)) {
				return
			}
		}
		writeOK(c, pack(t, q, mustRR(t, faultZone[0])))
	})
	for _, keep := range []bool{true, false} {
		t.Run(fmt.Sprint("aliases ", keep), func(t *testing.T) {
			res, err := Transfer(t.Context(), TransferConfig{Zone: "f.example", Server: addr, Timeout: 5 * time.Second, Aliases: keep})
			if err != nil {
				t.Fatal(err)
			}
			outside := n / 1000
			switch {
			case !keep && (len(res.Aliases) != 0 || res.AliasesDropped != 0):
				t.Errorf("kept %d aliases (%d dropped) without Aliases", len(res.Aliases), res.AliasesDropped)
			case keep && (len(res.Aliases) != DefaultMaxAliases || res.AliasesDropped != n-outside-DefaultMaxAliases):
				t.Errorf("kept %d, dropped %d; want %d and %d", len(res.Aliases), res.AliasesDropped, DefaultMaxAliases, n-outside-DefaultMaxAliases)
			case keep && (res.Aliases[0] != Alias{Name: "a0.f.example.", Target: "kms-old.f.example."}):
				t.Errorf("first alias %v", res.Aliases[0])
			}
			if res.Seen != n+1 {
				t.Errorf("seen %d records, want %d", res.Seen, n+1)
			}
		})
	}
}
