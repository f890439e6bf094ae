// Package dnsx is the small DNS exchange layer that zone, publish and the
// audit's resolution share, so that each rule lives in one place:
//
//	what                                        here
//	timeout and port defaults                   DefaultTimeout, Timeout, DefaultPort, HostPort
//	one question, UDP then TCP on truncation    Query.Ask
//	timeouts as an error callers can test       ErrTimeout, NetError, CtxOr
//	rcode names                                 RcodeName
//	what a TSIG error means for the admin       TSIGProblem
//	the resolver used when none is given        DefaultResolver, ResolverAddr
//	the rule for a host name (an SRV target)    CheckHost
//	the rule for a domain name (zone, --name)   CheckDomain
//
// It holds no state and sends nothing except through Query.Ask.
package dnsx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// DefaultTimeout bounds each network wait when a setting leaves it zero.
const DefaultTimeout = 10 * time.Second

// Timeout is d, or DefaultTimeout when d is not positive.
func Timeout(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultTimeout
	}
	return d
}

// DefaultPort is the DNS port used when a server is given without one.
const DefaultPort = "53"

// Port is p, or DefaultPort when p is empty.
func Port(p string) string {
	if p == "" {
		return DefaultPort
	}
	return p
}

// HostPort adds port (DefaultPort when empty) to a server given without
// one. IPv6 addresses may be given bare or in brackets.
func HostPort(server, port string) string {
	if _, _, err := net.SplitHostPort(server); err == nil {
		return server
	}
	return net.JoinHostPort(strings.Trim(server, "[]"), Port(port))
}

// ErrTimeout: the server did not answer in time.
var ErrTimeout = errors.New("timed out")

// NetError maps a network timeout to an error matching ErrTimeout.
func NetError(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("%w: %v", ErrTimeout, err)
	}
	return err
}

// IsConnError reports whether err came from the connection (a network
// error, or the connection closed), not from the message read or written.
func IsConnError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// CtxOr prefers the context's error when it is done.
func CtxOr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// udpSize is the EDNS buffer size advertised (DNS flag day 2020).
const udpSize = 1232

// Query sends single questions to one server.
type Query struct {
	// Server is host:port.
	Server string
	// Timeout bounds each exchange; DefaultTimeout when zero.
	Timeout time.Duration
	// Recursive sets RD (asking a resolver).
	Recursive bool
	// TCPOnNoAnswer asks again over TCP when UDP gets no answer, not only
	// when the answer is truncated: a primary may be reachable over TCP
	// only, as updates need it anyway.
	TCPOnNoAnswer bool
}

// Ask asks one question over UDP, and again over TCP when the answer is
// truncated (or, with TCPOnNoAnswer, when none came). A timeout matches
// ErrTimeout; a done context gives the context's error.
func (q Query) Ask(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = q.Recursive
	m.SetEdns0(udpSize, false)
	c := &dns.Client{Timeout: Timeout(q.Timeout), UDPSize: udpSize}
	r, _, err := c.ExchangeContext(ctx, m, q.Server)
	if err == nil && r.Truncated || err != nil && q.TCPOnNoAnswer && ctx.Err() == nil {
		c.Net = "tcp"
		r, _, err = c.ExchangeContext(ctx, m, q.Server)
	}
	if err != nil {
		return nil, CtxOr(ctx, NetError(err))
	}
	return r, nil
}

// RcodeName names an rcode (or TSIG error): "REFUSED", "BADSIG", and
// "RCODE<n>" for one without a name.
func RcodeName(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return fmt.Sprintf("RCODE%d", rc)
}

// TSIGProblem says what a TSIG error a server reported means and what to
// check, or "" for a code it does not explain. It never names the secret.
func TSIGProblem(code int) string {
	switch code {
	case dns.RcodeBadSig:
		return "the key's secret or algorithm differs from the server's"
	case dns.RcodeBadKey:
		return "the server does not know this key name/algorithm (Knot also answers BADKEY to a key that no acl of the zone names)"
	case dns.RcodeBadTime:
		return "our clock and the server's differ by more than the 300 s fudge; check NTP on both"
	}
	return ""
}

// ResolverEnv names the environment variable that, when set, is the
// default resolver (host[:port]) instead of /etc/resolv.conf's first
// nameserver.
const ResolverEnv = "KMSDNS_RESOLVER"

// DefaultResolver is $KMSDNS_RESOLVER, or the first nameserver of
// /etc/resolv.conf, as host:port.
func DefaultResolver() (string, error) {
	if r := os.Getenv(ResolverEnv); r != "" {
		return HostPort(r, ""), nil
	}
	cc, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil || len(cc.Servers) == 0 {
		return "", fmt.Errorf("no resolver configured (/etc/resolv.conf: %v)", err)
	}
	return net.JoinHostPort(cc.Servers[0], cc.Port), nil
}

// ResolverAddr is resolver (host[:port]) with its port, or
// DefaultResolver when it is empty.
func ResolverAddr(resolver string) (string, error) {
	if resolver != "" {
		return HostPort(resolver, ""), nil
	}
	return DefaultResolver()
}

// ErrHostName is matched by CheckHost's errors.
var ErrHostName = errors.New("not a valid host name")

// hostError is a host name that CheckHost refused, and why.
type hostError struct {
	host, why string
}

func (e *hostError) Error() string { return fmt.Sprintf("host %q %s", e.host, e.why) }

// Is makes every hostError match ErrHostName.
func (e *hostError) Is(target error) bool { return target == ErrHostName }

// CheckHost is the rule for a host name, the target of a KMS SRV record
// (RFC 2782: a name with address records): a fully qualified name of at
// least two labels (kms1.contoso.com; a trailing dot is allowed), each
// label letters, digits and hyphens (RFC 952/1123, not starting or ending
// with a hyphen, at most 63 characters), at most 253 characters in all.
// It returns the name lower-cased with its trailing dot.
func CheckHost(host string) (string, error) {
	h := strings.TrimSuffix(strings.TrimSpace(host), ".")
	if h == "" {
		return "", &hostError{host, "is empty"}
	}
	labels := strings.Split(h, ".")
	if len(labels) < 2 {
		return "", &hostError{host, "is not a fully qualified name (like kms1.contoso.com)"}
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", &hostError{host, "is not a valid host name"}
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return "", &hostError{host, fmt.Sprintf("is not a valid host name (character %q)", c)}
			}
		}
	}
	if len(h) > 253 {
		return "", &hostError{host, "is longer than 253 characters"}
	}
	return dns.CanonicalName(h), nil
}

// CheckDomain accepts a domain name: a zone, or a client's DNS suffix
// (relative names and single labels included; one trailing dot allowed).
// It follows RFC 1035's label rules (2.3.1, 2.3.4): no empty label, labels
// of 1 to 63 octets of letters, digits, hyphens and underscores (as in
// _msdcs), not starting or ending with a hyphen, and at most 255 octets in
// all on the wire. Callers name the flag or config field. Host names, the
// targets of KMS records, follow the stricter dnsx.CheckHost.
func CheckDomain(h string) error {
	name := strings.TrimSuffix(h, ".")
	switch {
	case name == "":
		return fmt.Errorf("%s is not a domain name: it is empty", quoteShort(h))
	case len(name)+2 > maxNameOctets:
		// The wire form has one length octet per label and the root's 0.
		return fmt.Errorf("%s is not a domain name: %d octets, more than %d (RFC 1035 2.3.4)", quoteShort(h), len(name)+2, maxNameOctets)
	}
	for i, l := range strings.Split(name, ".") {
		switch {
		case l == "":
			return fmt.Errorf("%s is not a domain name: label %d is empty (two dots in a row, or a leading dot)", quoteShort(h), i+1)
		case len(l) > maxLabelOctets:
			return fmt.Errorf("%s is not a domain name: label %d is %d octets, more than %d (RFC 1035 2.3.4)", quoteShort(h), i+1, len(l), maxLabelOctets)
		case l[0] == '-' || l[len(l)-1] == '-':
			return fmt.Errorf("%s is not a domain name: label %s starts or ends with a hyphen", quoteShort(h), quoteShort(l))
		}
		for _, c := range []byte(l) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("%s is not a domain name: label %s holds %q (letters, digits, hyphens and underscores only)", quoteShort(h), quoteShort(l), c)
			}
		}
	}
	return nil
}

// RFC 1035 2.3.4 size limits.
const (
	maxLabelOctets = 63
	maxNameOctets  = 255
)

// quoteShort quotes s, or its first 64 bytes when it is longer.
func quoteShort(s string) string {
	if len(s) > 64 {
		return strconv.Quote(s[:64]) + "..."
	}
	return strconv.Quote(s)
}
