package publish

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	krbconfig "github.com/jcmturner/gokrb5/v8/config"
	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/kmsdns/kmsdns/internal/regfile"
	"github.com/miekg/dns"
)

// GSS signs with GSS-TSIG (RFC 3645): a Kerberos security context is
// negotiated with each server by TKEY (RFC 2930), once, and reused for
// every update to that server. This is what Windows DNS "secure only"
// zones accept, and BIND with tkey-gssapi-keytab.
//
// The credential is, in order: a keytab and principal (unattended runs), a
// principal and password, or the user's own credential: the Kerberos
// credential cache after kinit, or on Windows the logged-on user (SSPI).
type GSS struct {
	// Principal is user or user@REALM; the realm is upper-cased and
	// defaults to krb5.conf's default_realm. Empty for the user's own
	// credential.
	Principal string
	// Keytab is a keytab file holding the principal's key.
	Keytab string
	// Password is the principal's password (read from a file by the
	// caller; never from the command line).
	Password string
	// PasswordFile is the file Password was read from, and Origin the
	// flag or setting that named the keytab or password file
	// ("--password-file", "kmsdns.yaml zones[0].update.keytab"): both
	// for messages only.
	PasswordFile, Origin string
	// Krb5Conf is the krb5.conf to use; KRB5_CONFIG or /etc/krb5.conf
	// when empty.
	Krb5Conf string
	// ServerNames maps a server (ip:port, as in plans) to its DNS host
	// name: the service principal is DNS/<host name>, so a server given by
	// address must be mapped to its name.
	ServerNames map[string]string
	// Timeout bounds each exchange; 10 s when zero.
	Timeout time.Duration

	mu       sync.Mutex
	contexts map[string]gssContext // by server
}

// gssContext is a negotiated context as the platform implements it.
type gssContext interface {
	keyName() string
	provider() dns.TsigProvider
	// account is the client principal the context was negotiated as
	// (user@REALM), for messages.
	account() string
	// delete tells the server to forget the context (TKEY mode 5).
	delete(ctx context.Context, server string, timeout time.Duration) error
}

var _ Signer = (*GSS)(nil)

// String describes the credential, never the password.
func (g *GSS) String() string { return "GSS-TSIG with " + g.credential() }

// GoString is like String, so that %#v does not show the password either.
func (g *GSS) GoString() string { return "publish.GSS{" + g.credential() + "}" }

// MaxClockSkew is what Kerberos and GSS-TSIG tolerate between client and
// server clocks.
const MaxClockSkew = 300 * time.Second

// GSSAlgorithm is the TSIG algorithm name of GSS-TSIG.
const GSSAlgorithm = "gss-tsig."

// Sign negotiates a context with server the first time and returns it.
func (g *GSS) Sign(ctx context.Context, server string) (string, string, dns.TsigProvider, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.contexts[server]; ok {
		return c.keyName(), GSSAlgorithm, c.provider(), nil
	}
	name := strings.TrimSuffix(g.ServerNames[server], ".")
	if name == "" {
		return "", "", nil, fmt.Errorf("GSS-TSIG with %s: its DNS host name is not known (the Kerberos service principal is DNS/<host name>): give the server by name or with --server-name", server)
	}
	timeout := g.timeout()
	if skew, ok := clockSkew(ctx, server, timeout); ok && (skew > MaxClockSkew || skew < -MaxClockSkew) {
		return "", "", nil, fmt.Errorf("GSS-TSIG with %s: our clock and the server's differ by %v, more than the %v Kerberos and TSIG allow (the server would answer BADTIME): fix NTP on this host or on the server", server, skew.Round(time.Second), MaxClockSkew)
	}
	c, err := g.negotiate(ctx, server, name)
	if err != nil {
		return "", "", nil, fmt.Errorf("negotiating GSS-TSIG with %s for DNS/%s with %s, %s: %s (%w)",
			server, g.spnRealm(name), g.credential(), g.krb5Described(), g.explain(err, name), err)
	}
	if g.contexts == nil {
		g.contexts = map[string]gssContext{}
	}
	g.contexts[server] = c
	return c.keyName(), GSSAlgorithm, c.provider(), nil
}

func (g *GSS) timeout() time.Duration {
	return dnsx.Timeout(g.Timeout)
}

// spnRealm renders host@REALM when the realm is known.
func (g *GSS) spnRealm(host string) string {
	if _, realm, err := g.userRealm(); err == nil && realm != "" {
		return host + "@" + realm
	}
	return host
}

// credential describes the credential used, for messages (no secrets):
// the principal with its realm, the keytab or password file and the flag
// or setting that named it.
func (g *GSS) credential() string {
	origin := ""
	if g.Origin != "" {
		origin = " (" + g.Origin + ")"
	}
	switch {
	case g.Keytab != "":
		return "the key of " + g.principal() + " from keytab " + g.Keytab + origin
	case g.Password != "" && g.PasswordFile != "":
		return "the password of " + g.principal() + " from " + g.PasswordFile + origin
	case g.Password != "":
		return "the password of " + g.principal()
	}
	return "the user's own credential (Kerberos credential cache)"
}

// principal is user@REALM when the realm is known, else as given.
func (g *GSS) principal() string {
	if user, realm, err := g.userRealm(); err == nil {
		return user + "@" + realm
	}
	return g.Principal
}

// krb5Described names the krb5.conf used, for messages.
func (g *GSS) krb5Described() string {
	if p := g.krb5Path(); p != "" {
		return "krb5.conf " + p
	}
	return "no krb5.conf (neither --krb5-conf, KRB5_CONFIG nor /etc/krb5.conf)"
}

// userRealm splits the principal, upper-casing the realm and taking the
// default realm from krb5.conf when there is none.
func (g *GSS) userRealm() (string, string, error) {
	user, realm, ok := strings.Cut(g.Principal, "@")
	if user == "" {
		return "", "", errors.New("GSS-TSIG: a keytab or password needs a principal (user or user@REALM)")
	}
	if !ok || realm == "" {
		cfg, path, err := g.krb5Config()
		if err != nil || cfg.LibDefaults.DefaultRealm == "" {
			return "", "", fmt.Errorf("GSS-TSIG: principal %q has no realm and %s gives no default_realm", g.Principal, path)
		}
		realm = cfg.LibDefaults.DefaultRealm
	}
	return user, strings.ToUpper(realm), nil
}

// krb5Config loads krb5.conf: Krb5Conf, KRB5_CONFIG, /etc/krb5.conf.
func (g *GSS) krb5Config() (*krbconfig.Config, string, error) {
	path := g.Krb5Conf
	if path == "" {
		path = os.Getenv("KRB5_CONFIG")
	}
	if path == "" {
		path = "/etc/krb5.conf"
	}
	b, err := regfile.ReadFile(path, 1<<20) // a FIFO or device is refused, never waited on
	if err != nil {
		return nil, path, fmt.Errorf("krb5.conf %s: %w", path, err)
	}
	cfg, err := krbconfig.NewFromString(string(b))
	if err != nil {
		return nil, path, fmt.Errorf("krb5.conf %s: %w", path, err)
	}
	return cfg, path, nil
}

// Account returns the account (user@REALM) the context with server was
// negotiated as, or "" when there is none yet. A credential cache names
// its own principal, which the caller may not know.
func (g *GSS) Account(server string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.contexts[server]; ok {
		return c.account()
	}
	return ""
}

// Close deletes every negotiated context on its server.
func (g *GSS) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	var errs []error
	ctx, cancel := context.WithTimeout(context.Background(), g.timeout())
	defer cancel()
	for server, c := range g.contexts {
		if err := c.delete(ctx, server, g.timeout()); err != nil {
			errs = append(errs, fmt.Errorf("deleting the GSS-TSIG context on %s: %w", server, err))
		}
	}
	g.contexts = nil
	return errors.Join(errs...)
}

// clockSkew estimates server time minus ours: a query signed with a key
// the server does not know is answered BADKEY with a TSIG stamped with the
// server's own time (RFC 8945 5.2.2; BIND does so). ok is false when the
// server does not tell.
func clockSkew(ctx context.Context, server string, timeout time.Duration) (time.Duration, bool) {
	m := new(dns.Msg)
	m.SetQuestion(".", dns.TypeSOA)
	m.SetTsig("kmsdns-clock-check.", dns.HmacSHA256, 300, time.Now().Unix())
	c := &dns.Client{Net: "tcp", Timeout: timeout, TsigProvider: noVerify{}}
	before := time.Now()
	r, _, err := c.ExchangeContext(ctx, m, server)
	if r == nil || (err != nil && !errors.Is(err, dns.ErrAuth) && !errors.Is(err, dns.ErrSig)) {
		return 0, false
	}
	t := r.IsTsig()
	if t == nil || t.TimeSigned == 0 {
		return 0, false
	}
	mid := before.Add(time.Since(before) / 2)
	return time.Unix(int64(t.TimeSigned), 0).Sub(mid), true
}

// noVerify signs with a throwaway key and accepts any answer.
type noVerify struct{}

func (noVerify) Generate([]byte, *dns.TSIG) ([]byte, error) { return make([]byte, 32), nil }
func (noVerify) Verify([]byte, *dns.TSIG) error             { return nil }

// explain says in one sentence what a failed negotiation means and which
// setting fixes it, from the Kerberos error gokrb5 passes on (its text
// carries the KRB-ERROR code names of RFC 4120 7.5.9). Only an unknown
// service principal is the server's host name's fault.
func (g *GSS) explain(err error, host string) string {
	msg := err.Error()
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(msg, s) {
				return true
			}
		}
		return false
	}
	who := g.principal()
	realm := ""
	if _, r, err := g.userRealm(); err == nil {
		realm = r
	}
	switch {
	case has("KDC_ERR_S_PRINCIPAL_UNKNOWN"):
		return fmt.Sprintf("the KDC does not know the service principal DNS/%s: the server's host name is wrong: give the DNS server's host name (for Windows DNS, the domain controller's name) with --server-name", g.spnRealm(host))
	case has("KDC_ERR_PREAUTH_FAILED", "KRB_AP_ERR_BAD_INTEGRITY", "client password/keytab incorrect"):
		switch {
		case g.Keytab != "":
			return fmt.Sprintf("the KDC refused the key of %s in keytab %s: the keytab is out of date (the account's password changed after it was exported) or holds another principal's key: export it again", who, g.Keytab)
		case g.PasswordFile != "":
			return fmt.Sprintf("the KDC refused the password of %s from %s: wrong or expired password (a machine account's password changes every 30 days: use a keytab)", who, g.PasswordFile)
		}
		return fmt.Sprintf("the KDC refused the credential of %s: wrong password or key", who)
	case has("KDC_ERR_C_PRINCIPAL_UNKNOWN"):
		return fmt.Sprintf("the KDC does not know %s: check --principal (a computer account ends in $) and its realm", who)
	case has("KDC_ERR_CLIENT_REVOKED"):
		return fmt.Sprintf("the KDC refused %s: the account is disabled or locked out", who)
	case has("KDC_ERR_KEY_EXPIRED"):
		return fmt.Sprintf("the password of %s has expired: change it", who)
	case has("KRB_AP_ERR_SKEW"):
		return "this host's clock and the KDC's differ by more than Kerberos allows (5 minutes): fix NTP on this host or on the KDC"
	case has("no KDCs defined"):
		if _, r, ok := strings.Cut(msg, "for realm "); ok {
			realm = strings.Fields(r)[0]
		}
		return fmt.Sprintf("%s names no KDC for realm %s: add the realm under [realms] (kdc = <domain controller>) or check the principal's realm", g.krb5Described(), realm)
	case has("failed to communicate with KDC", "error sending to a KDC", "communication error with KDC", "no response data from KDC", "Networking_Error"):
		return fmt.Sprintf("no KDC answered for realm %s (the KDCs listed in %s): check that they run and that this host reaches them", realm, g.krb5Described())
	case g.Keytab == "" && g.Password == "" && has("KRB5CCNAME", "ccache", "credential cache"):
		return "no Kerberos ticket: run kinit, or give --keytab or --password-file with --principal"
	case g.Keytab == "" && g.Password == "" && has("no valid existing session", "no user credentials available", "error renewing TGT", "KRB_AP_ERR_TKT_EXPIRED"):
		return "the credential cache holds no valid ticket (it has expired): run kinit again, or give --keytab or --password-file with --principal"
	}
	return "Kerberos refused the negotiation"
}
