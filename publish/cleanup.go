package publish

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// Removal is a record that cleanup is to remove, and why.
type Removal struct {
	Record zone.Record
	// Check is the audit check that justifies the removal
	// ("decommissioned", "target-unresolvable", ...) or "host" when the
	// host was named on the command line.
	Check string
	// Reason explains it in words.
	Reason string
	// Alive: the host still answers on its KMS port. A live KMS host
	// registers its record again every 24 hours unless its publishing is
	// turned off (slmgr /cdns, or DisableDnsPublishing).
	Alive bool
}

// CleanupPlan is what cleanup does in one zone: one UPDATE message.
type CleanupPlan struct {
	*ZonePlan
	// Removals are the records this plan removes.
	Removals []Removal
	// Withheld would have removed the last KMS record of their name with
	// nothing to replace them: kept unless force.
	Withheld []Removal
	// Gone are no longer on the primary: nothing to do for them.
	Gone []Removal
}

// PlanCleanup plans, per target zone, the removal of the given records in
// one message, with replacement records (replace, when not nil) added in
// the same message under every name that loses a record, so no name is
// ever left empty. The current records are read from each zone's primary
// and every deletion is guarded by them.
func (cl *Client) PlanCleanup(ctx context.Context, targets []Target, removals []Removal, replace *Record, force bool) []*CleanupPlan {
	var plans []*CleanupPlan
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
		cp := &CleanupPlan{ZonePlan: &ZonePlan{Zone: z, Server: t.Server, Signer: t.Signer, Current: map[string][]zone.Record{}}}
		plans = append(plans, cp)
		for _, r := range mine {
			if _, ok := cp.Current[r.Record.Name]; ok {
				continue
			}
			cur, err := cl.Current(ctx, t.Server, z, r.Record.Name)
			if err != nil {
				cp.Err, cp.Action = err, ActionFailed
				break
			}
			cp.Current[r.Record.Name] = cur
		}
		if cp.Err != nil {
			cp.Removals = mine
			continue
		}
		planCleanupZone(cp, mine, replace, force)
	}
	return plans
}

func planCleanupZone(cp *CleanupPlan, mine []Removal, replace *Record, force bool) {
	byOwner := map[string][]Removal{}
	var owners []string
	for _, r := range mine {
		if !slices.ContainsFunc(cp.Current[r.Record.Name], func(c zone.Record) bool { return sameRR(c, r.Record) }) {
			cp.Gone = append(cp.Gone, r)
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
		if replace != nil && !slices.ContainsFunc(current, func(c zone.Record) bool { return c.Target == replace.Host }) &&
			!slices.ContainsFunc(rs, func(r Removal) bool { return r.Record.Target == replace.Host }) {
			add = append(add, zone.Record{Zone: cp.Zone, Name: owner, TTL: rs[0].Record.TTL, Priority: replace.Priority,
				Weight: replace.Weight, Port: replace.Port, Target: replace.Host})
		}
		remaining := len(current) - len(rs) + len(add)
		if remaining == 0 && !force {
			cp.Withheld = append(cp.Withheld, rs...)
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
		cp.Action = ActionReplaced
		cp.Note = fmt.Sprintf("removes %d record(s) and adds %s in the same message", len(cp.Delete), strings.TrimSuffix(replace.Host, "."))
	case len(cp.Delete) > 0:
		cp.Action = ActionRemoved
		cp.Note = fmt.Sprintf("removes %d record(s)", len(cp.Delete))
	case len(cp.Withheld) > 0:
		cp.Action, cp.Blocked = ActionSkipped, true
	default:
		cp.Action, cp.Note = ActionNotPresent, "the records are already gone: nothing to send"
	}
	if len(cp.Withheld) > 0 {
		var names []string
		for _, w := range cp.Withheld {
			if !slices.Contains(names, w.Record.Name) {
				names = append(names, w.Record.Name)
			}
		}
		cp.Note = strings.TrimPrefix(cp.Note+"; ", "; ") + fmt.Sprintf("kept the last KMS record of %s: removing it with no replacement turns every client's 0xC004F074 into 0x8007232B; give --replace-with HOST or --force", strings.Join(names, ", "))
	}
}
