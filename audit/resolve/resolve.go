// Package resolve is the network side of an audit: what DNS says about
// the hosts KMS records name (TargetResolver), what each name server of a
// zone holds (ViewServers), and what a KMS client sees through its
// resolver (ClientView). Package zone gets the records; this package
// looks at what they point to. The audit and publish's host checks take a
// Resolver and a Prober, declared here once.
package resolve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/kmsdns/kmsdns/audit/probe"
	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// Resolver looks up SRV targets; *TargetResolver is one.
type Resolver interface {
	Resolve(ctx context.Context, r *zone.Snapshot, target string) Resolution
}

// Prober checks whether a KMS service answers at an address; probe.Prober
// is one.
type Prober interface {
	Probe(ctx context.Context, addr netip.AddrPort) probe.Result
}

var (
	_ Resolver = (*TargetResolver)(nil)
	_ Prober   = probe.Prober{}
)

// ResolveStatus says what DNS knows about an SRV target.
type ResolveStatus string

// Resolution outcomes.
const (
	// Resolved: the target has address records.
	Resolved ResolveStatus = "resolved"
	// NXDomain: the target name does not exist.
	NXDomain ResolveStatus = "nxdomain"
	// NoAddress: the name exists but has no A or AAAA records.
	NoAddress ResolveStatus = "no-address"
	// NotVerified: the target could not be looked up (offline, or the
	// lookup failed); Err says why.
	NotVerified ResolveStatus = "not-verified"
)

// Resolution is what DNS says about one SRV target.
type Resolution struct {
	Target string
	Status ResolveStatus
	// CNAME is set when the target is an alias: the name it points to
	// (the end of the chain).
	CNAME string
	// Addrs are the addresses found (after following any alias).
	Addrs []netip.Addr
	// Via says where the answer came from: "zone file X", "server
	// 127.0.0.1:53", "resolver 127.0.0.53:53".
	Via string
	// TTL is the smallest TTL of the address records found (how long a
	// resolver may keep handing them out); 0 when unknown. For NXDomain
	// and NoAddress it is the negative-caching TTL of the answer (RFC
	// 2308: the smaller of its SOA's TTL and SOA minimum).
	TTL uint32
	// NegativeSOA is the owner of the SOA in an NXDomain or NoAddress
	// answer: the zone that says the name has no address.
	NegativeSOA string
	// Err explains NotVerified.
	Err error
}

// TargetResolver resolves SRV targets the way an audit needs: names
// inside the zone at the zone's own source (its server, or its zone files),
// other names through a resolver. It is safe for concurrent use.
type TargetResolver struct {
	// Resolver is host:port of the recursive resolver for out-of-zone
	// names; the first nameserver of /etc/resolv.conf when empty.
	Resolver string
	// Offline: nothing is sent on the network; out-of-zone targets of
	// zone files and every target of a network zone are NotVerified.
	Offline bool
	// Timeout per query; 10 s when zero.
	Timeout time.Duration

	mu    sync.Mutex
	files map[string]*fileIndex // by zone
}

// ErrNotVerified is the Err of a NotVerified resolution made offline.
var ErrNotVerified = errors.New("--offline sends no queries")

// Resolve looks up target for the zone read into r.
func (tr *TargetResolver) Resolve(ctx context.Context, r *zone.Snapshot, target string) Resolution {
	target = dns.CanonicalName(target)
	inZone := dns.IsSubDomain(r.Zone, target)
	switch {
	case r.Source == zone.SourceResolver:
		// A client's view: everything through the resolver.
		if tr.Offline {
			return Resolution{Target: target, Status: NotVerified, Err: ErrNotVerified}
		}
	case inZone && r.Source == zone.SourceFile:
		return tr.resolveInFiles(ctx, r, target)
	case tr.Offline:
		return Resolution{Target: target, Status: NotVerified, Err: ErrNotVerified}
	case inZone && r.Server != "":
		res := tr.resolveAt(ctx, r.Server, false, target)
		if res.Status != NotVerified || !errors.Is(res.Err, errNotAuthoritativeHere) {
			return res
		}
		// Delegated to a child zone: ask the resolver.
	}
	resolver, err := tr.resolverAddr()
	if err != nil {
		return Resolution{Target: target, Status: NotVerified, Err: err}
	}
	return tr.resolveAt(ctx, resolver, true, target)
}

func (tr *TargetResolver) resolverAddr() (string, error) {
	return dnsx.ResolverAddr(tr.Resolver)
}

var errNotAuthoritativeHere = errors.New("the zone's server does not answer for this name authoritatively")

// resolveAt asks server for A and AAAA of target, following CNAMEs in the
// answer. recursive sets RD (a resolver); otherwise answers must be
// authoritative.
func (tr *TargetResolver) resolveAt(ctx context.Context, server string, recursive bool, target string) Resolution {
	q := dnsx.Query{Server: server, Timeout: tr.Timeout, Recursive: recursive}
	kind := "server"
	if recursive {
		kind = "resolver"
	}
	res := Resolution{Target: target, Via: kind + " " + server}
	exists := false
	nx := false
	var neg negativeAnswer
	for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
		a, err := q.Ask(ctx, target, qt)
		if err != nil {
			res.Status, res.Err = NotVerified, fmt.Errorf("%s %s at %s: %w", target, dns.TypeToString[qt], server, err)
			return res
		}
		if !recursive && !a.Authoritative {
			res.Status, res.Err = NotVerified, errNotAuthoritativeHere
			return res
		}
		switch a.Rcode {
		case dns.RcodeSuccess:
		case dns.RcodeNameError:
			// With a CNAME in the answer NXDOMAIN is about the alias's target.
			if len(a.Answer) == 0 {
				nx = true
				neg.note(a)
				continue
			}
		default:
			res.Status, res.Err = NotVerified, fmt.Errorf("%s %s at %s: %w", target, dns.TypeToString[qt], server, &zone.RcodeError{Rcode: a.Rcode})
			return res
		}
		exists = true
		if len(a.Answer) == 0 {
			neg.note(a)
		}
		name := target
		for _, rr := range a.Answer {
			if !strings.EqualFold(rr.Header().Name, name) {
				continue
			}
			switch v := rr.(type) {
			case *dns.CNAME:
				name = dns.CanonicalName(v.Target)
				res.CNAME = name
			case *dns.A:
				res.Addrs = appendAddr(res.Addrs, v.A)
				res.TTL = minTTL(res.TTL, v.Hdr.Ttl)
			case *dns.AAAA:
				res.Addrs = appendAddr(res.Addrs, v.AAAA)
				res.TTL = minTTL(res.TTL, v.Hdr.Ttl)
			}
		}
	}
	if res.CNAME != "" && len(res.Addrs) == 0 && !recursive {
		// An authoritative server follows aliases only inside its own
		// data: the alias's target is the resolver's to find.
		ext := tr.resolveOutside(ctx, res.CNAME)
		res.Addrs, res.Via = ext.Addrs, res.Via+"; "+ext.Via
		if ext.Status == NotVerified {
			res.Status, res.Err = NotVerified, ext.Err
			return res
		}
	}
	switch {
	case len(res.Addrs) > 0:
		res.Status = Resolved
	case nx && !exists:
		res.Status, res.TTL, res.NegativeSOA = NXDomain, neg.ttl, neg.soa
	default:
		res.Status, res.TTL, res.NegativeSOA = NoAddress, neg.ttl, neg.soa
	}
	return res
}

// negativeAnswer is the SOA of the negative answers to a lookup: its
// owner and how long they may be cached (RFC 2308 section 5).
type negativeAnswer struct {
	soa string
	ttl uint32
}

func (n *negativeAnswer) note(a *dns.Msg) {
	for _, rr := range a.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			n.soa = dns.CanonicalName(soa.Hdr.Name)
			n.ttl = minTTL(n.ttl, min(soa.Hdr.Ttl, soa.Minttl))
			return
		}
	}
}

func minTTL(have, ttl uint32) uint32 {
	if have == 0 || ttl < have {
		return ttl
	}
	return have
}

func appendAddr(addrs []netip.Addr, ip net.IP) []netip.Addr {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return addrs
	}
	a = a.Unmap()
	for _, x := range addrs {
		if x == a {
			return addrs
		}
	}
	return append(addrs, a)
}

// fileIndex holds what the zone files say about the names looked up so
// far: only those names are kept, so memory follows the KMS targets, not
// the zone.
type fileIndex struct {
	mu     sync.Mutex
	known  map[string]*nameInfo
	primed bool
}

type nameInfo struct {
	exists bool
	cname  string
	addrs  []netip.Addr
}

// resolveInFiles answers from the zone's files, scanning them for the
// target (and the names its aliases point to inside the zone).
func (tr *TargetResolver) resolveInFiles(ctx context.Context, r *zone.Snapshot, target string) Resolution {
	tr.mu.Lock()
	if tr.files == nil {
		tr.files = map[string]*fileIndex{}
	}
	idx := tr.files[r.Zone]
	if idx == nil {
		idx = &fileIndex{known: map[string]*nameInfo{}}
		tr.files[r.Zone] = idx
	}
	tr.mu.Unlock()

	idx.mu.Lock()
	defer idx.mu.Unlock()
	res := Resolution{Target: target, Via: "zone file " + strings.Join(r.Files, ", ")}
	name := target
	for hops := 0; hops < 8; hops++ {
		info, err := idx.lookup(ctx, r, name)
		if err != nil {
			res.Status, res.Err = NotVerified, err
			return res
		}
		if !info.exists {
			if hops == 0 {
				res.Status = NXDomain
			} else {
				res.Status = NoAddress
			}
			return res
		}
		if info.cname == "" {
			res.Addrs = info.addrs
			if len(res.Addrs) > 0 {
				res.Status = Resolved
			} else {
				res.Status = NoAddress
			}
			return res
		}
		res.CNAME = info.cname
		name = info.cname
		if !dns.IsSubDomain(r.Zone, name) {
			ext := tr.resolveOutside(ctx, name)
			res.Addrs, res.Status, res.Err, res.Via = ext.Addrs, ext.Status, ext.Err, res.Via+"; "+ext.Via
			return res
		}
	}
	res.Status, res.Err = NotVerified, errors.New("alias chain longer than 8")
	return res
}

func (tr *TargetResolver) resolveOutside(ctx context.Context, name string) Resolution {
	if tr.Offline {
		return Resolution{Target: name, Status: NotVerified, Err: fmt.Errorf("alias to %s: %w", name, ErrNotVerified)}
	}
	resolver, err := tr.resolverAddr()
	if err != nil {
		return Resolution{Target: name, Status: NotVerified, Err: err}
	}
	return tr.resolveAt(ctx, resolver, true, name)
}

// lookup returns what the files say about name. The first lookup scans
// the files once for every target of the zone's records; a name not
// among them (the end of an alias) costs a scan of its own.
func (idx *fileIndex) lookup(ctx context.Context, r *zone.Snapshot, name string) (*nameInfo, error) {
	if !idx.primed {
		idx.primed = true
		want := map[string]*nameInfo{}
		for _, rec := range r.Records {
			if rec.Target != "." {
				want[rec.Target] = &nameInfo{}
			}
		}
		want[name] = &nameInfo{}
		if err := scanFiles(ctx, r, want); err != nil {
			return nil, err
		}
		for n, info := range want {
			idx.known[n] = info
		}
	}
	if info, ok := idx.known[name]; ok {
		return info, nil
	}
	want := map[string]*nameInfo{name: {}}
	if err := scanFiles(ctx, r, want); err != nil {
		return nil, err
	}
	idx.known[name] = want[name]
	return want[name], nil
}

// scanFiles reads the zone's files and fills in what they say of each
// name in want.
func scanFiles(ctx context.Context, r *zone.Snapshot, want map[string]*nameInfo) error {
	return r.WalkFiles(ctx, func(rr dns.RR) {
		owner := dns.CanonicalName(rr.Header().Name)
		info := want[owner]
		if info == nil {
			// An empty non-terminal exists too: mark the ancestors of owner
			// that are looked up.
			for off, end := dns.NextLabel(owner, 0); !end; off, end = dns.NextLabel(owner, off) {
				if anc := want[owner[off:]]; anc != nil {
					anc.exists = true
				}
			}
			return
		}
		info.exists = true
		switch v := rr.(type) {
		case *dns.CNAME:
			info.cname = dns.CanonicalName(v.Target)
		case *dns.A:
			info.addrs = appendAddr(info.addrs, v.A)
		case *dns.AAAA:
			info.addrs = appendAddr(info.addrs, v.AAAA)
		}
	})
}
