package resolve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// ViewOptions say how the NS servers of zones are asked.
type ViewOptions struct {
	// Port is used for every server; when empty, the port of the server
	// the zone was read from.
	Port string
	// Resolver (host:port; /etc/resolv.conf when empty) finds the
	// addresses of NS hosts outside the zone.
	Resolver string
	// Timeout bounds each query; 10 s when zero.
	Timeout time.Duration
	// Concurrency is how many zones are viewed at once; 4 when zero.
	Concurrency int
}

// ViewAll asks the NS servers of every zone read from a server (and
// without error) for their serial and KMS records, and puts their answers
// in the zone's Result (Servers, or ServersErr when they could not be
// asked), so that the audit can tell a stale secondary.
func ViewAll(ctx context.Context, results []*zone.Snapshot, opts ViewOptions) {
	var todo []*zone.Snapshot
	for _, r := range results {
		if r != nil && r.Err == nil && r.Server != "" && r.Source != zone.SourceResolver {
			todo = append(todo, r)
		}
	}
	n := opts.Concurrency
	if n <= 0 {
		n = 4
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, r := range todo {
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r.Servers, r.ServersErr = ViewServers(ctx, r, opts)
		}()
	}
	wg.Wait()
}

// ViewServers asks every server of the zone's NS set, as the server that r
// was read from lists it, for its SOA serial and KMS records, so that a
// stale secondary can be told. At most zone.MaxNSHosts hosts are asked.
func ViewServers(ctx context.Context, r *zone.Snapshot, opts ViewOptions) ([]zone.ServerView, error) {
	if r.Server == "" {
		return nil, fmt.Errorf("zone %s: no server to ask for the NS set", r.Zone)
	}
	port := opts.Port
	if port == "" {
		if _, p, err := net.SplitHostPort(r.Server); err == nil {
			port = p
		}
	}
	q := dnsx.Query{Server: r.Server, Timeout: opts.Timeout}
	m, err := q.Ask(ctx, r.Zone, dns.TypeNS)
	if err != nil {
		return nil, fmt.Errorf("zone %s: NS query at %s: %w", r.Zone, r.Server, err)
	}
	var hosts []string
	for _, rr := range m.Answer {
		if ns, ok := rr.(*dns.NS); ok && len(hosts) < zone.MaxNSHosts {
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
	asked, domains, _ := AskedNames(r)
	tr := &TargetResolver{Resolver: opts.Resolver, Timeout: opts.Timeout}
	var views []zone.ServerView
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
			views = append(views, zone.ServerView{Host: h, Err: err})
			continue
		}
		for _, a := range res.Addrs {
			addr := net.JoinHostPort(a.String(), dnsx.Port(port))
			v := zone.ServerView{Host: h, Server: addr}
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
			got, err := zone.Query(ctx, zone.QueryConfig{Zone: r.Zone, Server: addr, Names: domains, Timeout: opts.Timeout})
			if err != nil {
				// The finding names the zone already.
				if inner := errors.Unwrap(err); inner != nil {
					err = inner
				}
				v.Err = err
			} else {
				v.Serial, v.HasSerial, v.Records = got.Serial, got.HasSerial, got.Records
			}
			views = append(views, v)
		}
	}
	return views, nil
}

// MaxAskedNames caps the _vlmcs._tcp names each name server is asked for
// (ViewServers), so that a zone with thousands of KMS names cannot make
// the comparison last for hours.
const MaxAskedNames = 1000

// AskedNames is what ViewServers asks each name server for: the apex and
// configured names, then every _vlmcs._tcp owner name read from the zone,
// at most MaxAskedNames in all. asked holds the KMS owner names, domains
// the same as domains for zone.QueryConfig.Names; capped is true when
// names of the zone were left out.
func AskedNames(r *zone.Snapshot) (asked map[string]bool, domains []string, capped bool) {
	asked = map[string]bool{zone.KMSName(r.Zone): true}
	add := func(domain string) {
		name := zone.KMSName(domain)
		if asked[name] {
			return
		}
		if len(asked) >= MaxAskedNames {
			capped = true
			return
		}
		asked[name] = true
		domains = append(domains, domain)
	}
	for _, n := range r.Names {
		add(zone.Qualify(n, r.Zone))
	}
	var owners []string
	for _, rec := range r.Records {
		if zone.IsKMSName(rec.Name) && dns.IsSubDomain(r.Zone, rec.Name) {
			owners = append(owners, rec.Name)
		}
	}
	slices.Sort(owners)
	for _, o := range owners {
		add(dns.CanonicalName(o[len(zone.KMSService):]))
	}
	return asked, domains, capped
}
