package zone

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/miekg/dns"
)

// QueryConfig describes a read by direct queries, for servers that refuse
// zone transfers (Windows DNS does by default).
type QueryConfig struct {
	// Zone whose apex _vlmcs._tcp name is asked for.
	Zone string
	// Server is host:port of the server to ask.
	Server string
	// Names are further domains to ask for (_vlmcs._tcp.<name>): the DNS
	// suffixes clients in sub-domains use. A name without a trailing dot
	// is taken relative to the zone unless it already ends in the zone.
	Names []string
	// Timeout for each query; 10 s when zero.
	Timeout time.Duration
	// MaxRecords caps the distinct KMS records kept; DefaultMaxRecords
	// when zero.
	MaxRecords int
}

// Qualify makes name absolute: "emea" in contoso.com is
// emea.contoso.com.; "emea.contoso.com" and "emea.contoso.com." stay
// as they are. The result is lower-cased.
func Qualify(name, zone string) string {
	zone = dns.CanonicalName(zone)
	name = strings.ToLower(strings.TrimSpace(name))
	switch {
	case name == "" || name == "@":
		return zone
	case dns.IsFqdn(name):
		return name
	case dns.IsSubDomain(zone, name+"."):
		return name + "."
	}
	return name + "." + zone
}

// ErrOutOfZone: an extra name is not inside the zone.
var ErrOutOfZone = errors.New("outside the zone")

// CheckNames checks that every extra name (as Qualify reads it) is the
// zone or inside it.
func CheckNames(zone string, names []string) error {
	zone = dns.CanonicalName(zone)
	for _, n := range names {
		if q := Qualify(n, zone); !dns.IsSubDomain(zone, q) {
			return fmt.Errorf("name %q: %s is %w %s", n, q, ErrOutOfZone, zone)
		}
	}
	return nil
}

// Query reads the zone's SOA serial and the KMS SRV records at the apex and
// at each extra name by asking the server directly. Records in the answers
// whose owner is outside the zone are ignored with a Warning; exact
// duplicates are dropped.
func Query(ctx context.Context, cfg QueryConfig) (*Snapshot, error) {
	res, err := queryZone(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("zone %s: %w", dns.CanonicalName(cfg.Zone), err)
	}
	return res, nil
}

// queryZone is Query with errors that do not name the zone.
func queryZone(ctx context.Context, cfg QueryConfig) (*Snapshot, error) {
	zone := dns.CanonicalName(cfg.Zone)
	if err := CheckNames(zone, cfg.Names); err != nil {
		return nil, err
	}
	res := &Snapshot{Zone: zone, Source: SourceQuery, Server: cfg.Server}
	keep := newCollector(res, cfg.MaxRecords)
	res.cuts = *newCutSet(zone)
	q := dnsx.Query{Server: cfg.Server, Timeout: cfg.Timeout}

	soa, err := q.Ask(ctx, zone, dns.TypeSOA)
	if err != nil {
		return nil, fmt.Errorf("query SOA at %s: %w", cfg.Server, err)
	}
	if soa.Rcode == dns.RcodeNameError {
		return nil, fmt.Errorf("query SOA at %s: %w: NXDOMAIN, the server does not serve this zone", cfg.Server, ErrNotAuthoritative)
	}
	for _, rr := range soa.Answer {
		if s, ok := rr.(*dns.SOA); ok && dns.CanonicalName(s.Hdr.Name) == zone {
			res.Serial, res.HasSerial = s.Serial, true
		}
	}
	if !soa.Authoritative || !res.HasSerial {
		return nil, fmt.Errorf("query SOA at %s: %w", cfg.Server, ErrNotAuthoritative)
	}

	seen := map[string]bool{}
	for _, n := range append([]string{zone}, cfg.Names...) {
		name := KMSName(Qualify(n, zone))
		if seen[name] {
			continue
		}
		seen[name] = true
		m, err := q.Ask(ctx, name, dns.TypeSRV)
		if err != nil {
			return nil, fmt.Errorf("query %s SRV at %s: %w", name, cfg.Server, err)
		}
		if m.Rcode != dns.RcodeSuccess && m.Rcode != dns.RcodeNameError {
			return nil, fmt.Errorf("query %s SRV at %s: %w", name, cfg.Server, &RcodeError{Rcode: m.Rcode})
		}
		if !m.Authoritative {
			// A referral: the name is below a delegation of the zone.
			for _, rr := range m.Ns {
				if ns, ok := rr.(*dns.NS); ok {
					res.cuts.add(ns.Hdr.Name)
				}
			}
		}
		for _, rr := range m.Answer {
			if srv, ok := rr.(*dns.SRV); ok && IsKMSName(srv.Hdr.Name) {
				if err := keep.add(recordFromSRV(zone, srv)); err != nil {
					return nil, fmt.Errorf("query %s SRV at %s: %w", name, cfg.Server, err)
				}
			}
		}
	}
	keep.finish()
	res.cuts.apply(res)
	return res, nil
}

// ErrNotAuthoritative: the server does not answer authoritatively for the zone.
var ErrNotAuthoritative = errors.New("server is not authoritative for the zone")

// SourceResolver marks a Snapshot read through a recursive resolver, as a
// KMS client reads it (kmsdns check, resolve.ClientView).
const SourceResolver Source = "resolver"
