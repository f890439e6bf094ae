package publish

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kmsdns/kmsdns/zone"
)

// What a read-back decided about an update that got no clear answer
// (Result.ReadBack).
const (
	// ReadBackApplied: the records read back are as planned and no
	// longer as they were: the update was applied.
	ReadBackApplied = "applied"
	// ReadBackNotApplied: the records read back are as they were before
	// the update, twice: it was not applied.
	ReadBackNotApplied = "not applied"
)

// DefaultReadBackTimeout bounds reading back an update whose answer never
// came (Options.ReadBackTimeout).
const DefaultReadBackTimeout = 5 * time.Second

// readBackSettle is how long an update without an answer is given to
// show up before it is declared not applied: a server may still be
// applying a message whose answer was lost.
const readBackSettle = 500 * time.Millisecond

// unclear reports whether r, the result of a sent update, leaves the
// zone's state unknown: no answer came (a timeout, a broken connection,
// an interruption), or the server accepted it and it could not be read
// back. A refusal, or an accepted update whose read-back differs from
// the plan, is clear.
func unclear(r Result) bool {
	if r.Verified {
		return false
	}
	if r.Err == nil {
		return true
	}
	return !isAnswer(r.Err) && r.Answer == ""
}

// settle reads back the records of a sent update without a clear answer
// and says in r whether it was applied. The read-back runs even when ctx
// is cancelled (the account of an interrupted run must be exact), within
// the Client's ReadBackTimeout.
func (cl *Client) settle(ctx context.Context, p *ZonePlan, r Result) Result {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cl.opts.ReadBackTimeout)
	defer cancel()
	state := cl.readBack(rctx, p)
	if state == ReadBackNotApplied {
		select {
		case <-time.After(readBackSettle):
		case <-rctx.Done():
		}
		state = cl.readBack(rctx, p)
	}
	switch state {
	case ReadBackApplied:
		r.ReadBack, r.Err, r.Action, r.Verified = state, nil, p.Action, true
		r.Note = join(r.Note, "no clear answer to the update; the records were read back: it was applied")
	case ReadBackNotApplied:
		r.ReadBack, r.Action = state, ActionFailed
		r.Note = join(r.Note, "no clear answer to the update; the records were read back: it was not applied")
		if r.Err == nil {
			r.Err = fmt.Errorf("zone %s: the update was not applied", strings.TrimSuffix(p.Zone, "."))
		}
	default:
		r.Note = join(r.Note, "no clear answer to the update and the records could not be read back: run kmsdns audit to see what the zone holds")
	}
	return r
}

// readBack reads every name the plan touches and compares it with what
// the plan expects and with what was there before: ReadBackApplied,
// ReadBackNotApplied, or "" when it cannot tell.
func (cl *Client) readBack(ctx context.Context, p *ZonePlan) string {
	exp := p.Expected()
	isExp, isCur := true, true
	for name := range exp {
		got, err := cl.Current(ctx, p.Server, p.Zone, name)
		if err != nil {
			return ""
		}
		isExp = isExp && sameSet(got, exp[name])
		isCur = isCur && sameSet(got, p.Current[name])
	}
	switch {
	case isExp && !isCur:
		return ReadBackApplied
	case isCur && !isExp:
		return ReadBackNotApplied
	}
	return ""
}

func sameSet(a, b []zone.Record) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.ContainsFunc(b, func(y zone.Record) bool { return sameRR(x, y) }) {
			return false
		}
	}
	return true
}
