package publish

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/kmsdns/kmsdns/audit/probe"
	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// HostCheck is what was found about a host before publishing it.
type HostCheck struct {
	Host string
	Port uint16
	// Resolution is what DNS says about the host.
	Resolution resolve.Resolution
	// Probe is the last probe made (zero when the host did not resolve
	// or probing was off).
	Probe probe.Result
	// Probed: the host was probed.
	Probed bool
}

// Live reports whether the host resolved and, when probed, answered as a
// KMS host.
func (h HostCheck) Live() bool {
	return h.Resolution.Status == resolve.Resolved && (!h.Probed || h.Probe.Status == probe.StatusKMS)
}

// Warning says why clients given this host would fail, or "" when Live.
func (h HostCheck) Warning() string {
	host := strings.TrimSuffix(h.Host, ".")
	res := h.Resolution
	switch res.Status {
	case resolve.Resolved:
	case resolve.NotVerified:
		return fmt.Sprintf("could not check that %s resolves: %v", host, res.Err)
	default:
		return fmt.Sprintf("%s does not resolve (%s, asked %s): clients that pick this record fail with 0xC004F074 (no KMS could be contacted)", host, res.Status, res.Via)
	}
	if !h.Probed || h.Probe.Status == probe.StatusKMS {
		return ""
	}
	if h.Probe.Status == probe.StatusCancelled {
		// Ctrl-C, not the host: claim nothing about it.
		return fmt.Sprintf("whether %s answers as a KMS host on port %d is unknown: the check was interrupted", host, h.Port)
	}
	return fmt.Sprintf("%s (%s) does not answer as a KMS host on port %d: %s (%s); clients that pick this record fail with 0x800706BA or 0xC004F074",
		host, h.Probe.Addr.Addr(), h.Port, h.Probe.Status, h.Probe.Detail)
}

// CheckHosts resolves every record's host and, with a prober, probes it
// on the record's port, each address in turn until one answers as a KMS
// host. A host inside a target zone is resolved at that zone's primary,
// others through the resolver, as the audit does (*resolve.TargetResolver
// does both). prober may be nil (--no-probe).
func CheckHosts(ctx context.Context, targets []Primary, recs []Record, res resolve.Resolver, prober resolve.Prober) []HostCheck {
	var out []HostCheck
	for _, rec := range recs {
		if ctx.Err() != nil {
			break
		}
		host := dns.CanonicalName(rec.Target)
		r := &zone.Snapshot{Zone: ".", Source: zone.SourceResolver}
		for _, t := range targets {
			if z := dns.CanonicalName(t.Zone); dns.IsSubDomain(z, host) && t.Server != "" {
				r = &zone.Snapshot{Zone: z, Source: zone.SourceQuery, Server: t.Server}
				break
			}
		}
		hc := HostCheck{Host: host, Port: rec.Port, Resolution: res.Resolve(ctx, r, host)}
		if prober != nil && hc.Resolution.Status == resolve.Resolved {
			hc.Probed = true
			for _, a := range hc.Resolution.Addrs {
				hc.Probe = prober.Probe(ctx, netip.AddrPortFrom(a, rec.Port))
				if hc.Probe.Status == probe.StatusKMS {
					break
				}
			}
		}
		out = append(out, hc)
	}
	return out
}

// Planned returns the records the plans publish (added, replaced or
// already present), one per host and port, in plan order: what to give
// CheckHosts, since a record's port may come from the zone (Record.Keep)
// and differ from zone to zone.
func Planned(plans []*ZonePlan) []Record {
	var out []Record
	for _, p := range plans {
		for _, c := range p.Changes {
			if c.Action == ActionRemoved || c.Action == ActionNotPresent {
				continue
			}
			r := Record{Target: c.Record.Target, Port: c.Record.Port}
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// Heed adds the warnings of checks to every plan that publishes a host,
// on the port checked, that is not live; with refuse (--require-live),
// such a plan is blocked and sends nothing.
func Heed(plans []*ZonePlan, checks []HostCheck, refuse bool) {
	for _, p := range plans {
		var bad []string
		for _, hc := range checks {
			w := hc.Warning()
			if w == "" {
				continue
			}
			for _, c := range p.Changes {
				if c.Record.Target == hc.Host && c.Record.Port == hc.Port && c.Action != ActionRemoved && c.Action != ActionNotPresent {
					p.Warnings = append(p.Warnings, w)
					if h := strings.TrimSuffix(hc.Host, "."); !slices.Contains(bad, h) {
						bad = append(bad, h)
					}
					break
				}
			}
		}
		if refuse && len(bad) > 0 && p.Err == nil {
			p.Blocked, p.Action = true, ActionSkipped
			p.Note = join(p.Note, fmt.Sprintf("--require-live: %s not live, nothing sent", strings.Join(bad, ", ")))
		}
	}
}
