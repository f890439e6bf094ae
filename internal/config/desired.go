package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
	"go.yaml.in/yaml/v3"
)

// Desired is a zone's desired: section, the KMS records kmsdns plan and
// kmsdns apply converge the zone to: for each name ("@" for the apex,
// else a name relative to the zone, the clients' DNS suffix), exactly
// these records. Names not listed are not managed and never touched.
//
//	desired:
//	  "@":  [kms1.contoso.com, {host: kms2.contoso.com, priority: 10}]
//	  emea: [{host: kms-emea.contoso.com, port: 1688, weight: 100, ttl: 3600}]
//
// Each item is checked when the file is loaded; after loading, every
// value is a DesiredHost. The items are typed DesiredItem (any) so that
// the file's shape check accepts both forms an item takes.
type Desired map[string][]DesiredItem

// DesiredItem is one item of a desired: list: a DesiredHost once the file
// is loaded.
type DesiredItem = any

// DesiredHost is one record a name must carry.
type DesiredHost struct {
	// Host is the SRV target, fully qualified and lower-cased.
	Host string
	// Port is 1688 unless given.
	Port uint16
	// Priority and Weight are 0 unless given.
	Priority uint16
	Weight   uint16
	// TTL is 0 when not given: the TTL of the RRset as it is (3600 for a
	// new one). An RRset has one TTL, so a list gives at most one.
	TTL uint32
	// Line is where the item is in the file (0 when not from a file).
	Line int
}

// kmsPort is the KMS port a host name alone stands for, and kmsService
// the first labels of every KMS SRV owner name (config stays plain data:
// it does not call into publish or zone for these).
const (
	kmsPort    = 1688
	kmsService = "_vlmcs._tcp."
)

// Limits on a desired: section (a real one has a few names and hosts).
const (
	maxDesiredNames = 1000
	maxDesiredHosts = 100
)

var desiredFields = []string{"host", "port", "priority", "weight", "ttl"}

// UnmarshalYAML reads and checks a desired: section, item by item.
func (d *Desired) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: desired: expected a mapping of names to lists of hosts", n.Line)
	}
	if len(n.Content)/2 > maxDesiredNames {
		return fmt.Errorf("line %d: desired: more than %d names", n.Line, maxDesiredNames)
	}
	out := Desired{}
	seen := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name := strings.TrimSpace(k.Value)
		at := fmt.Sprintf("line %d: desired.%s", k.Line, name)
		if err := checkDesiredName(name); err != nil {
			return fmt.Errorf("%s: %w", at, err)
		}
		canon := strings.ToLower(strings.TrimSuffix(name, "."))
		if name == "@" {
			canon = ""
		}
		if prev, dup := seen[canon]; dup {
			return fmt.Errorf("%s: the same name as %q", at, prev)
		}
		seen[canon] = name
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			return fmt.Errorf("%s: no list: write [] to remove every KMS record of %s, or list its hosts", at, name)
		}
		if v.Kind != yaml.SequenceNode {
			return fmt.Errorf("%s: expected a list of hosts, like [kms1.contoso.com]", at)
		}
		if len(v.Content) > maxDesiredHosts {
			return fmt.Errorf("%s: more than %d hosts", at, maxDesiredHosts)
		}
		items := []DesiredItem{}
		var hosts []DesiredHost
		for j, c := range v.Content {
			h, err := desiredHost(c)
			if err != nil {
				return fmt.Errorf("line %d: desired.%s[%d]: %w", c.Line, name, j, err)
			}
			for _, o := range hosts {
				if o.Host == h.Host {
					return fmt.Errorf("line %d: desired.%s[%d]: %s is listed twice (line %d)", c.Line, name, j, strings.TrimSuffix(h.Host, "."), o.Line)
				}
				if o.TTL != 0 && h.TTL != 0 && o.TTL != h.TTL {
					return fmt.Errorf("line %d: desired.%s[%d]: ttl %d differs from ttl %d on line %d: an RRset has one TTL (RFC 2181 5.2)", c.Line, name, j, h.TTL, o.TTL, o.Line)
				}
			}
			hosts = append(hosts, h)
			items = append(items, h)
		}
		out[name] = items
	}
	*d = out
	return nil
}

// checkDesiredName accepts "@" and names relative to the zone.
func checkDesiredName(name string) error {
	switch {
	case name == "@":
		return nil
	case name == "":
		return errors.New(`empty name: the apex is "@"`)
	case strings.HasSuffix(name, "."):
		return errors.New("write the name relative to the zone (emea, not emea.contoso.com.), or \"@\" for the apex")
	case strings.HasPrefix(strings.ToLower(name), "_vlmcs"):
		return errors.New("write the clients' DNS suffix relative to the zone (emea), not the SRV owner name (_vlmcs._tcp.emea)")
	}
	if err := CheckDomain(name); err != nil {
		return err
	}
	return nil
}

// desiredHost reads one item: a host name or a mapping.
func desiredHost(n *yaml.Node) (DesiredHost, error) {
	h := DesiredHost{Port: kmsPort, Line: n.Line}
	switch n.Kind {
	case yaml.ScalarNode:
		host, err := dnsx.CheckHost(n.Value)
		if err != nil {
			return h, err
		}
		h.Host = host
		return h, nil
	case yaml.MappingNode:
	default:
		return h, errors.New("expected a host name or a mapping with host, port, priority, weight, ttl")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(desiredFields, k.Value) {
			msg := fmt.Sprintf("unknown field %q (host, port, priority, weight, ttl)", k.Value)
			if s := Closest(k.Value, desiredFields); s != "" {
				msg += fmt.Sprintf(": did you mean %q?", s)
			}
			return h, errors.New(msg)
		}
		if k.Value == "host" {
			host, err := dnsx.CheckHost(v.Value)
			if v.Kind != yaml.ScalarNode || err != nil {
				return h, fmt.Errorf("host: %q is not a fully qualified host name", v.Value)
			}
			h.Host = host
			continue
		}
		lo, hi := int64(0), int64(math.MaxUint16)
		switch k.Value {
		case "port":
			lo = 1
		case "ttl":
			lo, hi = 1, math.MaxInt32
		}
		x, err := strconv.ParseInt(v.Value, 10, 64)
		if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || err != nil || x < lo || x > hi {
			return h, fmt.Errorf("%s: %q is not a whole number between %d and %d", k.Value, v.Value, lo, hi)
		}
		switch k.Value {
		case "port":
			h.Port = uint16(x)
		case "priority":
			h.Priority = uint16(x)
		case "weight":
			h.Weight = uint16(x)
		case "ttl":
			h.TTL = uint32(x)
		}
	}
	if h.Host == "" {
		return h, errors.New("host: missing")
	}
	return h, nil
}

// Hosts returns the desired records of name, typed.
func (d Desired) Hosts(name string) []DesiredHost {
	var out []DesiredHost
	for _, it := range d[name] {
		if h, ok := it.(DesiredHost); ok {
			out = append(out, h)
		}
	}
	return out
}

// DesiredName is one managed name of a zone.
type DesiredName struct {
	// Name is the name as written ("@", "emea").
	Name string
	// Domain is the clients' DNS suffix, fully qualified (emea.contoso.com.).
	Domain string
	// Owner is the SRV owner name: _vlmcs._tcp.<Domain>.
	Owner string
	// Hosts are the records it must carry; none means none.
	Hosts []DesiredHost
}

// DesiredZone is one zone with a desired state.
type DesiredZone struct {
	// Zone is the zone's entry in the file.
	Zone Zone
	// From says where its desired state is written ("kmsdns.yaml
	// zones[0].desired", or through a publish group).
	From string
	// Names are its managed names: the apex first, then by owner.
	Names []DesiredName
}

// ErrNoDesired is returned by DesiredZones for a file in which no zone
// has a desired: section.
var ErrNoDesired = errors.New("no zone has a desired: section")

// DesiredZones returns every zone with a desired state: its own desired:
// section or, for a zone without one, that of the zones of its
// policy.publish-groups that have one (they must agree). Zones read from
// files are not managed (plan and apply change zones on their servers).
func (f *File) DesiredZones() ([]DesiredZone, error) {
	byName := map[string]int{}
	for i, z := range f.Zones {
		if z.Name != "" {
			byName[dns.CanonicalName(z.Name)] = i
		}
	}
	var out []DesiredZone
	for i, z := range f.Zones {
		if z.Name == "" {
			continue
		}
		at := fmt.Sprintf("%s zones[%d]", f.path, i)
		d, from := z.Desired, at+".desired"
		if d == nil {
			var donors []int
			for gi, g := range f.Policy.PublishGroups {
				if !slices.ContainsFunc(g, func(s string) bool { return dns.CanonicalName(s) == dns.CanonicalName(z.Name) }) {
					continue
				}
				for _, member := range g {
					j, ok := byName[dns.CanonicalName(member)]
					if ok && f.Zones[j].Desired != nil && !slices.Contains(donors, j) {
						donors = append(donors, j)
						from = fmt.Sprintf("%s zones[%d].desired (policy.publish-groups[%d])", f.path, j, gi)
					}
				}
			}
			for _, j := range donors[min(1, len(donors)):] {
				if !sameDesired(f.Zones[donors[0]].Desired, f.Zones[j].Desired) {
					return nil, fmt.Errorf("config %s: zones[%d] (%s) has no desired: and the zones of its publish group disagree (%s and %s): give it its own desired: or make them agree",
						f.path, i, z.Name, f.Zones[donors[0]].Name, f.Zones[j].Name)
				}
			}
			if len(donors) == 0 {
				continue
			}
			d = f.Zones[donors[0]].Desired
		}
		if len(z.Files) > 0 {
			return nil, fmt.Errorf("config %s: %s: desired: needs a zone on a server (it is read from files)", f.path, at)
		}
		dz := DesiredZone{Zone: z, From: from}
		for name := range d {
			domain := dns.CanonicalName(strings.TrimSuffix(name, ".") + "." + z.Name)
			if name == "@" {
				domain = dns.CanonicalName(z.Name)
			}
			if err := zone.CheckNames(z.Name, []string{name}); err != nil && name != "@" {
				return nil, fmt.Errorf("config %s: %s.desired.%s: %w", f.path, at, name, err)
			}
			dz.Names = append(dz.Names, DesiredName{Name: name, Domain: domain, Owner: kmsService + domain, Hosts: d.Hosts(name)})
		}
		slices.SortFunc(dz.Names, func(a, b DesiredName) int {
			return cmp.Or(-cmp.Compare(boolInt(a.Name == "@"), boolInt(b.Name == "@")), strings.Compare(a.Owner, b.Owner))
		})
		out = append(out, dz)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("config %s: %w", f.path, ErrNoDesired)
	}
	return out, nil
}

// sameDesired compares two desired sections (names canonical, hosts as a
// set, lines ignored).
func sameDesired(a, b Desired) bool {
	canon := func(d Desired) map[string][]string {
		m := map[string][]string{}
		for name := range d {
			key := strings.ToLower(strings.TrimSuffix(name, "."))
			if key == "@" {
				key = ""
			}
			var hs []string
			for _, h := range d.Hosts(name) {
				hs = append(hs, fmt.Sprintf("%s %d %d %d %d", h.Host, h.Port, h.Priority, h.Weight, h.TTL))
			}
			slices.Sort(hs)
			m[key] = hs
		}
		return m
	}
	ca, cb := canon(a), canon(b)
	if len(ca) != len(cb) {
		return false
	}
	for k, v := range ca {
		if w, ok := cb[k]; !ok || !slices.Equal(v, w) {
			return false
		}
	}
	return true
}

// WriteDesired returns the configuration text src with the desired:
// section of every zone named in zones (by zone name) set to the names
// and hosts given, each host written with its TTL. Everything else in the
// file, comments included, is kept; zones not named are left alone.
func WriteDesired(src []byte, file string, zones map[string][]DesiredName) ([]byte, error) {
	return WriteDesiredNotes(src, file, zones, nil)
}

// WriteDesiredNotes is WriteDesired, with notes (by zone name) written as
// comment lines above each zone's desired: key: what it left out and why.
func WriteDesiredNotes(src []byte, file string, zones map[string][]DesiredName, notes map[string][]string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("config %s: %w", file, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("config %s: not a mapping of settings", file)
	}
	zs := mappingValue(doc.Content[0], "zones")
	if zs == nil || zs.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("config %s: no zones: list", file)
	}
	for _, zn := range zs.Content {
		if zn.Kind != yaml.MappingNode {
			continue
		}
		nameNode := mappingValue(zn, "name")
		if nameNode == nil {
			continue
		}
		names, ok := zones[dns.CanonicalName(nameNode.Value)]
		if !ok {
			continue
		}
		node := desiredNode(names)
		if v := mappingValue(zn, "desired"); v != nil {
			*v = *node
		} else {
			zn.Content = append(zn.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "desired"}, node)
		}
		for i := 0; i+1 < len(zn.Content); i += 2 {
			if k := zn.Content[i]; k.Value == "desired" {
				for _, n := range notes[dns.CanonicalName(nameNode.Value)] {
					k.HeadComment = strings.TrimPrefix(k.HeadComment+"\n# "+n, "\n")
				}
			}
		}
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("config %s: %w", file, err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// mappingValue is the value of key in mapping m, or nil.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// desiredNode renders names as a desired: mapping, one flow list per name.
func desiredNode(names []DesiredName) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for _, n := range names {
		k := &yaml.Node{Kind: yaml.ScalarNode, Value: n.Name}
		if n.Name == "@" {
			k.Style = yaml.DoubleQuotedStyle
		}
		list := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, h := range n.Hosts {
			item := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
			add := func(key, val string, tag string) {
				item.Content = append(item.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key},
					&yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: val})
			}
			add("host", strings.TrimSuffix(h.Host, "."), "!!str")
			if h.Port != kmsPort {
				add("port", strconv.Itoa(int(h.Port)), "!!int")
			}
			if h.Priority != 0 {
				add("priority", strconv.Itoa(int(h.Priority)), "!!int")
			}
			if h.Weight != 0 {
				add("weight", strconv.Itoa(int(h.Weight)), "!!int")
			}
			if h.TTL != 0 {
				add("ttl", strconv.Itoa(int(h.TTL)), "!!int")
			}
			list.Content = append(list.Content, item)
		}
		m.Content = append(m.Content, k, list)
	}
	return m
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
