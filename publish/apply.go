package publish

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kmsdns/kmsdns/internal/dnsx"
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
	// Unverifiable is set when the server's answer to an accepted update
	// carried a signature that did not verify (or none), and the
	// read-back showed the change in place: Windows DNS and Samba sign
	// their answers to GSS-TSIG updates in a way that cannot be verified.
	// It holds the verification error, for verbose output.
	Unverifiable error
	// AnswerSigned: the update was signed and the server's answer carried
	// a TSIG that verified. A signed update whose answer is unsigned or
	// does not verify leaves it false, even when the read-back confirms
	// the change.
	AnswerSigned bool
	// ReadBack says how an update without a clear answer (a timeout, a
	// broken connection, an interruption, or an accepted update that could
	// not be read back) was decided by reading the records back:
	// ReadBackApplied or ReadBackNotApplied; empty when the answer was
	// clear or the read-back could not tell (Note says so).
	ReadBack string
	// Changes say, record by record, what was done (from the plan).
	Changes []Change
	// Warnings are the plan's warnings, repeated with the result.
	Warnings []string
	// Credentials says how the update was signed (never the secret).
	Credentials string
	// NotSent: the update never reached the server whole (no plan, an
	// empty plan, the run interrupted before it, the connection could not
	// be made, or signing failed: a GSS-TSIG negotiation, a clock check),
	// so the server cannot have acted on it.
	NotSent bool
	Err     error
}

// Options for a Client.
type Options struct {
	// Signer signs every update; nil sends them unsigned.
	Signer Signer
	// Timeout bounds each exchange; 10 s when zero.
	Timeout time.Duration
	// ReadBackTimeout bounds reading back an update whose answer never
	// came; DefaultReadBackTimeout when zero.
	ReadBackTimeout time.Duration
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
	opts.Timeout = dnsx.Timeout(opts.Timeout)
	if opts.ReadBackTimeout <= 0 {
		opts.ReadBackTimeout = DefaultReadBackTimeout
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
	cut, err := zoneCut(ctx, server, zoneName, name, cl.opts.Timeout)
	if err == nil && cut != "" {
		err = belowCutError(zoneName, name, cut)
	}
	if err != nil {
		return nil, fmt.Errorf("zone %s: reading %s from %s: %w", strings.TrimSuffix(zoneName, "."), name, server, err)
	}
	recs, err := queryOwner(ctx, server, zoneName, name, cl.opts.Timeout)
	if err != nil {
		return nil, fmt.Errorf("zone %s: reading %s from %s: %w", strings.TrimSuffix(zoneName, "."), name, server, err)
	}
	return recs, nil
}

// ownerReq is one RRset to read.
type ownerReq struct{ server, zone, name string }

// readConcurrency bounds the reads in flight at once.
const readConcurrency = 16

// currents reads many RRsets at once (reads need no ordering, unlike
// updates). Errors name zone, owner and server.
func (cl *Client) currents(ctx context.Context, reqs []ownerReq) ([][]zone.Record, []error) {
	recs := make([][]zone.Record, len(reqs))
	errs := make([]error, len(reqs))
	sem := make(chan struct{}, readConcurrency)
	var wg sync.WaitGroup
	for i, rq := range reqs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			recs[i], errs[i] = cl.Current(ctx, rq.server, rq.zone, rq.name)
		}()
	}
	wg.Wait()
	return recs, errs
}

// pending is an update the server accepted, waiting for its read-back.
type pending struct {
	i      int
	sigErr error
}

// Apply sends the plans, one message per zone, one at a time, then reads
// every changed name back and compares it with the plan. A failure in one
// zone does not stop the others. The context is checked before every
// send: once it is done, the remaining zones are not sent. An update sent
// without a clear answer (a timeout, a broken connection, an
// interruption) is read back to tell whether it was applied, and its
// Result says which (ReadBack).
// A timeout matches zone.ErrTimeout.
func (cl *Client) Apply(ctx context.Context, plans []*ZonePlan) []Result {
	results := make([]Result, len(plans))
	sent := make([]bool, len(plans))
	var accepted []pending
	for i, p := range plans {
		signer := p.Signer
		if signer == nil {
			signer = cl.opts.Signer
		}
		r := Result{Zone: p.Zone, Server: p.Server, Action: p.Action, Note: p.Note, Changes: p.Changes,
			Warnings: p.Warnings, Credentials: describeSigner(p.Credentials, signer)}
		results[i] = r
		if p.Err != nil {
			results[i].Action, results[i].Err, results[i].Answer, results[i].NotSent = ActionFailed, p.Err, "nothing sent", true
			continue
		}
		if p.Empty() {
			results[i].Answer, results[i].NotSent = "nothing sent", true
			continue
		}
		if err := p.CheckSize(); err != nil {
			// A plan not made by this package's planners.
			results[i].Action, results[i].Err, results[i].Answer, results[i].NotSent = ActionFailed, err, "nothing sent", true
			continue
		}
		if ctx.Err() != nil {
			results[i].Action, results[i].Answer, results[i].NotSent = ActionFailed, "nothing sent", true
			results[i].Err = fmt.Errorf("zone %s: not sent: %w", strings.TrimSuffix(p.Zone, "."), context.Cause(ctx))
			continue
		}
		c, err := cl.conn(ctx, p.Server)
		if err != nil {
			results[i].Action, results[i].Err = ActionFailed, fmt.Errorf("zone %s: connecting to %s: %w", strings.TrimSuffix(p.Zone, "."), p.Server, err)
			results[i].NotSent = true
			continue
		}
		var sigErr error
		sent[i] = true
		results[i], sigErr = update(ctx, c, p, signer, r)
		switch {
		case results[i].Err == nil:
			accepted = append(accepted, pending{i, sigErr})
		case !isAnswer(results[i].Err):
			cl.drop(p.Server)
		}
	}
	// Read back every changed name, all at once.
	var reqs []ownerReq
	var owners [][2]int // plan index, req index range start
	for _, a := range accepted {
		p := plans[a.i]
		owners = append(owners, [2]int{a.i, len(reqs)})
		for _, name := range p.names() {
			reqs = append(reqs, ownerReq{p.Server, p.Zone, name})
		}
	}
	got, errs := cl.currents(ctx, reqs)
	for k, a := range accepted {
		p := plans[a.i]
		start := owners[k][1]
		names := p.names()
		back := map[string][]zone.Record{}
		var rerr error
		for j, name := range names {
			if errs[start+j] != nil {
				rerr = errs[start+j]
			}
			back[name] = got[start+j]
		}
		results[a.i] = finish(p, results[a.i], a.sigErr, back, rerr)
	}
	for i, p := range plans {
		if sent[i] && unclear(results[i]) && !errors.As(results[i].Err, new(notSent)) {
			results[i] = cl.settle(ctx, p, results[i])
		}
	}
	return results
}

// names are the owner names the plan changes, sorted.
func (p *ZonePlan) names() []string {
	exp := p.Expected()
	names := make([]string, 0, len(exp))
	for n := range exp {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// isAnswer reports whether err came from a well-formed answer (the
// connection is still good).
func isAnswer(err error) bool {
	var ue *UpdateError
	return errors.As(err, &ue)
}

// update sends one plan's message. It returns the result so far and, for
// an accepted update, whether the answer's signature failed.
func update(ctx context.Context, c *conn, p *ZonePlan, s Signer, r Result) (Result, error) {
	fail := func(err error) (Result, error) {
		r.Action, r.Err = ActionFailed, err
		return r, nil
	}
	a, err := c.exchange(ctx, p.Msg(), s)
	if err != nil {
		r.NotSent = errors.As(err, new(notSent))
		return fail(fmt.Errorf("zone %s: update at %s: %w", strings.TrimSuffix(p.Zone, "."), p.Server, err))
	}
	r.Answer = dnsx.RcodeName(a.msg.Rcode)
	tsigErr := 0
	if t := a.msg.IsTsig(); t != nil {
		tsigErr = int(t.Error)
		if tsigErr != 0 {
			r.Answer += "/" + dnsx.RcodeName(tsigErr)
		}
	}
	if a.msg.Rcode != dns.RcodeSuccess || tsigErr != 0 {
		ue := &UpdateError{Rcode: a.msg.Rcode, TSIGError: tsigErr, Server: p.Server, Zone: p.Zone, Credentials: r.Credentials}
		if errors.Is(ue, ErrChanged) {
			r.Action, r.Err = ActionSkipped, ue
			return r, nil
		}
		return fail(explainRefusal(p, s, ue))
	}
	r.AnswerSigned = s != nil && a.sigErr == nil
	return r, a.sigErr
}

// finish judges an accepted update by what was read back.
func finish(p *ZonePlan, r Result, sigErr error, back map[string][]zone.Record, rerr error) Result {
	fail := func(err error) Result {
		r.Action, r.Err = ActionFailed, err
		return r
	}
	z := strings.TrimSuffix(p.Zone, ".")
	diff := ""
	if rerr == nil {
		diff = compare(p.Expected(), back)
	}
	switch {
	case rerr != nil && sigErr != nil:
		return fail(fmt.Errorf("zone %s: %v, and reading the records back failed: %w", z, sigErr, rerr))
	case rerr != nil:
		r.Note = join(r.Note, "the update was accepted but could not be read back: "+rerr.Error())
		return r
	case diff != "" && sigErr != nil:
		return fail(fmt.Errorf("zone %s: %v, and the records read back are not as asked (%s): the change is not in place", z, sigErr, diff))
	case diff != "":
		return fail(fmt.Errorf("zone %s: the server accepted the update but the records read back are not as asked: %s", z, diff))
	case sigErr != nil:
		// Windows DNS and Samba sign answers so that they cannot be
		// verified: the read-back is the proof, not the signature.
		r.Unverifiable = sigErr
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

// compare lists how the records read back differ from those expected.
func compare(exp, got map[string][]zone.Record) string {
	var diffs []string
	names := make([]string, 0, len(exp))
	for n := range exp {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, w := range exp[name] {
			i := slices.IndexFunc(got[name], func(g zone.Record) bool { return sameRR(g, w) })
			switch {
			case i < 0:
				diffs = append(diffs, "missing "+w.String())
			case got[name][i].TTL != w.TTL:
				diffs = append(diffs, fmt.Sprintf("TTL %d instead of %d: %s", got[name][i].TTL, w.TTL, w.String()))
			}
		}
		for _, g := range got[name] {
			if !slices.ContainsFunc(exp[name], func(w zone.Record) bool { return sameRR(g, w) }) {
				diffs = append(diffs, "unexpected "+g.String())
			}
		}
	}
	return strings.Join(diffs, "; ")
}

// queryOwner asks server for the KMS records at name, over UDP, then TCP
// when the answer is truncated or UDP gets no answer (updates go over TCP
// anyway, and some primaries are reachable only that way).
func queryOwner(ctx context.Context, server, zoneName, name string, timeout time.Duration) ([]zone.Record, error) {
	a, err := dnsx.Query{Server: server, Timeout: timeout, TCPOnNoAnswer: true}.Ask(ctx, name, dns.TypeSRV)
	if err != nil {
		return nil, err
	}
	return srvAnswer(a, server, zoneName, name)
}

func srvAnswer(a *dns.Msg, server, zoneName, name string) ([]zone.Record, error) {
	switch {
	case a.Rcode == dns.RcodeNameError:
		return []zone.Record{}, nil
	case a.Rcode != dns.RcodeSuccess:
		return nil, fmt.Errorf("%s SRV at %s: %s", name, server, dnsx.RcodeName(a.Rcode))
	case !a.Authoritative:
		return nil, fmt.Errorf("%s SRV at %s: the answer is not authoritative (%s is not a server of zone %s)", name, server, server, zoneName)
	}
	out := []zone.Record{}
	for _, rr := range a.Answer {
		if srv, ok := rr.(*dns.SRV); ok && dns.CanonicalName(srv.Hdr.Name) == name {
			out = append(out, zone.RecordFromSRV(zoneName, srv))
		}
	}
	return out, nil
}

// PlanPublish reads each target zone's records at name and plans adding rec.
func (cl *Client) PlanPublish(ctx context.Context, targets []Primary, name string, rec Record) []*ZonePlan {
	return cl.PlanPublishAll(ctx, targets, []string{name}, []Record{rec})
}

// PlanPublishAll reads each target zone's records at every name and plans
// adding every record of recs under each, one message per zone.
func (cl *Client) PlanPublishAll(ctx context.Context, targets []Primary, names []string, recs []Record) []*ZonePlan {
	return cl.planEach(ctx, targets, names, func(z, server string, cur map[string][]zone.Record) *ZonePlan {
		return PlanPublishAll(z, server, names, recs, cur)
	})
}

// PlanUnpublish reads each target zone's records at name and plans
// removing host's records.
func (cl *Client) PlanUnpublish(ctx context.Context, targets []Primary, name, host string, force bool) []*ZonePlan {
	return cl.PlanUnpublishAll(ctx, targets, []string{name}, []string{host}, force)
}

// PlanUnpublishAll reads each target zone's records at every name and
// plans removing every host's records, one message per zone.
func (cl *Client) PlanUnpublishAll(ctx context.Context, targets []Primary, names, hosts []string, force bool) []*ZonePlan {
	return cl.planEach(ctx, targets, names, func(z, server string, cur map[string][]zone.Record) *ZonePlan {
		return PlanUnpublishAll(z, server, names, hosts, cur, force)
	})
}

// planEach reads every name in every target zone at once and plans each
// zone from what it holds; a zone that cannot be read gets a failed plan.
func (cl *Client) planEach(ctx context.Context, targets []Primary, names []string, plan func(z, server string, cur map[string][]zone.Record) *ZonePlan) []*ZonePlan {
	var reqs []ownerReq
	for _, t := range targets {
		z := dns.CanonicalName(t.Zone)
		for _, o := range owners(z, names) {
			reqs = append(reqs, ownerReq{t.Server, z, o})
		}
	}
	curs, errs := cl.currents(ctx, reqs)
	var plans []*ZonePlan
	k := 0
	for _, t := range targets {
		z := dns.CanonicalName(t.Zone)
		cur := map[string][]zone.Record{}
		var err error
		for _, o := range owners(z, names) {
			if errs[k] != nil && err == nil {
				err = errs[k]
			}
			cur[o] = curs[k]
			k++
		}
		if err != nil {
			plans = append(plans, &ZonePlan{Zone: z, Server: t.Server, Action: ActionFailed, Err: err, Credentials: t.Credentials})
			continue
		}
		p := plan(z, t.Server, cur)
		p.Signer, p.Credentials = t.Signer, t.Credentials
		plans = append(plans, p)
	}
	return plans
}

// Locate fills in each target's primary: targets without a server get the
// zone's SOA MNAME (as nsupdate does), through the resolver (host:port;
// /etc/resolv.conf when empty). It returns the DNS host name of each
// server it found, for GSS-TSIG's service principal.
func Locate(ctx context.Context, targets []Primary, resolver string, timeout time.Duration) (map[string]string, error) {
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
