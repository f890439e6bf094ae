package zone

import (
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestTransferTSIGErrorInNOERRORAnswer: a TSIG error (BADTIME, BADSIG)
// is reported by its code even when the server sets it in the TSIG of a
// NOERROR message, not as a signature that fails to verify (RFC 8945
// 5.2: a TSIG with an error carries no MAC to check).
func TestTransferTSIGErrorInNOERRORAnswer(t *testing.T) {
	key := zoneKey(t, keySHA256)
	for _, code := range []int{dns.RcodeBadTime, dns.RcodeBadSig} {
		t.Run(dns.RcodeToString[code], func(t *testing.T) {
			addr := fakeServer(t, func(c net.Conn, q *dns.Msg) {
				m := answers(t, q, len(faultZone), faultZone...)[0]
				m.Extra = []dns.RR{&dns.TSIG{Hdr: dns.RR_Header{Name: key.Name, Rrtype: dns.TypeTSIG, Class: dns.ClassANY},
					Algorithm: key.Algorithm, Error: uint16(code), TimeSigned: uint64(time.Now().Unix()), Fudge: 300, OrigId: q.Id}}
				b, _ := m.Pack()
				writeMsg(c, b)
			})
			_, err := Transfer(t.Context(), TransferConfig{Zone: "f.example", Server: addr, Key: key, Timeout: 300 * time.Millisecond})
			wantTSIG(code, "")(t, nil, err)
		})
	}
}
