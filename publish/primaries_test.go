package publish_test

import (
	"testing"

	"github.com/kmsdns/kmsdns/publish"
)

// TestOpenPrimariesCredentials: GSS-TSIG credentials are described by
// principal and keytab, never by password, and the targets carry that
// description; one credential gives one signer across zones.
func TestOpenPrimariesCredentials(t *testing.T) {
	for _, tc := range []struct {
		g    publish.GSSSettings
		want string
	}{
		{publish.GSSSettings{Principal: "kmsdns@CORP.EXAMPLE", Keytab: "/etc/k.keytab"}, "signed with GSS-TSIG as kmsdns@CORP.EXAMPLE (keytab /etc/k.keytab)"},
		{publish.GSSSettings{Principal: "admin", Password: "s3cret"}, "signed with GSS-TSIG as admin (password file)"},
		{publish.GSSSettings{}, "signed with GSS-TSIG as the user of the credential cache (credential cache)"},
		{publish.GSSSettings{Principal: "KMSC1$", Password: "s3cret", PasswordFile: "/etc/kmsc1.pw", Origin: "--password-file"}, "signed with GSS-TSIG as KMSC1$ (password file /etc/kmsc1.pw from --password-file)"},
		{publish.GSSSettings{Principal: "kmsdns", Keytab: "/etc/k.keytab", Origin: "kmsdns.yaml zones[1].update.keytab"}, "signed with GSS-TSIG as kmsdns (keytab /etc/k.keytab from kmsdns.yaml zones[1].update.keytab)"},
	} {
		if got := tc.g.String(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	// Named servers: nothing is sent.
	cred := publish.GSSSettings{Principal: "kmsdns@CORP.EXAMPLE", Keytab: "/etc/k.keytab"}
	s := publish.Settings{Primaries: []publish.PrimarySettings{
		{Zone: "corp.example", Server: "127.0.0.1:9", ServerName: "dc1.corp.example", GSS: &cred},
		// The same keytab named by another setting is the same credential.
		{Zone: "emea.corp.example", Server: "127.0.0.1:9", ServerName: "dc1.corp.example", GSS: &publish.GSSSettings{Principal: "kmsdns@CORP.EXAMPLE", Keytab: "/etc/k.keytab", Origin: "kmsdns.yaml zones[1].update.keytab"}},
		{Zone: "plain.example", Server: "127.0.0.1"},
	}}
	targets, closeAll, err := publish.OpenPrimaries(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	if want := "signed with GSS-TSIG as kmsdns@CORP.EXAMPLE (keytab /etc/k.keytab)"; targets[0].Credentials != want {
		t.Errorf("target credentials %q, want %q", targets[0].Credentials, want)
	}
	if targets[0].Signer == nil || targets[0].Signer != targets[1].Signer {
		t.Errorf("one credential, two signers: %v %v", targets[0].Signer, targets[1].Signer)
	}
	if g, ok := targets[0].Signer.(*publish.GSS); !ok || g.ServerNames["127.0.0.1:9"] != "dc1.corp.example" {
		t.Errorf("signer %#v", targets[0].Signer)
	}
	if targets[2].Signer != nil || targets[2].Server != "127.0.0.1:53" {
		t.Errorf("unsigned target %+v", targets[2])
	}
}
