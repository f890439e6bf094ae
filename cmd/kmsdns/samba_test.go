package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/miekg/dns"
)

// sambaTargets reads the SRV targets at name from the DC by direct query
// (an AD zone refuses AXFR), sorted.
func sambaTargets(t *testing.T, s *testserver.Samba, name string) []string {
	t.Helper()
	var out []string
	for _, rr := range s.Query(t, name, dns.TypeSRV) {
		if srv, ok := rr.(*dns.SRV); ok {
			out = append(out, strings.ToLower(srv.Target))
		}
	}
	slices.Sort(out)
	return out
}

func assertTargets(t *testing.T, s *testserver.Samba, name string, want ...string) {
	t.Helper()
	if got := sambaTargets(t, s, name); !slices.Equal(got, want) {
		t.Fatalf("%s: targets %v, want %v", name, got, want)
	}
}

// TestSambaCLI runs kmsdns against a Samba AD DC as an admin of a Windows
// domain would: the DC given by address only (its Kerberos name comes
// from the zone's SOA MNAME, asked of the DC itself), GSS-TSIG as
// administrator with a password file and from a credential cache and as
// a machine account, audit of a zone that refuses AXFR, the ownership
// refusal explained, and cleanup.
func TestSambaCLI(t *testing.T) {
	s := dc.Get(t)
	dir := t.TempDir()
	secret := func(name, pass string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(pass+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	adminPW := secret("admin.pw", s.AdminPassword)
	s.AddComputer(t, "KMSC1", "Kmsc1-Machine-Pass!")
	s.AddComputer(t, "KMSC2", "Kmsc2-Machine-Pass!")
	kmsc1PW, kmsc2PW := secret("kmsc1.pw", "Kmsc1-Machine-Pass!"), secret("kmsc2.pw", "Kmsc2-Machine-Pass!")
	host := s.Host + "." // the DC's own name resolves, for audit
	z := s.Zone
	// The DC by address, port 53 implied, no --server-name, no resolver
	// that knows the domain (TestMain points KMSDNS_RESOLVER nowhere).
	common := []string{"--zone", z, "--server", s.IP, "--krb5-conf", s.Krb5Conf}
	admin := append([]string{"--principal", "administrator", "--password-file", adminPW}, common...)
	once := "signs its answers in a way that cannot be verified (known of Windows DNS and Samba), so each change was confirmed by reading it back"

	t.Run("administrator with a password file", func(t *testing.T) {
		out, errOut, code := run(t, append([]string{"publish", "--host", s.Host}, admin...)...)
		if code != exitClean || !strings.Contains(out, "added") || strings.Count(out, once) != 1 || strings.Contains(out, "checksum") {
			t.Fatalf("publish: exit %d\n%s%s", code, out, errOut)
		}
		assertTargets(t, s, "_vlmcs._tcp."+z, host)
		out, errOut, code = run(t, append([]string{"publish", "--verbose", "--name", "site1", "--host", s.Host}, admin...)...)
		if code != exitClean || strings.Count(out, once) != 1 || !strings.Contains(out, "checksum mismatch") {
			t.Fatalf("publish --verbose: exit %d\n%s%s", code, out, errOut)
		}
		assertTargets(t, s, "_vlmcs._tcp.site1."+z, host)
		assertTargets(t, s, "_vlmcs._tcp."+z, host)
	})

	t.Run("credential cache", func(t *testing.T) {
		t.Setenv("KRB5CCNAME", s.Kinit(t, "administrator", s.AdminPassword))
		out, errOut, code := run(t, append([]string{"publish", "--gss", "--name", "site3", "--host", s.Host}, common...)...)
		if code != exitClean || !strings.Contains(out, "added") {
			t.Fatalf("publish: exit %d\n%s%s", code, out, errOut)
		}
		assertTargets(t, s, "_vlmcs._tcp.site3."+z, host)
		out, errOut, code = run(t, append([]string{"unpublish", "--gss", "--force", "--name", "site3", "--host", s.Host, "--output", "json"}, common...)...)
		if code != exitClean || !strings.Contains(out, `"action": "removed"`) || !strings.Contains(out, `"answer_signature": "unverifiable"`) || !strings.Contains(out, `"verified": true`) {
			t.Fatalf("unpublish: exit %d\n%s%s", code, out, errOut)
		}
		assertTargets(t, s, "_vlmcs._tcp.site3."+z)
		assertTargets(t, s, "_vlmcs._tcp.site1."+z, host)
	})

	t.Run("machine account", func(t *testing.T) {
		out, errOut, code := run(t, append([]string{"publish", "--principal", "KMSC1$", "--password-file", kmsc1PW, "--name", "site4", "--host", s.Host}, common...)...)
		if code != exitClean || !strings.Contains(out, "added") {
			t.Fatalf("publish: exit %d\n%s%s", code, out, errOut)
		}
		assertTargets(t, s, "_vlmcs._tcp.site4."+z, host)
	})

	t.Run("another machine account is refused and told why", func(t *testing.T) {
		out, errOut, code := run(t, append([]string{"publish", "--principal", "KMSC2$", "--password-file", kmsc2PW, "--name", "site4", "--host", "kms2." + z}, common...)...)
		for _, want := range []string{"SERVFAIL", "signed as KMSC2$@" + s.Realm, "Every other KMS host will fail",
			"samba-tool dsacl set --objectdn='" + s.NodeDN("_vlmcs._tcp.site4") + "'", "Add-ADGroupMember", "dsacls"} {
			if !strings.Contains(out+errOut, want) {
				t.Errorf("output lacks %q", want)
			}
		}
		if code != exitErrors || strings.Contains(out, "server's log") || strings.Contains(out, "Kmsc2-Machine-Pass") {
			t.Errorf("exit %d\n%s%s", code, out, errOut)
		}
		assertTargets(t, s, "_vlmcs._tcp.site4."+z, host)
	})

	t.Run("audit reads the zone by direct queries", func(t *testing.T) {
		out, errOut, _ := run(t, "audit", "--no-probe", "--zone", z, "--server", s.IP, "--resolver", s.Addr, "--name", "site1", "--name", "site4", "--output", "json")
		r := decode(t, out)
		if len(r.Zones) != 1 || r.Zones[0].Source != "query" || r.Zones[0].Records != 3 {
			t.Fatalf("zones %+v\n%s%s", r.Zones, out, errOut)
		}
		if !slices.ContainsFunc(r.Findings, func(f struct {
			Check    string `json:"check"`
			Severity string `json:"severity"`
			Zone     string `json:"zone"`
			Name     string `json:"name"`
		}) bool {
			return f.Check == "transfer-refused"
		}) {
			t.Errorf("no transfer-refused finding: %+v", r.Findings)
		}
	})

	t.Run("cleanup", func(t *testing.T) {
		out, errOut, code := run(t, append([]string{"cleanup", "--yes", "--force", "--no-probe", "--host", s.Host, "--name", "site1",
			"--backup", filepath.Join(dir, "backup.zone"), "--state", filepath.Join(dir, "state.json"), "--resolver", s.Addr}, admin...)...)
		if code == exitUsage {
			t.Fatalf("cleanup: exit %d\n%s%s", code, out, errOut)
		}
		assertTargets(t, s, "_vlmcs._tcp.site1."+z)
		assertTargets(t, s, "_vlmcs._tcp."+z)
		assertTargets(t, s, "_vlmcs._tcp.site4."+z, host)
	})

	// Review 3 item 9: the Kerberos exchange fails before any UPDATE is
	// written: the zone is not-sent (not unknown) and nothing is pending.
	t.Run("cleanup with a wrong password: not sent, nothing pending", func(t *testing.T) {
		state := filepath.Join(dir, "bad-state.json")
		out, errOut, code := run(t, append([]string{"cleanup", "--yes", "--force", "--no-probe", "--host", s.Host, "--name", "site4", "-o", "json",
			"--backup", filepath.Join(dir, "bad.zone"), "--state", state, "--resolver", s.Addr, "--principal", "KMSC1$", "--password-file", secret("bad.pw", "Wrong-Pass-1!")}, common...)...)
		if code != exitErrors || !strings.Contains(out, `"status": "not-sent"`) || strings.Contains(out, `"status": "unknown"`) || !strings.Contains(out, "negotiating GSS-TSIG") {
			t.Errorf("cleanup: exit %d\n%s%s", code, out, errOut)
		}
		if st, err := cleanup.LoadState(state); err != nil || slices.ContainsFunc(st.Removed, func(e audit.Removed) bool { return e.Pending }) {
			t.Errorf("state (%v): %+v", err, st.Removed)
		}
		assertTargets(t, s, "_vlmcs._tcp.site4."+z, host)
	})

	t.Run("administrator may change a machine's record", func(t *testing.T) {
		out, errOut, code := run(t, append([]string{"unpublish", "--force", "--name", "site4", "--host", s.Host}, admin...)...)
		if code != exitClean || !strings.Contains(out, "removed") {
			t.Fatalf("unpublish: exit %d\n%s%s", code, out, errOut)
		}
		assertTargets(t, s, "_vlmcs._tcp.site4."+z)
	})
}
