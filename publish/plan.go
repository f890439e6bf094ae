package publish

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// Action says what a plan does, or did, to a zone.
type Action string

// Planned is the action as a dry run states it: "would add", "would
// remove", "would replace"; other actions are unchanged.
func (a Action) Planned() string {
	switch a {
	case ActionAdded:
		return "would add"
	case ActionRemoved:
		return "would remove"
	case ActionReplaced:
		return "would replace"
	case ActionSkipped:
		return "would skip"
	}
	return string(a)
}

// Actions, as the result table shows them.
const (
	ActionAdded          Action = "added"
	ActionAlreadyPresent Action = "already present"
	ActionReplaced       Action = "replaced"
	ActionRemoved        Action = "removed"
	ActionNotPresent     Action = "not present"
	ActionFailed         Action = "failed"
	// ActionSkipped: nothing sent because a guard stopped it (the last
	// record of a name without --force, or a record that changed).
	ActionSkipped Action = "skipped"
)

// ZonePlan is the change to make in one zone.
type ZonePlan struct {
	Zone string
	// Server is the primary (host:port) the update goes to.
	Server string
	// Current are the KMS records of the touched names as read from the
	// primary before planning, by owner name.
	Current map[string][]zone.Record
	// Delete are exact records to remove, each guarded by a prerequisite.
	Delete []zone.Record
	// Add are records to add.
	Add []zone.Record
	// Action is what the plan does.
	Action Action
	// Note explains the action (why nothing is sent, what is guarded).
	Note string
	// Blocked is set when a guard stops the plan: nothing is sent.
	Blocked bool
	// Err is set when the zone could not be planned (its records could
	// not be read): nothing is sent.
	Err error
	// Signer signs the update; the Client's when nil.
	Signer Signer
	// Changes say, record by record, what the plan does.
	Changes []Change
	// Credentials says how the update is signed and where the key came
	// from (never the secret), for error messages; derived from the
	// signer when empty.
	Credentials string
	// Warnings are things to know before sending that do not stop the
	// plan (a host that does not answer as a KMS host).
	Warnings []string
	// GuardAdditions guards the names that only gain records too (kmsdns
	// apply): see Prerequisites.
	GuardAdditions bool
}

// Primary is a zone and the primary server updates go to.
type Primary struct {
	Zone   string
	Server string
	// Signer signs this zone's updates; the Client's when nil. Reading
	// and writing may use different credentials, and zones may each have
	// their own.
	Signer Signer
	// Credentials describes Signer and where its key came from, as
	// Credentials("upd", "hmac-sha256", "/etc/kmsdns/upd.key (--key-file)")
	// writes it; derived from the signer when empty.
	Credentials string
}

// Empty reports whether the plan sends nothing.
func (p *ZonePlan) Empty() bool {
	return p.Blocked || p.Err != nil || len(p.Delete) == 0 && len(p.Add) == 0
}

// Prerequisites are the records that must exist exactly for the update
// to apply: for every name with a deletion, its whole KMS RRset as read.
// RFC 2136 2.4.2 compares a value-dependent prerequisite with the entire
// RRset, so a record changed, added or removed by anyone since it was read
// makes the server refuse the whole message (NXRRSET), and nothing is
// touched.
//
// With GuardAdditions, every name with an addition is guarded the same
// way, and a name read with no KMS record must still have none (Absent).
func (p *ZonePlan) Prerequisites() []zone.Record {
	var out []zone.Record
	for _, name := range p.guarded() {
		out = append(out, p.Current[name]...)
	}
	return out
}

// Absent are the names that must hold no KMS record for the update to
// apply (RFC 2136 2.4.3, "RRset does not exist"): with GuardAdditions,
// the names that gain records and had none when read.
func (p *ZonePlan) Absent() []string {
	var out []string
	for _, name := range p.guarded() {
		if len(p.Current[name]) == 0 {
			out = append(out, name)
		}
	}
	return out
}

// guarded are the names the prerequisites cover, in plan order.
func (p *ZonePlan) guarded() []string {
	var out []string
	recs := p.Delete
	if p.GuardAdditions {
		recs = slices.Concat(p.Delete, p.Add)
	}
	for _, r := range recs {
		if !slices.Contains(out, r.Name) {
			out = append(out, r.Name)
		}
	}
	return out
}

// Msg builds the UPDATE message (unsigned).
func (p *ZonePlan) Msg() *dns.Msg {
	m := new(dns.Msg)
	m.SetUpdate(p.Zone)
	for _, r := range p.Prerequisites() {
		m.Used([]dns.RR{r.RR()})
	}
	for _, name := range p.Absent() {
		m.RRsetNotUsed([]dns.RR{&dns.ANY{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeSRV, Class: dns.ClassINET}}})
	}
	for _, r := range p.Delete {
		m.Remove([]dns.RR{r.RR()})
	}
	for _, r := range p.Add {
		m.Insert([]dns.RR{r.RR()})
	}
	return m
}

// Text renders the UPDATE message that Msg builds, and that Apply sends,
// as zone-file text, section by section, for --dry-run. It never contains
// key material: messages are signed only when sent.
func (p *ZonePlan) Text() string {
	m := p.Msg()
	var b strings.Builder
	fmt.Fprintf(&b, "; UPDATE for zone %s to %s\n", p.Zone, p.Server)
	b.WriteString(";; ZONE\n")
	for _, q := range m.Question {
		fmt.Fprintf(&b, "%s\t%s\t%s\n", q.Name, dns.Class(q.Qclass), dns.Type(q.Qtype))
	}
	if len(m.Answer) > 0 {
		b.WriteString(";; PREREQUISITES (the RRset must be exactly as read)\n")
		for _, rr := range m.Answer {
			b.WriteString(rr.String() + "\n")
		}
	}
	var del, add []string
	for _, rr := range m.Ns {
		if rr.Header().Class == dns.ClassNONE || rr.Header().Class == dns.ClassANY {
			del = append(del, rr.String())
		} else {
			add = append(add, rr.String())
		}
	}
	for _, sec := range []struct {
		title string
		rrs   []string
	}{{";; DELETE\n", del}, {";; ADD\n", add}} {
		if len(sec.rrs) > 0 {
			b.WriteString(sec.title)
			for _, l := range sec.rrs {
				b.WriteString(l + "\n")
			}
		}
	}
	return b.String()
}

// RecordChanges returns Changes or, for a plan made without them (a
// restore, a cleanup), one change per deleted and per added record.
func (p *ZonePlan) RecordChanges() []Change {
	if p.Changes != nil {
		return p.Changes
	}
	out := []Change{}
	for _, d := range p.Delete {
		out = append(out, Change{Action: ActionRemoved, Record: d})
	}
	for _, a := range p.Add {
		out = append(out, Change{Action: ActionAdded, Record: a})
	}
	return out
}

// Expected returns the records each touched name should hold after the
// plan is applied.
func (p *ZonePlan) Expected() map[string][]zone.Record {
	out := map[string][]zone.Record{}
	for name, recs := range p.Current {
		for _, r := range recs {
			if !slices.ContainsFunc(p.Delete, func(d zone.Record) bool { return sameRR(d, r) }) {
				out[name] = append(out[name], r)
			}
		}
		if out[name] == nil {
			out[name] = []zone.Record{}
		}
	}
	for _, r := range p.Add {
		// The set takes the added record's TTL (RFC 2181 5.2).
		for i := range out[r.Name] {
			out[r.Name][i].TTL = r.TTL
		}
	}
	for _, r := range p.Add {
		out[r.Name] = append(out[r.Name], r)
	}
	return out
}

// sameRR compares records as RFC 2136 prerequisites do: name and RDATA,
// not TTL.
func sameRR(a, b zone.Record) bool {
	return a.Name == b.Name && a.Target == b.Target && a.Port == b.Port && a.Priority == b.Priority && a.Weight == b.Weight
}

// Record is what to publish.
type Record struct {
	// Target is the KMS host's FQDN (the SRV target).
	Target string
	Port   uint16
	// TTL, or 0 for the TTL of the RRset the record joins.
	TTL      uint32
	Priority uint16
	Weight   uint16
	// Keep lists the fields the caller did not choose (kmsdns publish:
	// the flags not given). Where the host already has records at a
	// name, a kept field takes their value there, so publishing a host
	// again without saying its port never moves it; where it has none,
	// the field's value here is used (the CLI's DefaultPort, 0, 0). If
	// the host's records at a name disagree on a kept field, that zone's
	// plan is blocked: nothing is sent until the value is given. The zero
	// value keeps nothing: every field as given. A port given (FieldPort
	// not kept) names the host's records at that port: its records at
	// other ports are left alone, unless it has none at that port (then
	// its record moves there).
	Keep Fields
}

// Fields is a set of Record fields (Record.Keep).
type Fields uint8

// The fields Record.Keep can hold.
const (
	FieldPort Fields = 1 << iota
	FieldPriority
	FieldWeight
)

// Defaults for Record fields left at zero by the CLI.
const (
	DefaultPort = 1688
	DefaultTTL  = 3600
)

// ErrInput is wrapped by every error about bad input: nothing was sent.
var ErrInput = errors.New("invalid input")

// Check validates r. A TTL of 0 means the TTL of the RRset the record
// joins (DefaultTTL for a new one).
func (r Record) Check() (Record, error) {
	h, err := dnsx.CheckHost(r.Target)
	if err != nil {
		return r, fmt.Errorf("%w: %w", ErrInput, err)
	}
	r.Target = h
	if r.Port == 0 {
		return r, fmt.Errorf("%w: port 0 is not between 1 and 65535", ErrInput)
	}
	if r.TTL > math.MaxInt32 {
		return r, fmt.Errorf("%w: TTL %d is not between 1 and %d (RFC 2181)", ErrInput, r.TTL, math.MaxInt32)
	}
	return r, nil
}

// owner returns _vlmcs._tcp.<name>.<zone> (name may be empty or "@").
func owner(zoneName, name string) string {
	return zone.KMSName(zone.Qualify(name, zoneName))
}

// Change is what a plan does, or did, to one record: the record itself
// (owner, target, port, priority, weight, TTL) and the action.
type Change struct {
	Action Action
	// Record is the record as it is after the change (added, already
	// present, replaced) or as it was (removed); for "not present", only
	// Name and Target are set.
	Record zone.Record
	// Was are the records of the same host that a replacement removes.
	Was []zone.Record
}

// PlanPublish plans adding rec under name in a zone whose current records
// at that name are current: PlanPublishAll with one name and one record.
func PlanPublish(zoneName, server, name string, rec Record, current []zone.Record) *ZonePlan {
	zoneName = dns.CanonicalName(zoneName)
	return PlanPublishAll(zoneName, server, []string{name}, []Record{rec}, map[string][]zone.Record{owner(zoneName, name): current})
}

// PlanPublishAll plans adding every record of recs under every name (""
// or "@" is the apex) in one message. current holds the KMS records read
// from the primary, by owner name. A record for the same host with
// another port, TTL, priority or weight is replaced in the same message;
// when the port is given (not in Record.Keep) and the host has records at
// that port, only those are replaced or found present.
//
// An RRset has one TTL (RFC 2181 section 5.2), and servers give the whole
// set the TTL of a record added to it. A record with TTL 0 therefore takes
// the TTL of the RRset it joins (DefaultTTL for a new RRset); a TTL that
// differs from the set's changes the TTL of the set's other records too,
// and the plan's Note says so.
func PlanPublishAll(zoneName, server string, names []string, recs []Record, current map[string][]zone.Record) *ZonePlan {
	zoneName = dns.CanonicalName(zoneName)
	p := &ZonePlan{Zone: zoneName, Server: server, Current: map[string][]zone.Record{}}
	var notes, blocked []string
	for _, own := range owners(zoneName, names) {
		cur := current[own]
		if cur == nil {
			cur = []zone.Record{}
		}
		p.Current[own] = cur
		ttl := uint32(DefaultTTL)
		if len(cur) > 0 {
			ttl = cur[0].TTL
		}
		for _, r := range recs {
			if r.TTL != 0 {
				ttl = r.TTL
				break
			}
		}
		var added, deleted []zone.Record
		var seen []string
		for _, rec := range recs {
			host := dns.CanonicalName(rec.Target)
			if slices.Contains(seen, host) {
				continue // the same host given twice
			}
			seen = append(seen, host)
			var same []zone.Record
			for _, c := range cur {
				if c.Target == host {
					same = append(same, c)
				}
			}
			if rec.Keep&FieldPort == 0 {
				// The port was given: the host's records at that port are
				// the ones the command names, and its records at other
				// ports are left alone. With none there, the host's
				// record moves to the port (a replacement).
				var at []zone.Record
				for _, s := range same {
					if s.Port == rec.Port {
						at = append(at, s)
					}
				}
				if len(at) > 0 {
					same = at
				}
			}
			want, differ := keepFields(zone.Record{Zone: zoneName, Name: own, TTL: ttl, Priority: rec.Priority, Weight: rec.Weight, Port: rec.Port, Target: host}, rec.Keep, same)
			if differ != "" {
				blocked = append(blocked, fmt.Sprintf("%s has %d records under %s that differ in %s: say which to publish with --port (the host's records at other ports are left alone), --priority or --weight; publishing replaces every record of the host at the port", strings.TrimSuffix(host, "."), len(same), own, differ))
			}
			switch {
			case len(same) == 1 && sameRR(same[0], want) && same[0].TTL == want.TTL:
				p.Changes = append(p.Changes, Change{Action: ActionAlreadyPresent, Record: want})
			case len(same) == 0:
				p.Changes = append(p.Changes, Change{Action: ActionAdded, Record: want})
				added = append(added, want)
			default:
				p.Changes = append(p.Changes, Change{Action: ActionReplaced, Record: want, Was: same})
				added = append(added, want)
				deleted = append(deleted, same...)
				var was []string
				for _, s := range same {
					was = append(was, changed(s, want))
				}
				notes = append(notes, fmt.Sprintf("replaces %s under %s (%s) in the same message", strings.TrimSuffix(host, "."), own, strings.Join(was, "; ")))
			}
		}
		p.Add = append(p.Add, added...)
		p.Delete = append(p.Delete, deleted...)
		if len(added) > 0 {
			var others []zone.Record
			for _, c := range cur {
				if c.TTL != ttl && !slices.ContainsFunc(deleted, func(d zone.Record) bool { return sameRR(d, c) }) {
					others = append(others, c)
				}
			}
			if len(others) > 0 {
				notes = append(notes, fmt.Sprintf("changes the TTL of %d other record(s) of %s from %d to %d (an RRset has one TTL, RFC 2181 5.2)", len(others), own, others[0].TTL, ttl))
			}
		}
	}
	p.Action = summary(p.Changes, ActionAlreadyPresent)
	if p.Action == ActionAlreadyPresent {
		notes = append(notes, "the records exist as asked: nothing to send")
	}
	if len(blocked) > 0 {
		p.Blocked, p.Action = true, ActionSkipped
		notes = append(blocked, "nothing sent")
	}
	p.Note = strings.Join(notes, "; ")
	return p.failTooLarge()
}

// keepFields gives want the value of every field of keep that the host's
// records at the name (same) agree on; differ names the fields of keep
// they disagree on (want keeps its own value there).
func keepFields(want zone.Record, keep Fields, same []zone.Record) (zone.Record, string) {
	if len(same) == 0 {
		return want, ""
	}
	var differ []string
	for _, f := range []struct {
		field Fields
		name  string
		dst   *uint16
		get   func(zone.Record) uint16
	}{
		{FieldPort, "port", &want.Port, func(r zone.Record) uint16 { return r.Port }},
		{FieldPriority, "priority", &want.Priority, func(r zone.Record) uint16 { return r.Priority }},
		{FieldWeight, "weight", &want.Weight, func(r zone.Record) uint16 { return r.Weight }},
	} {
		if keep&f.field == 0 {
			continue
		}
		var vals []string
		for _, s := range same {
			if v := fmt.Sprint(f.get(s)); !slices.Contains(vals, v) {
				vals = append(vals, v)
			}
		}
		if len(vals) > 1 {
			differ = append(differ, fmt.Sprintf("%s (%s)", f.name, strings.Join(vals, ", ")))
			continue
		}
		*f.dst = f.get(same[0])
	}
	return want, strings.Join(differ, " and ")
}

// changed says how a replacement changes the record was: "port 1689 ->
// 1688, priority 10 -> 0", or "a duplicate" when only want's twin goes.
func changed(was, want zone.Record) string {
	var out []string
	for _, f := range []struct {
		name     string
		old, new uint32
	}{
		{"port", uint32(was.Port), uint32(want.Port)},
		{"priority", uint32(was.Priority), uint32(want.Priority)},
		{"weight", uint32(was.Weight), uint32(want.Weight)},
		{"TTL", was.TTL, want.TTL},
	} {
		if f.old != f.new {
			out = append(out, fmt.Sprintf("%s %d -> %d", f.name, f.old, f.new))
		}
	}
	if len(out) == 0 {
		return "a duplicate"
	}
	return strings.Join(out, ", ")
}

// summary is the action of a zone from its changes: the strongest one.
func summary(changes []Change, none Action) Action {
	best := none
	for _, c := range changes {
		switch {
		case c.Action == ActionReplaced:
			best = ActionReplaced
		case c.Action == ActionAdded && best != ActionReplaced:
			best = ActionAdded
		case c.Action == ActionRemoved:
			best = ActionRemoved
		}
	}
	return best
}

// owners returns the distinct owner names of names in zoneName, in order;
// no names is the apex.
func owners(zoneName string, names []string) []string {
	if len(names) == 0 {
		names = []string{""}
	}
	var out []string
	for _, n := range names {
		if o := owner(zoneName, n); !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

// PlanUnpublish plans removing every record under name whose target is
// host: PlanUnpublishAll with one name and one host.
func PlanUnpublish(zoneName, server, name, host string, current []zone.Record, force bool) *ZonePlan {
	zoneName = dns.CanonicalName(zoneName)
	return PlanUnpublishAll(zoneName, server, []string{name}, []string{host}, map[string][]zone.Record{owner(zoneName, name): current}, force)
}

// PlanUnpublishAll plans removing, in one message, every record under
// every name whose target is one of hosts. Other hosts' records are never
// touched. Removing the last record of a name is blocked unless force is
// set.
func PlanUnpublishAll(zoneName, server string, names, hosts []string, current map[string][]zone.Record, force bool) *ZonePlan {
	zoneName = dns.CanonicalName(zoneName)
	p := &ZonePlan{Zone: zoneName, Server: server, Current: map[string][]zone.Record{}}
	var absent []string
	for _, own := range owners(zoneName, names) {
		cur := current[own]
		if cur == nil {
			cur = []zone.Record{}
		}
		p.Current[own] = cur
		var seen []string
		for _, h := range hosts {
			host := dns.CanonicalName(h)
			if slices.Contains(seen, host) {
				continue
			}
			seen = append(seen, host)
			found := false
			for _, c := range cur {
				if c.Target == host {
					found = true
					p.Delete = append(p.Delete, c)
					p.Changes = append(p.Changes, Change{Action: ActionRemoved, Record: c})
				}
			}
			if !found {
				p.Changes = append(p.Changes, Change{Action: ActionNotPresent, Record: zone.Record{Zone: zoneName, Name: own, Target: host}})
				absent = append(absent, fmt.Sprintf("no record for %s under %s", strings.TrimSuffix(host, "."), own))
			}
		}
	}
	p.Action = summary(p.Changes, ActionNotPresent)
	if p.Action == ActionNotPresent {
		absent[len(absent)-1] += ": nothing to send"
	}
	p.Note = strings.Join(absent, "; ")
	if p.Action == ActionRemoved {
		guardLastRecord(p, force)
	}
	return p.failTooLarge()
}

// guardLastRecord blocks a plan that would leave a name that had records
// with none, unless force.
func guardLastRecord(p *ZonePlan, force bool) {
	for name, recs := range p.Expected() {
		if len(recs) == 0 && len(p.Current[name]) > 0 {
			if force {
				p.Note = join(p.Note, fmt.Sprintf("removes the last KMS record of %s (--force): clients there will fail with 0x8007232B", name))
				continue
			}
			p.Blocked, p.Action = true, ActionSkipped
			p.Note = join(p.Note, fmt.Sprintf("would remove the last KMS record of %s: clients whose DNS suffix is %s would then fail with 0x8007232B (DNS name does not exist); publish another host first, or give --force",
				name, strings.TrimSuffix(strings.TrimPrefix(name, zone.KMSService), ".")))
			return
		}
	}
}
