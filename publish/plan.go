package publish

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// Action says what a plan does, or did, to a zone.
type Action string

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
}

// Target is a zone and the primary server updates go to.
type Target struct {
	Zone   string
	Server string
	// Signer signs this zone's updates; the Client's when nil. Reading
	// and writing may use different credentials, and zones may each have
	// their own.
	Signer Signer
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
func (p *ZonePlan) Prerequisites() []zone.Record {
	var out []zone.Record
	seen := map[string]bool{}
	for _, d := range p.Delete {
		if seen[d.Name] {
			continue
		}
		seen[d.Name] = true
		out = append(out, p.Current[d.Name]...)
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
	for _, r := range p.Delete {
		m.Remove([]dns.RR{r.RR()})
	}
	for _, r := range p.Add {
		m.Insert([]dns.RR{r.RR()})
	}
	return m
}

// Text renders the UPDATE message as zone-file text, section by section,
// for --dry-run. It never contains key material: messages are signed
// only when sent.
func (p *ZonePlan) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "; UPDATE for zone %s to %s\n", p.Zone, p.Server)
	fmt.Fprintf(&b, ";; ZONE\n%s\tIN\tSOA\n", p.Zone)
	if len(p.Delete) > 0 {
		b.WriteString(";; PREREQUISITES (the RRset must be exactly as read)\n")
		for _, r := range p.Prerequisites() {
			fmt.Fprintf(&b, "%s\t0\tIN\tSRV\t%d %d %d %s\n", r.Name, r.Priority, r.Weight, r.Port, r.Target)
		}
		b.WriteString(";; DELETE\n")
		for _, r := range p.Delete {
			fmt.Fprintf(&b, "%s\t0\tNONE\tSRV\t%d %d %d %s\n", r.Name, r.Priority, r.Weight, r.Port, r.Target)
		}
	}
	if len(p.Add) > 0 {
		b.WriteString(";; ADD\n")
		for _, r := range p.Add {
			b.WriteString(r.String())
			b.WriteByte('\n')
		}
	}
	return b.String()
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
	// Host is the KMS host's FQDN (the SRV target).
	Host     string
	Port     uint16
	TTL      uint32
	Priority uint16
	Weight   uint16
}

// Defaults for Record fields left at zero by the CLI.
const (
	DefaultPort = 1688
	DefaultTTL  = 3600
)

// ErrInput is wrapped by every error about bad input: nothing was sent.
var ErrInput = errors.New("invalid input")

// CheckHost validates a KMS host name: a fully qualifiable domain name of
// at least two labels, letters, digits and hyphens.
func CheckHost(host string) (string, error) {
	h := strings.TrimSuffix(strings.TrimSpace(host), ".")
	if h == "" {
		return "", fmt.Errorf("%w: empty host name", ErrInput)
	}
	labels := strings.Split(h, ".")
	if len(labels) < 2 {
		return "", fmt.Errorf("%w: host %q is not a fully qualified name (like kms1.contoso.com)", ErrInput, host)
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", fmt.Errorf("%w: host %q is not a valid host name", ErrInput, host)
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return "", fmt.Errorf("%w: host %q is not a valid host name (character %q)", ErrInput, host, c)
			}
		}
	}
	if len(h) > 253 {
		return "", fmt.Errorf("%w: host %q is longer than 253 characters", ErrInput, host)
	}
	return dns.CanonicalName(h), nil
}

// Check validates r and fills defaults.
func (r Record) Check() (Record, error) {
	h, err := CheckHost(r.Host)
	if err != nil {
		return r, err
	}
	r.Host = h
	if r.Port == 0 {
		return r, fmt.Errorf("%w: port 0 is not between 1 and 65535", ErrInput)
	}
	if r.TTL == 0 || r.TTL > math.MaxInt32 {
		return r, fmt.Errorf("%w: TTL %d is not between 1 and %d (RFC 2181)", ErrInput, r.TTL, math.MaxInt32)
	}
	return r, nil
}

// owner returns _vlmcs._tcp.<name>.<zone> (name may be empty or "@").
func owner(zoneName, name string) string {
	return zone.KMSName(zone.Qualify(name, zoneName))
}

// PlanPublish plans adding rec under name in a zone whose current records
// at that name are current. A record for the same host with other
// port, TTL, priority or weight is replaced in the same message.
func PlanPublish(zoneName, server, name string, rec Record, current []zone.Record) *ZonePlan {
	zoneName = dns.CanonicalName(zoneName)
	rec.Host = dns.CanonicalName(rec.Host)
	own := owner(zoneName, name)
	p := &ZonePlan{Zone: zoneName, Server: server, Current: map[string][]zone.Record{own: current}}
	want := zone.Record{Zone: zoneName, Name: own, TTL: rec.TTL, Priority: rec.Priority, Weight: rec.Weight, Port: rec.Port, Target: rec.Host}
	var same []zone.Record
	for _, c := range current {
		if c.Target == rec.Host {
			same = append(same, c)
		}
	}
	if len(same) == 1 && sameRR(same[0], want) && same[0].TTL == want.TTL {
		p.Action, p.Note = ActionAlreadyPresent, "the record exists as asked: nothing to send"
		return p
	}
	p.Add = []zone.Record{want}
	if len(same) == 0 {
		p.Action = ActionAdded
		return p
	}
	p.Delete = same
	p.Action = ActionReplaced
	var was []string
	for _, s := range same {
		was = append(was, fmt.Sprintf("%d %d %d ttl %d", s.Priority, s.Weight, s.Port, s.TTL))
	}
	p.Note = fmt.Sprintf("replaces %s (%s) in the same message", strings.TrimSuffix(rec.Host, "."), strings.Join(was, "; "))
	return p
}

// PlanUnpublish plans removing every record under name whose target is
// host. Other hosts' records are never touched. Removing the last record
// of the name is blocked unless force is set.
func PlanUnpublish(zoneName, server, name, host string, current []zone.Record, force bool) *ZonePlan {
	zoneName = dns.CanonicalName(zoneName)
	host = dns.CanonicalName(host)
	own := owner(zoneName, name)
	p := &ZonePlan{Zone: zoneName, Server: server, Current: map[string][]zone.Record{own: current}}
	for _, c := range current {
		if c.Target == host {
			p.Delete = append(p.Delete, c)
		}
	}
	if len(p.Delete) == 0 {
		p.Action, p.Note = ActionNotPresent, fmt.Sprintf("no record for %s under %s: nothing to send", strings.TrimSuffix(host, "."), own)
		return p
	}
	p.Action = ActionRemoved
	guardLastRecord(p, force)
	return p
}

// guardLastRecord blocks a plan that would leave a name that had records
// with none, unless force.
func guardLastRecord(p *ZonePlan, force bool) {
	for name, recs := range p.Expected() {
		if len(recs) == 0 && len(p.Current[name]) > 0 {
			if force {
				p.Note = fmt.Sprintf("removes the last KMS record of %s (--force): clients there will fail with 0x8007232B", name)
				continue
			}
			p.Blocked, p.Action = true, ActionSkipped
			p.Note = fmt.Sprintf("would remove the last KMS record of %s: clients whose DNS suffix is %s would then fail with 0x8007232B (DNS name does not exist); publish another host first, or give --force",
				name, strings.TrimSuffix(strings.TrimPrefix(name, zone.KMSService), "."))
			return
		}
	}
}
