package cleanup

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kmsdns/kmsdns/publish"
	"github.com/kmsdns/kmsdns/zone"
)

// PlanRestore plans putting back the records of a cleanup backup
// (kmsdns publish --from-file): in each zone of the backup, on the primary
// its target names (the backup's server when it names none), every
// backed-up record the zone lacks now is added; nothing is ever removed.
// A restored record keeps its TTL from the backup; an RRset has one TTL
// (RFC 2181 §5.2), so restoring it beside records with another TTL changes
// theirs too, and the plan's Note says so (ttlNote), as cleanup
// --replace-with and publish do.
func PlanRestore(ctx context.Context, cl *publish.Client, b *publish.Backup, targets []publish.Primary) []*publish.ZonePlan {
	plans := cl.PlanRestoreFrom(ctx, b, targets)
	for _, p := range plans {
		var notes []string
		var owners []string
		for _, a := range p.Add {
			if !slices.Contains(owners, a.Name) {
				owners = append(owners, a.Name)
			}
		}
		for _, a := range p.Add {
			// An apply backup holds the records apply replaced: the host
			// may be back at the name with other values by now.
			for _, c := range p.Current[a.Name] {
				if strings.EqualFold(strings.TrimSuffix(c.Target, "."), strings.TrimSuffix(a.Target, ".")) {
					notes = append(notes, fmt.Sprintf("%s: %s already has a record here (port %d, priority %d, weight %d): restoring adds a second (port %d, priority %d, weight %d); remove the one you do not want",
						short(a.Name), short(a.Target), c.Port, c.Priority, c.Weight, a.Port, a.Priority, a.Weight))
					break
				}
			}
		}
		for _, owner := range owners {
			// The set ends with the TTL of the last record added to it.
			var last zone.Record
			for _, a := range p.Add {
				if a.Name == owner {
					last = a
				}
			}
			n, from := 0, uint32(0)
			for _, c := range p.Current[owner] {
				if c.TTL != last.TTL {
					n, from = n+1, c.TTL
				}
			}
			if n > 0 {
				notes = append(notes, ttlNote(owner, "restoring", last.Target, last.TTL, n, from))
			}
		}
		if len(notes) > 0 {
			p.Note = strings.Join(append([]string{p.Note}, notes...), "; ")
		}
	}
	return plans
}
