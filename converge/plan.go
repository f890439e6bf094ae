package converge

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// Name is one managed name and the records it must carry, exactly.
type Name struct {
	// Owner is the SRV owner name, _vlmcs._tcp.<domain>.
	Owner string
	// Records are the desired records: Target, Port, Priority, Weight; a
	// TTL of 0 is the TTL of the RRset as it is. No records means none.
	Records []publish.Record
}

// Domain is the clients' DNS suffix the name serves.
func (n Name) Domain() string { return strings.TrimPrefix(n.Owner, zone.KMSService) }

// Zone is the desired state of one zone and where its updates go.
type Zone struct {
	Target publish.Primary
	Names  []Name
}

// Reader reads the KMS records at an owner name from a zone's primary;
// *publish.Client is one.
type Reader interface {
	Current(ctx context.Context, server, zoneName, name string) ([]zone.Record, error)
}

var _ Reader = (*publish.Client)(nil)

// NamePlan is what the plan does to one managed name.
type NamePlan struct {
	Owner string
	// Before are the records as read; After the records it holds once
	// the plan is applied.
	Before, After []zone.Record
	// Changes say, per record, what the plan does: added, removed,
	// replaced (another port, priority, weight or TTL; Was holds the
	// records replaced) or already present.
	Changes []publish.Change
	// Unsafe says why the name would be left with no live KMS host; ""
	// when it would not (or nothing was checked).
	Unsafe string
}

// InSync reports whether the name already holds exactly its records.
func (n NamePlan) InSync() bool {
	for _, c := range n.Changes {
		if c.Action != publish.ActionAlreadyPresent {
			return false
		}
	}
	return true
}

// ZonePlan is what the plan does in one zone: one UPDATE message.
type ZonePlan struct {
	*publish.ZonePlan
	Names []NamePlan
}

// InSync reports whether the zone could be read and every managed name
// holds exactly its records.
func (z *ZonePlan) InSync() bool {
	if z.Err != nil {
		return false
	}
	for _, n := range z.Names {
		if !n.InSync() {
			return false
		}
	}
	return true
}

// Plan is a whole convergence: one ZonePlan per zone.
type Plan struct {
	Zones []*ZonePlan
	// Hosts are the checks of every host before and after (after
	// Check), in the order first seen.
	Hosts []publish.HostCheck
	// Checked: Check ran; Probed: with a prober.
	Checked, Probed bool
	// Unsafe lists why names would be left with no live host.
	Unsafe []string
	// Forced: Guard let an unsafe plan through.
	Forced bool
}

// InSync reports whether every zone is in sync.
func (p *Plan) InSync() bool {
	for _, z := range p.Zones {
		if !z.InSync() {
			return false
		}
	}
	return true
}

// Sends counts the zones whose plan sends an UPDATE.
func (p *Plan) Sends() int {
	n := 0
	for _, z := range p.Zones {
		if !z.Empty() {
			n++
		}
	}
	return n
}

// Failed reports whether a zone could not be read.
func (p *Plan) Failed() bool {
	return slices.ContainsFunc(p.Zones, func(z *ZonePlan) bool { return z.Err != nil })
}

// New reads every managed name of every zone from the zone's primary
// (target server) and plans each zone. A zone that cannot be read gets a
// plan with Err set, which sends nothing.
func New(ctx context.Context, r Reader, zones []Zone) *Plan {
	p := &Plan{}
	for _, z := range zones {
		zn := dns.CanonicalName(z.Target.Zone)
		current := map[string][]zone.Record{}
		var err error
		for _, n := range z.Names {
			if err = ctx.Err(); err != nil {
				break
			}
			if current[n.Owner], err = r.Current(ctx, z.Target.Server, zn, n.Owner); err != nil {
				break
			}
		}
		var zp *ZonePlan
		if err != nil {
			zp = &ZonePlan{ZonePlan: &publish.ZonePlan{Zone: zn, Server: z.Target.Server, Action: publish.ActionFailed, Err: err}}
		} else {
			zp = Diff(zn, z.Target.Server, z.Names, current)
		}
		zp.Signer, zp.Credentials = z.Target.Signer, z.Target.Credentials
		p.Zones = append(p.Zones, zp)
	}
	return p
}

// sameRR compares records as RFC 2136 prerequisites do: name and RDATA.
func sameRR(a, b zone.Record) bool {
	return a.Name == b.Name && a.Target == b.Target && a.Port == b.Port && a.Priority == b.Priority && a.Weight == b.Weight
}

// Diff plans one zone from the records its managed names hold now
// (current, by owner name): every desired record missing is added, every
// record of a host not desired is removed, and a host whose record has
// another port, priority, weight or TTL is replaced, all in one message.
// Every name the message changes is guarded by a prerequisite
// (publish.ZonePlan.GuardAdditions): its KMS RRset exactly as read, or,
// for a name read with none, that it still has none.
func Diff(zoneName, server string, names []Name, current map[string][]zone.Record) *ZonePlan {
	zoneName = dns.CanonicalName(zoneName)
	zp := &ZonePlan{ZonePlan: &publish.ZonePlan{Zone: zoneName, Server: server, Current: map[string][]zone.Record{}, GuardAdditions: true}}
	var notes []string
	for _, n := range names {
		owner := dns.CanonicalName(n.Owner)
		cur := slices.Clone(current[owner])
		if cur == nil {
			cur = []zone.Record{}
		}
		zp.Current[owner] = cur
		ttl := uint32(publish.DefaultTTL)
		if len(cur) > 0 {
			ttl = cur[0].TTL
		}
		for _, r := range n.Records {
			if r.TTL != 0 {
				ttl = r.TTL
				break
			}
		}
		np := NamePlan{Owner: owner, Before: cur, After: []zone.Record{}}
		var wanted []string
		for _, r := range n.Records {
			host := dns.CanonicalName(r.Target)
			if slices.Contains(wanted, host) {
				continue
			}
			wanted = append(wanted, host)
			w := zone.Record{Zone: zoneName, Name: owner, TTL: ttl, Priority: r.Priority, Weight: r.Weight, Port: r.Port, Target: host}
			np.After = append(np.After, w)
			var same []zone.Record
			for _, c := range cur {
				if c.Target == host {
					same = append(same, c)
				}
			}
			switch {
			case len(same) == 1 && sameRR(same[0], w) && same[0].TTL == w.TTL:
				np.Changes = append(np.Changes, publish.Change{Action: publish.ActionAlreadyPresent, Record: w})
			case len(same) == 0:
				np.Changes = append(np.Changes, publish.Change{Action: publish.ActionAdded, Record: w})
				zp.Add = append(zp.Add, w)
			default:
				np.Changes = append(np.Changes, publish.Change{Action: publish.ActionReplaced, Record: w, Was: same})
				zp.Delete = append(zp.Delete, same...)
				zp.Add = append(zp.Add, w)
			}
		}
		for _, c := range cur {
			if !slices.Contains(wanted, c.Target) {
				np.Changes = append(np.Changes, publish.Change{Action: publish.ActionRemoved, Record: c})
				zp.Delete = append(zp.Delete, c)
			}
		}
		if len(cur) > 0 && len(np.After) > 0 && cur[0].TTL != ttl {
			notes = append(notes, fmt.Sprintf("%s: TTL %d to %d (every record of the name is replaced: an RRset has one TTL)", short(owner), cur[0].TTL, ttl))
		}
		zp.Names = append(zp.Names, np)
	}
	zp.Changes = nil
	for _, np := range zp.Names {
		zp.Changes = append(zp.Changes, np.Changes...)
	}
	var add, rm, rep int
	for _, c := range zp.Changes {
		switch c.Action {
		case publish.ActionAdded:
			add++
		case publish.ActionRemoved:
			rm++
		case publish.ActionReplaced:
			rep++
		}
	}
	switch {
	case add+rm+rep == 0:
		zp.Action = publish.ActionAlreadyPresent
		notes = append(notes, "in sync: nothing to send")
	case rep > 0 || add > 0 && rm > 0:
		zp.Action = publish.ActionReplaced
	case add > 0:
		zp.Action = publish.ActionAdded
	default:
		zp.Action = publish.ActionRemoved
	}
	if add+rm+rep > 0 {
		notes = append([]string{fmt.Sprintf("adds %d, removes %d, replaces %d record(s) in one message", add, rm, rep)}, notes...)
	}
	zp.Note = strings.Join(notes, "; ")
	if err := zp.CheckSize(); err != nil {
		zp.Err, zp.Action = err, publish.ActionFailed // refused at planning: nothing is sent
	}
	return zp
}

func short(name string) string { return strings.TrimSuffix(name, ".") }

// Check resolves every host the managed names hold now or would hold and,
// with a prober, probes it on the record's port (publish.CheckHosts: a
// host inside a zone is resolved at that zone's primary). A name with
// changes none of whose desired hosts is live is marked unsafe.
func (p *Plan) Check(ctx context.Context, targets []publish.Primary, res resolve.Resolver, prober resolve.Prober) {
	var recs []publish.Record
	seen := map[hostPort]bool{}
	for _, z := range p.Zones {
		for _, n := range z.Names {
			for _, r := range slices.Concat(n.After, n.Before) {
				hp := hostPort{r.Target, r.Port}
				if !seen[hp] {
					seen[hp] = true
					recs = append(recs, publish.Record{Target: r.Target, Port: r.Port})
				}
			}
		}
	}
	p.Hosts = publish.CheckHosts(ctx, targets, recs, res, prober)
	p.Checked, p.Probed = true, prober != nil
	p.markUnsafe()
}

// markUnsafe marks every name with changes none of whose desired hosts is
// live, by the checks in p.Hosts.
func (p *Plan) markUnsafe() {
	p.Unsafe = nil
	for _, z := range p.Zones {
		for i := range z.Names {
			n := &z.Names[i]
			n.Unsafe = ""
			if n.InSync() {
				continue
			}
			domain := short(strings.TrimPrefix(n.Owner, zone.KMSService))
			if len(n.After) == 0 {
				n.Unsafe = fmt.Sprintf("%s: its desired list is empty: removing every KMS record makes clients whose DNS suffix is %s fail with 0x8007232B (DNS name does not exist)", domain, domain)
			} else {
				live, why := false, []string{}
				for _, a := range n.After {
					hc, ok := p.host(a.Target, a.Port)
					if ok && hc.Live() {
						live = true
						break
					}
					if ok {
						why = append(why, hc.Warning())
					} else {
						why = append(why, short(a.Target)+" was not checked")
					}
				}
				if !live {
					n.Unsafe = fmt.Sprintf("%s: none of its desired hosts is live, so its clients would fail with 0xC004F074 (no KMS could be contacted): %s", domain, strings.Join(why, "; "))
				}
			}
			if n.Unsafe != "" {
				p.Unsafe = append(p.Unsafe, n.Unsafe)
			}
		}
	}
}

type hostPort struct {
	host string
	port uint16
}

// host is the check of host on port.
func (p *Plan) host(host string, port uint16) (publish.HostCheck, bool) {
	for _, h := range p.Hosts {
		if h.Host == host && h.Port == port {
			return h, true
		}
	}
	return publish.HostCheck{}, false
}

// Liveness is what the checks say of a host.
type Liveness int

// Liveness values.
const (
	// Unchecked: the host was not checked.
	Unchecked Liveness = iota
	// Live: it resolved and, when probed, answered as a KMS host.
	Live
	// Dead: it did not resolve, or did not answer as a KMS host.
	Dead
)

// Live says what the checks found of host on port.
func (p *Plan) Live(host string, port uint16) Liveness {
	hc, ok := p.host(host, port)
	switch {
	case !ok:
		return Unchecked
	case hc.Live():
		return Live
	}
	return Dead
}

// ErrUnsafe is wrapped by the error Guard returns for an unsafe plan.
var ErrUnsafe = errors.New("the plan would leave a name with no live KMS host")

// Guard blocks every zone of an unsafe plan (nothing is sent) unless
// force, and returns an error wrapping ErrUnsafe that gives the reasons;
// with force it notes them and returns nil.
func (p *Plan) Guard(force bool) error {
	if len(p.Unsafe) == 0 {
		return nil
	}
	if force {
		p.Forced = true
		return nil
	}
	for _, z := range p.Zones {
		if z.Err == nil && !z.Empty() {
			z.Blocked, z.Action = true, publish.ActionSkipped
			z.Note = strings.TrimPrefix(z.Note+"; not sent: the plan is unsafe", "; ")
		}
	}
	return fmt.Errorf("%w: %s", ErrUnsafe, strings.Join(p.Unsafe, "; "))
}

// ClientView says what clients of a name see with records recs: which
// hosts they try first and how the first tries are shared (RFC 2782: the
// lowest priority first, weight shares the load within it), and whether
// they reach a live host.
func ClientView(recs []zone.Record, live func(host string, port uint16) Liveness) string {
	if len(recs) == 0 {
		return "no KMS record: clients fail with 0x8007232B (DNS name does not exist)"
	}
	byPrio := map[uint16][]zone.Record{}
	var prios []uint16
	for _, r := range recs {
		if _, ok := byPrio[r.Priority]; !ok {
			prios = append(prios, r.Priority)
		}
		byPrio[r.Priority] = append(byPrio[r.Priority], r)
	}
	slices.Sort(prios)
	var parts []string
	var deadFirst float64
	anyLive, allChecked := false, true
	for i, pr := range prios {
		group := byPrio[pr]
		slices.SortStableFunc(group, func(a, b zone.Record) int {
			return cmp.Or(-cmp.Compare(a.Weight, b.Weight), strings.Compare(a.Target, b.Target))
		})
		sum := 0
		for _, r := range group {
			sum += int(r.Weight)
		}
		var hs []string
		for _, r := range group {
			share := 1 / float64(len(group))
			if sum > 0 {
				share = float64(r.Weight) / float64(sum)
			}
			state := ""
			switch live(r.Target, r.Port) {
			case Live:
				state = "live, "
				anyLive = true
			case Dead:
				state = "dead, "
				if i == 0 {
					deadFirst += share
				}
			default:
				allChecked = false
			}
			h := short(r.Target)
			if r.Port != publish.DefaultPort {
				h += fmt.Sprintf(":%d", r.Port)
			}
			hs = append(hs, fmt.Sprintf("%s (%s%.0f%%)", h, state, share*100))
		}
		lead := "then"
		if i == 0 {
			lead = "first"
		}
		parts = append(parts, fmt.Sprintf("%s priority %d: %s", lead, pr, strings.Join(hs, ", ")))
	}
	out := strings.Join(parts, "; ")
	switch {
	case !allChecked:
	case !anyLive:
		out += " -> no live host: clients fail with 0xC004F074"
	case deadFirst > 0:
		out += fmt.Sprintf(" -> %.0f%% of first tries reach a dead host (clients then try another)", deadFirst*100)
	default:
		out += " -> every first try reaches a live host"
	}
	return out
}
