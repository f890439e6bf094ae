package probe

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestDefaultProbeTimeout: the README's `--probe-timeout` default, 3s, is
// the Prober's when no timeout is given (the CLI passes 0 unless the flag
// or defaults.probe-timeout is set): a port that accepts TCP and never
// answers the bind is given up after 3 s, and the detail says so.
func TestDefaultProbeTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var held []net.Conn
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c) // read nothing, answer nothing
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})
	r := Prober{}.Probe(t.Context(), netip.MustParseAddrPort(l.Addr().String()))
	if r.Status != StatusNotKMS || !strings.Contains(r.Detail, "no answer to the RPC bind within 3s") {
		t.Errorf("%s %q, want not-kms after 3s", r.Status, r.Detail)
	}
	// Margin for a loaded machine above, none below.
	if r.Elapsed < 3*time.Second || r.Elapsed > 5*time.Second {
		t.Errorf("gave up after %v, want 3s", r.Elapsed)
	}
}
