// Package kmstest simulates KMS hosts for tests: TCP listeners on
// 127.0.0.x loopback addresses that answer a DCE/RPC bind as a KMS host
// does, answer garbage, or accept and stay silent. The bind is decoded
// here independently of package probe, from C706 chapter 12.
package kmstest

import (
	"encoding/binary"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kmsdns/kmsdns/internal/testserver"
)

// Behaviour of a simulated host.
type Behaviour int

// Behaviours.
const (
	// KMS answers a bind for the KMS interface with an accepting bind_ack
	// and rejects other interfaces.
	KMS Behaviour = iota
	// OtherRPC is an RPC server without the KMS interface: it rejects the
	// context (provider rejection, abstract syntax not supported).
	OtherRPC
	// Garbage answers with an HTTP error, as a web server on the port would.
	Garbage
	// Silent accepts the connection and never answers.
	Silent
)

// kmsUUID is 51c82175-844e-4750-b0d8-ec255555bc06 as NDR little-endian bytes.
var kmsUUID = [16]byte{0x75, 0x21, 0xc8, 0x51, 0x4e, 0x84, 0x50, 0x47, 0xb0, 0xd8, 0xec, 0x25, 0x55, 0x55, 0xbc, 0x06}

// ndrUUID is 8a885d04-1ceb-11c9-9fe8-08002b104860 as NDR little-endian bytes.
var ndrUUID = [16]byte{0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60}

// Host is a running simulated host.
type Host struct {
	Addr  string // ip:port
	l     net.Listener
	conns atomic.Int64
	wg    sync.WaitGroup
	quit  chan struct{}
}

// Connections returns how many connections the host accepted.
func (h *Host) Connections() int { return int(h.conns.Load()) }

// Start listens on ip:port (port 0 picks one) and serves b until the test ends.
func Start(t testserver.TB, ip string, port int, b Behaviour) *Host {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("kmstest: listen on %s:%d: %v", ip, port, err)
	}
	h := &Host{Addr: l.Addr().String(), l: l, quit: make(chan struct{})}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			h.conns.Add(1)
			h.wg.Add(1)
			go func() {
				defer h.wg.Done()
				defer c.Close()
				h.serve(c, b)
			}()
		}
	}()
	t.Cleanup(func() {
		close(h.quit)
		l.Close()
		h.wg.Wait()
	})
	return h
}

func (h *Host) serve(c net.Conn, b Behaviour) {
	switch b {
	case Silent:
		go func() { <-h.quit; c.Close() }()
		io.Copy(io.Discard, c)
		return
	case Garbage:
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		c.Read(make([]byte, 1024))
		c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
		return
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	hdr := make([]byte, 16)
	if _, err := io.ReadFull(c, hdr); err != nil {
		return
	}
	if hdr[0] != 5 || hdr[2] != 11 || hdr[4] != 0x10 {
		return // not a little-endian bind: hang up
	}
	frag := int(binary.LittleEndian.Uint16(hdr[8:]))
	if frag < 16 {
		return
	}
	body := make([]byte, frag-16)
	if _, err := io.ReadFull(c, body); err != nil {
		return
	}
	callID := binary.LittleEndian.Uint32(hdr[12:])
	// body: max_xmit u16, max_recv u16, assoc u32, n_ctx u8, pad 3,
	// then per context: id u16, n_ts u8, pad, abstract (20), transfers (20 each).
	accept := false
	if len(body) >= 12+4+20+20 && body[8] >= 1 {
		ctx := body[12:]
		nts := int(ctx[2])
		abstract := ctx[4:24]
		var a [16]byte
		copy(a[:], abstract[:16])
		ver := binary.LittleEndian.Uint32(abstract[16:])
		offersNDR := false
		for i := 0; i < nts && 24+20*(i+1) <= len(ctx); i++ {
			ts := ctx[24+20*i:]
			var u [16]byte
			copy(u[:], ts[:16])
			if u == ndrUUID && binary.LittleEndian.Uint32(ts[16:]) == 2 {
				offersNDR = true
			}
		}
		accept = b == KMS && a == kmsUUID && ver == 1 && offersNDR
	}
	c.Write(bindAck(callID, accept))
}

// bindAck builds a bind_ack with one result.
func bindAck(callID uint32, accept bool) []byte {
	le := binary.LittleEndian
	p := []byte{5, 0, 12, 3, 0x10, 0, 0, 0}
	p = le.AppendUint16(p, 0) // frag length, below
	p = le.AppendUint16(p, 0)
	p = le.AppendUint32(p, callID)
	p = le.AppendUint16(p, 5840)
	p = le.AppendUint16(p, 5840)
	p = le.AppendUint32(p, 0x00012345)
	sec := []byte("1688\x00")
	p = le.AppendUint16(p, uint16(len(sec)))
	p = append(p, sec...)
	for len(p)%4 != 0 {
		p = append(p, 0)
	}
	p = append(p, 1, 0, 0, 0) // one result
	if accept {
		p = le.AppendUint16(p, 0) // acceptance
		p = le.AppendUint16(p, 0)
		p = append(p, ndrUUID[:]...)
		p = le.AppendUint32(p, 2)
	} else {
		p = le.AppendUint16(p, 2) // provider rejection
		p = le.AppendUint16(p, 1) // abstract syntax not supported
		p = append(p, make([]byte, 20)...)
	}
	le.PutUint16(p[8:], uint16(len(p)))
	return p
}
