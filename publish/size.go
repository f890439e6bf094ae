package publish

import (
	"errors"
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// TSIGReserve is the room, in octets, an UPDATE leaves for the TSIG
// record that signs it when it is sent (RFC 8945 4.2: key name and
// algorithm name of up to 255 octets each, the MAC of an HMAC key or a
// GSS-TSIG context, and the fixed fields): 1 KiB holds any of them.
const TSIGReserve = 1024

// MaxUpdateSize is the largest UPDATE a plan may build: one DNS message
// over TCP holds 65,535 octets (RFC 1035 4.2.2), less TSIGReserve.
const MaxUpdateSize = dns.MaxMsgSize - TSIGReserve

// ErrUpdateTooLarge is matched by the error of a plan whose UPDATE would
// not fit in one DNS message: nothing is sent.
var ErrUpdateTooLarge = errors.New("the UPDATE would not fit in one DNS message")

// CheckSize reports, wrapping ErrUpdateTooLarge, a plan whose UPDATE
// message (prerequisites, deletions and additions, as Msg builds it)
// would be larger than MaxUpdateSize; the error names the zone, the
// number of records and the size. A plan that sends nothing passes.
// PlanPublishAll, PlanUnpublishAll and PlanRestore call it and fail the
// plan (Err) when it does not pass; Apply checks again before sending, so
// a plan built by other code is never sent too large either.
func (p *ZonePlan) CheckSize() error {
	if p.Empty() {
		return nil
	}
	m := p.Msg()
	size := m.Len()
	if size <= MaxUpdateSize {
		return nil
	}
	pre := len(m.Answer) // the prerequisite section
	return fmt.Errorf("zone %s: %w: %d records (%d prerequisites, %d to remove, %d to add) make %d octets, more than %d (%d, the most one DNS message over TCP holds, less %d kept for the signature): nothing was sent; change fewer names or hosts per run",
		strings.TrimSuffix(p.Zone, "."), ErrUpdateTooLarge, pre+len(m.Ns), pre, len(p.Delete), len(p.Add),
		size, MaxUpdateSize, dns.MaxMsgSize, TSIGReserve)
}

// failTooLarge fails a plan that CheckSize refuses.
func (p *ZonePlan) failTooLarge() *ZonePlan {
	if err := p.CheckSize(); err != nil {
		p.Err, p.Action = err, ActionFailed
	}
	return p
}
