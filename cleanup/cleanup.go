package cleanup

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/audit/probe"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// CheckHost is the reason of a removal whose host was named by the admin
// (Selection.Hosts) rather than found by an audit check.
const CheckHost = "host"

// Removal is a record cleanup removes, and why.
type Removal struct {
	// Record is the record as the audit read it.
	Record zone.Record
	// Finding is the audit finding that justifies the removal; nil when
	// the record's host was named in Selection.Hosts.
	Finding *audit.Finding
	// Alive: the host answered the KMS probe. A live KMS host registers
	// its record again within 24 hours unless its publishing is turned
	// off (slmgr /cdns, or DisableDnsPublishing).
	Alive bool
}

// Check is the audit check behind the removal, or CheckHost.
func (r Removal) Check() string {
	if r.Finding == nil {
		return CheckHost
	}
	return r.Finding.Check
}

// Selection says which records to remove.
type Selection struct {
	// Hosts: every record whose target is one of these (FQDNs).
	Hosts []string
	// Stale: every record the audit found decommissioned or
	// target-unresolvable.
	Stale bool
	// IncludeUnreachable widens Stale to host-unreachable and not-kms.
	IncludeUnreachable bool
}

// ErrNothingSelected is returned by Select for a Selection with neither
// Hosts nor Stale: cleanup never guesses what to remove.
var ErrNothingSelected = errors.New("nothing selected: name the failed host (--host) or ask for every stale record (--stale)")

// UnknownHostError says a host to remove is the target of no record in
// the zones read; Closest are the targets seen that look most like it.
type UnknownHostError struct {
	Host    string
	Closest []string
}

func (e *UnknownHostError) Error() string {
	msg := fmt.Sprintf("no record in the zones read has the target %s", strings.TrimSuffix(e.Host, "."))
	if len(e.Closest) > 0 {
		var c []string
		for _, h := range e.Closest {
			c = append(c, strings.TrimSuffix(h, "."))
		}
		msg += "; the closest targets seen: " + strings.Join(c, ", ")
	}
	return msg + ": nothing was changed"
}

// Select picks the records to remove from the zones read (results) as
// judged by rep. Records without a host named or a removable finding are
// never picked. A host that is the target of no record is an
// *UnknownHostError (a typo must not look like "nothing to clean").
func Select(results []*zone.Snapshot, rep *audit.Report, sel Selection) ([]Removal, error) {
	if len(sel.Hosts) == 0 && !sel.Stale {
		return nil, ErrNothingSelected
	}
	hosts := map[string]bool{}
	for _, h := range sel.Hosts {
		hosts[dns.CanonicalName(h)] = true
	}
	removable := map[string]bool{}
	if sel.Stale {
		removable[audit.CheckDecommissioned], removable[audit.CheckTargetUnresolv] = true, true
		if sel.IncludeUnreachable {
			removable[audit.CheckHostUnreachable], removable[audit.CheckNotKMS] = true, true
		}
	}
	byRecord := map[*zone.Record]*audit.Finding{}
	for i := range rep.Findings {
		f := &rep.Findings[i]
		if f.Record != nil && removable[f.Check] && byRecord[f.Record] == nil {
			byRecord[f.Record] = f
		}
	}
	alive := map[[2]string]bool{}
	for _, t := range rep.Targets {
		if t.Probe == string(probe.StatusKMS) {
			alive[[2]string{t.Target, fmt.Sprint(t.Port)}] = true
		}
	}
	matched := map[string]bool{}
	var targets []string
	var out []Removal
	for _, r := range results {
		for i := range r.Records {
			rec := &r.Records[i]
			if !slices.Contains(targets, rec.Target) {
				targets = append(targets, rec.Target)
			}
			rm := Removal{Record: *rec, Alive: alive[[2]string{rec.Target, fmt.Sprint(rec.Port)}]}
			switch {
			case hosts[rec.Target]:
				matched[rec.Target] = true
			case byRecord[rec] != nil:
				rm.Finding = byRecord[rec]
			default:
				continue
			}
			out = append(out, rm)
		}
	}
	for _, h := range sel.Hosts {
		if h = dns.CanonicalName(h); !matched[h] {
			return nil, &UnknownHostError{Host: h, Closest: closest(h, targets, 3)}
		}
	}
	return out, nil
}

// closest returns up to n of names nearest to s by edit distance.
func closest(s string, names []string, n int) []string {
	type scored struct {
		name string
		d    int
	}
	var sc []scored
	for _, name := range names {
		if name != "." {
			sc = append(sc, scored{name, editDistance(s, name)})
		}
	}
	slices.SortStableFunc(sc, func(a, b scored) int { return cmp.Or(cmp.Compare(a.d, b.d), cmp.Compare(a.name, b.name)) })
	var out []string
	for i := 0; i < len(sc) && i < n; i++ {
		out = append(out, sc[i].name)
	}
	return out
}

// editDistance is the optimal-string-alignment distance (Levenshtein
// with transpositions, the commonest typo); names are at most 255 octets.
func editDistance(a, b string) int {
	pp := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], pp[j-2]+1)
			}
		}
		pp, prev, cur = prev, cur, pp
	}
	return prev[len(b)]
}

// AliasWarnings lists the aliases (CNAME) of a host being removed that
// are not removed themselves: KMS targets that are aliases (from rep), and
// the CNAME records of any zone in results (read with
// zone.ReadOptions.Aliases), followed through chains of aliases. Clients
// that follow them (a record's target, or slmgr /skms ALIAS) still reach
// the failed host. A zone whose CNAMEs could not all be seen (read by
// queries, or beyond the cap on aliases) is named.
func AliasWarnings(rep *audit.Report, removals []Removal, results ...*zone.Snapshot) []string {
	gone := map[string]bool{}
	for _, r := range removals {
		gone[r.Record.Target] = true
	}
	var out []string
	add := func(w string) {
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	// Every alias of every zone, by name, to follow chains.
	alias := map[string]string{}
	inZone := map[string]string{}
	for _, r := range results {
		for _, a := range r.Aliases {
			if _, ok := alias[a.Name]; !ok {
				alias[a.Name], inZone[a.Name] = a.Target, r.Zone
			}
		}
	}
	// end follows name through at most maxAliasChain aliases to a host
	// being removed, "" when it leads to none.
	end := func(name string) string {
		for range maxAliasChain {
			next, ok := alias[name]
			if !ok {
				return ""
			}
			if gone[next] {
				return next
			}
			name = next
		}
		return ""
	}
	target := map[string]bool{}
	for _, t := range rep.Targets {
		target[t.Target] = true
	}
	srvAlias := func(name, host string) string {
		return fmt.Sprintf("%s is an alias (CNAME) of %s, which this cleanup removes: records pointing at %s still send clients there",
			short(name), short(host), short(name))
	}
	for _, r := range results {
		for _, a := range r.Aliases {
			h := end(a.Name)
			if h == "" || gone[a.Name] {
				continue
			}
			if target[a.Name] {
				add(srvAlias(a.Name, h))
				continue
			}
			add(fmt.Sprintf("%s (a CNAME in zone %s) leads to %s, which this cleanup removes: clients configured with it (slmgr /skms %s) or records pointing at it still reach the failed host; point it at a working host or remove it",
				short(a.Name), short(inZone[a.Name]), short(h), short(a.Name)))
		}
	}
	if len(removals) > 0 {
		for _, r := range results {
			switch {
			case r.Err == nil && r.Source == zone.SourceQuery:
				add(fmt.Sprintf("zone %s was read by direct queries (no transfer): CNAMEs in it that point at the removed hosts could not be looked for", short(r.Zone)))
			case r.AliasesDropped > 0:
				add(fmt.Sprintf("zone %s has more than %d CNAME records: %d were not looked at for aliases of the removed hosts", short(r.Zone), zone.DefaultMaxAliases, r.AliasesDropped))
			}
		}
	}
	for _, t := range rep.Targets {
		cn := dns.CanonicalName(t.CNAME)
		if t.CNAME == "" || gone[t.Target] || !gone[cn] {
			continue
		}
		if end(t.Target) != "" {
			continue // told above, from its zone
		}
		add(srvAlias(t.Target, cn))
	}
	return out
}

// maxAliasChain bounds how many aliases AliasWarnings follows from one
// name (a loop of CNAMEs must not hang it).
const maxAliasChain = 8

func short(name string) string { return strings.TrimSuffix(name, ".") }
