package zone

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/miekg/dns"
)

// Spec says where one zone's records come from.
type Spec struct {
	// Zone is the zone's name. It may be empty for a file whose origin
	// the file itself gives.
	Zone string
	// Server is host[:port] of the server to transfer or query from.
	// When empty (and there are no Files) the zone's primary (SOA MNAME)
	// and then its other NS hosts are tried, found through the resolver.
	Server string
	// Key signs the zone transfer when set.
	Key Key
	// KeyOrigin says where Key came from (a file and the setting that
	// named it), or is empty; errors and notes quote it, never the secret.
	KeyOrigin string
	// Names are extra domains, relative to the zone or absolute, whose
	// _vlmcs._tcp records are asked for when the transfer is refused.
	Names []string
	// Files, when set, are zone files read instead of asking a server.
	Files []string
	// Timeout bounds each network wait; 10 s when zero.
	Timeout time.Duration
	// TransferTimeout bounds a whole transfer; DefaultTransferTimeout
	// when zero.
	TransferTimeout time.Duration
	// MaxRecords caps the distinct KMS records kept for the zone;
	// DefaultMaxRecords when zero.
	MaxRecords int
}

// ReadOptions apply to every zone of a ReadAll.
type ReadOptions struct {
	// Concurrency is how many zones are read at once; 4 when zero.
	Concurrency int
	// Resolver is host:port of the resolver used to find a zone's servers
	// when its Spec has no Server; the first nameserver of
	// /etc/resolv.conf when empty.
	Resolver string
	// Port is the port of servers found through the resolver; 53 when empty.
	Port string
	// Offline forbids all network traffic: only zone files can be read.
	Offline bool
	// TransfersPerServer bounds the zone transfers running at once from
	// one server within a ReadAll: BIND refuses transfers beyond its
	// transfers-out quota (10 by default), which would look like a refusal.
	// DefaultTransfersPerServer when zero.
	TransfersPerServer int
	// Aliases keeps each transferred zone's CNAME records
	// (Snapshot.Aliases), for a change that must warn about aliases of the
	// hosts it removes.
	Aliases bool
	// IncludeDirs are directories, besides each zone file's own, from
	// which $INCLUDE may read (FileOptions.IncludeDirs).
	IncludeDirs []string
	// Progress, when set, is called after each zone is read, from one
	// goroutine at a time.
	Progress func(done, total int, r *Snapshot)

	limits      *serverLimits
	busyBackoff time.Duration // first pause before a busy server is asked again (tests)
}

// DefaultTransfersPerServer stays below BIND's default transfers-out (10).
const DefaultTransfersPerServer = 8

// serverLimits holds a semaphore per server.
type serverLimits struct {
	mu  sync.Mutex
	n   int
	sem map[string]chan struct{}
}

func (l *serverLimits) acquire(ctx context.Context, server string) (func(), error) {
	if l == nil {
		return func() {}, nil
	}
	l.mu.Lock()
	ch := l.sem[server]
	if ch == nil {
		ch = make(chan struct{}, l.n)
		l.sem[server] = ch
	}
	l.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// ErrOffline: a zone needs the network but Offline is set.
var ErrOffline = errors.New("offline: only zone files can be read")

// ReadAll reads every spec, at most opts.Concurrency at a time, and returns
// one Snapshot per spec in the same order. A zone that cannot be read has
// its Err set; the others are read all the same.
func ReadAll(ctx context.Context, specs []Spec, opts ReadOptions) []*Snapshot {
	n := opts.Concurrency
	if n <= 0 {
		n = 4
	}
	per := opts.TransfersPerServer
	if per <= 0 {
		per = DefaultTransfersPerServer
	}
	opts.limits = &serverLimits{n: per, sem: map[string]chan struct{}{}}
	results := make([]*Snapshot, len(specs))
	jobs := make(chan int)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
	)
	for w := 0; w < min(n, len(specs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				r := Read(ctx, specs[i], opts)
				results[i] = r
				if opts.Progress != nil {
					mu.Lock()
					done++
					opts.Progress(done, len(specs), r)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range specs {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return results
}

// Read reads one zone: from its files, or by transfer from its server(s),
// falling back to direct queries when every transfer is refused or times
// out. It never returns nil; a failure is in Snapshot.Err.
func Read(ctx context.Context, spec Spec, opts ReadOptions) *Snapshot {
	res := read(ctx, spec, opts)
	res.Names = spec.Names
	if res.cuts.zone != "" {
		res.Names = res.cuts.namesAbove(res, spec.Names)
		res.cuts = cutSet{}
	}
	return res
}

func read(ctx context.Context, spec Spec, opts ReadOptions) *Snapshot {
	if len(spec.Files) > 0 {
		return readFiles(ctx, spec, opts)
	}
	zone := dns.CanonicalName(spec.Zone)
	fail := func(server string, err error) *Snapshot {
		return &Snapshot{Zone: zone, Server: server, Err: err}
	}
	if opts.Offline {
		return fail("", fmt.Errorf("zone %s: %w (no zone file given for it)", zone, ErrOffline))
	}
	var servers []string
	if spec.Server != "" {
		servers = []string{dnsx.HostPort(spec.Server, opts.Port)}
	} else {
		var err error
		if servers, err = discover(ctx, zone, opts.Resolver, opts.Port, spec.Timeout); err != nil {
			return fail("", err)
		}
	}

	var refused []string
	creds := ""
	for _, s := range servers {
		tc := TransferConfig{Zone: zone, Server: s, Key: spec.Key, KeyOrigin: spec.KeyOrigin,
			Timeout: spec.Timeout, TransferTimeout: spec.TransferTimeout, MaxRecords: spec.MaxRecords, Aliases: opts.Aliases}
		res, answered, err := transferBusy(ctx, tc, opts.limits, opts.busyBackoff)
		if err == nil {
			if len(refused) > 0 {
				res.Note = "no transfer from " + strings.Join(refused, "; ") + "; transferred from " + s
			}
			return res
		}
		if ctx.Err() != nil || !fallsBack(err, answered) {
			return fail(s, transferError(tc, err))
		}
		if errors.Is(err, ErrTransferRefused) {
			creds = Credentials(spec.Key, spec.KeyOrigin) + "; "
		}
		refused = append(refused, fmt.Sprintf("%s: %s", s, shortReason(err)))
	}

	var qerrs []string
	for _, s := range servers {
		res, err := queryZone(ctx, QueryConfig{Zone: zone, Server: s, Names: spec.Names, Timeout: spec.Timeout, MaxRecords: spec.MaxRecords})
		if err == nil {
			res.Note = "AXFR not possible (" + creds + strings.Join(refused, "; ") + "): read by direct queries"
			return res
		}
		if ctx.Err() != nil {
			return fail(s, fmt.Errorf("zone %s: %w", zone, err))
		}
		qerrs = append(qerrs, err.Error())
	}
	return fail(servers[0], fmt.Errorf("zone %s: no transfer (%s%s) and no answer to direct queries (%s)",
		zone, creds, strings.Join(refused, "; "), strings.Join(qerrs, "; ")))
}

// BusyRetries is how many times a transfer answered SERVFAIL at once is
// tried again. BIND answers a transfer over its transfers-out quota with
// SERVFAIL ("AXFR request denied: quota reached"), and it frees a
// finished transfer's place a moment after the client has read the
// closing SOA, so a busy server is asked again after a pause instead of
// being taken for a broken one.
const BusyRetries = 3

// defaultBusyBackoff is the first pause before a busy server is asked
// again; each later pause doubles it.
const defaultBusyBackoff = 200 * time.Millisecond

// transferBusy transfers the zone within the per-server limit, trying a
// server again, after a growing pause, while it answers SERVFAIL before
// sending anything else.
func transferBusy(ctx context.Context, tc TransferConfig, limits *serverLimits, backoff time.Duration) (*Snapshot, bool, error) {
	if backoff <= 0 {
		backoff = defaultBusyBackoff
	}
	for try := 0; ; try++ {
		release, err := limits.acquire(ctx, tc.Server)
		if err != nil {
			return nil, false, err
		}
		res, answered, err := transferZone(ctx, tc)
		release()
		var rc *RcodeError
		if err == nil || try == BusyRetries || !errors.As(err, &rc) || rc.Rcode != dns.RcodeServerFailure {
			return res, answered, err
		}
		t := time.NewTimer(backoff << try)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, answered, ctx.Err()
		case <-t.C:
		}
	}
}

// fallsBack reports whether a failed transfer is a refusal, after which
// direct queries are tried: the server refused (REFUSED, NOTAUTH, NOTIMP,
// an empty answer, closing without a word), or nothing of an answer came
// at all (no connection, no answer in time). An answer that started and
// went wrong (malformed, a TSIG failure, cut short, stalled, over a limit)
// is an error for the zone: falling back would hide it.
func fallsBack(err error, answered bool) bool {
	return errors.Is(err, ErrTransferRefused) || !answered
}

// shortReason describes why a transfer failed, for notes.
func shortReason(err error) string {
	var rc *RcodeError
	switch {
	case errors.As(err, &rc):
		return dnsx.RcodeName(rc.Rcode)
	case errors.Is(err, ErrTimeout):
		return "timed out"
	case errors.Is(err, ErrTransferRefused):
		return "refused"
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}

func readFiles(ctx context.Context, spec Spec, opts ReadOptions) *Snapshot {
	var res *Snapshot
	for _, f := range spec.Files {
		// With several files, the SOA may be in any one of them.
		r, err := readFileContext(ctx, f, spec.Zone, FileOptions{IncludeDirs: opts.IncludeDirs}, len(spec.Files) == 1)
		if err != nil {
			z := ""
			switch {
			case r != nil:
				z = r.Zone
			case res != nil:
				z = res.Zone
			case spec.Zone != "":
				z = dns.CanonicalName(spec.Zone)
			}
			return &Snapshot{Zone: z, Source: SourceFile, Files: spec.Files, Err: err}
		}
		if res == nil {
			res = r
			continue
		}
		if r.Zone != res.Zone {
			return &Snapshot{Zone: res.Zone, Source: SourceFile, Files: spec.Files,
				Err: fmt.Errorf("zone %s: zone file %s holds zone %s", res.Zone, f, r.Zone)}
		}
		res.Files = append(res.Files, f)
		res.Records = append(res.Records, r.Records...)
		res.cuts.merge(&r.cuts)
		res.Seen += r.Seen
		res.Warnings = append(res.Warnings, r.Warnings...)
		if r.Refreshed.After(res.Refreshed) {
			res.Refreshed = r.Refreshed
		}
		if !res.HasSerial {
			res.Serial, res.HasSerial = r.Serial, r.HasSerial
		}
	}
	if res != nil && len(spec.Files) > 1 && !res.HasSerial {
		return &Snapshot{Zone: res.Zone, Source: SourceFile, Files: spec.Files, Warnings: res.Warnings,
			Err: errNoSOA(strings.Join(spec.Files, ", "), res.Zone)}
	}
	if res != nil && len(spec.Files) > 1 {
		// A delegation in one file covers records in another.
		res.cuts.apply(res)
	}
	return res
}

// discover finds the zone's servers through the resolver: the SOA MNAME
// first, then the other NS hosts, each with every address it has.
func discover(ctx context.Context, zone, resolver, port string, timeout time.Duration) ([]string, error) {
	hosts, err := nameServers(ctx, zone, resolver, port, timeout, true)
	if err != nil {
		return nil, err
	}
	var servers, names, lookupErrs []string
	for _, h := range hosts {
		servers = append(servers, h.addrs...)
		names = append(names, h.name)
		if h.err != nil {
			lookupErrs = append(lookupErrs, h.err.Error())
		}
	}
	if len(servers) == 0 {
		return nil, fmt.Errorf("zone %s: none of its servers (%s) has an address: %s", zone, strings.Join(names, ", "), strings.Join(lookupErrs, "; "))
	}
	return servers, nil
}

// FindPrimary returns the zone's primary as the SOA MNAME names it, and
// its first address with port (53 when empty), found through the
// resolver (host:port; /etc/resolv.conf when empty), as nsupdate does.
func FindPrimary(ctx context.Context, zoneName, resolver, port string, timeout time.Duration) (name, addr string, err error) {
	zoneName = dns.CanonicalName(zoneName)
	hosts, err := nameServers(ctx, zoneName, resolver, port, timeout, false)
	if err != nil {
		return "", "", err
	}
	p := hosts[0]
	if len(p.addrs) == 0 {
		return p.name, "", fmt.Errorf("zone %s: its primary %s (SOA MNAME) has no address (%v)", zoneName, p.name, p.err)
	}
	return p.name, p.addrs[0], nil
}

// nsHost is a name server of a zone and its addresses (host:port), or
// why it has none.
type nsHost struct {
	name  string
	addrs []string
	err   error
}

// nameServers asks the resolver (host:port; the default resolver when
// empty) for the zone's primary, its SOA MNAME, and with all for its
// other NS hosts (at most MaxNSHosts in all), and looks up the addresses
// of each. The primary comes first.
func nameServers(ctx context.Context, zone, resolver, port string, timeout time.Duration, all bool) ([]nsHost, error) {
	ra, err := dnsx.ResolverAddr(resolver)
	if err != nil {
		return nil, fmt.Errorf("zone %s: no server given, and %w", zone, err)
	}
	r := resolverClient{dnsx.Query{Server: ra, Timeout: timeout, Recursive: true}}
	var names []string
	soa, err := r.lookup(ctx, zone, dns.TypeSOA)
	if err != nil {
		return nil, fmt.Errorf("zone %s: finding its primary (SOA) through resolver %s: %w", zone, ra, err)
	}
	for _, rr := range soa {
		if s, ok := rr.(*dns.SOA); ok && dns.CanonicalName(s.Hdr.Name) == zone {
			names = append(names, dns.CanonicalName(s.Ns))
		}
	}
	if !all && len(names) == 0 {
		return nil, fmt.Errorf("zone %s: resolver %s knows no SOA for it", zone, ra)
	}
	if all {
		ns, err := r.lookup(ctx, zone, dns.TypeNS)
		if err != nil {
			return nil, fmt.Errorf("zone %s: finding its name servers through resolver %s: %w", zone, ra, err)
		}
		for _, rr := range ns {
			if n, ok := rr.(*dns.NS); ok {
				names = append(names, dns.CanonicalName(n.Ns))
			}
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("zone %s: resolver %s knows no SOA or NS for it", zone, ra)
		}
	}
	var hosts []nsHost
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			continue
		}
		if len(seen) == MaxNSHosts || !all && len(seen) == 1 {
			break
		}
		seen[name] = true
		h := nsHost{name: name}
		var errs []string
		for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
			rrs, err := r.lookup(ctx, name, t)
			if err != nil {
				errs = append(errs, err.Error())
				continue
			}
			for _, rr := range rrs {
				var ip net.IP
				switch a := rr.(type) {
				case *dns.A:
					ip = a.A
				case *dns.AAAA:
					ip = a.AAAA
				}
				if ip != nil {
					h.addrs = append(h.addrs, net.JoinHostPort(ip.String(), dnsx.Port(port)))
				}
			}
		}
		if len(h.addrs) == 0 {
			errs = append(errs, name+" has no address")
			h.err = errors.New(strings.Join(errs, "; "))
		}
		hosts = append(hosts, h)
	}
	return hosts, nil
}

// resolverClient asks a recursive resolver.
type resolverClient struct{ q dnsx.Query }

func (r resolverClient) lookup(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	a, err := r.q.Ask(ctx, name, qtype)
	if err != nil {
		return nil, err
	}
	if a.Rcode != dns.RcodeSuccess && a.Rcode != dns.RcodeNameError {
		return nil, fmt.Errorf("%s %s: %w", name, dns.TypeToString[qtype], &RcodeError{Rcode: a.Rcode})
	}
	return a.Answer, nil
}

// WalkFiles reads the zone files r was read from again, as they were read
// ($INCLUDE directories included), calling each for every record. The
// audit's resolution uses it to look up the names SRV targets point to.
func (r *Snapshot) WalkFiles(ctx context.Context, each func(dns.RR)) error {
	for _, f := range r.Files {
		if err := walkFile(ctx, r, f, each); err != nil {
			return err
		}
	}
	return nil
}
