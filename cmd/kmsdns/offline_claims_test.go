package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestOfflineSendsNothing: the README's `--offline` "send nothing on the
// network" observed on the network. A zone file names a KMS host inside
// the zone (its A record is 127.0.0.1, its port a TCP listener here) and
// one outside it; the resolver (KMSDNS_RESOLVER) is a UDP and TCP
// listener here. With --offline neither listener sees a packet or a
// connection; the same audit without --offline does reach both, which
// shows the listeners would have seen it.
func TestOfflineSendsNothing(t *testing.T) {
	var kmsConns, dnsPackets atomic.Int64
	kms := countingListener(t, func() { kmsConns.Add(1) })
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	go func() {
		buf := make([]byte, 512)
		for {
			if _, _, err := udp.ReadFrom(buf); err != nil {
				return
			}
			dnsPackets.Add(1) // never answered
		}
	}()
	// The resolver's TCP port is the same number, where the OS allows.
	if tcp, err := net.Listen("tcp", udp.LocalAddr().String()); err == nil {
		defer tcp.Close()
		go func() {
			for {
				c, err := tcp.Accept()
				if err != nil {
					return
				}
				dnsPackets.Add(1)
				c.Close()
			}
		}()
	}
	t.Setenv("KMSDNS_RESOLVER", udp.LocalAddr().String())

	port := kms.Addr().(*net.TCPAddr).Port
	file := filepath.Join(t.TempDir(), "off.example.zone")
	zoneText := fmt.Sprintf(`$ORIGIN off.example.
$TTL 3600
@ IN SOA ns1 hostmaster 1 3600 900 1209600 300
  IN NS ns1
ns1 IN A 127.0.0.1
kms1 IN A 127.0.0.1
_vlmcs._tcp IN SRV 0 0 %d kms1
_vlmcs._tcp IN SRV 0 0 1688 kms.elsewhere.example.
`, port)
	if err := os.WriteFile(file, []byte(zoneText), 0o600); err != nil {
		t.Fatal(err)
	}

	stdout, stderr, code := run(t, "audit", "--offline", "--zone-file", file)
	// Exit 2: the port-mismatch error the listener's port causes.
	if code != 2 || !strings.Contains(stdout, "port-mismatch") {
		t.Fatalf("--offline: exit %d, want 2\n%s%s", code, stdout, stderr)
	}
	time.Sleep(200 * time.Millisecond) // a late packet would be counted
	if n, m := kmsConns.Load(), dnsPackets.Load(); n != 0 || m != 0 {
		t.Errorf("--offline: %d connections to the KMS port, %d packets to the resolver; want none", n, m)
	}
	if !strings.Contains(stdout, "target-not-verified") {
		t.Errorf("--offline: the out-of-zone target is not reported target-not-verified:\n%s", stdout)
	}

	// The control: without --offline both are reached.
	run(t, "audit", "--timeout", "1s", "--probe-timeout", "1s", "--zone-file", file)
	if n, m := kmsConns.Load(), dnsPackets.Load(); n == 0 || m == 0 {
		t.Errorf("without --offline: %d connections to the KMS port, %d packets to the resolver; the observation sees nothing", n, m)
	}
}
