// Package config reads kmsdns's YAML configuration file and merges it with
// command-line settings into the specs and options the library packages
// take. Invalid files are rejected as a whole, with the file, the field
// and what is wrong; nothing runs on a bad config.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/kmsdns/kmsdns/internal/regfile"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
	"go.yaml.in/yaml/v3"
)

// File is the configuration file as written.
type File struct {
	Defaults Defaults `yaml:"defaults"`
	Policy   Policy   `yaml:"policy"`
	Zones    []Zone   `yaml:"zones"`

	// path names the file in errors and in where a setting came from.
	path string
}

// Policy is what the audit expects of the records.
type Policy struct {
	// ExpectedPort is the KMS port every record should carry (1688).
	ExpectedPort int `yaml:"expected-port"`
	// HostPorts sets another expected port for some hosts.
	HostPorts map[string]int `yaml:"host-ports"`
	// ApprovedHosts, when set, are the only hosts that may be published.
	ApprovedHosts []string `yaml:"approved-hosts"`
	// DecommissionedHosts must no longer be published.
	DecommissionedHosts []string `yaml:"decommissioned-hosts"`
	// PublishGroups are lists of zones that must carry the same hosts.
	PublishGroups [][]string `yaml:"publish-groups"`
	// MaxTTL is the long-ttl bound (1 day).
	MaxTTL Duration `yaml:"max-ttl"`
	// StaleAfter is how long a Windows-aged record may go without a
	// refresh before stale-registration (7 days).
	StaleAfter Duration `yaml:"stale-after"`
}

// Defaults apply to every zone that does not set its own.
type Defaults struct {
	Server      string   `yaml:"server"`
	KeyFile     string   `yaml:"key-file"`
	KeyName     string   `yaml:"key-name"`
	Timeout     Duration `yaml:"timeout"`
	Concurrency int      `yaml:"concurrency"`
	Resolver    string   `yaml:"resolver"`
	// TransferTimeout bounds a whole zone transfer (5m).
	TransferTimeout Duration `yaml:"transfer-timeout"`
	// MaxKMSRecords caps the KMS records kept per zone (10000).
	MaxKMSRecords int `yaml:"max-kms-records"`
	// IncludeDirs are directories, besides each zone file's own, that
	// $INCLUDE may read from.
	IncludeDirs []string `yaml:"include-dirs"`
	// ProbeTimeout bounds each probe of a KMS host (3s).
	ProbeTimeout Duration `yaml:"probe-timeout"`
	// ProbeConcurrency bounds lookups and probes at once (64).
	ProbeConcurrency int `yaml:"probe-concurrency"`
	// NoProbe turns probing off.
	NoProbe bool `yaml:"no-probe"`
	// Update is how updates are sent (publish, unpublish, cleanup).
	Update Update `yaml:"update"`
	// State is kmsdns cleanup's state file (records it removed), read by
	// audit and written by cleanup and publish; --state overrides it.
	State string `yaml:"state"`
}

// Zone is one zone to audit.
type Zone struct {
	Name    string   `yaml:"name"`
	Server  string   `yaml:"server"`
	KeyFile string   `yaml:"key-file"`
	KeyName string   `yaml:"key-name"`
	Names   []string `yaml:"names"`
	Files   []string `yaml:"files"`
	Timeout Duration `yaml:"timeout"`
	// TransferTimeout bounds a whole transfer of this zone.
	TransferTimeout Duration `yaml:"transfer-timeout"`
	// Update is how updates are sent to this zone; it may use other
	// credentials than reading it.
	Update Update `yaml:"update"`
	// Desired is what plan and apply converge the zone's KMS records to.
	Desired Desired `yaml:"desired"`

	// at is where the zone is in the file ("zones[1]"), "" for a zone
	// given only on the command line.
	at string
}

// Duration is a time.Duration written as "10s", "1m30s".
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration like 10s or 1m", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MaxFileSize bounds the configuration file (and the secret files it
// names): a real one is a few kilobytes; /dev/zero is not read to the end.
const MaxFileSize = 1 << 20

// ErrTooLarge is wrapped by the error for a configuration file larger
// than MaxFileSize, or a password or secret file larger than 64 KiB (it
// is regfile.ErrTooLarge).
var ErrTooLarge = regfile.ErrTooLarge

// readCapped reads a file of at most limit bytes.
func readCapped(path string, limit int64) ([]byte, error) {
	f, err := regfile.Open(path) // a FIFO or device is refused, never waited on
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: %w: more than %d bytes", path, ErrTooLarge, limit)
	}
	return b, nil
}

// Load reads and checks a configuration file. Relative paths in it (key
// and zone files) are taken relative to the file's directory.
func Load(path string) (*File, error) {
	b, err := readCapped(path, MaxFileSize)
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			return nil, fmt.Errorf("config %s: %w (1 MiB): not a kmsdns configuration", path, ErrTooLarge)
		}
		return nil, fmt.Errorf("config: %w", err)
	}
	f, err := Parse(b, path)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	f.Defaults.KeyFile = rel(f.Defaults.KeyFile)
	for i := range f.Defaults.IncludeDirs {
		f.Defaults.IncludeDirs[i] = rel(f.Defaults.IncludeDirs[i])
	}
	f.Defaults.State = rel(f.Defaults.State)
	f.Defaults.Update.relative(rel)
	for i := range f.Zones {
		f.Zones[i].KeyFile = rel(f.Zones[i].KeyFile)
		f.Zones[i].Update.relative(rel)
		for j := range f.Zones[i].Files {
			f.Zones[i].Files[j] = rel(f.Zones[i].Files[j])
		}
	}
	return f, nil
}

var (
	typeSuffix   = regexp.MustCompile(` in type \S+`)
	unknownField = regexp.MustCompile(`field (\S+) not found`)
	hostName     = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}\.?)*$`)
)

// Parse parses and checks configuration text; file names it in errors.
func Parse(b []byte, file string) (*File, error) {
	var f File
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	err := dec.Decode(&doc)
	if err == nil {
		if err = checkShape(&doc, reflect.TypeOf(f), ""); err != nil {
			return nil, fmt.Errorf("config %s: %w", file, err)
		}
		err = doc.Decode(&f)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
		msg = typeSuffix.ReplaceAllString(msg, "")
		msg = unknownField.ReplaceAllString(msg, `unknown field "$1"`)
		return nil, fmt.Errorf("config %s: %s", file, msg)
	}
	f.path = file
	for i := range f.Zones {
		f.Zones[i].at = fmt.Sprintf("zones[%d]", i)
	}
	if err := f.check(); err != nil {
		return nil, fmt.Errorf("config %s: %w", file, err)
	}
	return &f, nil
}

func (f *File) check() error {
	d := f.Defaults
	if err := CheckServer(d.Server); err != nil {
		return fmt.Errorf("defaults.server: %w", err)
	}
	if err := CheckServer(d.Resolver); err != nil {
		return fmt.Errorf("defaults.resolver: %w", err)
	}
	if d.Concurrency < 0 || d.Concurrency > 1024 {
		return fmt.Errorf("defaults.concurrency: %d is not between 1 and 1024", d.Concurrency)
	}
	if d.KeyName != "" && d.KeyFile == "" {
		return errors.New("defaults.key-name: set without defaults.key-file")
	}
	if d.MaxKMSRecords < 0 {
		return fmt.Errorf("defaults.max-kms-records: %d is negative", d.MaxKMSRecords)
	}
	if d.ProbeConcurrency < 0 || d.ProbeConcurrency > 4096 {
		return fmt.Errorf("defaults.probe-concurrency: %d is not between 1 and 4096", d.ProbeConcurrency)
	}
	if err := f.Policy.check(); err != nil {
		return fmt.Errorf("policy.%w", err)
	}
	if err := d.Update.check(); err != nil {
		return fmt.Errorf("defaults.update.%w", err)
	}
	seen := map[string]int{}
	for i, z := range f.Zones {
		at := fmt.Sprintf("zones[%d]", i)
		if z.Name == "" && len(z.Files) == 0 {
			return fmt.Errorf("%s.name: missing", at)
		}
		if z.Name != "" {
			if err := CheckDomain(z.Name); err != nil {
				return fmt.Errorf("%s.name: %w", at, err)
			}
			c := dns.CanonicalName(z.Name)
			if j, dup := seen[c]; dup {
				return fmt.Errorf("%s.name: zone %s is already configured in zones[%d]", at, z.Name, j)
			}
			seen[c] = i
		}
		if err := CheckServer(z.Server); err != nil {
			return fmt.Errorf("%s.server: %w", at, err)
		}
		if len(z.Files) > 0 && z.Server != "" {
			return fmt.Errorf("%s: give either server or files, not both", at)
		}
		if z.KeyName != "" && z.KeyFile == "" && d.KeyFile == "" {
			return fmt.Errorf("%s.key-name: set without a key-file", at)
		}
		if err := z.Update.check(); err != nil {
			return fmt.Errorf("%s.update.%w", at, err)
		}
		for j, n := range z.Names {
			if err := CheckDomain(n); err != nil && n != "@" {
				return fmt.Errorf("%s.names[%d]: %w", at, j, err)
			}
			if z.Name != "" {
				if err := zone.CheckNames(z.Name, []string{n}); err != nil {
					return fmt.Errorf("%s.names[%d]: %w", at, j, err)
				}
			}
		}
	}
	return nil
}

func (p Policy) check() error {
	if p.ExpectedPort < 0 || p.ExpectedPort > 65535 {
		return fmt.Errorf("expected-port: %d is not between 1 and 65535", p.ExpectedPort)
	}
	for h, port := range p.HostPorts {
		if _, err := dnsx.CheckHost(h); err != nil {
			return fmt.Errorf("host-ports: %w", err)
		}
		if port < 1 || port > 65535 {
			return fmt.Errorf("host-ports.%s: %d is not between 1 and 65535", h, port)
		}
	}
	for i, h := range p.ApprovedHosts {
		if _, err := dnsx.CheckHost(h); err != nil {
			return fmt.Errorf("approved-hosts[%d]: %w", i, err)
		}
	}
	for i, h := range p.DecommissionedHosts {
		if _, err := dnsx.CheckHost(h); err != nil {
			return fmt.Errorf("decommissioned-hosts[%d]: %w", i, err)
		}
		for _, a := range p.ApprovedHosts {
			if dns.CanonicalName(a) == dns.CanonicalName(h) {
				return fmt.Errorf("decommissioned-hosts[%d]: %s is also an approved host", i, h)
			}
		}
	}
	for i, g := range p.PublishGroups {
		if len(g) < 2 {
			return fmt.Errorf("publish-groups[%d]: a group needs at least two zones", i)
		}
		for j, z := range g {
			if err := CheckDomain(z); err != nil {
				return fmt.Errorf("publish-groups[%d][%d]: %w", i, j, err)
			}
		}
	}
	if p.MaxTTL != 0 && time.Duration(p.MaxTTL) < time.Second {
		return errors.New("max-ttl: must be at least 1s")
	}
	return nil
}

// CheckDomain accepts a domain name: a zone, or a client's DNS suffix
// (dnsx.CheckDomain, where the rule lives so that the audit's fix
// commands are held to the same one). Callers name the flag or config
// field.
func CheckDomain(h string) error { return dnsx.CheckDomain(h) }

// CheckServer accepts host, host:port, IPv4, IPv6 and [IPv6]:port.
func CheckServer(s string) error {
	if s == "" {
		return nil
	}
	host, port := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
	} else if strings.Count(s, ":") == 1 {
		return fmt.Errorf("%q is not host or host:port", s)
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%q: port %q is not between 1 and 65535", s, port)
		}
	}
	if net.ParseIP(strings.Trim(host, "[]")) == nil {
		if !hostName.MatchString(host) {
			return fmt.Errorf("%q is not an address or host name", s)
		}
	}
	return nil
}

// Flags are command-line settings; zero values mean "not given".
type Flags struct {
	Zones       []string
	ZoneFiles   []string
	IncludeDirs []string
	Names       []string
	Server      string
	KeyFile     string
	KeyName     string
	// KeyAlgorithm with KeyName and a secret from SecretFile or the
	// KMSDNS_TSIG_SECRET environment variable gives a key without a key
	// file.
	KeyAlgorithm string
	SecretFile   string
	Timeout      time.Duration
	Concurrency  int
	Resolver     string
	Offline      bool
	// TransferTimeout and MaxKMSRecords are the transfer limits.
	TransferTimeout time.Duration
	MaxKMSRecords   int

	ProbeTimeout   time.Duration
	NoProbe        bool
	ExpectedPort   int
	Decommissioned []string
	Approved       []string
	MaxTTL         time.Duration
}

// Plan is what to read and how, and how to judge it.
type Plan struct {
	Specs   []zone.Spec
	Options zone.ReadOptions
	Policy  audit.Policy
	// Probe is false with --offline or --no-probe.
	Probe            bool
	ProbeTimeout     time.Duration
	ProbeConcurrency int
	// Timeout is the default network timeout, for target lookups.
	Timeout time.Duration
	// Warnings are things to tell the user before anything is sent
	// (key files readable by others).
	Warnings []string
}

// Merge combines the file (which may be nil) with flags, which win. With
// --zone or --zone-file only those zones are read (taking their settings
// from the file when it has them); otherwise every zone of the file.
func Merge(f *File, fl Flags) (*Plan, error) {
	if f == nil {
		f = &File{}
	}
	sec := newSecrets()
	p, _, err := merge(f, fl, sec)
	if err != nil {
		return nil, err
	}
	if fl.KeyName != "" && fl.KeyFile == "" && !slices.ContainsFunc(p.Specs, func(s zone.Spec) bool { return !s.Key.IsZero() }) {
		// Nothing to pick the key from: not a zone has a key file.
		return nil, errors.New("--key-name: given without a key file (--key-file, or key-file in the config) to pick it from, or --key-algorithm and a secret from --key-secret-file or $" + SecretEnv)
	}
	p.Warnings = sec.warnings
	return p, nil
}

// MergeWrite is Merge for a command that reads zones and then updates them
// (cleanup): one merge per zone gives its read settings (the Plan) and its
// update settings (the UpdatePlan) together. Updates go to the server the
// zone is read from (fl.Server), signed with the key it is read with,
// unless upd names GSS-TSIG credentials; then the zone's update section, the
// defaults' update section and the zone's read settings, as MergeUpdate
// does. Each key and secret file is read once, and each warning about one
// is in Plan.Warnings once. Zones read from files get no update settings.
func MergeWrite(f *File, fl Flags, upd Update) (*Plan, *UpdatePlan, error) {
	if f == nil {
		f = &File{}
	}
	sec := newSecrets()
	p, zones, err := merge(f, fl, sec)
	if err != nil {
		return nil, nil, err
	}
	ufl := UpdateFlags{Update: upd, Resolver: fl.Resolver, Timeout: fl.Timeout}
	ufl.Update.Server = fl.Server
	if !upd.UsesGSS() && upd.Keytab == "" && upd.PasswordFile == "" {
		ufl.Update.KeyFile, ufl.Update.KeyName = fl.KeyFile, fl.KeyName
		ufl.KeyAlgorithm, ufl.SecretFile = fl.KeyAlgorithm, fl.SecretFile
	}
	if err := ufl.Update.validate(true); err != nil {
		return nil, nil, fmt.Errorf("--%w", err)
	}
	var writable []Zone
	for _, z := range zones {
		if z.Name != "" && len(z.Files) == 0 {
			writable = append(writable, z)
		}
	}
	up, err := mergeUpdateZones(f, ufl, writable, sec)
	if err != nil {
		return nil, nil, err
	}
	p.Warnings = sec.warnings
	return p, up, nil
}

// merge is Merge with the secrets read so far; it also returns the zones
// as configured, one per spec.
func merge(f *File, fl Flags, sec *secrets) (*Plan, []Zone, error) {
	if err := CheckServer(fl.Server); err != nil {
		return nil, nil, fmt.Errorf("--server: %w", err)
	}
	if err := CheckServer(fl.Resolver); err != nil {
		return nil, nil, fmt.Errorf("--resolver: %w", err)
	}
	if fl.Concurrency < 0 || fl.Concurrency > 1024 {
		return nil, nil, fmt.Errorf("--concurrency: %d is not between 1 and 1024", fl.Concurrency)
	}
	if fl.Timeout < 0 || fl.TransferTimeout < 0 {
		return nil, nil, errors.New("--timeout and --transfer-timeout must be positive")
	}
	if fl.MaxKMSRecords < 0 {
		return nil, nil, errors.New("--max-kms-records: must be positive")
	}
	var flagKey zone.Key
	switch {
	case fl.KeyName != "" && fl.KeyFile == "" && fl.KeyAlgorithm != "":
		secret, err := sec.secret(fl.SecretFile)
		if err != nil {
			return nil, nil, err
		}
		if flagKey, err = zone.NewKey(fl.KeyName, fl.KeyAlgorithm, secret); err != nil {
			return nil, nil, err
		}
	case fl.KeyAlgorithm != "" || fl.SecretFile != "":
		return nil, nil, errors.New("--key-algorithm and --key-secret-file: give them with --key-name and without --key-file")
	}
	var zones []Zone
	switch {
	case len(fl.ZoneFiles) > 0:
		if len(fl.Zones) > 0 && len(fl.Zones) != len(fl.ZoneFiles) {
			return nil, nil, fmt.Errorf("--zone-file: %d files but %d --zone names: give one --zone per file, in the same order, or none (each file's origin is then read from it)", len(fl.ZoneFiles), len(fl.Zones))
		}
		if fl.Server != "" {
			return nil, nil, errors.New("--server: cannot be combined with --zone-file")
		}
		for i, file := range fl.ZoneFiles {
			z := Zone{Files: []string{file}}
			if len(fl.Zones) > 0 {
				if err := CheckDomain(fl.Zones[i]); err != nil {
					return nil, nil, fmt.Errorf("--zone: %w", err)
				}
				z.Name = fl.Zones[i]
			}
			zones = append(zones, z)
		}
	case len(fl.Zones) > 0:
		var err error
		zones, err = f.zonesNamed(fl.Zones, func(n string) error {
			if err := CheckDomain(n); err != nil {
				return fmt.Errorf("--zone: %w", err)
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	default:
		zones = f.Zones
	}
	if len(zones) == 0 {
		return nil, nil, errors.New("no zones to audit: give --zone, --zone-file or a --config file with zones")
	}
	for _, n := range fl.Names {
		if err := CheckDomain(n); err != nil && n != "@" {
			return nil, nil, fmt.Errorf("--name: %w", err)
		}
	}
	if len(fl.Names) > 0 && len(zones) != 1 {
		return nil, nil, errors.New("--name: applies to a single zone; with several, set names per zone in the config file")
	}

	if fl.ExpectedPort < 0 || fl.ExpectedPort > 65535 {
		return nil, nil, fmt.Errorf("--expected-port: %d is not between 1 and 65535", fl.ExpectedPort)
	}
	for _, h := range append(append([]string{}, fl.Decommissioned...), fl.Approved...) {
		if _, err := dnsx.CheckHost(h); err != nil {
			return nil, nil, fmt.Errorf("--decommissioned/--approved: %w", err)
		}
	}
	if fl.ProbeTimeout < 0 || fl.MaxTTL < 0 {
		return nil, nil, errors.New("--probe-timeout and --max-ttl must be positive")
	}
	p := &Plan{
		Probe:            !fl.Offline && !fl.NoProbe && !f.Defaults.NoProbe,
		ProbeTimeout:     time.Duration(first(int64(fl.ProbeTimeout), int64(f.Defaults.ProbeTimeout))),
		ProbeConcurrency: f.Defaults.ProbeConcurrency,
		Timeout:          time.Duration(first(int64(fl.Timeout), int64(f.Defaults.Timeout))),
	}
	pol := f.Policy
	p.Policy = audit.Policy{
		ExpectedPort:   uint16(first(fl.ExpectedPort, pol.ExpectedPort)),
		Approved:       append(append([]string{}, pol.ApprovedHosts...), fl.Approved...),
		Decommissioned: append(append([]string{}, pol.DecommissionedHosts...), fl.Decommissioned...),
		PublishGroups:  pol.PublishGroups,
		MaxTTL:         uint32(time.Duration(first(int64(fl.MaxTTL), int64(pol.MaxTTL))) / time.Second),
		StaleAfter:     time.Duration(pol.StaleAfter),
	}
	if len(pol.HostPorts) > 0 {
		p.Policy.HostPorts = map[string]uint16{}
		for h, port := range pol.HostPorts {
			p.Policy.HostPorts[dns.CanonicalName(h)] = uint16(port)
		}
	}
	p.Options = zone.ReadOptions{
		Concurrency: first(fl.Concurrency, f.Defaults.Concurrency),
		Resolver:    firstS(fl.Resolver, f.Defaults.Resolver),
		Offline:     fl.Offline,
		IncludeDirs: append(slices.Clip(fl.IncludeDirs), f.Defaults.IncludeDirs...),
	}
	for _, z := range zones {
		spec := zone.Spec{
			Zone:            z.Name,
			Server:          firstS(fl.Server, z.Server, f.Defaults.Server),
			Names:           append(append([]string{}, z.Names...), fl.Names...),
			Files:           z.Files,
			Timeout:         time.Duration(first(int64(fl.Timeout), int64(z.Timeout), int64(f.Defaults.Timeout))),
			TransferTimeout: time.Duration(first(int64(fl.TransferTimeout), int64(z.TransferTimeout), int64(f.Defaults.TransferTimeout))),
			MaxRecords:      first(fl.MaxKMSRecords, f.Defaults.MaxKMSRecords),
		}
		if spec.Zone != "" {
			if err := zone.CheckNames(spec.Zone, fl.Names); err != nil {
				return nil, nil, fmt.Errorf("--name: %w", err)
			}
		}
		if fl.Offline && len(spec.Files) == 0 {
			return nil, nil, fmt.Errorf("--offline: zone %s would need the network (no zone file given for it)", z.Name)
		}
		keyFile := firstS(fl.KeyFile, z.KeyFile, f.Defaults.KeyFile)
		keyName := firstS(fl.KeyName, z.KeyName, f.Defaults.KeyName)
		if !flagKey.IsZero() {
			if len(spec.Files) == 0 {
				spec.Key = flagKey
				spec.KeyOrigin = "--key-name and --key-algorithm, secret from " + firstS(fl.SecretFile, "$"+SecretEnv)
				if fl.SecretFile != "" {
					sec.warn(fl.SecretFile)
				}
			}
		} else if keyFile != "" && len(spec.Files) == 0 {
			from := f.setting(z, "key-file", fl.KeyFile, z.KeyFile)
			k, err := sec.key(z.Name, keyFile, keyName, from)
			if err != nil {
				return nil, nil, err
			}
			spec.Key = k
			spec.KeyOrigin = keyFile + " (" + from + ")"
		}
		p.Specs = append(p.Specs, spec)
	}
	return p, zones, nil
}

func first[T int | int64](vs ...T) T {
	for _, v := range vs {
		if v != 0 {
			return v
		}
	}
	return 0
}

func firstS(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
