package zone

import (
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// WarnBelowCut: a KMS record at or below a delegation of the zone (an NS
// RRset other than the apex's, a zone cut) was read and dropped. Such data
// is occluded: the server transfers it but never serves it, and clients
// follow the delegation to the child zone instead (RFC 1034 4.2.1,
// RFC 2181 6). Warning.Cut names the delegated name.
const WarnBelowCut = "below-delegation"

// DefaultMaxCuts caps the delegations (NS owners below the apex) a read
// remembers; a zone with more is read, and KMS records below the ones
// past the cap are kept as the zone's, with a warning that says so.
const DefaultMaxCuts = 100000

// cutSet collects the zone cuts of one read. A transfer sends NS records in
// any order, so KMS records are filtered once the whole zone is read.
type cutSet struct {
	zone     string
	names    map[string]struct{}
	overflow int  // cuts past DefaultMaxCuts, not remembered
	warned   bool // the overflow has its Warning
}

func newCutSet(zone string) *cutSet {
	return &cutSet{zone: zone, names: map[string]struct{}{}}
}

// add notes that owner holds NS records; the apex and names outside the
// zone are no cuts.
func (c *cutSet) add(owner string) {
	owner = dns.CanonicalName(owner)
	if owner == c.zone || !dns.IsSubDomain(c.zone, owner) {
		return
	}
	if _, ok := c.names[owner]; ok {
		return
	}
	if len(c.names) >= DefaultMaxCuts {
		c.overflow++
		return
	}
	c.names[owner] = struct{}{}
}

// below returns the cut at or above name (below the apex), if any.
func (c *cutSet) below(name string) (string, bool) {
	if len(c.names) == 0 {
		return "", false
	}
	name = dns.CanonicalName(name)
	for off, end := 0, false; !end; off, end = dns.NextLabel(name, off) {
		s := name[off:]
		if s == c.zone || len(s) < len(c.zone) {
			break
		}
		if _, ok := c.names[s]; ok {
			return s, true
		}
	}
	return "", false
}

// apply drops from res.Records the records at or below a cut, each with a
// Warning (at most maxWarnings named, the last counts the rest).
func (c *cutSet) apply(res *Snapshot) {
	if c.overflow > 0 && !c.warned {
		c.warned = true
		res.Warnings = append(res.Warnings, Warning{Kind: WarnBelowCut,
			Message: fmt.Sprintf("zone %s has more than %d delegations: the %d past that cap were not noted, and KMS records below them are audited as the zone's", strings.TrimSuffix(c.zone, "."), DefaultMaxCuts, c.overflow)})
	}
	if len(c.names) == 0 {
		return
	}
	kept, dropped := res.Records[:0], 0
	for _, rec := range res.Records {
		cut, ok := c.below(rec.Name)
		if !ok {
			kept = append(kept, rec)
			continue
		}
		dropped++
		if dropped <= maxWarnings {
			res.Warnings = append(res.Warnings, Warning{Kind: WarnBelowCut, Record: rec, Cut: cut,
				Message: fmt.Sprintf("%s SRV %d %d %d %s is below the delegation %s: it belongs to that zone; audit it there (zone %s holds an occluded copy no client sees)",
					rec.Name, rec.Priority, rec.Weight, rec.Port, rec.Target, strings.TrimSuffix(cut, "."), strings.TrimSuffix(c.zone, "."))})
		}
	}
	if n := dropped - maxWarnings; n > 0 {
		w := &res.Warnings[len(res.Warnings)-1]
		w.Message += fmt.Sprintf("; %d more records below delegations were dropped", n)
	}
	clear(res.Records[len(kept):])
	res.Records = kept
}

// merge adds the cuts of o (another file of the same zone).
func (c *cutSet) merge(o *cutSet) {
	if c == nil || o == nil {
		return
	}
	for n := range o.names {
		c.add(n)
	}
	c.overflow += o.overflow
}

// names_ returns the extra names of the zone that are not at or below
// one of its cuts; each one that is gets a Warning (its Record holds only
// the _vlmcs._tcp name): clients with that DNS suffix see the child zone.
func (c *cutSet) namesAbove(res *Snapshot, names []string) []string {
	var kept []string
	for _, n := range names {
		domain := Qualify(n, c.zone)
		cut, ok := c.below(domain)
		if !ok {
			kept = append(kept, n)
			continue
		}
		name := KMSName(domain)
		res.Warnings = append(res.Warnings, Warning{Kind: WarnBelowCut, Record: Record{Zone: c.zone, Name: name}, Cut: cut,
			Message: fmt.Sprintf("the extra name %s is at or below the delegation %s: it belongs to that zone; audit it there (zone %s does not serve %s)",
				strings.TrimSuffix(domain, "."), strings.TrimSuffix(cut, "."), strings.TrimSuffix(c.zone, "."), strings.TrimSuffix(name, "."))})
	}
	return kept
}
