package testserver

import (
	"encoding/binary"
	"io"
	"net"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// LoseUpdates starts a fault-injecting proxy on 127.0.0.1 that forwards
// DNS to upstream over UDP and TCP and returns its address. UPDATE
// messages (over TCP) never get an answer: with apply they reach the
// server, which applies them, and the answer is swallowed; without, they
// are dropped and never reach it. The proxy stops at the test's end.
func LoseUpdates(t TB, upstream string, apply bool) string {
	t.Helper()
	uc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tl, err := net.Listen("tcp", uc.LocalAddr().String())
	if err != nil {
		uc.Close()
		t.Skipf("no tcp port beside udp: %v", err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { uc.Close(); tl.Close(); wg.Wait() })
	wg.Add(2)
	go func() {
		defer wg.Done()
		buf := make([]byte, 65535)
		for {
			n, from, err := uc.ReadFrom(buf)
			if err != nil {
				return
			}
			c, err := net.Dial("udp", upstream)
			if err != nil {
				continue
			}
			c.SetDeadline(time.Now().Add(2 * time.Second))
			c.Write(buf[:n])
			m := make([]byte, 65535)
			if k, err := c.Read(m); err == nil {
				uc.WriteTo(m[:k], from)
			}
			c.Close()
		}
	}()
	go func() {
		defer wg.Done()
		for {
			cc, err := tl.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer cc.Close()
				up, err := net.Dial("tcp", upstream)
				if err != nil {
					return
				}
				defer up.Close()
				for {
					cc.SetDeadline(time.Now().Add(5 * time.Second))
					var l [2]byte
					if _, err := io.ReadFull(cc, l[:]); err != nil {
						return
					}
					msg := make([]byte, binary.BigEndian.Uint16(l[:]))
					if _, err := io.ReadFull(cc, msg); err != nil {
						return
					}
					update := len(msg) > 3 && (msg[2]>>3)&0xf == dns.OpcodeUpdate
					if update && !apply {
						continue // dropped: never reaches the server
					}
					up.SetDeadline(time.Now().Add(2 * time.Second))
					up.Write(append(l[:], msg...))
					var rl [2]byte
					if _, err := io.ReadFull(up, rl[:]); err != nil {
						return
					}
					ans := make([]byte, binary.BigEndian.Uint16(rl[:]))
					if _, err := io.ReadFull(up, ans); err != nil {
						return
					}
					if update {
						continue // applied, but the answer is lost
					}
					cc.Write(append(rl[:], ans...))
				}
			}()
		}
	}()
	return uc.LocalAddr().String()
}

// ServeUDP answers DNS over UDP on addr (a loopback host:port; port 0
// picks a free one) with h, an in-process server for fault injection, and
// returns the address it listens on. It stops at the test's end.
func ServeUDP(t TB, addr string, h dns.HandlerFunc) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatalf("cannot bind UDP on %s: %v", addr, err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: h}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}
