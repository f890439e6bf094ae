package publish

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/krberror"
	"github.com/jcmturner/gokrb5/v8/messages"
)

// asError and tgsError are a KDC's KRB-ERROR as gokrb5's client passes it
// on from the AS exchange (getting a ticket for the client) and the TGS
// exchange (a ticket for DNS/<host>), wrapped the way client.go wraps them.
func asError(code int32) error {
	e := krberror.Errorf(messages.KRBError{ErrorCode: code}, krberror.KDCError, "AS Exchange Error: kerberos error response from KDC")
	return fmt.Errorf("could not get valid TGT for client's realm: %v", e)
}

func tgsError(code int32) error {
	return krberror.Errorf(messages.KRBError{ErrorCode: code}, krberror.KDCError, "TGS Exchange Error: kerberos error response from KDC when requesting for %s", "DNS/dc1.corp.example")
}

// TestGSSFailureExplained: each Kerberos failure gets its own cause and
// remedy, and only an unknown service principal sends the user to
// --server-name (a wrong or expired password, an unknown account, a realm
// without KDC, a KDC that does not answer, a missing ticket, skewed clocks
// are not the host name's fault). The causes name the credential used.
func TestGSSFailureExplained(t *testing.T) {
	pw := &GSS{Principal: "KMSC1$@corp.example", Password: "x", PasswordFile: "/etc/kmsdns/kmsc1.pw", Krb5Conf: "/etc/kmsdns/krb5.conf"}
	kt := &GSS{Principal: "KMSC1$@CORP.EXAMPLE", Keytab: "/etc/kmsdns/kmsc1.keytab", Krb5Conf: "/etc/kmsdns/krb5.conf"}
	own := &GSS{Krb5Conf: "/etc/kmsdns/krb5.conf"}
	for _, tc := range []struct {
		name string
		g    *GSS
		err  error
		want []string
	}{
		{"service principal unknown", pw, tgsError(errorcode.KDC_ERR_S_PRINCIPAL_UNKNOWN), []string{"does not know the service principal DNS/dc1.corp.example@CORP.EXAMPLE", "--server-name"}},
		{"wrong password", pw, asError(errorcode.KDC_ERR_PREAUTH_FAILED), []string{"refused the password of KMSC1$@CORP.EXAMPLE from /etc/kmsdns/kmsc1.pw", "use a keytab"}},
		{"wrong password (bad integrity)", pw, asError(errorcode.KRB_AP_ERR_BAD_INTEGRITY), []string{"refused the password of KMSC1$@CORP.EXAMPLE from /etc/kmsdns/kmsc1.pw"}},
		{"wrong password (no pre-authentication)", pw, krberror.NewErrorf(krberror.KRBMsgError, "AS Exchange Error: AS_REP is not valid or client password/keytab incorrect"), []string{"refused the password"}},
		{"stale keytab", kt, asError(errorcode.KDC_ERR_PREAUTH_FAILED), []string{"refused the key of KMSC1$@CORP.EXAMPLE in keytab /etc/kmsdns/kmsc1.keytab", "export it again"}},
		{"client unknown", pw, asError(errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN), []string{"does not know KMSC1$@CORP.EXAMPLE", "--principal"}},
		{"account disabled", pw, asError(errorcode.KDC_ERR_CLIENT_REVOKED), []string{"disabled or locked out"}},
		{"password expired", pw, asError(errorcode.KDC_ERR_KEY_EXPIRED), []string{"has expired"}},
		{"clock skew", pw, tgsError(errorcode.KRB_AP_ERR_SKEW), []string{"clock", "NTP"}},
		{"no KDC for the realm", pw, fmt.Errorf("could not get valid TGT for client's realm: %v", krberror.Errorf(fmt.Errorf("no KDCs defined in configuration for realm OTHER.REALM"), krberror.NetworkingError, "AS Exchange Error: failed sending AS_REQ to KDC")),
			[]string{"krb5.conf /etc/kmsdns/krb5.conf names no KDC for realm OTHER.REALM", "[realms]"}},
		{"KDC does not answer", pw, fmt.Errorf("could not get valid TGT for client's realm: %v", krberror.Errorf(fmt.Errorf("failed to communicate with KDC. Attempts made with TCP (dial tcp 127.0.0.1:88: connect: connection refused) and then UDP (...)"), krberror.NetworkingError, "AS Exchange Error: failed sending AS_REQ to KDC")),
			[]string{"no KDC answered for realm CORP.EXAMPLE", "krb5.conf /etc/kmsdns/krb5.conf"}},
		{"expired ticket (gokrb5's text)", own, fmt.Errorf("could not get valid TGT for client's realm: %v", krberror.NewErrorf(krberror.KRBMsgError, "cannot login, no user credentials available and no valid existing session")), []string{"has expired): run kinit again"}},
		{"no credential cache", own, fmt.Errorf("KRB5CCNAME: stat /nonexistent: no such file or directory"), []string{"no Kerberos ticket: run kinit"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.g.explain(tc.err, "dc1.corp.example")
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q\ndoes not say %q", got, w)
				}
			}
			if tc.name != "service principal unknown" && strings.Contains(got, "--server-name") {
				t.Errorf("%q blames the server's host name", got)
			}
		})
	}
}

// TestGSSFailureNamesCredentials: a failed negotiation (here with real
// gokrb5 errors: a realm krb5.conf has no KDC for, a KDC that does not
// answer, no credential cache) names the service principal, the
// principal with its realm, the password file and the setting that named
// it, and the krb5.conf, never the password.
func TestGSSFailureNamesCredentials(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String() // nothing answers there once closed
	ln.Close()
	krb5 := filepath.Join(dir, "krb5.conf")
	conf := fmt.Sprintf("[libdefaults]\n\tdefault_realm = CORP.EXAMPLE\n\tdns_lookup_kdc = false\n\tudp_preference_limit = 1\n[realms]\n\tCORP.EXAMPLE = {\n\t\tkdc = %s\n\t}\n", dead)
	if err := os.WriteFile(krb5, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	names := map[string]string{dead: "dc1.corp.example"}
	for _, tc := range []struct {
		name string
		g    *GSS
		want []string
	}{
		{"KDC does not answer", &GSS{Principal: "KMSC1$", Password: "Secret-Pass-1", PasswordFile: "/etc/kmsc1.pw", Origin: "kmsdns.yaml zones[0].update.password-file"},
			[]string{"DNS/dc1.corp.example@CORP.EXAMPLE", "with the password of KMSC1$@CORP.EXAMPLE from /etc/kmsc1.pw (kmsdns.yaml zones[0].update.password-file)", "krb5.conf " + krb5, "no KDC answered for realm CORP.EXAMPLE"}},
		{"realm without KDC", &GSS{Principal: "KMSC1$@other.realm", Password: "Secret-Pass-1", PasswordFile: "/etc/kmsc1.pw", Origin: "--password-file"},
			[]string{"with the password of KMSC1$@OTHER.REALM from /etc/kmsc1.pw (--password-file)", "names no KDC for realm OTHER.REALM"}},
		{"no credential cache", &GSS{}, []string{"the user's own credential", "no Kerberos ticket: run kinit"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("KRB5CCNAME", "FILE:"+filepath.Join(dir, "no-such-ccache"))
			tc.g.Krb5Conf, tc.g.ServerNames, tc.g.Timeout = krb5, names, 2e9
			_, _, _, err := tc.g.Sign(t.Context(), dead)
			if err == nil {
				t.Fatal("negotiated with nobody")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v\ndoes not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "--server-name") || strings.Contains(err.Error(), "Secret-Pass") {
				t.Errorf("%v: blames the host name or shows the password", err)
			}
		})
	}
}
