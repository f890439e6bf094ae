//go:build !windows

package publish_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/bodgit/tsig"
	"github.com/bodgit/tsig/gss"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/miekg/dns"
)

// bodgitSigner signs with github.com/bodgit/tsig/gss (v1.3.1): the
// library's own GSS-TSIG client, with the server's host name pinned to its
// address by a resolver that asks the zone's own server.
type bodgitSigner struct {
	host, realm, user, password, krb5 string
	c                                  *gss.Client
	key                                string
}

func (b *bodgitSigner) Sign(_ context.Context, server string) (string, string, dns.TsigProvider, error) {
	if b.key != "" {
		return b.key, tsig.GSS, b.c, nil
	}
	_, port, _ := net.SplitHostPort(server)
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, server)
	}}
	conf, err := os.ReadFile(b.krb5)
	if err != nil {
		return "", "", nil, err
	}
	c, err := gss.NewClient(&dns.Client{Net: "tcp", Timeout: 5 * time.Second, Dialer: &net.Dialer{Timeout: 5 * time.Second, Resolver: r}}, gss.WithConfig(string(conf)))
	if err != nil {
		return "", "", nil, err
	}
	key, _, err := c.NegotiateContextWithCredentials(net.JoinHostPort(b.host, port), b.realm, b.user, b.password)
	if err != nil {
		c.Close()
		return "", "", nil, fmt.Errorf("bodgit/tsig negotiate: %w", err)
	}
	b.c, b.key = c, key
	return key, tsig.GSS, c, nil
}

func (b *bodgitSigner) Close() error {
	if b.c == nil {
		return nil
	}
	return b.c.Close()
}

// TestBodgitTSIG is the evidence for issue 14 step 3: several updates on
// one context negotiated by github.com/bodgit/tsig v1.3.1, against BIND
// with an MIT KDC and against the Samba AD DC.
func TestBodgitTSIG(t *testing.T) {
	ctx := t.Context()
	run := func(t *testing.T, server, zoneName string, b *bodgitSigner) {
		cl := publish.NewClient(publish.Options{Signer: b})
		defer cl.Close()
		targets := []publish.Target{{Zone: zoneName, Server: server}}
		for i := range 4 {
			site := fmt.Sprintf("bodgit%d", i)
			rs := cl.Apply(ctx, cl.PlanPublish(ctx, targets, site, publish.Record{Host: "kms-bodgit." + zoneName, Port: 1688, TTL: 3600}))
			t.Logf("update %d: %s answer %s verified %v unverifiable %v err %v", i+1, rs[0].Action, rs[0].Answer, rs[0].Verified, rs[0].Unverifiable, rs[0].Err)
			if rs[0].Err != nil || !rs[0].Verified {
				t.Errorf("update %d on one context: %s", i+1, results(t, rs))
			}
		}
	}
	t.Run("BIND and MIT KDC", func(t *testing.T) {
		l := startGSSLab(t)
		kdc := l.kdc
		l.kdc.AddPasswordPrincipal(t, "bodgit", "bodgit-pass-123")
		_ = kdc
		run(t, l.bind.Addr, "gss.example", &bodgitSigner{host: "ns1.gss.example", realm: "GSS.EXAMPLE", user: "helpdesk", password: "helpdesk-pass-123", krb5: l.kdc.Krb5Conf})
	})
	t.Run("Samba AD DC", func(t *testing.T) {
		s := dc.Get(t)
		run(t, s.Addr, s.Zone, &bodgitSigner{host: s.Host, realm: s.Realm, user: "administrator", password: s.AdminPassword, krb5: s.Krb5Conf})
	})
}
