//go:build !windows

package zone

import (
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/kmsdns/kmsdns/internal/zonegen"
	"github.com/miekg/dns"
)

// cpuTime is the CPU (user+sys) this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTransfer300k transfers a 300,000-record zone from a real BIND,
// TSIG-signed, with Transfer (each message walked in place, only the SOA,
// KMS SRV and TSIG records unpacked) and with miekg/dns's dns.Transfer.In
// (every record unpacked), and reports the client's CPU per transfer
// (cpu-ms/op). Both verify every message's TSIG; the walker is a speed
// choice, not a workaround.
func BenchmarkTransfer300k(b *testing.B) {
	const records, kms = 300_000, 40
	key := testserver.Key{Name: "bench-xfr", Algorithm: "hmac-sha256", Secret: keySHA256.Secret}
	path, _ := writeGenerated(b, b.TempDir(), zonegen.Config{Origin: "b300k.example.", Records: records, KMS: kms})
	bind := testserver.StartBIND(b, testserver.BINDConfig{
		Keys:  []testserver.Key{key},
		Zones: []testserver.Zone{{Name: "b300k.example", File: path, Transfer: "key bench-xfr;"}},
	})
	k, err := NewKey(key.Name, key.Algorithm, key.Secret)
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, xfr func() int) {
		start := cpuTime(b)
		for b.Loop() {
			if n := xfr(); n != kms {
				b.Fatalf("%d KMS records, want %d", n, kms)
			}
		}
		b.ReportMetric(float64(cpuTime(b)-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	}
	b.Run("walker", func(b *testing.B) {
		run(b, func() int {
			res, err := Transfer(b.Context(), TransferConfig{Zone: "b300k.example", Server: bind.Addr, Key: k, Timeout: 30 * time.Second})
			if err != nil {
				b.Fatal(err)
			}
			return len(res.Records)
		})
	})
	b.Run("dns.Transfer.In", func(b *testing.B) {
		run(b, func() int {
			nc, err := net.DialTimeout("tcp", bind.Addr, 5*time.Second)
			if err != nil {
				b.Fatal(err)
			}
			defer nc.Close()
			tr := &dns.Transfer{Conn: &dns.Conn{Conn: nc}, TsigProvider: k.Provider()}
			m := new(dns.Msg)
			m.SetAxfr("b300k.example.")
			m.SetTsig(k.Name, k.Algorithm, 300, time.Now().Unix())
			env, err := tr.In(m, bind.Addr)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for e := range env {
				if e.Error != nil {
					b.Fatal(e.Error)
				}
				for _, rr := range e.RR {
					if srv, ok := rr.(*dns.SRV); ok && IsKMSName(srv.Hdr.Name) {
						n++
					}
				}
			}
			return n
		})
	})
}
