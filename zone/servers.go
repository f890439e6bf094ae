package zone

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// ServerView is what one of the zone's authoritative servers answers:
// its SOA serial and its _vlmcs._tcp records at the apex and extra names.
type ServerView struct {
	// Host is the NS host name; Server the address asked (ip:port).
	Host, Server string
	Serial       uint32
	HasSerial    bool
	Records      []Record
	// Err is set when the server gave no usable answer.
	Err error
}

// MaxNSHosts is how many NS hosts of a zone are tried (discovery) or
// asked (ViewServers), so that a zone listing thousands of unreachable
// name servers cannot make a read last for hours. Real zones have a few.
const MaxNSHosts = 16

// ViewServers asks every server of the zone's NS set, as the server that r
// was read from lists it, for its SOA serial and KMS records, so that a
// stale secondary can be told. port is used for every server (53 when
// empty: the port of the server r was read from); resolver (host:port, may be empty for /etc/resolv.conf) finds
// the addresses of NS hosts outside the zone.
func ViewServers(ctx context.Context, r *Result, port, resolver string, timeout time.Duration) ([]ServerView, error) {
	if r.Server == "" {
		return nil, fmt.Errorf("zone %s: no server to ask for the NS set", r.Zone)
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if port == "" {
		if _, p, err := net.SplitHostPort(r.Server); err == nil {
			port = p
		}
	}
	q := querier{server: r.Server, timeout: timeout}
	m, err := q.ask(ctx, r.Zone, dns.TypeNS)
	if err != nil {
		return nil, fmt.Errorf("zone %s: NS query at %s: %w", r.Zone, r.Server, err)
	}
	var hosts []string
	for _, rr := range m.Answer {
		if ns, ok := rr.(*dns.NS); ok && len(hosts) < MaxNSHosts {
			hosts = append(hosts, dns.CanonicalName(ns.Ns))
		}
	}
	if len(hosts) == 0 {
		return nil, fmt.Errorf("zone %s: %s lists no NS records", r.Zone, r.Server)
	}
	// Addresses of in-zone NS hosts come as glue with the answer.
	glue := map[string][]netip.Addr{}
	for _, rr := range m.Extra {
		switch a := rr.(type) {
		case *dns.A:
			glue[dns.CanonicalName(a.Hdr.Name)] = appendAddr(glue[dns.CanonicalName(a.Hdr.Name)], a.A)
		case *dns.AAAA:
			glue[dns.CanonicalName(a.Hdr.Name)] = appendAddr(glue[dns.CanonicalName(a.Hdr.Name)], a.AAAA)
		}
	}
	asked := map[string]bool{KMSName(r.Zone): true}
	for _, n := range r.Names {
		asked[KMSName(Qualify(n, r.Zone))] = true
	}
	tr := &TargetResolver{Resolver: resolver, Timeout: timeout}
	var views []ServerView
	for _, h := range hosts {
		res := Resolution{Target: h, Status: Resolved, Addrs: glue[h]}
		if len(res.Addrs) == 0 {
			res = tr.Resolve(ctx, r, h)
		}
		if len(res.Addrs) == 0 {
			err := res.Err
			if err == nil {
				err = fmt.Errorf("NS host %s has no address (%s)", h, res.Status)
			}
			views = append(views, ServerView{Host: h, Err: err})
			continue
		}
		for _, a := range res.Addrs {
			addr := net.JoinHostPort(a.String(), portOr(port))
			v := ServerView{Host: h, Server: addr}
			if addr == r.Server {
				// The server the zone was read from: its view is what was read.
				v.Serial, v.HasSerial = r.Serial, r.HasSerial
				for _, rec := range r.Records {
					if asked[rec.Name] {
						v.Records = append(v.Records, rec)
					}
				}
				views = append(views, v)
				continue
			}
			got, err := queryZone(ctx, QueryConfig{Zone: r.Zone, Server: addr, Names: r.Names, Timeout: timeout})
			if err != nil {
				v.Err = err
			} else {
				v.Serial, v.HasSerial, v.Records = got.Serial, got.HasSerial, got.Records
			}
			views = append(views, v)
		}
	}
	return views, nil
}
