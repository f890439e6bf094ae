package publish_test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/kmsdns/kmsdns/publish"
)

// gssLab is an MIT KDC and a BIND that accepts GSS-TSIG updates from
// admin@GSS.EXAMPLE for zone gss.example, the way an AD-integrated zone
// set to "secure only" accepts them from a domain account.
type gssLab struct {
	kdc   *testserver.KDC
	bind  *testserver.Server
	admin string // keytab of admin@GSS.EXAMPLE
	other string // keytab of intruder@GSS.EXAMPLE, known to the KDC, not granted
	names map[string]string
}

func startGSSLab(t *testing.T) *gssLab {
	kdc := testserver.StartKDC(t, "gss.example")
	dnsKeytab := kdc.AddPrincipal(t, "DNS/ns1.gss.example")
	l := &gssLab{kdc: kdc, admin: kdc.AddPrincipal(t, "admin"), other: kdc.AddPrincipal(t, "intruder")}
	kdc.AddPasswordPrincipal(t, "helpdesk", "helpdesk-pass-123")
	rcache := t.TempDir()
	l.bind = testserver.StartBIND(t, testserver.BINDConfig{
		Env:     append(kdc.Env(), "KRB5RCACHEDIR="+rcache, "KRB5_KTNAME="+dnsKeytab),
		Options: fmt.Sprintf("tkey-gssapi-keytab %q;", dnsKeytab),
		Zones: []testserver.Zone{{Name: "gss.example", Content: baseZone("gss.example"), Transfer: "any;",
			Extra: "update-policy { grant admin@GSS.EXAMPLE zonesub SRV; grant helpdesk@GSS.EXAMPLE zonesub SRV; };"}},
	})
	l.names = map[string]string{l.bind.Addr: "ns1.gss.example"}
	return l
}

func TestGSSTSIGWithBIND(t *testing.T) {
	l := startGSSLab(t)
	ctx := t.Context()
	targets := []publish.Primary{{Zone: "gss.example", Server: l.bind.Addr}}
	base := testserver.Records(t, l.bind.Addr, "gss.example")
	rec := publish.Record{Target: "kms1.gss.example", Port: 1688, TTL: 3600}
	srv := srvText("_vlmcs._tcp.gss.example.", 3600, 1688, "kms1.gss.example.")

	t.Run("keytab publish and unpublish", func(t *testing.T) {
		g := &publish.GSS{Principal: "admin@gss.example", Keytab: l.admin, Krb5Conf: l.kdc.Krb5Conf, ServerNames: l.names}
		cl := publish.NewClient(publish.Options{Signer: g})
		rs := cl.Apply(ctx, cl.PlanPublish(ctx, targets, "", rec))
		if rs[0].Action != publish.ActionAdded || rs[0].Err != nil || !rs[0].Verified {
			t.Fatalf("publish: %s", results(t, rs))
		}
		assertZone(t, l.bind.Addr, "gss.example", with(base, srv))
		// A second update reuses the negotiated context.
		rs = cl.Apply(ctx, cl.PlanUnpublish(ctx, targets, "", "kms1.gss.example", true))
		if rs[0].Action != publish.ActionRemoved || rs[0].Err != nil {
			t.Fatalf("unpublish: %s", results(t, rs))
		}
		if err := cl.Close(); err != nil {
			t.Errorf("deleting the context: %v", err)
		}
		assertZone(t, l.bind.Addr, "gss.example", base)
	})

	t.Run("several updates on one context", func(t *testing.T) {
		// Each message's MIC must carry the next sequence number: BIND
		// answers BADSIG to a repeated one (github.com/bodgit/tsig v1.2.2
		// never advanced it; v1.3 does).
		g := &publish.GSS{Principal: "admin", Keytab: l.admin, Krb5Conf: l.kdc.Krb5Conf, ServerNames: l.names}
		cl := publish.NewClient(publish.Options{Signer: g})
		defer cl.Close()
		var want []string
		for _, site := range []string{"s1", "s2", "s3", "s4"} {
			rs := cl.Apply(ctx, cl.PlanPublish(ctx, targets, site, rec))
			if rs[0].Action != publish.ActionAdded || rs[0].Err != nil || !rs[0].Verified {
				t.Fatalf("publish %s: %s", site, results(t, rs))
			}
			want = append(want, srvText("_vlmcs._tcp."+site+".gss.example.", 3600, 1688, "kms1.gss.example."))
		}
		assertZone(t, l.bind.Addr, "gss.example", with(base, want...))
		for _, site := range []string{"s1", "s2", "s3", "s4"} {
			if rs := cl.Apply(ctx, cl.PlanUnpublish(ctx, targets, site, "kms1.gss.example", true)); rs[0].Err != nil || !rs[0].Verified {
				t.Fatalf("unpublish %s: %s", site, results(t, rs))
			}
		}
		assertZone(t, l.bind.Addr, "gss.example", base)
	})

	t.Run("password", func(t *testing.T) {
		g := &publish.GSS{Principal: "helpdesk", Password: "helpdesk-pass-123", Krb5Conf: l.kdc.Krb5Conf, ServerNames: l.names}
		cl := publish.NewClient(publish.Options{Signer: g})
		defer cl.Close()
		rs := cl.Apply(ctx, cl.PlanPublish(ctx, targets, "", rec))
		rs = append(rs, cl.Apply(ctx, cl.PlanUnpublish(ctx, targets, "", "kms1.gss.example", true))...)
		for _, r := range rs {
			if r.Err != nil {
				t.Fatalf("%s", results(t, rs))
			}
		}
		assertZone(t, l.bind.Addr, "gss.example", base)
	})

	t.Run("credential cache after kinit", func(t *testing.T) {
		kinit := testserver.Binary(t, "kinit", "krb5-user")
		cc := filepath.Join(t.TempDir(), "ccache")
		cmd := exec.Command(kinit, "helpdesk@GSS.EXAMPLE")
		cmd.Env = append(l.kdc.Env(), "KRB5CCNAME=FILE:"+cc)
		cmd.Stdin = strings.NewReader("helpdesk-pass-123\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("kinit: %v\n%s", err, out)
		}
		t.Setenv("KRB5CCNAME", "FILE:"+cc)
		g := &publish.GSS{Krb5Conf: l.kdc.Krb5Conf, ServerNames: l.names}
		cl := publish.NewClient(publish.Options{Signer: g})
		defer cl.Close()
		rs := cl.Apply(ctx, cl.PlanPublish(ctx, targets, "", rec))
		rs = append(rs, cl.Apply(ctx, cl.PlanUnpublish(ctx, targets, "", "kms1.gss.example", true))...)
		for _, r := range rs {
			if r.Err != nil {
				t.Fatalf("%s", results(t, rs))
			}
		}
	})

	t.Run("principal not granted is refused", func(t *testing.T) {
		g := &publish.GSS{Principal: "intruder", Keytab: l.other, Krb5Conf: l.kdc.Krb5Conf, ServerNames: l.names}
		cl := publish.NewClient(publish.Options{Signer: g})
		defer cl.Close()
		rs := cl.Apply(ctx, cl.PlanPublish(ctx, targets, "", rec))
		if rs[0].Action != publish.ActionFailed || rs[0].Err == nil || !strings.Contains(rs[0].Err.Error(), "REFUSED") {
			t.Fatalf("%s", results(t, rs))
		}
		assertZone(t, l.bind.Addr, "gss.example", base)
	})

	t.Run("wrong server name names the principal", func(t *testing.T) {
		g := &publish.GSS{Principal: "admin", Keytab: l.admin, Krb5Conf: l.kdc.Krb5Conf, ServerNames: map[string]string{l.bind.Addr: "dc9.gss.example"}}
		cl := publish.NewClient(publish.Options{Signer: g})
		defer cl.Close()
		rs := cl.Apply(ctx, cl.PlanPublish(ctx, targets, "", rec))
		if rs[0].Err == nil || !strings.Contains(rs[0].Err.Error(), "DNS/dc9.gss.example@GSS.EXAMPLE") || !strings.Contains(rs[0].Err.Error(), "--server-name") {
			t.Fatalf("%s", results(t, rs))
		}
	})

	// The KDC's refusals are explained by their cause, with the credential
	// used; none of them is the server's host name's fault.
	for _, tc := range []struct {
		name string
		g    *publish.GSS
		want []string
	}{
		{"wrong password names the password file", &publish.GSS{Principal: "helpdesk", Password: "not-the-password", PasswordFile: "/etc/kmsdns/helpdesk.pw", Origin: "--password-file"},
			[]string{"the KDC refused the password of helpdesk@GSS.EXAMPLE from /etc/kmsdns/helpdesk.pw", "with the password of helpdesk@GSS.EXAMPLE from /etc/kmsdns/helpdesk.pw (--password-file)", "krb5.conf " + l.kdc.Krb5Conf}},
		{"unknown principal", &publish.GSS{Principal: "nobody", Password: "helpdesk-pass-123", PasswordFile: "/etc/kmsdns/nobody.pw"},
			[]string{"the KDC does not know nobody@GSS.EXAMPLE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.g.Krb5Conf, tc.g.ServerNames = l.kdc.Krb5Conf, l.names
			cl := publish.NewClient(publish.Options{Signer: tc.g})
			defer cl.Close()
			rs := cl.Apply(ctx, cl.PlanPublish(ctx, targets, "", rec))
			if rs[0].Err == nil {
				t.Fatalf("%s", results(t, rs))
			}
			msg := rs[0].Err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%s\ndoes not say %q", msg, w)
				}
			}
			if strings.Contains(msg, "--server-name") || strings.Contains(msg, "not-the-password") {
				t.Errorf("%s: blames the host name or shows the password", msg)
			}
		})
	}

	t.Run("expired ticket says kinit", func(t *testing.T) {
		kinit := testserver.Binary(t, "kinit", "krb5-user")
		cc := filepath.Join(t.TempDir(), "ccache")
		cmd := exec.Command(kinit, "-l", "1s", "helpdesk@GSS.EXAMPLE")
		cmd.Env = append(l.kdc.Env(), "KRB5CCNAME=FILE:"+cc)
		cmd.Stdin = strings.NewReader("helpdesk-pass-123\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("kinit: %v\n%s", err, out)
		}
		time.Sleep(2 * time.Second)
		t.Setenv("KRB5CCNAME", "FILE:"+cc)
		g := &publish.GSS{Krb5Conf: l.kdc.Krb5Conf, ServerNames: l.names}
		cl := publish.NewClient(publish.Options{Signer: g})
		defer cl.Close()
		rs := cl.Apply(ctx, cl.PlanPublish(ctx, targets, "", rec))
		if rs[0].Err == nil {
			t.Fatalf("%s", results(t, rs))
		}
		if msg := rs[0].Err.Error(); !strings.Contains(msg, "has expired): run kinit again") || strings.Contains(msg, "--server-name") {
			t.Errorf("%s: does not say kinit", msg)
		}
	})

	t.Run("no server name", func(t *testing.T) {
		g := &publish.GSS{Principal: "admin", Keytab: l.admin, Krb5Conf: l.kdc.Krb5Conf}
		cl := publish.NewClient(publish.Options{Signer: g})
		defer cl.Close()
		rs := cl.Apply(ctx, cl.PlanPublish(ctx, targets, "", rec))
		if rs[0].Err == nil || !strings.Contains(rs[0].Err.Error(), "host name is not known") {
			t.Fatalf("%s", results(t, rs))
		}
	})
}
