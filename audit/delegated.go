package audit

import (
	"strings"

	"github.com/kmsdns/kmsdns/zone"
)

// CheckBelowDelegation is the id of the finding for a KMS record the zone
// holds at or below one of its delegations (a zone cut): occluded data
// that the server never serves, read and dropped (zone.WarnBelowCut).
const CheckBelowDelegation = "below-delegation"

// belowDelegation reports the records dropped because they are below a
// delegation of the zone. They were not audited: clients of the delegated
// name see the child zone's records.
func belowDelegation(r *zone.Snapshot) []Finding {
	var out []Finding
	for _, w := range r.Warnings {
		if w.Kind != zone.WarnBelowCut {
			continue
		}
		f := Finding{
			Check: CheckBelowDelegation, Severity: SeverityWarning, Zone: r.Zone, Name: w.Record.Name,
			Target: w.Record.Target, Port: w.Record.Port, Message: w.String(),
			Fix: "Findings below the delegations past the cap may belong to the delegated zones: audit those zones themselves.",
		}
		switch {
		case w.Cut != "" && w.Record.Target == "":
			// An extra name configured for the zone.
			f.Fix = "Audit zone " + strings.TrimSuffix(w.Cut, ".") + " instead, and take the name out of the names configured for zone " +
				strings.TrimSuffix(r.Zone, ".") + ": clients with that DNS suffix see the delegated zone."
		case w.Cut != "":
			f.Fix = "Audit zone " + strings.TrimSuffix(w.Cut, ".") + " instead: its records are what clients there see. The copy in zone " +
				strings.TrimSuffix(r.Zone, ".") + " is stale data no client sees: delete it from that zone with nsupdate or the DNS console if you like, not with kmsdns publish or unpublish --name (they would change the parent zone)."
		}
		out = append(out, f)
	}
	return out
}
