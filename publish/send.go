package publish

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/miekg/dns"
)

// Signer signs messages to one server. Both HMAC TSIG keys and GSS-TSIG
// contexts are Signers.
type Signer interface {
	// Sign returns the key name, algorithm and provider to sign with for
	// server (host:port), negotiating first if needed.
	Sign(ctx context.Context, server string) (keyName, algorithm string, p dns.TsigProvider, err error)
	// Close forgets (and for GSS-TSIG, deletes) what Sign set up.
	Close() error
}

// conn is one TCP connection to a server carrying any number of signed
// requests. Each request goes through a fresh dns.Conn, which signs it
// and verifies its answer with that request's MAC alone: a dns.Conn kept
// for the next request would sign it chained to the previous one's MAC
// (Conn.WriteMsg keeps it for zone transfers), which BIND rejects with
// BADSIG (TestManySignedUpdatesOneConnection shows both).
type conn struct {
	server  string
	c       net.Conn
	timeout time.Duration
}

func dial(ctx context.Context, server string, timeout time.Duration) (*conn, error) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", server)
	if err != nil {
		return nil, err
	}
	return &conn{server: server, c: c, timeout: timeout}, nil
}

func (c *conn) Close() error { return c.c.Close() }

// signed is an answer and how its signature fared.
type signed struct {
	msg *dns.Msg
	// sigErr is set when the answer's TSIG is missing or does not verify.
	sigErr error
}

// exchange sends m (signed when s is not nil) and reads the answer.
func (c *conn) exchange(ctx context.Context, m *dns.Msg, s Signer) (signed, error) {
	stop := context.AfterFunc(ctx, func() { c.c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	co := &dns.Conn{Conn: c.c}
	if s != nil {
		name, alg, prov, err := s.Sign(ctx, c.server)
		if err != nil {
			return signed{}, notSent{err}
		}
		co.TsigProvider = prov
		m.SetTsig(name, alg, 300, time.Now().Unix())
	}
	c.c.SetDeadline(time.Now().Add(c.timeout))
	if err := co.WriteMsg(m); err != nil {
		if s != nil && ctx.Err() == nil && !dnsx.IsConnError(err) {
			return signed{}, notSent{fmt.Errorf("signing: %w", err)}
		}
		return signed{}, notSent{ctxErr(ctx, err)}
	}
	a, err := co.ReadMsg()
	res := signed{msg: a}
	switch {
	case err == nil:
	case s != nil && a != nil && a.IsTsig() != nil:
		// The message was read whole (the TSIG is its last record): the
		// error is the verification's.
		res.sigErr = fmt.Errorf("the answer's signature does not verify: %w", err)
	case a != nil && ctx.Err() == nil && !dnsx.IsConnError(err):
		return signed{}, fmt.Errorf("malformed answer: %w", err)
	default:
		return signed{}, ctxErr(ctx, err)
	}
	if a.Id != m.Id {
		return signed{}, fmt.Errorf("answer id %d does not match request id %d", a.Id, m.Id)
	}
	if s != nil {
		switch t := a.IsTsig(); {
		case t == nil:
			res.sigErr = errors.New("the answer is not signed")
		case t.Error != 0:
			// A TSIG error answer is unsigned (BADKEY, BADSIG) or signed
			// with the error; the rcode path explains it.
			res.sigErr = nil
		}
	}
	return res, nil
}

// notSent is an exchange error from before the request was written whole:
// the server cannot have acted on it.
type notSent struct{ error }

func (e notSent) Unwrap() error { return e.error }

func ctxErr(ctx context.Context, err error) error {
	return dnsx.CtxOr(ctx, dnsx.NetError(err))
}

// UpdateError is a refused update: the server's rcode (and TSIG error)
// with an explanation of what to check.
type UpdateError struct {
	Rcode     int
	TSIGError int
	Server    string
	Zone      string
	// Credentials says how the update was signed and where the key came
	// from (Credentials, Unsigned); it starts the explanation of every
	// refusal that may come from the credentials.
	Credentials string
}

func (e *UpdateError) Error() string {
	msg := e.explain()
	if e.Credentials != "" && (e.TSIGError != 0 || e.Rcode == dns.RcodeRefused || e.Rcode == dns.RcodeNotAuth) {
		return e.Credentials + ": " + msg
	}
	return msg
}

func (e *UpdateError) explain() string {
	z := strings.TrimSuffix(e.Zone, ".")
	if e.TSIGError != 0 {
		if why := dnsx.TSIGProblem(e.TSIGError); why != "" {
			return fmt.Sprintf("%s refused the update of %s: TSIG %s, %s", e.Server, z, dnsx.RcodeName(e.TSIGError), why)
		}
		return fmt.Sprintf("%s refused the update of %s: TSIG error %s", e.Server, z, dnsx.RcodeName(e.TSIGError))
	}
	switch e.Rcode {
	case dns.RcodeRefused:
		return fmt.Sprintf("%s REFUSED the update of %s: it does not allow updates from this key or address; check allow-update / update-policy (BIND), the zone's acl with action update (Knot), allow-dnsupdate-from and TSIG-ALLOW-DNSUPDATE (PowerDNS), or the zone's dynamic-update setting and the record's permissions (Windows: in secure-only zones only the host that registered a record may change it)", e.Server, z)
	case dns.RcodeNotAuth:
		return fmt.Sprintf("%s answered NOTAUTH for %s: it is not authoritative (not the primary?) or did not accept the credentials (Knot answers NOTAUTH to an update no acl of the zone allows)", e.Server, z)
	case dns.RcodeNotZone:
		return fmt.Sprintf("%s answered NOTZONE: a name in the update is not inside zone %s", e.Server, z)
	case dns.RcodeNXRrset, dns.RcodeYXRrset, dns.RcodeNameError, dns.RcodeYXDomain:
		return fmt.Sprintf("%s answered %s for %s: the records changed since they were read, so nothing was changed; run again to re-read them", e.Server, dnsx.RcodeName(e.Rcode), z)
	case dns.RcodeNotImplemented:
		return fmt.Sprintf("%s answered NOTIMP: it does not accept dynamic updates for %s", e.Server, z)
	case dns.RcodeServerFailure:
		return fmt.Sprintf("%s answered SERVFAIL for %s: see the server's log", e.Server, z)
	}
	return fmt.Sprintf("%s answered %s for %s", e.Server, dnsx.RcodeName(e.Rcode), z)
}

// ErrChanged is matched by an UpdateError whose prerequisite failed.
var ErrChanged = errors.New("records changed since they were read")

// Is lets errors.Is(err, ErrChanged) find a failed prerequisite.
func (e *UpdateError) Is(target error) bool {
	if target != ErrChanged {
		return false
	}
	switch e.Rcode {
	case dns.RcodeNXRrset, dns.RcodeYXRrset, dns.RcodeNameError, dns.RcodeYXDomain:
		return e.TSIGError == 0
	}
	return false
}
