package zone

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestTransferAnswerGuards: a message without the QR bit is not an
// answer (malformed, no fall-back), and NOTAUTH without a TSIG to a signed
// transfer is a TSIG failure (the key is not accepted), not a refusal
// that the query fall-back would hide.
func TestTransferAnswerGuards(t *testing.T) {
	key := zoneKey(t, keySHA256)
	t.Run("no QR bit", func(t *testing.T) {
		addr := fakeServer(t, func(c net.Conn, q *dns.Msg) {
			m := answers(t, q, len(faultZone), faultZone...)[0]
			m.Response = false
			b, _ := m.Pack()
			writeMsg(c, b)
		})
		_, err := Transfer(t.Context(), TransferConfig{Zone: "f.example", Server: addr, Timeout: 300 * time.Millisecond})
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("err = %v, want ErrMalformed", err)
		}
	})
	t.Run("NOTAUTH without TSIG", func(t *testing.T) {
		addr := fakeServer(t, func(c net.Conn, q *dns.Msg) {
			m := new(dns.Msg)
			m.SetRcode(q, dns.RcodeNotAuth)
			m.Extra = nil
			b, _ := m.Pack()
			writeMsg(c, b)
		})
		_, err := Transfer(t.Context(), TransferConfig{Zone: "f.example", Server: addr, Key: key, Timeout: 300 * time.Millisecond})
		if !errors.Is(err, ErrTSIG) || errors.Is(err, ErrTransferRefused) {
			t.Errorf("err = %v, want a TSIG error, not a refusal", err)
		}
	})
}
