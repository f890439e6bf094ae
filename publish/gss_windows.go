//go:build windows

package publish

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"os/user"
	"strings"
	"time"

	"github.com/bodgit/tsig/gss"
	"github.com/miekg/dns"
)

// negotiate sets up a context with server (host name host): with a keytab
// or password through gokrb5, otherwise as the logged-on user through SSPI,
// as Windows admins expect.
func (g *GSS) negotiate(ctx context.Context, server, host string) (gssContext, error) {
	if g.Keytab != "" || g.Password != "" {
		return g.negotiateKRB(ctx, server, host)
	}
	ip, port, err := net.SplitHostPort(server)
	if err != nil {
		return nil, err
	}
	dc := &dns.Client{Net: "tcp", Timeout: g.timeout(), Dialer: pinnedDialer(host, ip, g.timeout())}
	c, err := gss.NewClient(dc)
	if err != nil {
		return nil, err
	}
	name, _, err := c.NegotiateContext(net.JoinHostPort(host, port))
	if err != nil {
		c.Close()
		return nil, err
	}
	return &sspiContext{c: c, name: name}, nil
}

// sspiContext is a context negotiated by SSPI.
type sspiContext struct {
	c    *gss.Client
	name string
}

func (s *sspiContext) keyName() string            { return s.name }
func (s *sspiContext) provider() dns.TsigProvider { return s.c }
func (s *sspiContext) account() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "the logged-on user"
}
func (s *sspiContext) delete(context.Context, string, time.Duration) error {
	err := s.c.DeleteContext(s.name)
	s.c.Close()
	return err
}

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
