package publish_test

import (
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/publish"
)

// TestSambaGSSFailuresExplained: the failures review 3 item 3 saw on a
// Samba DC (its Heimdal KDC) each name their cause and the credential
// used; only an unknown DNS/<host> principal points at --server-name.
func TestSambaGSSFailuresExplained(t *testing.T) {
	s := dc.Get(t)
	ctx := t.Context()
	targets := []publish.Primary{{Zone: s.Zone, Server: s.Addr}}
	s.AddComputer(t, "KMSERR1", "Kms-Err1-Pass!")
	realm := strings.ToUpper(s.Zone)
	for _, tc := range []struct {
		name, principal, password, server string
		want                              []string
		serverName                        bool
	}{
		{"rotated machine password", "KMSERR1$", "Kms-Old-Pass!", s.Host,
			[]string{"the KDC refused the password of KMSERR1$@" + realm + " from /etc/kmsdns/kmserr1.pw", "use a keytab"}, false},
		{"unknown account", "NOBODY$", "Kms-Err1-Pass!", s.Host,
			[]string{"the KDC does not know NOBODY$@" + realm}, false},
		{"unknown server name", "KMSERR1$", "Kms-Err1-Pass!", "nosuch." + s.Zone,
			[]string{"does not know the service principal DNS/nosuch." + s.Zone + "@" + realm, "--server-name"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &publish.GSS{Principal: tc.principal, Password: tc.password, PasswordFile: "/etc/kmsdns/kmserr1.pw", Origin: "--password-file",
				Krb5Conf: s.Krb5Conf, ServerNames: map[string]string{s.Addr: tc.server}}
			cl := publish.NewClient(publish.Options{Signer: g})
			defer cl.Close()
			rs := cl.Apply(ctx, cl.PlanPublish(ctx, targets, "gsserr", publish.Record{Target: "kms-err." + s.Zone, Port: 1688, TTL: 3600}))
			if rs[0].Err == nil {
				t.Fatalf("%s", results(t, rs))
			}
			msg := rs[0].Err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%s\ndoes not say %q", msg, w)
				}
			}
			if strings.Contains(msg, "--server-name") != tc.serverName {
				t.Errorf("%s: --server-name advice %v, want %v", msg, !tc.serverName, tc.serverName)
			}
		})
	}
}
