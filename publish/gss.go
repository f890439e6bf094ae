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
		return "", "", nil, fmt.Errorf("negotiating GSS-TSIG with %s as DNS/%s (%s): %w; if the KDC does not know that service principal, the server's host name is wrong: give the DNS server's host name (for Windows DNS, the domain controller's name) with --server-name",
			server, g.spnRealm(name), g.credential(), err)
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

// credential describes the credential used, for messages (no secrets).
func (g *GSS) credential() string {
	switch {
	case g.Keytab != "":
		return "keytab " + g.Keytab + " for " + g.Principal
	case g.Password != "":
		return "password for " + g.Principal
	}
	return "the user's own credential"
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
