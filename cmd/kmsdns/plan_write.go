package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/kmsdns/kmsdns/internal/config"
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
	src, err := os.ReadFile(a.configFile)
	if err != nil {
		return usageError("plan: %v", err)
	}
	file, err := config.Load(a.configFile)
	if err != nil {
		return &codeError{code: exitUsage, err: err}
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
	for i, r := range results {
		if r.Err != nil {
			return &codeError{code: exitErrors, err: fmt.Errorf("plan: --write-desired: zone %s could not be read: %w (nothing printed)", short(zones[i]), r.Err)}
		}
		var dropped []string
		out[r.Zone], dropped = desiredNow(r, managed[zones[i]])
		for _, d := range dropped {
			e.warn(d)
		}
	}
	b, err := config.WriteDesired(src, a.configFile, out)
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
// printed config then removes the others.
func desiredNow(r *zone.Snapshot, managed []config.DesiredName) (out []config.DesiredName, dropped []string) {
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
		add(m.Owner)
	}
	for _, rec := range r.Records {
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
	return out, dropped
}
