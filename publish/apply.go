package publish

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// Result is what happened to one zone.
type Result struct {
	Zone   string
	Server string
	Action Action
	// Answer is the server's answer (NOERROR, REFUSED, ...) or what was
	// decided without asking it.
	Answer string
	// Note adds detail: what was replaced, why a guard stopped, what the
	// read-back showed.
	Note string
	// Verified: the records were read back from the primary after the
	// update and are as planned.
	Verified bool
	Err      error
}

// Options for a Client.
type Options struct {
	// Signer signs every update; nil sends them unsigned.
	Signer Signer
	// Timeout bounds each exchange; DefaultTimeout when zero.
	Timeout time.Duration
}

// Client reads and updates zones on their primaries, over one TCP
// connection per server, reused for every read, update and read-back.
// It is not safe for concurrent use: updates go one at a time (Windows DNS
// is reported to fail parallel GSS-TSIG updates).
type Client struct {
	opts  Options
	conns map[string]*conn
}

// NewClient returns a Client; Close it when done.
func NewClient(opts Options) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	return &Client{opts: opts, conns: map[string]*conn{}}
}

// Close closes the connections and the Client's signer (deleting GSS
// contexts). Signers given per Target are the caller's to close.
func (cl *Client) Close() error {
	for _, c := range cl.conns {
		c.Close()
	}
	cl.conns = map[string]*conn{}
	if cl.opts.Signer != nil {
		return cl.opts.Signer.Close()
	}
	return nil
}

func (cl *Client) conn(ctx context.Context, server string) (*conn, error) {
	if c := cl.conns[server]; c != nil {
		return c, nil
	}
	c, err := dial(ctx, server, cl.opts.Timeout)
	if err != nil {
		return nil, err
	}
	cl.conns[server] = c
	return c, nil
}

// drop forgets a connection that may be broken.
func (cl *Client) drop(server string) {
	if c := cl.conns[server]; c != nil {
		c.Close()
		delete(cl.conns, server)
	}
}

// Current reads the KMS records at name (an owner name) from server.
func (cl *Client) Current(ctx context.Context, server, zoneName, name string) ([]zone.Record, error) {
	zoneName = dns.CanonicalName(zoneName)
	fail := func(err error) error {
		return fmt.Errorf("zone %s: reading %s from %s: %w", strings.TrimSuffix(zoneName, "."), name, server, err)
	}
	c, err := cl.conn(ctx, server)
	if err != nil {
		return nil, fail(err)
	}
	recs, err := readOwner(ctx, c, zoneName, name)
	if err != nil {
		cl.drop(server)
		return nil, fail(err)
	}
	return recs, nil
}

// Apply sends the plans, one message per zone, one at a time, and
// verifies each change by reading the records back. A failure in one zone
// does not stop the others.
func (cl *Client) Apply(ctx context.Context, plans []*ZonePlan) []Result {
	results := make([]Result, len(plans))
	for i, p := range plans {
		r := Result{Zone: p.Zone, Server: p.Server, Action: p.Action, Note: p.Note}
		if p.Err != nil {
			r.Action, r.Err, r.Answer = ActionFailed, p.Err, "nothing sent"
			results[i] = r
			continue
		}
		if p.Empty() {
			r.Answer = "nothing sent"
			results[i] = r
			continue
		}
		c, err := cl.conn(ctx, p.Server)
		if err != nil {
			r.Action, r.Err = ActionFailed, fmt.Errorf("zone %s: connecting to %s: %w", strings.TrimSuffix(p.Zone, "."), p.Server, err)
			results[i] = r
			continue
		}
		signer := p.Signer
		if signer == nil {
			signer = cl.opts.Signer
		}
		results[i] = send(ctx, c, p, signer, r)
		if results[i].Err != nil && !isAnswer(results[i].Err) {
			cl.drop(p.Server)
		}
	}
	return results
}

// isAnswer reports whether err came from a well-formed answer (the
// connection is still good).
func isAnswer(err error) bool {
	var ue *UpdateError
	return errors.As(err, &ue)
}

func send(ctx context.Context, c *conn, p *ZonePlan, s Signer, r Result) Result {
	fail := func(err error) Result {
		r.Action, r.Err = ActionFailed, err
		return r
	}
	a, err := c.exchange(ctx, p.Msg(), s)
	if err != nil {
		return fail(fmt.Errorf("zone %s: update at %s: %w", strings.TrimSuffix(p.Zone, "."), p.Server, err))
	}
	r.Answer = rcodeName(a.msg.Rcode)
	tsigErr := 0
	if t := a.msg.IsTsig(); t != nil {
		tsigErr = int(t.Error)
		if tsigErr != 0 {
			r.Answer += "/" + rcodeName(tsigErr)
		}
	}
	if a.msg.Rcode != dns.RcodeSuccess || tsigErr != 0 {
		ue := &UpdateError{Rcode: a.msg.Rcode, TSIGError: tsigErr, Server: p.Server, Zone: p.Zone}
		if errors.Is(ue, ErrChanged) {
			r.Action = ActionSkipped
			r.Err = ue
			return r
		}
		return fail(ue)
	}
	// Read back what the primary now holds.
	diff, verr := verify(ctx, c, p)
	switch {
	case verr != nil && a.sigErr != nil:
		return fail(fmt.Errorf("zone %s: %v, and reading the records back failed: %w", strings.TrimSuffix(p.Zone, "."), a.sigErr, verr))
	case verr != nil:
		r.Note = join(r.Note, "the update was accepted but could not be read back: "+verr.Error())
		return r
	case diff != "" && a.sigErr != nil:
		return fail(fmt.Errorf("zone %s: %v, and the records read back are not as asked (%s): the change is not in place", strings.TrimSuffix(p.Zone, "."), a.sigErr, diff))
	case diff != "":
		return fail(fmt.Errorf("zone %s: the server accepted the update but the records read back are not as asked: %s", strings.TrimSuffix(p.Zone, "."), diff))
	case a.sigErr != nil:
		// Windows signs some answers so that they cannot be verified
		// (zones allowing nonsecure and secure updates, SRV records): say
		// what was checked instead of failing on the signature alone.
		r.Note = join(r.Note, fmt.Sprintf("%v; the records were read back and the change is in place", a.sigErr))
	}
	r.Verified = true
	return r
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// verify reads back every touched name and compares it with the plan.
func verify(ctx context.Context, c *conn, p *ZonePlan) (string, error) {
	var diffs []string
	exp := p.Expected()
	names := make([]string, 0, len(exp))
	for n := range exp {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		got, err := readOwner(ctx, c, p.Zone, name)
		if err != nil {
			return "", err
		}
		for _, w := range exp[name] {
			if !slices.ContainsFunc(got, func(g zone.Record) bool { return sameRR(g, w) }) {
				diffs = append(diffs, "missing "+w.String())
			}
		}
		for _, g := range got {
			if !slices.ContainsFunc(exp[name], func(w zone.Record) bool { return sameRR(g, w) }) {
				diffs = append(diffs, "unexpected "+g.String())
			}
		}
	}
	return strings.Join(diffs, "; "), nil
}

// readOwner asks the primary, over c, for the KMS records at name.
func readOwner(ctx context.Context, c *conn, zoneName, name string) ([]zone.Record, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeSRV)
	m.RecursionDesired = false
	a, err := c.exchange(ctx, m, nil)
	if err != nil {
		return nil, err
	}
	return srvAnswer(a.msg, c.server, zoneName, name)
}

func srvAnswer(a *dns.Msg, server, zoneName, name string) ([]zone.Record, error) {
	switch {
	case a.Rcode == dns.RcodeNameError:
		return []zone.Record{}, nil
	case a.Rcode != dns.RcodeSuccess:
		return nil, fmt.Errorf("%s SRV at %s: %s", name, server, rcodeName(a.Rcode))
	case !a.Authoritative:
		return nil, fmt.Errorf("%s SRV at %s: the answer is not authoritative (%s is not a server of zone %s)", name, server, server, zoneName)
	}
	out := []zone.Record{}
	for _, rr := range a.Answer {
		if srv, ok := rr.(*dns.SRV); ok && dns.CanonicalName(srv.Hdr.Name) == name {
			out = append(out, zone.Record{Zone: zoneName, Name: name, TTL: srv.Hdr.Ttl, Priority: srv.Priority,
				Weight: srv.Weight, Port: srv.Port, Target: dns.CanonicalName(srv.Target)})
		}
	}
	return out, nil
}

// PlanPublish reads each target zone's records at name and plans adding rec.
func (cl *Client) PlanPublish(ctx context.Context, targets []Target, name string, rec Record) []*ZonePlan {
	var plans []*ZonePlan
	for _, t := range targets {
		z := dns.CanonicalName(t.Zone)
		cur, err := cl.Current(ctx, t.Server, z, owner(z, name))
		if err != nil {
			plans = append(plans, &ZonePlan{Zone: z, Server: t.Server, Action: ActionFailed, Err: err})
			continue
		}
		p := PlanPublish(z, t.Server, name, rec, cur)
		p.Signer = t.Signer
		plans = append(plans, p)
	}
	return plans
}

// PlanUnpublish reads each target zone's records at name and plans
// removing host's records.
func (cl *Client) PlanUnpublish(ctx context.Context, targets []Target, name, host string, force bool) []*ZonePlan {
	var plans []*ZonePlan
	for _, t := range targets {
		z := dns.CanonicalName(t.Zone)
		cur, err := cl.Current(ctx, t.Server, z, owner(z, name))
		if err != nil {
			plans = append(plans, &ZonePlan{Zone: z, Server: t.Server, Action: ActionFailed, Err: err})
			continue
		}
		p := PlanUnpublish(z, t.Server, name, host, cur, force)
		p.Signer = t.Signer
		plans = append(plans, p)
	}
	return plans
}

// Locate fills in each target's primary: targets without a server get the
// zone's SOA MNAME (as nsupdate does), through the resolver (host:port;
// /etc/resolv.conf when empty). It returns the DNS host name of each
// server it found, for GSS-TSIG's service principal.
func Locate(ctx context.Context, targets []Target, resolver string, timeout time.Duration) (map[string]string, error) {
	names := map[string]string{}
	for i, t := range targets {
		if t.Server != "" {
			continue
		}
		name, addr, err := zone.FindPrimary(ctx, t.Zone, resolver, "", timeout)
		if err != nil {
			return names, err
		}
		targets[i].Server = addr
		names[addr] = name
	}
	return names, nil
}
