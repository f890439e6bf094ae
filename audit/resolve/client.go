package resolve

import (
	"context"
	"fmt"
	"time"

	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// ClientView asks the resolver (host:port; /etc/resolv.conf when empty)
// for _vlmcs._tcp.<domain> SRV exactly as a KMS client whose DNS suffix is
// domain does. NXDOMAIN and an empty answer give a Result without records;
// its Source is zone.SourceResolver.
func ClientView(ctx context.Context, resolver, domain string, timeout time.Duration) *zone.Snapshot {
	domain = dns.CanonicalName(domain)
	res := &zone.Snapshot{Zone: domain, Source: zone.SourceResolver}
	addr, err := dnsx.ResolverAddr(resolver)
	if err != nil {
		res.Err = fmt.Errorf("domain %s: %w", domain, err)
		return res
	}
	res.Server = addr
	name := zone.KMSName(domain)
	a, err := dnsx.Query{Server: addr, Timeout: timeout, Recursive: true}.Ask(ctx, name, dns.TypeSRV)
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
		res.Err = fmt.Errorf("domain %s: %s SRV at resolver %s: %w", domain, name, addr, &zone.RcodeError{Rcode: a.Rcode})
		return res
	}
	for _, rr := range a.Answer {
		if srv, ok := rr.(*dns.SRV); ok && zone.IsKMSName(srv.Hdr.Name) {
			res.Records = append(res.Records, zone.RecordFromSRV(domain, srv))
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
	addr, err := dnsx.ResolverAddr(resolver)
	if err != nil {
		return "", fmt.Errorf("zone of %s: %w", name, err)
	}
	a, err := dnsx.Query{Server: addr, Timeout: timeout, Recursive: true}.Ask(ctx, name, dns.TypeSOA)
	if err != nil {
		return "", fmt.Errorf("zone of %s: SOA at resolver %s: %w", name, addr, err)
	}
	for _, rr := range append(a.Answer, a.Ns...) {
		if soa, ok := rr.(*dns.SOA); ok && dns.IsSubDomain(dns.CanonicalName(soa.Hdr.Name), name) {
			return dns.CanonicalName(soa.Hdr.Name), nil
		}
	}
	return "", fmt.Errorf("zone of %s: resolver %s gave no SOA (rcode %s)", name, addr, dnsx.RcodeName(a.Rcode))
}
