package publish_test

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/miekg/dns"
)

// sambaSRV reads the SRV records at name from the DC by direct query (an
// AD zone refuses AXFR), as sorted "owner ttl priority weight port target".
func sambaSRV(t *testing.T, s *testserver.Samba, name string) []string {
	t.Helper()
	var out []string
	for _, rr := range s.Query(t, name, dns.TypeSRV) {
		if srv, ok := rr.(*dns.SRV); ok {
			out = append(out, strings.ToLower(srv.String()))
		}
	}
	slices.Sort(out)
	return out
}

// sambaSRVText is the one SRV record a test expects at name.
func sambaSRVText(name string, ttl, port int, target string) []string {
	return []string{strings.ToLower(srvText(dns.Fqdn(name), ttl, port, dns.Fqdn(target)))}
}

func assertSRV(t *testing.T, s *testserver.Samba, name string, want []string) {
	t.Helper()
	if got := sambaSRV(t, s, name); !slices.Equal(got, want) {
		t.Fatalf("%s holds\n%s\nwant\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSambaGSS publishes and unpublishes with GSS-TSIG into the
// AD-integrated zone of a Samba DC: as administrator with a password and
// from a credential cache, and as a machine account, as a KMS host does.
func TestSambaGSS(t *testing.T) {
	s := dc.Get(t)
	t.Logf("Samba DC %s: provisioned in %v, serving in %v", s.Addr, s.ProvisionTime, s.StartTime)
	ctx := t.Context()
	names := map[string]string{s.Addr: s.Host}
	targets := []publish.Primary{{Zone: s.Zone, Server: s.Addr}}
	s.AddComputer(t, "KMSGSS1", "Kms-Gss1-Pass!")
	s.AddUser(t, "kmsadmin", "Kms-Adm1n-User!")

	cases := []struct {
		name string
		gss  func(t *testing.T) *publish.GSS
		site string
	}{
		{"administrator password", func(t *testing.T) *publish.GSS {
			return &publish.GSS{Principal: "administrator", Password: s.AdminPassword, Krb5Conf: s.Krb5Conf, ServerNames: names}
		}, "pw"},
		{"administrator credential cache", func(t *testing.T) *publish.GSS {
			t.Setenv("KRB5CCNAME", s.Kinit(t, "administrator", s.AdminPassword))
			return &publish.GSS{Krb5Conf: s.Krb5Conf, ServerNames: names}
		}, "cc"},
		{"machine account", func(t *testing.T) *publish.GSS {
			return &publish.GSS{Principal: "KMSGSS1$", Password: "Kms-Gss1-Pass!", Krb5Conf: s.Krb5Conf, ServerNames: names}
		}, "machine"},
		// Authenticated users may create names in an AD zone (as Windows
		// allows by default); the creator then owns them.
		{"domain user", func(t *testing.T) *publish.GSS {
			return &publish.GSS{Principal: "kmsadmin", Password: "Kms-Adm1n-User!", Krb5Conf: s.Krb5Conf, ServerNames: names}
		}, "user"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := "_vlmcs._tcp." + tc.site + "." + s.Zone
			host := "kms-" + tc.site + "." + s.Zone
			cl := publish.NewClient(publish.Options{Signer: tc.gss(t)})
			defer cl.Close()
			rs := cl.Apply(ctx, cl.PlanPublish(ctx, targets, tc.site, publish.Record{Target: host, Port: 1688, TTL: 3600}))
			if rs[0].Action != publish.ActionAdded || rs[0].Err != nil || !rs[0].Verified {
				t.Fatalf("publish: %s", results(t, rs))
			}
			if strings.Contains(rs[0].Note, "checksum") {
				t.Errorf("the signature detail is in the note: %q", rs[0].Note)
			}
			assertSRV(t, s, name, sambaSRVText(name, 3600, 1688, host))
			rs = cl.Apply(ctx, cl.PlanUnpublish(ctx, targets, tc.site, host, true))
			if rs[0].Action != publish.ActionRemoved || rs[0].Err != nil || !rs[0].Verified {
				t.Fatalf("unpublish: %s", results(t, rs))
			}
			assertSRV(t, s, name, nil)
		})
	}
}

// TestSambaOwnership reproduces "only the first KMS host can register the
// SRV record": KMS1$ registers _vlmcs._tcp.site2, KMS2$'s publish of the
// same name is refused and explained (the account kmsdns signed as, the
// fix as commands), nothing changes; the test then runs the Samba fix as
// printed and KMS2$'s publish succeeds.
func TestSambaOwnership(t *testing.T) {
	s := dc.Get(t)
	ctx := t.Context()
	names := map[string]string{s.Addr: s.Host}
	targets := []publish.Primary{{Zone: s.Zone, Server: s.Addr}}
	s.AddComputer(t, "KMS1", "Kms1-Machine-Pass!")
	s.AddComputer(t, "KMS2", "Kms2-Machine-Pass!")
	as := func(account, password string) *publish.Client {
		cl := publish.NewClient(publish.Options{Signer: &publish.GSS{Principal: account, Password: password, Krb5Conf: s.Krb5Conf, ServerNames: names}})
		t.Cleanup(func() { cl.Close() })
		return cl
	}
	name := "_vlmcs._tcp.site2." + s.Zone
	kms1 := publish.Record{Target: "kms1." + s.Zone, Port: 1688, TTL: 3600}
	kms2 := publish.Record{Target: "kms2." + s.Zone, Port: 1688, TTL: 3600}
	first := sambaSRVText(name, 3600, 1688, kms1.Target)

	cl := as("KMS1$", "Kms1-Machine-Pass!")
	if rs := cl.Apply(ctx, cl.PlanPublish(ctx, targets, "site2", kms1)); rs[0].Err != nil || !rs[0].Verified {
		t.Fatalf("KMS1$ publish: %s", results(t, rs))
	}
	assertSRV(t, s, name, first)

	cl = as("KMS2$", "Kms2-Machine-Pass!")
	rs := cl.Apply(ctx, cl.PlanPublish(ctx, targets, "site2", kms2))
	var oe *publish.OwnershipError
	if rs[0].Action != publish.ActionFailed || !errors.As(rs[0].Err, &oe) {
		t.Fatalf("KMS2$ publish: want an ownership refusal, got %s", results(t, rs))
	}
	msg := rs[0].Err.Error()
	for _, want := range []string{"SERVFAIL", "signed as KMS2$@" + s.Realm, "_vlmcs._tcp.site2." + s.Zone + " already exists",
		"Every other KMS host will fail", "Add-ADGroupMember -Identity 'KMS Hosts' -Members 'KMS2$'",
		`dsacls "` + s.NodeDN("_vlmcs._tcp.site2") + `" /G`, "samba-tool dsacl set --objectdn='" + s.NodeDN("_vlmcs._tcp.site2") + "'",
		"--principal administrator"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the explanation lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "server's log") {
		t.Errorf("the explanation sends the admin to the server's log:\n%s", msg)
	}
	assertSRV(t, s, name, first)

	// The fix, run exactly as printed.
	for _, c := range oe.SambaCommands() {
		cmd := exec.Command("sh", "-c", c)
		cmd.Env = s.Env()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", c, err, out)
		}
	}
	cl = as("KMS2$", "Kms2-Machine-Pass!")
	if rs := cl.Apply(ctx, cl.PlanPublish(ctx, targets, "site2", kms2)); rs[0].Action != publish.ActionAdded || rs[0].Err != nil || !rs[0].Verified {
		t.Fatalf("KMS2$ publish after the fix: %s", results(t, rs))
	}
	assertSRV(t, s, name, append(first, sambaSRVText(name, 3600, 1688, kms2.Target)...))
}

// TestSambaOneContext sends several updates on one GSS-TSIG context
// (publish and unpublish of several names in one run: each message's MIC
// carries the next sequence number), then a second run with a new client
// negotiates afresh and reuses nothing stale.
func TestSambaOneContext(t *testing.T) {
	s := dc.Get(t)
	ctx := t.Context()
	targets := []publish.Primary{{Zone: s.Zone, Server: s.Addr}}
	sites := []string{"ctx-a", "ctx-b", "ctx-c", "ctx-d"}
	host := "kms-ctx." + s.Zone
	for run := 1; run <= 2; run++ {
		g := &publish.GSS{Principal: "administrator", Password: s.AdminPassword, Krb5Conf: s.Krb5Conf, ServerNames: map[string]string{s.Addr: s.Host}}
		cl := publish.NewClient(publish.Options{Signer: g})
		var plans []*publish.ZonePlan
		for _, site := range sites {
			plans = append(plans, cl.PlanPublish(ctx, targets, site, publish.Record{Target: host, Port: 1688, TTL: 3600})...)
		}
		rs := cl.Apply(ctx, plans)
		plans = plans[:0]
		for _, site := range sites[:2] {
			plans = append(plans, cl.PlanUnpublish(ctx, targets, site, host, true)...)
		}
		rs = append(rs, cl.Apply(ctx, plans)...)
		for _, r := range rs {
			if r.Err != nil || (!r.Verified && r.Action != publish.ActionAlreadyPresent) {
				t.Fatalf("run %d: %s", run, results(t, rs))
			}
		}
		for i, site := range sites {
			name := "_vlmcs._tcp." + site + "." + s.Zone
			if i < 2 {
				assertSRV(t, s, name, nil)
			} else {
				assertSRV(t, s, name, sambaSRVText(name, 3600, 1688, host))
			}
		}
		if err := cl.Close(); err != nil {
			t.Errorf("run %d: deleting the context: %v", run, err)
		}
		// The second run publishes the first two again and removes the rest.
		sites = append(sites[2:], sites[:2]...)
	}
}
