package audit

import (
	"cmp"
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kmsdns/kmsdns/audit/probe"
	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// Resolver looks up SRV targets; *resolve.TargetResolver is one.
type Resolver = resolve.Resolver

// Prober checks whether a KMS service answers at an address; probe.Prober
// is one.
type Prober = resolve.Prober

// Policy is what the admin expects of the records.
type Policy struct {
	// ExpectedPort is the port every record should carry; 1688 when zero.
	ExpectedPort uint16
	// HostPorts overrides ExpectedPort for some hosts (by FQDN).
	HostPorts map[string]uint16
	// Approved, when not empty, lists the only hosts that may be published.
	Approved []string
	// Decommissioned lists hosts that must no longer be published.
	Decommissioned []string
	// PublishGroups are sets of zones that must carry the same hosts at
	// their apex (like a KMS host's DnsDomainPublishList).
	PublishGroups [][]string
	// MaxTTL is the TTL above which long-ttl is reported; 86400 when zero.
	MaxTTL uint32
	// StaleAfter is how long a dynamically registered record may go
	// without a refresh before stale-registration is reported (a KMS host
	// refreshes every 24 hours); DefaultStaleAfter when zero.
	StaleAfter time.Duration
}

// DefaultStaleAfter is a week: seven missed 24-hour registrations.
const DefaultStaleAfter = 7 * 24 * time.Hour

// DefaultPort is the KMS port.
const DefaultPort = 1688

// DefaultMaxTTL is the default long-ttl bound: one day.
const DefaultMaxTTL = 86400

// DefaultConcurrency bounds lookups and probes running at once.
const DefaultConcurrency = 64

// Options tune an audit.
type Options struct {
	Policy Policy
	// Resolver resolves targets; nil skips every check that needs it.
	Resolver Resolver
	// Prober probes targets; nil skips host-unreachable and not-kms.
	Prober Prober
	// Concurrency bounds lookups and probes at once; DefaultConcurrency
	// when zero. Each distinct target:port, and each address:port, is
	// probed once.
	Concurrency int
	// Removed are records kmsdns cleanup removed (its state file): one that
	// is back is reported as reappeared.
	Removed []Removed
	// Progress, when set, is told how many targets have been probed.
	Progress func(done, total int)
	// Now stamps the report; time.Now when nil.
	Now func() time.Time
	// ContainingZone maps the domain of a client-view result (kmsdns
	// check) to the zone that holds it (the owner of its SOA), so that
	// the commands findings suggest name the zone to change.
	ContainingZone map[string]string
}

// Run judges the zones read and returns the report. Zones keep the order
// of results; findings are sorted by zone, errors first. Network traffic
// happens only through opts.Resolver and opts.Prober.
func Run(ctx context.Context, results []*zone.Snapshot, opts Options) *Report {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	rep := &Report{Version: ReportVersion, GeneratedAt: now().UTC(), Zones: []ZoneReport{}, Records: []Record{}, Targets: []Target{}, Findings: []Finding{}}
	for _, r := range results {
		zr := ZoneReport{Zone: r.Zone, Source: string(r.Source), Server: r.Server, Files: r.Files, Records: len(r.Records), Note: r.Note}
		if r.HasSerial {
			s := r.Serial
			zr.Serial = &s
		}
		if r.Err != nil {
			zr.Error = r.Err.Error()
		}
		rep.Zones = append(rep.Zones, zr)
		for _, rec := range r.Records {
			out := Record{
				Zone: rec.Zone, Name: rec.Name, TTL: rec.TTL, Priority: rec.Priority,
				Weight: rec.Weight, Port: rec.Port, Target: rec.Target, Source: string(r.Source),
			}
			if t, ok := rec.Registered(); ok {
				out.Registered = &t
			}
			rep.Records = append(rep.Records, out)
		}
	}

	a := newAuditor(opts)
	a.now = now().UTC()
	a.resolveAll(ctx, results)
	a.probeAll(ctx)
	for _, r := range results {
		fs := append(append(a.zoneFindings(r), reappeared(r, opts.Removed)...), belowDelegation(r)...)
		linkRecords(r, fs)
		rep.Findings = append(rep.Findings, fs...)
	}
	rep.Findings = append(rep.Findings, a.partialPublish(results, opts.Policy.PublishGroups)...)
	rep.Targets = a.targets()
	sortFindings(rep.Findings)
	rep.Summary = summarize(rep)
	rep.Interrupted = ctx.Err() != nil
	return rep
}

type zoneTarget struct{ zone, target string }

type targetPort struct {
	target string
	port   uint16
}

// auditor holds what was learned about targets during one run.
type auditor struct {
	opts     Options
	policy   Policy
	resolved map[zoneTarget]resolve.Resolution
	// cached is the resolvers' view of targets the zone's own server has
	// no address for (what clients may still be handed).
	cached map[zoneTarget]resolve.Resolution
	// negative is the reverse: targets the zone's own server has an
	// address for while resolvers still answer, from their negative
	// cache, that there is none.
	negative map[zoneTarget]resolve.Resolution
	// negativeOf is the first of negative for each target (targets[]).
	negativeOf map[string]resolve.Resolution
	// byTarget lists every resolution of a target, in record order.
	byTarget map[string][]resolve.Resolution
	probes   map[targetPort]probe.Result
	// addrs is the first resolution of each target that gave addresses.
	addrs map[string][]netip.Addr
	order []targetPort
	// byAddr makes sure each address:port is probed once, whatever names
	// lead to it.
	mu     sync.Mutex
	byAddr map[netip.AddrPort]*addrProbe
	// now is the audit's time, for record ages.
	now time.Time
	// good is each zone's record a fix may point clients to (goodHost);
	// a zero Record when there is none.
	good map[string]zone.Record
}

type addrProbe struct {
	once sync.Once
	res  probe.Result
}

// probeAddr probes ap once per run.
func (a *auditor) probeAddr(ctx context.Context, ap netip.AddrPort) probe.Result {
	a.mu.Lock()
	p := a.byAddr[ap]
	if p == nil {
		p = &addrProbe{}
		a.byAddr[ap] = p
	}
	a.mu.Unlock()
	p.once.Do(func() { p.res = a.opts.Prober.Probe(ctx, ap) })
	return p.res
}

func newAuditor(opts Options) *auditor {
	p := opts.Policy
	if p.ExpectedPort == 0 {
		p.ExpectedPort = DefaultPort
	}
	if p.MaxTTL == 0 {
		p.MaxTTL = DefaultMaxTTL
	}
	if p.StaleAfter == 0 {
		p.StaleAfter = DefaultStaleAfter
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	return &auditor{opts: opts, policy: p, resolved: map[zoneTarget]resolve.Resolution{}, cached: map[zoneTarget]resolve.Resolution{}, negative: map[zoneTarget]resolve.Resolution{}, negativeOf: map[string]resolve.Resolution{}, byTarget: map[string][]resolve.Resolution{}, probes: map[targetPort]probe.Result{}, addrs: map[string][]netip.Addr{}, byAddr: map[netip.AddrPort]*addrProbe{}, good: map[string]zone.Record{}}
}

// pool runs f(i) for i in [0,n) with at most c at once.
func pool(ctx context.Context, n, c int, f func(i int)) {
	sem := make(chan struct{}, c)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f(i)
		}()
	}
	wg.Wait()
}

func (a *auditor) resolveAll(ctx context.Context, results []*zone.Snapshot) {
	if a.opts.Resolver == nil {
		return
	}
	type job struct {
		r   *zone.Snapshot
		key zoneTarget
	}
	var jobs []job
	seen := map[zoneTarget]bool{}
	for _, r := range results {
		if r.Err != nil {
			continue
		}
		for _, rec := range r.Records {
			k := zoneTarget{r.Zone, rec.Target}
			if rec.Target == "." || seen[k] {
				continue
			}
			seen[k] = true
			jobs = append(jobs, job{r, k})
		}
	}
	out := make([]resolve.Resolution, len(jobs))
	pool(ctx, len(jobs), a.opts.Concurrency, func(i int) {
		out[i] = a.opts.Resolver.Resolve(ctx, jobs[i].r, jobs[i].key.target)
	})
	// A target the zone's own server has no address for may still be in
	// resolvers' caches, and one it has an address for may still be in
	// their negative caches: ask one, as a client would.
	var again []int
	for i, j := range jobs {
		network := j.r.Source != zone.SourceFile && j.r.Source != zone.SourceResolver
		gone := out[i].Status == resolve.NXDomain || out[i].Status == resolve.NoAddress
		ownServer := out[i].Status == resolve.Resolved && strings.HasPrefix(out[i].Via, "server ") && dns.IsSubDomain(j.r.Zone, j.key.target)
		if network && (gone || ownServer) {
			again = append(again, i)
		}
	}
	cached := make([]resolve.Resolution, len(again))
	pool(ctx, len(again), a.opts.Concurrency, func(k int) {
		j := jobs[again[k]]
		cached[k] = a.opts.Resolver.Resolve(ctx, &zone.Snapshot{Zone: j.r.Zone, Source: zone.SourceResolver}, j.key.target)
	})
	for k, i := range again {
		c := cached[k]
		if out[i].Status == resolve.Resolved {
			// Only a negative answer that carries the zone's own SOA is
			// a cached copy of its data; another SOA (or none) is a
			// resolver that does not see the zone at all.
			if (c.Status == resolve.NXDomain || c.Status == resolve.NoAddress) && c.NegativeSOA != "" && dns.IsSubDomain(jobs[i].r.Zone, c.NegativeSOA) {
				a.negative[jobs[i].key] = c
				if _, ok := a.negativeOf[jobs[i].key.target]; !ok {
					a.negativeOf[jobs[i].key.target] = c
				}
			}
			continue
		}
		if c.Status == resolve.Resolved {
			a.cached[jobs[i].key] = cached[k]
			a.byTarget[jobs[i].key.target] = append(a.byTarget[jobs[i].key.target], cached[k])
		}
	}
	for i, j := range jobs {
		a.resolved[j.key] = out[i]
		a.byTarget[j.key.target] = append(a.byTarget[j.key.target], out[i])
	}
	// Probe addresses: the first resolution of each target that gave
	// some (the zone's own data first, then what resolvers hand out).
	for t, rs := range a.byTarget {
		for _, r := range rs {
			if len(r.Addrs) > 0 {
				a.addrs[t] = r.Addrs
				break
			}
		}
	}
	// Probe order: every distinct target:port of every zone.
	seenTP := map[targetPort]bool{}
	for _, r := range results {
		for _, rec := range r.Records {
			tp := targetPort{rec.Target, rec.Port}
			if !seenTP[tp] && rec.Target != "." {
				seenTP[tp] = true
				a.order = append(a.order, tp)
			}
		}
	}
}

// probeAll probes every distinct target:port that resolved, once. Then,
// for a record off its host's expected port that does not answer there,
// it probes the expected port too: port-mismatch suggests moving the
// record only to a port where a KMS host answers. Those extra probes are
// judged, not listed in targets[] (no record points there).
func (a *auditor) probeAll(ctx context.Context) {
	if a.opts.Prober == nil {
		return
	}
	var jobs []targetPort
	for _, tp := range a.order {
		if len(a.addrs[tp.target]) > 0 {
			jobs = append(jobs, tp)
		}
	}
	total := len(jobs)
	var mu sync.Mutex
	done := 0
	run := func(jobs []targetPort) {
		out := make([]probe.Result, len(jobs))
		pool(ctx, len(jobs), a.opts.Concurrency, func(i int) {
			out[i] = a.probeTarget(ctx, jobs[i])
			if a.opts.Progress != nil {
				mu.Lock()
				done++
				a.opts.Progress(done, total)
				mu.Unlock()
			}
		})
		for i, tp := range jobs {
			if out[i].Status == "" && ctx.Err() != nil {
				// Never started: interrupted like the probes cut short.
				out[i] = probe.Result{Status: probe.StatusCancelled, Detail: "not probed: interrupted"}
			}
			if out[i].Status != "" {
				a.probes[tp] = out[i]
			}
		}
	}
	run(jobs)
	var extra []targetPort
	for _, tp := range jobs {
		want := targetPort{tp.target, a.expectedPort(tp.target)}
		if _, probed := a.probes[want]; !probed && tp.port != want.port && a.probes[tp].Status != probe.StatusKMS && !slices.Contains(extra, want) {
			extra = append(extra, want)
		}
	}
	if ctx.Err() == nil && len(extra) > 0 {
		total += len(extra)
		run(extra)
	}
}

// probeTarget tries the target's addresses in turn until one answers as
// a KMS host; the result is the first success or the last failure.
func (a *auditor) probeTarget(ctx context.Context, tp targetPort) probe.Result {
	var last probe.Result
	for _, ip := range a.addrs[tp.target] {
		if ctx.Err() != nil {
			break
		}
		last = a.probeAddr(ctx, netip.AddrPortFrom(ip, tp.port))
		if last.Status == probe.StatusKMS {
			return last
		}
	}
	return last
}

// targets lists what was learned per target:port, sorted. When the
// zone's own data and resolvers disagree, Resolution is what the
// authoritative data says and Cached* what resolvers still hand out. It
// runs in time linear in the number of records and resolutions.
func (a *auditor) targets() []Target {
	out := []Target{}
	for _, tp := range a.order {
		t := Target{Target: tp.target, Port: tp.port}
		if res, ok := a.mainResolution(tp.target); ok {
			t.Resolution, t.CNAME, t.Via = string(res.Status), res.CNAME, res.Via
			for _, ip := range res.Addrs {
				t.Addresses = append(t.Addresses, ip.String())
			}
			if res.Status != resolve.Resolved {
				for _, r := range a.byTarget[tp.target] {
					if r.Status == resolve.Resolved {
						for _, ip := range r.Addrs {
							t.CachedAddresses = append(t.CachedAddresses, ip.String())
						}
						t.CachedResolution, t.CachedTTL, t.CachedVia = string(r.Status), r.TTL, r.Via
						break
					}
				}
			} else if n, ok := a.negativeOf[tp.target]; ok {
				t.CachedResolution, t.CachedTTL, t.CachedVia = string(n.Status), n.TTL, n.Via
			}
		}
		if p, ok := a.probes[tp]; ok {
			t.Probe, t.ProbeDetail, t.ProbeMillis = string(p.Status), p.Detail, p.Elapsed.Milliseconds()
		}
		out = append(out, t)
	}
	slices.SortStableFunc(out, func(x, y Target) int {
		return cmp.Or(cmp.Compare(x.Target, y.Target), cmp.Compare(x.Port, y.Port))
	})
	return out
}

// mainResolution is the resolution that tells what a target is: the
// first authoritative one (the zone's server or file) that is not
// NotVerified, else the first resolved, else the first.
func (a *auditor) mainResolution(target string) (resolve.Resolution, bool) {
	rs := a.byTarget[target]
	if len(rs) == 0 {
		return resolve.Resolution{}, false
	}
	for _, r := range rs {
		if r.Status != resolve.NotVerified && !strings.HasPrefix(r.Via, "resolver ") {
			return r, true
		}
	}
	for _, r := range rs {
		if r.Status == resolve.Resolved {
			return r, true
		}
	}
	return rs[0], true
}

// hostOK: nothing known about target says it cannot serve clients on
// port: not decommissioned, approved (when a list is set), no resolution
// without address or through an alias, and a probe (when made) answered
// as a KMS host. An unprobed port is OK here; a fix that moves a record
// to another port asks answersKMS instead.
func (a *auditor) hostOK(target string, port uint16) bool {
	p := a.policy
	if target == "." || inList(p.Decommissioned, target) || (len(p.Approved) > 0 && !inList(p.Approved, target)) {
		return false
	}
	for _, r := range a.byTarget[target] {
		if r.CNAME != "" || r.Status == resolve.NXDomain || r.Status == resolve.NoAddress {
			return false
		}
	}
	if pr, ok := a.probes[targetPort{target, port}]; ok && pr.Status != probe.StatusKMS {
		return false
	}
	return true
}

// answersKMS: target:port was probed and a KMS host answered.
func (a *auditor) answersKMS(target string, port uint16) bool {
	pr, ok := a.probes[targetPort{target, port}]
	return ok && pr.Status == probe.StatusKMS
}

// expectedPort is the port target should be published on.
func (a *auditor) expectedPort(target string) uint16 { return a.policy.PortFor(target) }

// fixZone is the zone a fix command for a record of r changes: r's zone,
// or for a client view the zone that holds the domain (empty when
// unknown).
func (a *auditor) fixZone(r *zone.Snapshot) string {
	if r.Source == zone.SourceResolver {
		return a.opts.ContainingZone[r.Zone]
	}
	return r.Zone
}

// republish is the command that publishes rec into the RRset under owner
// that r read, keeping that RRset's TTL: rec's TTL, except for a client
// view, whose TTLs are what a resolver's cache has left (a --ttl of that
// would lower the RRset's TTL): there the command gives no --ttl, and
// publish keeps the RRset's.
func (a *auditor) republish(r *zone.Snapshot, owner string, rec zone.Record) Command {
	if r.Source == zone.SourceResolver {
		rec.TTL = 0
	}
	return publishCommand(a.fixZone(r), owner, rec)
}

func inList(list []string, name string) bool {
	for _, x := range list {
		if dns.CanonicalName(x) == name {
			return true
		}
	}
	return false
}
