package converge

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/publish"
)

// Apply sends the plan with cleanup.Apply: the backup of every record the
// plan removes or replaces first (opts.BackupPath, synced to disk; a file
// kmsdns publish --from-file restores), then one UPDATE per zone, one zone
// at a time, each read back. A blocked plan (Guard) sends nothing. The
// state file is written when opts.State is set.
func Apply(ctx context.Context, cl *publish.Client, p *Plan, opts cleanup.ApplyOptions) (*cleanup.Outcome, error) {
	cp := &cleanup.Plan{}
	for _, z := range p.Zones {
		cp.Zones = append(cp.Zones, &cleanup.ZonePlan{ZonePlan: z.ZonePlan})
	}
	return cleanup.Apply(ctx, cl, cp, opts)
}

// Drift lists, per managed name of a plan made after an apply, what still
// differs from the desired records ("" for none): the verification that
// the zones converged.
func Drift(p *Plan) []string {
	var out []string
	for _, z := range p.Zones {
		if z.Err != nil {
			out = append(out, fmt.Sprintf("%s: %v", short(z.Zone), z.Err))
			continue
		}
		for _, n := range z.Names {
			for _, c := range n.Changes {
				if c.Action != publish.ActionAlreadyPresent {
					out = append(out, fmt.Sprintf("%s: %s %s", short(n.Owner), c.Action.Planned(), c.Record.String()))
				}
			}
		}
	}
	return out
}

// PublishEntry is the DnsDomainPublishList value of one KMS host.
type PublishEntry struct {
	Host string
	// Entries are "domain,priority,weight", one per client domain the
	// host is desired in, in the order of the zones and names.
	Entries []string
	// Notes say what the host's own registration cannot reproduce: a
	// port (a host registers the port it listens on) or a TTL.
	Notes []string
}

// Value is the REG_MULTI_SZ value as reg.exe takes it (entries separated
// by \0).
func (e PublishEntry) Value() string { return strings.Join(e.Entries, `\0`) }

// Command is the reg.exe command that sets the value on the host (run
// there as an administrator; restart the Software Protection service, or
// wait for the next 24-hour registration).
func (e PublishEntry) Command() string {
	return `reg add "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\SoftwareProtectionPlatform" /v DnsDomainPublishList /t REG_MULTI_SZ /d "` + e.Value() + `" /f`
}

// PublishList returns, for each desired host, the DnsDomainPublishList
// value that makes the host register the same records itself, in the
// order hosts first appear.
func PublishList(zones []Zone) []PublishEntry {
	var out []PublishEntry
	idx := map[string]int{}
	for _, z := range zones {
		for _, n := range z.Names {
			for _, r := range n.Records {
				host := strings.ToLower(strings.TrimSuffix(r.Target, "."))
				i, ok := idx[host]
				if !ok {
					i = len(out)
					idx[host] = i
					out = append(out, PublishEntry{Host: host})
				}
				e := &out[i]
				entry := fmt.Sprintf("%s,%d,%d", short(n.Domain()), r.Priority, r.Weight)
				if !slices.Contains(e.Entries, entry) {
					e.Entries = append(e.Entries, entry)
				}
				if r.Port != publish.DefaultPort {
					note := fmt.Sprintf("%s wants port %d: the host registers the port it listens on (slmgr /sprt %d)", short(n.Domain()), r.Port, r.Port)
					if !slices.Contains(e.Notes, note) {
						e.Notes = append(e.Notes, note)
					}
				}
				if r.TTL != 0 {
					note := fmt.Sprintf("%s wants TTL %d: the host registers with its own TTL", short(n.Domain()), r.TTL)
					if !slices.Contains(e.Notes, note) {
						e.Notes = append(e.Notes, note)
					}
				}
			}
		}
	}
	return out
}
