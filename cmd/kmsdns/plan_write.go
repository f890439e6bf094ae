package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kmsdns/kmsdns/internal/config"
	"github.com/kmsdns/kmsdns/internal/regfile"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/urfave/cli/v2"
)

// runWriteDesired prints the config with every zone's desired: section
// set to the KMS records the zone holds now, read as audit reads them.
func runWriteDesired(c *cli.Context, e env, a convergeArgs) error {
	if a.output != "table" {
		return usageError("plan: --write-desired prints YAML; it takes no --output")
	}
	if a.configFile == "" {
		return usageError("plan: --write-desired needs --config (it prints that file with desired: filled in)")
	}
	file, err := config.Load(a.configFile) // refuses a FIFO or device, caps the size
	if err != nil {
		return &codeError{code: exitUsage, err: err}
	}
	src, err := regfile.ReadFile(a.configFile, config.MaxFileSize)
	if err != nil {
		return usageError("plan: config: %v", err)
	}
	managed := map[string][]config.DesiredName{}
	if dz, err := file.DesiredZones(); err == nil {
		for _, d := range dz {
			managed[d.Zone.Name] = d.Names
		}
	} else if !errors.Is(err, config.ErrNoDesired) {
		return &codeError{code: exitUsage, err: err}
	}
	var zones []string
	for _, z := range file.Zones {
		if z.Name != "" && len(z.Files) == 0 && (len(a.zones.Value()) == 0 || slices.ContainsFunc(a.zones.Value(), func(s string) bool { return strings.EqualFold(short(s), short(z.Name)) })) {
			zones = append(zones, z.Name)
		}
	}
	if len(zones) == 0 {
		return usageError("plan: --write-desired: no zone on a server in %s", a.configFile)
	}
	rp, err := config.Merge(file, config.Flags{Zones: zones, Resolver: a.resolver, Timeout: a.timeout})
	if err != nil {
		return &codeError{code: exitUsage, err: err}
	}
	for _, w := range rp.Warnings {
		e.warn(w)
	}
	for i := range rp.Specs {
		for _, n := range managed[zones[i]] {
			if n.Name != "@" {
				rp.Specs[i].Names = append(rp.Specs[i].Names, n.Name)
			}
		}
	}
	results := zone.ReadAll(c.Context, rp.Specs, rp.Options)
	out := map[string][]config.DesiredName{}
	notes := map[string][]string{}
	for i, r := range results {
		if r.Err != nil {
			return &codeError{code: exitErrors, err: fmt.Errorf("plan: --write-desired: zone %s could not be read: %w (nothing printed)", short(zones[i]), r.Err)}
		}
		var dropped []string
		out[r.Zone], notes[r.Zone], dropped = desiredNow(r, managed[zones[i]])
		for _, d := range slices.Concat(notes[r.Zone], dropped) {
			e.warn(d)
		}
	}
	b, err := config.WriteDesiredNotes(src, a.configFile, out, notes)
	if err != nil {
		return &codeError{code: exitErrors, err: err}
	}
	_, err = e.stdout.Write(b)
	return err
}

// desiredNow is the desired: section of the records a zone holds: for a
// zone with a desired state, its managed names only; for the others,
// every name with KMS records. A host with several records at one name
// (other ports) keeps its first: dropped says so, since the plan of the
// printed config then removes the others. A name that holds "." (RFC
// 2782: no KMS service here) cannot be said in desired: (a host list,
// and an empty one makes the plan unsafe): it is left out, unmanaged, and
// notes says so.
func desiredNow(r *zone.Snapshot, managed []config.DesiredName) (out []config.DesiredName, notes, dropped []string) {
	none := map[string]bool{} // names holding "."
	for _, rec := range r.Records {
		if rec.Target == "." || rec.Target == "" {
			none[rec.Name] = true
		}
	}
	index := map[string]int{}
	add := func(owner string) int {
		if i, ok := index[owner]; ok {
			return i
		}
		domain := strings.TrimPrefix(owner, zone.KMSService)
		name := "@"
		if domain != r.Zone {
			name = strings.TrimSuffix(domain, "."+r.Zone)
		}
		index[owner] = len(out)
		out = append(out, config.DesiredName{Name: name, Domain: domain, Owner: owner})
		return len(out) - 1
	}
	for _, m := range managed {
		if !none[m.Owner] {
			add(m.Owner)
		}
	}
	for owner := range none {
		if len(managed) == 0 || slices.ContainsFunc(managed, func(m config.DesiredName) bool { return m.Owner == owner }) {
			notes = append(notes, fmt.Sprintf("%s holds \".\" (no KMS service here), which desired: cannot list: left out, not managed", short(owner)))
		}
	}
	slices.Sort(notes)
	for _, rec := range r.Records {
		if none[rec.Name] {
			continue
		}
		i, ok := index[rec.Name]
		if !ok {
			if len(managed) > 0 {
				continue // not managed: left out
			}
			i = add(rec.Name)
		}
		if j := slices.IndexFunc(out[i].Hosts, func(h config.DesiredHost) bool { return h.Host == rec.Target }); j >= 0 {
			// The same host twice (another port): desired: holds one
			// record per host.
			dropped = append(dropped, fmt.Sprintf("%s holds %s on ports %d and %d: desired: keeps port %d (one record per host), so kmsdns plan on the printed config would remove the other",
				short(rec.Name), short(rec.Target), out[i].Hosts[j].Port, rec.Port, out[i].Hosts[j].Port))
			continue
		}
		out[i].Hosts = append(out[i].Hosts, config.DesiredHost{Host: rec.Target, Port: rec.Port, Priority: rec.Priority, Weight: rec.Weight, TTL: rec.TTL})
	}
	return out, notes, dropped
}
