package zone

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// BIND answers a transfer over its transfers-out quota with SERVFAIL and
// frees a finished transfer's place a moment after the client is done: a
// busy server is asked again after a pause, not taken for a broken one.
func TestReadRetriesBusyServer(t *testing.T) {
	busyFor := func(n int32) (string, *atomic.Int32) {
		var tries atomic.Int32
		addr := fakeServer(t, func(c net.Conn, q *dns.Msg) {
			if q.Question[0].Qtype != dns.TypeAXFR {
				return
			}
			if tries.Add(1) <= n {
				m := new(dns.Msg)
				m.SetRcode(q, dns.RcodeServerFailure)
				b, _ := m.Pack()
				writeMsg(c, b)
				return
			}
			for _, m := range answers(t, q, 3, faultZone...) {
				b, _ := m.Pack()
				writeMsg(c, b)
			}
		})
		return addr, &tries
	}
	opts := ReadOptions{busyBackoff: 5 * time.Millisecond}
	spec := Spec{Zone: "f.example.", Server: "", Timeout: 2 * time.Second}

	t.Run("busy twice, then served", func(t *testing.T) {
		addr, tries := busyFor(2)
		spec := spec
		spec.Server = addr
		res := ReadAll(context.Background(), []Spec{spec}, opts)[0]
		if res.Err != nil {
			t.Fatalf("read: %v", res.Err)
		}
		if res.Source != SourceAXFR || len(res.Records) != 2 {
			t.Fatalf("source %s, %d records; want axfr, 2", res.Source, len(res.Records))
		}
		if got := tries.Load(); got != 3 {
			t.Errorf("%d transfer attempts, want 3", got)
		}
	})
	t.Run("always busy: an error after the retries, no fallback", func(t *testing.T) {
		addr, tries := busyFor(1 << 20)
		spec := spec
		spec.Server = addr
		res := ReadAll(context.Background(), []Spec{spec}, opts)[0]
		if res.Err == nil {
			t.Fatalf("read from an always-busy server succeeded (source %s)", res.Source)
		}
		if got := tries.Load(); got != BusyRetries+1 {
			t.Errorf("%d transfer attempts, want %d", got, BusyRetries+1)
		}
	})
}
