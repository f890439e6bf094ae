package zone

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

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
	// Timeout for each query; DefaultTimeout when zero.
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
func Query(ctx context.Context, cfg QueryConfig) (*Result, error) {
	res, err := queryZone(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("zone %s: %w", dns.CanonicalName(cfg.Zone), err)
	}
	return res, nil
}

// queryZone is Query with errors that do not name the zone.
func queryZone(ctx context.Context, cfg QueryConfig) (*Result, error) {
	zone := dns.CanonicalName(cfg.Zone)
	if err := CheckNames(zone, cfg.Names); err != nil {
		return nil, err
	}
	res := &Result{Zone: zone, Source: SourceQuery, Server: cfg.Server}
	keep := newCollector(res, cfg.MaxRecords)
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	q := querier{server: cfg.Server, timeout: timeout}

	soa, err := q.ask(ctx, zone, dns.TypeSOA)
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
		m, err := q.ask(ctx, name, dns.TypeSRV)
		if err != nil {
			return nil, fmt.Errorf("query %s SRV at %s: %w", name, cfg.Server, err)
		}
		if m.Rcode != dns.RcodeSuccess && m.Rcode != dns.RcodeNameError {
			return nil, fmt.Errorf("query %s SRV at %s: %w", name, cfg.Server, &RcodeError{Rcode: m.Rcode})
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
	return res, nil
}

// ErrNotAuthoritative: the server does not answer authoritatively for the zone.
var ErrNotAuthoritative = errors.New("server is not authoritative for the zone")

// querier sends single queries over UDP, retrying over TCP when truncated.
type querier struct {
	server  string
	timeout time.Duration
}

func (q querier) ask(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	return exchange(ctx, q.server, name, qtype, false, q.timeout)
}

// exchange asks server one question over UDP, and again over TCP when the
// answer is truncated. recursive sets RD.
func exchange(ctx context.Context, server, name string, qtype uint16, recursive bool, timeout time.Duration) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = recursive
	m.SetEdns0(1232, false)
	c := &dns.Client{Timeout: timeout, UDPSize: 1232}
	r, _, err := c.ExchangeContext(ctx, m, server)
	if err == nil && r.Truncated {
		c.Net = "tcp"
		r, _, err = c.ExchangeContext(ctx, m, server)
	}
	if err != nil {
		return nil, ctxOr(ctx, netError(err))
	}
	return r, nil
}

// SourceResolver marks a Result read through a recursive resolver, as a
// KMS client reads it (kmsdns check).
const SourceResolver Source = "resolver"

// ClientView asks the resolver (host:port; /etc/resolv.conf when empty)
// for _vlmcs._tcp.<domain> SRV exactly as a KMS client whose DNS suffix is
// domain does. NXDOMAIN and an empty answer give a Result without records.
func ClientView(ctx context.Context, resolver, domain string, timeout time.Duration) *Result {
	domain = dns.CanonicalName(domain)
	res := &Result{Zone: domain, Source: SourceResolver}
	tr := &TargetResolver{Resolver: resolver}
	addr, err := tr.resolverAddr()
	if err != nil {
		res.Err = fmt.Errorf("domain %s: %w", domain, err)
		return res
	}
	res.Server = addr
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	name := KMSName(domain)
	a, err := exchange(ctx, addr, name, dns.TypeSRV, true, timeout)
	if err != nil {
		res.Err = fmt.Errorf("domain %s: %s SRV at resolver %s: %w", domain, name, addr, err)
		return res
	}
	switch a.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		res.Note = "NXDOMAIN: " + name + " does not exist"
		return res
	default:
		res.Err = fmt.Errorf("domain %s: %s SRV at resolver %s: %w", domain, name, addr, &RcodeError{Rcode: a.Rcode})
		return res
	}
	for _, rr := range a.Answer {
		if srv, ok := rr.(*dns.SRV); ok && IsKMSName(srv.Hdr.Name) {
			res.Records = append(res.Records, recordFromSRV(domain, srv))
		}
	}
	if len(res.Records) == 0 {
		res.Note = "no SRV records at " + name
	}
	return res
}

// ContainingZone asks the resolver (host:port; /etc/resolv.conf when
// empty) which zone holds name: the owner of the SOA record in the answer
// (name is an apex) or the authority section of a SOA query for name.
func ContainingZone(ctx context.Context, resolver, name string, timeout time.Duration) (string, error) {
	name = dns.CanonicalName(name)
	tr := &TargetResolver{Resolver: resolver}
	addr, err := tr.resolverAddr()
	if err != nil {
		return "", fmt.Errorf("zone of %s: %w", name, err)
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	a, err := exchange(ctx, addr, name, dns.TypeSOA, true, timeout)
	if err != nil {
		return "", fmt.Errorf("zone of %s: SOA at resolver %s: %w", name, addr, err)
	}
	for _, rr := range append(a.Answer, a.Ns...) {
		if soa, ok := rr.(*dns.SOA); ok && dns.IsSubDomain(dns.CanonicalName(soa.Hdr.Name), name) {
			return dns.CanonicalName(soa.Hdr.Name), nil
		}
	}
	return "", fmt.Errorf("zone of %s: resolver %s gave no SOA (rcode %s)", name, addr, dns.RcodeToString[a.Rcode])
}
