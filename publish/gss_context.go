package publish

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/bodgit/tsig/gss"
	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/kmsdns/kmsdns/internal/regfile"
	"github.com/miekg/dns"
)

// GSS-TSIG contexts are negotiated and used through
// github.com/bodgit/tsig/gss: gokrb5 on Unix, SSPI on Windows. Since v1.3
// it keeps each context by pointer, so the MIC sequence number advances
// with every message (v1.2.2 signed every message with the first number,
// which BIND rejects with BADSIG from the second update on). kmsdns adds
// what the library leaves to its caller: the server's host name pinned to
// the address given (the service principal is DNS/<host name>), the clock
// skew preflight (in Sign), and deleting the context on the server (TKEY
// mode 5; the library only forgets it locally).

// tkeyModeDelete is TKEY's delete mode (RFC 2930 2.5).
const tkeyModeDelete = 5

// libContext is one negotiated context.
type libContext struct {
	c      *gss.Client
	name   string
	client string // user@REALM
}

func (l *libContext) keyName() string            { return l.name }
func (l *libContext) provider() dns.TsigProvider { return l.c }
func (l *libContext) account() string            { return l.client }

// negotiate sets up a context with server (host name host) using the
// keytab, the password, or the user's own credential.
func (g *GSS) negotiate(ctx context.Context, server, host string) (gssContext, error) {
	ip, port, err := net.SplitHostPort(server)
	if err != nil {
		return nil, err
	}
	var opts []func(*gss.Client) error
	if path := g.krb5Path(); path != "" {
		b, err := regfile.ReadFile(path, 1<<20) // a FIFO or device is refused, never waited on
		if err != nil {
			return nil, fmt.Errorf("krb5.conf %s: %w", path, err)
		}
		opts = append(opts, gss.WithConfig(string(b)))
	}
	dc := &dns.Client{Net: "tcp", Timeout: g.timeout(), Dialer: pinnedDialer(host, ip, g.timeout())}
	c, err := gss.NewClient(dc, opts...)
	if err != nil {
		return nil, err
	}
	target := net.JoinHostPort(host, port)
	l := &libContext{c: c}
	type negotiated struct {
		name string
		err  error
	}
	done := make(chan negotiated, 1)
	go func() {
		var n negotiated
		switch {
		case g.Keytab != "" || g.Password != "":
			user, realm, err := g.userRealm()
			if err != nil {
				n.err = err
				break
			}
			l.client = user + "@" + realm
			if g.Keytab != "" {
				n.name, _, n.err = c.NegotiateContextWithKeytab(target, realm, user, g.Keytab)
			} else {
				n.name, _, n.err = c.NegotiateContextWithCredentials(target, realm, user, g.Password)
			}
		default:
			l.client = ownAccount()
			n.name, _, n.err = c.NegotiateContext(target)
		}
		done <- n
	}()
	select {
	case n := <-done:
		if n.err != nil {
			c.Close()
			return nil, n.err
		}
		l.name = n.name
		return l, nil
	case <-ctx.Done():
		// The exchange is bounded by the client's timeout; close then.
		go func() { <-done; c.Close() }()
		return nil, ctx.Err()
	}
}

// krb5Path is the krb5.conf to give the library: Krb5Conf, KRB5_CONFIG,
// /etc/krb5.conf when it exists.
func (g *GSS) krb5Path() string {
	if g.Krb5Conf != "" {
		return g.Krb5Conf
	}
	if env := os.Getenv("KRB5_CONFIG"); env != "" {
		return env
	}
	if _, err := os.Stat("/etc/krb5.conf"); err == nil {
		return "/etc/krb5.conf"
	}
	return ""
}

// delete asks the server to forget the context (TKEY mode 5, signed with
// the context itself), then forgets it here.
func (l *libContext) delete(ctx context.Context, server string, timeout time.Duration) error {
	defer l.c.Close()
	defer l.c.DeleteContext(l.name)
	c, err := dial(ctx, server, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	now := uint32(time.Now().Unix())
	a, err := c.exchange(ctx, tkeyQuery(l.name, tkeyModeDelete, now, now, nil), contextSigner{l})
	if err != nil {
		return err
	}
	if a.msg.Rcode != dns.RcodeSuccess {
		return fmt.Errorf("the server answered %s", dnsx.RcodeName(a.msg.Rcode))
	}
	return nil
}

// tkeyQuery builds a TKEY query: the TKEY RR goes in the additional
// section (RFC 2930 4, as Windows requires).
func tkeyQuery(name string, mode uint16, inception, expiration uint32, key []byte) *dns.Msg {
	m := new(dns.Msg)
	m.Id = dns.Id()
	m.Question = []dns.Question{{Name: name, Qtype: dns.TypeTKEY, Qclass: dns.ClassANY}}
	m.Extra = []dns.RR{&dns.TKEY{
		Hdr:       dns.RR_Header{Name: name, Rrtype: dns.TypeTKEY, Class: dns.ClassANY},
		Algorithm: GSSAlgorithm, Mode: mode, Inception: inception, Expiration: expiration,
		KeySize: uint16(len(key)), Key: hex.EncodeToString(key),
	}}
	return m
}

// contextSigner signs with one context.
type contextSigner struct{ l *libContext }

func (s contextSigner) Sign(context.Context, string) (string, string, dns.TsigProvider, error) {
	return s.l.name, GSSAlgorithm, s.l.c, nil
}
func (contextSigner) Close() error { return nil }

// pinnedDialer dials host names by resolving name to ip without asking
// DNS, so that a server given by address is reached under the host name
// its service principal needs.
func pinnedDialer(name, ip string, timeout time.Duration) *net.Dialer {
	name = dns.CanonicalName(name)
	r := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		// The resolver frames messages on a conn that is not a
		// net.PacketConn as on TCP, whatever network it asked for.
		client, server := net.Pipe()
		go servePinned(server, name, ip)
		return client, nil
	}}
	return &net.Dialer{Timeout: timeout, Resolver: r}
}

// servePinned answers A or AAAA of name with ip, nothing else.
func servePinned(c net.Conn, name, ip string) {
	defer c.Close()
	addr := net.ParseIP(ip)
	for {
		var lb [2]byte
		if _, err := io.ReadFull(c, lb[:]); err != nil {
			return
		}
		q := make([]byte, binary.BigEndian.Uint16(lb[:]))
		if _, err := io.ReadFull(c, q); err != nil {
			return
		}
		m := new(dns.Msg)
		if m.Unpack(q) != nil || len(m.Question) != 1 {
			return
		}
		a := new(dns.Msg)
		a.SetReply(m)
		a.Authoritative = true
		qq := m.Question[0]
		switch {
		case !strings.EqualFold(dns.CanonicalName(qq.Name), name):
			a.Rcode = dns.RcodeNameError
		case qq.Qtype == dns.TypeA && addr.To4() != nil:
			a.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: qq.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: addr.To4()}}
		case qq.Qtype == dns.TypeAAAA && addr.To4() == nil:
			a.Answer = []dns.RR{&dns.AAAA{Hdr: dns.RR_Header{Name: qq.Name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: 60}, AAAA: addr}}
		}
		out, err := a.Pack()
		if err != nil {
			return
		}
		if _, err := c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(out))), out...)); err != nil {
			return
		}
	}
}
