package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/miekg/dns"
)

// TestGSSOnlyFlagsWithoutGSSAreUsageErrors (review 3 item 2): --principal,
// --server-name and --krb5-conf without --gss, --keytab or --password-file
// (alone, or with a TSIG key) are a usage error naming the flag and what
// to add, before anything is sent: no query, no update reaches the server
// (which would otherwise have taken an unsigned or TSIG-signed update).
func TestGSSOnlyFlagsWithoutGSSAreUsageErrors(t *testing.T) {
	var hits atomic.Int32
	ln := countingListener(t, func() { hits.Add(1) })
	server := testserver.ServeUDP(t, ln.Addr().String(), func(w dns.ResponseWriter, r *dns.Msg) {
		hits.Add(1)
		w.WriteMsg(new(dns.Msg).SetRcode(r, dns.RcodeRefused))
	})
	dir := t.TempDir()
	keyFile := cliUpdKey.WriteKeyFile(t, dir)
	krb := filepath.Join(dir, "krb5.conf")
	if err := os.WriteFile(krb, []byte("[libdefaults]\n\tdefault_realm = Y\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"--zone", "g.example", "--server", server, "--host", "kms1.g.example"}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"publish", "--principal", "x@Y", "--dry-run", "--no-probe"}, []string{"--principal: ", "--keytab or --password-file", "--gss"}},
		{[]string{"publish", "--principal", "x@Y", "--no-probe"}, []string{"--principal: "}},
		{[]string{"publish", "--principal", "x@Y", "-k", keyFile, "--no-probe"}, []string{"--principal: set with a TSIG key (--key-file)"}},
		{[]string{"publish", "--server-name", "dc1.g.example", "--no-probe"}, []string{"--server-name is for GSS-TSIG", "unsigned", "give --gss"}},
		{[]string{"unpublish", "--krb5-conf", krb, "-k", keyFile}, []string{"--krb5-conf is for GSS-TSIG", "TSIG key in " + keyFile}},
		{[]string{"cleanup", "--principal", "x@Y", "--force", "--yes"}, []string{"--principal: "}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			before := hits.Load()
			args := append(append([]string{tc.args[0]}, base...), tc.args[1:]...)
			out, errOut, code := run(t, args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d\n%s%s", code, exitUsage, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if n := hits.Load() - before; n != 0 {
				t.Errorf("%d queries or connections reached the server", n)
			}
		})
	}
}

// countingListener is a TCP listener on loopback that calls count for every
// connection it accepts (and closes), to show that nothing connected.
func countingListener(t *testing.T, count func()) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			count()
			c.Close()
		}
	}()
	return ln
}
