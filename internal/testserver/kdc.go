//go:build !windows

package testserver

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// KDC is a running MIT Kerberos KDC with its own realm and database.
type KDC struct {
	*Server
	Realm string
	// Krb5Conf is the path of a krb5.conf pointing at this KDC; Krb5Text
	// is its content.
	Krb5Conf, Krb5Text string
	env                []string
	kadmin             string
}

// StartKDC creates a realm (upper-case) in a temporary directory and starts
// krb5kdc for it on 127.0.0.1, UDP and TCP, on a free high port.
func StartKDC(t TB, realm string) *KDC {
	t.Helper()
	bin := Binary(t, "krb5kdc", "krb5-kdc")
	kdbUtil := Binary(t, "kdb5_util", "krb5-kdc")
	kadmin := Binary(t, "kadmin.local", "krb5-admin-server")
	realm = strings.ToUpper(realm)
	dir := t.TempDir()
	port := FreePort(t)
	krb5 := fmt.Sprintf(`[libdefaults]
	default_realm = %[1]s
	dns_lookup_realm = false
	dns_lookup_kdc = false
	rdns = false
	ticket_lifetime = 1h
	udp_preference_limit = 1
	default_tkt_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
	default_tgs_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
	permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96

[realms]
	%[1]s = {
		kdc = 127.0.0.1:%[2]d
	}
`, realm, port)
	kdcConf := fmt.Sprintf(`[kdcdefaults]
	kdc_ports = %[2]d
	kdc_tcp_ports = %[2]d

[realms]
	%[1]s = {
		database_name = %[3]s
		key_stash_file = %[4]s
		acl_file = %[5]s
		max_life = 1h
		supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
	}

[logging]
	kdc = STDERR
`, realm, port, filepath.Join(dir, "principal"), filepath.Join(dir, "stash"), filepath.Join(dir, "kadm5.acl"))
	krb5Path := filepath.Join(dir, "krb5.conf")
	kdcPath := filepath.Join(dir, "kdc.conf")
	writeFile(t, krb5Path, krb5)
	writeFile(t, kdcPath, kdcConf)
	writeFile(t, filepath.Join(dir, "kadm5.acl"), "")
	env := append(os.Environ(), "KRB5_CONFIG="+krb5Path, "KRB5_KDC_PROFILE="+kdcPath)
	k := &KDC{Realm: realm, Krb5Conf: krb5Path, Krb5Text: krb5, env: env, kadmin: kadmin}
	k.run(t, kdbUtil, "create", "-s", "-r", realm, "-P", "kmsdns-test-master-key")
	k.Server = startEnv(t, "krb5kdc", dir, "127.0.0.1", port, env, bin, "-n", "-r", realm)
	// Wait until the KDC answers on TCP.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := dialTCP(k.Addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("krb5kdc did not start:\n%s", k.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return k
}

func (k *KDC) run(t TB, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = k.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// AddPrincipal creates principal (without realm) with a random key and
// returns the path of a keytab holding its key.
func (k *KDC) AddPrincipal(t TB, principal string) string {
	t.Helper()
	kt := filepath.Join(t.TempDir(), strings.NewReplacer("/", "_", "@", "_").Replace(principal)+".keytab")
	k.run(t, k.kadmin, "-r", k.Realm, "-q", "addprinc -randkey "+principal)
	k.run(t, k.kadmin, "-r", k.Realm, "-q", fmt.Sprintf("ktadd -k %s %s", kt, principal))
	return kt
}

// AddPasswordPrincipal creates principal with a password.
func (k *KDC) AddPasswordPrincipal(t TB, principal, password string) {
	t.Helper()
	k.run(t, k.kadmin, "-r", k.Realm, "-q", fmt.Sprintf("addprinc -pw %s %s", password, principal))
}

// Env returns the environment a Kerberos program (named, kinit) needs to
// use this realm.
func (k *KDC) Env() []string { return k.env }
