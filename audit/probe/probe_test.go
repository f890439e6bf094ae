package probe

import (
	"context"
	"encoding/hex"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/kmstest"
)

// The bind PDU for the KMS interface, assembled by hand from C706 12.6.3.1
// and 12.6.4.3: header, max frags, assoc group, one context with the KMS
// abstract syntax and the NDR transfer syntax.
const wantBind = "05000b03" + "10000000" + "4800" + "0000" + "78563412" + // header, call id 0x12345678
	"d016" + "d016" + "00000000" + // max_xmit 5840, max_recv 5840, new association
	"01000000" + "0000" + "0100" + // one context, id 0, one transfer syntax
	"7521c8514e845047b0d8ec255555bc06" + "01000000" + // 51c82175-844e-4750-b0d8-ec255555bc06 v1.0
	"045d888aeb1cc9119fe808002b104860" + "02000000" // 8a885d04-1ceb-11c9-9fe8-08002b104860 v2.0

// sampleAck is a bind_ack accepting the context, as a KMS host sends it.
const sampleAck = "05000c03" + "10000000" + "3c00" + "0000" + "78563412" +
	"d016d016" + "45230100" + "0500" + "3136383800" + "00" + // sec_addr "1688\0", pad to 4
	"01000000" + "00000000" + "045d888aeb1cc9119fe808002b104860" + "02000000"

func TestBindPDU(t *testing.T) {
	got := hex.EncodeToString(BindPDU(0x12345678, KMS))
	if got != wantBind {
		t.Errorf("bind PDU\n got %s\nwant %s", got, wantBind)
	}
	if KMS.UUID.String() != "51c82175-844e-4750-b0d8-ec255555bc06" {
		t.Errorf("uuid %s", KMS.UUID)
	}
}

func TestParseBindReply(t *testing.T) {
	ack := sampleAck
	b, _ := hex.DecodeString(ack)
	r, err := ParseBindReply(b)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Accepted || r.CallID != 0x12345678 || r.SecondaryAddr != "1688" || r.Type != 12 {
		t.Errorf("%+v", r)
	}
	// The same ack rejecting the context.
	rej := strings.Replace(ack, "00000000045d", "02000100045d", 1)
	b, _ = hex.DecodeString(rej)
	if r, err := ParseBindReply(b); err != nil || r.Accepted || r.Result != 2 || r.Reason != 1 {
		t.Errorf("rejection: %+v %v", r, err)
	}
	nak, _ := hex.DecodeString("05000d03" + "10000000" + "1400" + "0000" + "78563412" + "0400" + "0000")
	if r, err := ParseBindReply(nak); err != nil || r.Type != 13 || r.Reason != 4 || r.Accepted {
		t.Errorf("nak: %+v %v", r, err)
	}
	for _, bad := range []string{"", "0500", "04000c03100000004400000078563412", "05000c03100000000800000078563412"} {
		b, _ := hex.DecodeString(bad)
		if _, err := ParseBindReply(b); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzParseBindReply(f *testing.F) {
	for _, s := range []string{sampleAck, "05000d031000000014000000785634120400" + "0000"} {
		b, err := hex.DecodeString(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(BindPDU(1, KMS))
	f.Fuzz(func(t *testing.T, p []byte) {
		r, err := ParseBindReply(p)
		if err != nil && r.Accepted {
			t.Fatal("accepted with an error")
		}
		if r.Accepted && (r.Type != ptypeBindAck || r.Result != 0) {
			t.Fatalf("accepted %+v", r)
		}
	})
}

func TestProbeSimulatedHosts(t *testing.T) {
	good := kmstest.Start(t, "127.0.0.21", 0, kmstest.KMS)
	other := kmstest.Start(t, "127.0.0.22", 0, kmstest.OtherRPC)
	garbage := kmstest.Start(t, "127.0.0.23", 0, kmstest.Garbage)
	silent := kmstest.Start(t, "127.0.0.24", 0, kmstest.Silent)
	closed := freeAddr(t, "127.0.0.25")

	p := Prober{Timeout: 500 * time.Millisecond}
	tests := []struct {
		addr   string
		status Status
		detail string
	}{
		{good.Addr, StatusKMS, "accepted"},
		{other.Addr, StatusNotKMS, "does not offer the KMS interface"},
		{garbage.Addr, StatusNotKMS, "not DCE/RPC"},
		{silent.Addr, StatusNotKMS, "no answer to the RPC bind within 500ms"},
		{closed, StatusRefused, "connection refused"},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			r := p.Probe(t.Context(), netip.MustParseAddrPort(tc.addr))
			if r.Status != tc.status || !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("%s: %s %q, want %s %q", tc.addr, r.Status, r.Detail, tc.status, tc.detail)
			}
		})
	}
	if good.Connections() != 1 {
		t.Errorf("good host saw %d connections", good.Connections())
	}
}

func freeAddr(t *testing.T, ip string) string {
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestParseUUID(t *testing.T) {
	u, err := ParseUUID("8A885D04-1CEB-11C9-9FE8-08002B104860")
	if err != nil || u != NDR.UUID {
		t.Errorf("%v %v", u, err)
	}
	for _, bad := range []string{"", "8a885d04-1ceb-11c9-9fe8-08002b10486", "8a885d04x1ceb-11c9-9fe8-08002b104860", "ga885d04-1ceb-11c9-9fe8-08002b104860"} {
		if _, err := ParseUUID(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestProbeCancelledIsNotAFinding: a probe the caller cancels (Ctrl-C)
// mid-bind says so (StatusCancelled) and returns at once; the same silent
// host, left to the probe's own timeout, is not-kms. A context cancelled
// before the probe starts is cancelled too, not unreachable.
func TestProbeCancelledIsNotAFinding(t *testing.T) {
	silent := kmstest.Start(t, "127.0.0.26", 0, kmstest.Silent)
	ap := netip.MustParseAddrPort(silent.Addr)

	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	r := Prober{Timeout: 5 * time.Second}.Probe(ctx, ap)
	if r.Status != StatusCancelled || !strings.Contains(r.Detail, "interrupted") {
		t.Errorf("cancelled mid-bind: %s %q, want %s", r.Status, r.Detail, StatusCancelled)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancelled probe returned after %v", d)
	}

	r = Prober{Timeout: 300 * time.Millisecond}.Probe(t.Context(), ap)
	if r.Status != StatusNotKMS || !strings.Contains(r.Detail, "no answer to the RPC bind within 300ms") {
		t.Errorf("own timeout: %s %q, want %s", r.Status, r.Detail, StatusNotKMS)
	}

	done, cancel2 := context.WithCancel(t.Context())
	cancel2()
	if r := (Prober{Timeout: time.Second}).Probe(done, ap); r.Status != StatusCancelled {
		t.Errorf("cancelled before the probe: %s %q", r.Status, r.Detail)
	}
	// A host that answers is KMS even when the caller gives up right after.
	good := kmstest.Start(t, "127.0.0.26", 0, kmstest.KMS)
	if r := (Prober{Timeout: time.Second}).Probe(t.Context(), netip.MustParseAddrPort(good.Addr)); r.Status != StatusKMS {
		t.Errorf("good host: %s %q", r.Status, r.Detail)
	}
}
