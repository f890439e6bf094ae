package cleanup

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kmsdns/kmsdns/publish"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// ZonePlan is what cleanup does in one zone: one UPDATE message.
type ZonePlan struct {
	*publish.ZonePlan
	// Removals are the records this plan removes.
	Removals []Removal
	// Kept are the removals the plan keeps, each with its reason: the
	// last KMS record of a name with nothing to replace it (unless
	// force), a record changed since the audit read it, or a replacement
	// refused by HeedReplacement. A plan that keeps a removal is not a
	// clean run.
	Kept []Kept
	// Gone are no longer on the primary, in any form: nothing to do for
	// them.
	Gone []Removal
	// TTLNotes say, per name, when the replacement's TTL changes the TTL
	// of the records that stay ("changes the TTL of N other records from
	// X to Y"): an RRset has one TTL (RFC 2181 §5.2).
	TTLNotes []string
}

// Kept is a removal the plan keeps (blocks), and why.
type Kept struct {
	Removal
	// Reason says why the record is kept, in words for the admin.
	Reason string
}

// Plan is a whole cleanup: one ZonePlan per zone with something to remove.
type Plan struct {
	Zones []*ZonePlan
	// Replace is the host published wherever a removed host was; nil for
	// none.
	Replace *publish.Record
	// Warnings are what the checks of the replacement host found
	// (HeedReplacement): it does not resolve or does not answer as a KMS
	// host. They do not stop the plan.
	Warnings []string
}

// Kept lists every removal the plan keeps, zone by zone.
func (p *Plan) Kept() []Kept {
	var out []Kept
	for _, z := range p.Zones {
		out = append(out, z.Kept...)
	}
	return out
}

// HeedReplacement takes in the checks of the replacement host
// (publish.CheckHosts): a host that is not live is a warning of the plan;
// with refuse (--require-live) it blocks every zone of the plan, so
// nothing at all is sent.
func (p *Plan) HeedReplacement(checks []publish.HostCheck, refuse bool) {
	var bad []string
	for _, hc := range checks {
		if w := hc.Warning(); w != "" {
			p.Warnings = append(p.Warnings, "--replace-with "+w)
			bad = append(bad, short(hc.Host))
		}
	}
	if !refuse || len(bad) == 0 {
		return
	}
	reason := fmt.Sprintf("--require-live: the replacement %s is not live (see the warning): nothing sent", strings.Join(bad, ", "))
	for _, z := range p.Zones {
		if z.Err != nil {
			continue
		}
		for _, r := range z.Removals {
			z.Kept = append(z.Kept, Kept{Removal: r, Reason: reason})
		}
		z.Removals, z.Delete, z.Add, z.TTLNotes = nil, nil, nil, nil
		z.ZonePlan.Blocked, z.Action, z.Note = true, publish.ActionSkipped, reason
	}
}

// Sends counts the zones whose plan sends an UPDATE.
func (p *Plan) Sends() int {
	n := 0
	for _, z := range p.Zones {
		if !z.Empty() {
			n++
		}
	}
	return n
}

// Removes counts the records the plan deletes in the zones it sends to.
func (p *Plan) Removes() int {
	n := 0
	for _, z := range p.Zones {
		if !z.Empty() {
			n += len(z.Delete)
		}
	}
	return n
}

// NewPlan plans, per target zone, the removal of the given records in one
// message, with the replacement (replace, when not nil) added in the same
// message under every name that loses a record, so no name is ever left
// empty. The current records are read from each zone's primary and every
// deletion is guarded by them. A replace.TTL of 0 takes the TTL of the
// RRset the replacement joins.
func NewPlan(ctx context.Context, cl *publish.Client, targets []publish.Primary, removals []Removal, replace *publish.Record, force bool) *Plan {
	plan := &Plan{Replace: replace}
	for _, t := range targets {
		z := dns.CanonicalName(t.Zone)
		var mine []Removal
		for _, r := range removals {
			if r.Record.Zone == z {
				mine = append(mine, r)
			}
		}
		if len(mine) == 0 {
			continue
		}
		cp := &ZonePlan{ZonePlan: &publish.ZonePlan{Zone: z, Server: t.Server, Signer: t.Signer, Current: map[string][]zone.Record{}}}
		plan.Zones = append(plan.Zones, cp)
		for _, r := range mine {
			if _, ok := cp.Current[r.Record.Name]; ok {
				continue
			}
			cur, err := cl.Current(ctx, t.Server, z, r.Record.Name)
			if err != nil {
				cp.Err, cp.Action = err, publish.ActionFailed
				break
			}
			cp.Current[r.Record.Name] = cur
		}
		if cp.Err != nil {
			cp.Removals = mine
			continue
		}
		planZone(cp, mine, replace, force)
		if err := cp.CheckSize(); err != nil {
			cp.Err, cp.Action = err, publish.ActionFailed // refused at planning: nothing is sent
		}
	}
	return plan
}

// sameRR compares records as RFC 2136 prerequisites do: name and RDATA.
func sameRR(a, b zone.Record) bool {
	return a.Name == b.Name && a.Target == b.Target && a.Port == b.Port && a.Priority == b.Priority && a.Weight == b.Weight
}

func planZone(cp *ZonePlan, mine []Removal, replace *publish.Record, force bool) {
	byOwner := map[string][]Removal{}
	var owners []string
	for _, r := range mine {
		cur := cp.Current[r.Record.Name]
		if !slices.ContainsFunc(cur, func(c zone.Record) bool { return sameRR(c, r.Record) }) {
			var now []string
			for _, c := range cur {
				if c.Target == r.Record.Target {
					now = append(now, c.String())
				}
			}
			if len(now) == 0 {
				cp.Gone = append(cp.Gone, r)
				continue
			}
			// The host is still there, in another form: what was judged
			// is not what would be removed.
			cp.Kept = append(cp.Kept, Kept{Removal: r, Reason: fmt.Sprintf("changed since the audit read it: the primary now holds %s; run cleanup again to judge it as it is", strings.Join(now, "; "))})
			continue
		}
		if _, ok := byOwner[r.Record.Name]; !ok {
			owners = append(owners, r.Record.Name)
		}
		byOwner[r.Record.Name] = append(byOwner[r.Record.Name], r)
	}
	for _, owner := range owners {
		rs := byOwner[owner]
		current := cp.Current[owner]
		var add []zone.Record
		if replace != nil && !slices.ContainsFunc(current, func(c zone.Record) bool { return c.Target == replace.Target }) {
			ttl := replace.TTL
			if ttl == 0 {
				ttl = current[0].TTL
			}
			add = append(add, zone.Record{Zone: cp.Zone, Name: owner, TTL: ttl, Priority: replace.Priority,
				Weight: replace.Weight, Port: replace.Port, Target: replace.Target})
			stay, from := 0, uint32(0)
			for _, c := range current {
				if !slices.ContainsFunc(rs, func(r Removal) bool { return sameRR(r.Record, c) }) && c.TTL != ttl {
					stay, from = stay+1, c.TTL
				}
			}
			if stay > 0 {
				cp.TTLNotes = append(cp.TTLNotes, ttlNote(owner, "adding", replace.Target, ttl, stay, from))
			}
		}
		remaining := len(current) - len(rs) + len(add)
		if remaining == 0 && !force {
			reason := fmt.Sprintf("the last KMS record of %s: removing it with no replacement turns every client's 0xC004F074 into 0x8007232B; give --replace-with HOST or --force", short(owner))
			for _, r := range rs {
				cp.Kept = append(cp.Kept, Kept{Removal: r, Reason: reason})
			}
			continue
		}
		for _, r := range rs {
			cp.Delete = append(cp.Delete, r.Record)
			cp.Removals = append(cp.Removals, r)
		}
		cp.Add = append(cp.Add, add...)
	}
	switch {
	case len(cp.Delete) > 0 && len(cp.Add) > 0:
		cp.Action = publish.ActionReplaced
		cp.Note = fmt.Sprintf("removes %d record(s) and adds %s in the same message", len(cp.Delete), strings.TrimSuffix(replace.Target, "."))
	case len(cp.Delete) > 0:
		cp.Action = publish.ActionRemoved
		cp.Note = fmt.Sprintf("removes %d record(s)", len(cp.Delete))
	case len(cp.Kept) > 0:
		cp.Action, cp.ZonePlan.Blocked = publish.ActionSkipped, true
	default:
		cp.Action, cp.Note = publish.ActionNotPresent, "the records are already gone: nothing to send"
	}
	for _, n := range cp.TTLNotes {
		cp.Note += "; " + n
	}
	if len(cp.Kept) > 0 {
		var why []string
		for _, b := range cp.Kept {
			if !slices.Contains(why, b.Reason) {
				why = append(why, b.Reason)
			}
		}
		cp.Note = strings.TrimPrefix(cp.Note+"; ", "; ") + "kept " + strings.Join(why, "; kept ")
	}
}

// ttlNote says that adding (or restoring) target with ttl to an RRset
// changes the TTL of its n other records from from to ttl: an RRset has
// one TTL (RFC 2181 §5.2), and servers give the whole set the TTL of a
// record added to it. cleanup --replace-with and publish --from-file say
// it in these words.
func ttlNote(owner, verb, target string, ttl uint32, n int, from uint32) string {
	return fmt.Sprintf("%s: %s %s with TTL %d changes the TTL of %d other records from %d to %d (an RRset has one TTL, RFC 2181 §5.2)",
		short(owner), verb, short(target), ttl, n, from, ttl)
}
