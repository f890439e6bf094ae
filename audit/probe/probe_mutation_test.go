package probe

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// ackPDU builds a bind_ack (little-endian) with one result for transfer
// syntax ts.
func ackPDU(callID uint32, result uint16, ts SyntaxID) []byte {
	le := binary.LittleEndian
	p := []byte{5, 0, ptypeBindAck, pfcFirstFrag | pfcLastFrag, 0x10, 0, 0, 0}
	p = le.AppendUint16(p, 0) // frag length, below
	p = le.AppendUint16(p, 0)
	p = le.AppendUint32(p, callID)
	p = le.AppendUint16(p, maxFrag)
	p = le.AppendUint16(p, maxFrag)
	p = le.AppendUint32(p, 0x12345)
	sec := []byte("1688\x00")
	p = le.AppendUint16(p, uint16(len(sec)))
	p = append(p, sec...)
	for len(p)%4 != 0 {
		p = append(p, 0)
	}
	p = append(p, 1, 0, 0, 0)
	p = le.AppendUint16(p, result)
	p = le.AppendUint16(p, 0)
	p = appendSyntax(p, ts)
	le.PutUint16(p[8:], uint16(len(p)))
	return p
}

// nakPDU builds a bind_nak with a reject reason.
func nakPDU(callID uint32, reason uint16) []byte {
	le := binary.LittleEndian
	p := []byte{5, 0, ptypeBindNak, pfcFirstFrag | pfcLastFrag, 0x10, 0, 0, 0}
	p = le.AppendUint16(p, 0)
	p = le.AppendUint16(p, 0)
	p = le.AppendUint32(p, callID)
	p = le.AppendUint16(p, reason)
	p = append(p, 0, 0) // no protocol versions offered
	le.PutUint16(p[8:], uint16(len(p)))
	return p
}

// replyServer is an in-process RPC server for fault injection: it reads
// one bind and answers reply(call id of the bind).
func replyServer(t *testing.T, reply func(callID uint32) []byte) netip.AddrPort {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			hdr := make([]byte, headerLen)
			if _, err := io.ReadFull(c, hdr); err == nil {
				body := make([]byte, max(int(binary.LittleEndian.Uint16(hdr[8:]))-headerLen, 0))
				if _, err := io.ReadFull(c, body); err == nil {
					c.Write(reply(binary.LittleEndian.Uint32(hdr[12:])))
				}
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return netip.MustParseAddrPort(l.Addr().String())
}

// TestProbeRejectsWrongReplies: only a bind_ack for our call, in RPC
// version 5.0/5.1, accepting the KMS interface with NDR, is a KMS host.
func TestProbeRejectsWrongReplies(t *testing.T) {
	ndr64 := SyntaxID{UUID: mustUUID("71710533-beba-4937-8319-b5dbef9ccc36"), Major: 1}
	tests := []struct {
		name   string
		reply  func(callID uint32) []byte
		status Status
		detail string
	}{
		{"accepting ack", func(id uint32) []byte { return ackPDU(id, 0, NDR) }, StatusKMS, "accepted"},
		{"ack for another call", func(id uint32) []byte { return ackPDU(id+1, 0, NDR) }, StatusNotKMS, "another call"},
		{"bind_nak", func(id uint32) []byte { return nakPDU(id, 4) }, StatusNotKMS, "bind_nak, reason 4"},
		{"response PDU", func(id uint32) []byte {
			p := ackPDU(id, 0, NDR)
			p[2] = 2 // response
			return p
		}, StatusNotKMS, "PDU type 2 instead of bind_ack"},
		{"RPC version 5.2", func(id uint32) []byte {
			p := ackPDU(id, 0, NDR)
			p[1] = 2
			return p
		}, StatusNotKMS, "not DCE/RPC"},
		{"ack with NDR64", func(id uint32) []byte { return ackPDU(id, 0, ndr64) }, StatusNotKMS, "does not offer the KMS interface (result 0"},
		{"ack rejecting", func(id uint32) []byte { return ackPDU(id, 2, NDR) }, StatusNotKMS, "does not offer the KMS interface (result 2"},
		{"ack without results", func(id uint32) []byte {
			p := ackPDU(id, 0, NDR)
			p = p[:len(p)-24]
			p[len(p)-4] = 0
			binary.LittleEndian.PutUint16(p[8:], uint16(len(p)))
			return p
		}, StatusNotKMS, "bind_ack without results"},
	}
	p := Prober{Timeout: 2 * time.Second}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := replyServer(t, tc.reply)
			r := p.Probe(t.Context(), addr)
			if r.Status != tc.status || !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("%s: %s %q, want %s %q", tc.name, r.Status, r.Detail, tc.status, tc.detail)
			}
		})
	}
}
