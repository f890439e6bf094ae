package cleanup

import (
	"context"
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
