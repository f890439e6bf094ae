package audit

import (
	"fmt"
	"time"

	"github.com/kmsdns/kmsdns/zone"
)

// CheckReappeared is the id of the finding for a record that cleanup
// removed and that is back.
const CheckReappeared = "reappeared"

// Removed is a record that kmsdns cleanup removed, as its state file keeps
// it. The audit takes these as plain data (Options.Removed); package
// cleanup reads and writes the file.
type Removed struct {
	Zone      string    `json:"zone"`
	Name      string    `json:"name"`
	TTL       uint32    `json:"ttl"`
	Priority  uint16    `json:"priority"`
	Weight    uint16    `json:"weight"`
	Port      uint16    `json:"port"`
	Target    string    `json:"target"`
	Server    string    `json:"server,omitempty"`
	RemovedAt time.Time `json:"removed_at"`
	// Pending is set while the UPDATE removing the record is in flight,
	// or when it was interrupted and nobody could tell whether the server
	// applied it. A pending record that is present is not reported as
	// reappeared: it may never have been removed.
	Pending bool `json:"pending,omitempty"`
}

// Same reports whether rec is the record that was removed (zone, owner
// and RDATA; not TTL).
func (r Removed) Same(rec zone.Record) bool {
	return r.Zone == rec.Zone && r.Name == rec.Name && r.Target == rec.Target && r.Port == rec.Port &&
		r.Priority == rec.Priority && r.Weight == rec.Weight
}

// reappeared reports records that cleanup removed and that are back.
func reappeared(r *zone.Snapshot, removed []Removed) []Finding {
	var out []Finding
	for i := range r.Records {
		rec := &r.Records[i]
		for _, rm := range removed {
			if rm.Pending || !rm.Same(*rec) {
				continue
			}
			host := short(rec.Target)
			cmd := Command{"kmsdns", "cleanup", "--zone", short(r.Zone), "--host", host}
			out = append(out, Finding{
				Check: CheckReappeared, Severity: SeverityWarning, Zone: r.Zone, Name: rec.Name, Target: rec.Target, Port: rec.Port,
				Message: fmt.Sprintf("kmsdns cleanup removed this record on %s and it is back: %s still registers itself",
					rm.RemovedAt.UTC().Format("2006-01-02 15:04 MST"), host),
				ClientErrors: []string{errRPCUnavail, errNoKMS},
				Fix: fmt.Sprintf("Turn off DNS publishing on %s (slmgr /cdns, or DisableDnsPublishing = 1) or retire its KMS host key, then run %s again.",
					host, cmd),
				Command: cmd,
				Record:  rec,
			})
			break
		}
	}
	return out
}

// linkRecords sets Record on the findings of zone r that are about one of
// its records and do not refer to it yet, in linear time. Checks that know
// their record set it themselves.
func linkRecords(r *zone.Snapshot, fs []Finding) {
	type key struct {
		name, target string
		port         uint16
	}
	var byKey map[key]*zone.Record
	for i := range fs {
		f := &fs[i]
		if f.Record != nil || f.Name == "" || f.Target == "" {
			continue
		}
		if byKey == nil {
			byKey = make(map[key]*zone.Record, len(r.Records))
			for j := range r.Records {
				rec := &r.Records[j]
				k := key{rec.Name, rec.Target, rec.Port}
				if byKey[k] == nil {
					byKey[k] = rec
				}
			}
		}
		f.Record = byKey[key{f.Name, f.Target, f.Port}]
	}
}
