package audit

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// Severity of a finding.
type Severity string

// Severities, from worst to least.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

func (s Severity) rank() int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarning:
		return 1
	}
	return 2
}

// Finding is one problem found, or one fact worth knowing.
type Finding struct {
	// Check is the stable id of the check that found it.
	Check    string   `json:"check"`
	Severity Severity `json:"severity"`
	Zone     string   `json:"zone"`
	Name     string   `json:"name,omitempty"`
	Target   string   `json:"target,omitempty"`
	Port     uint16   `json:"port,omitempty"`
	Message  string   `json:"message"`
	// ClientErrors are the activation error codes clients hit because of it.
	ClientErrors []string `json:"client_errors,omitempty"`
	// Fix says what to do, in one sentence; when it includes a kmsdns
	// command, that is Command.String().
	Fix string `json:"fix"`
	// Command is the kmsdns command Fix suggests, as an argument list
	// (program name first); absent when the fix is not a kmsdns command.
	// It names no server or credential.
	Command Command `json:"command,omitempty"`
	// Commands are all the commands of a fix that takes more than one,
	// in the order to run them (Command is the first); absent otherwise.
	Commands []Command `json:"commands,omitempty"`
	// Disagreement details a servers-disagree finding.
	Disagreement *Disagreement `json:"disagreement,omitempty"`
	// ID is a stable digest of Check, Zone, Name, Target and Port (see
	// package audit/report); empty until set.
	ID string `json:"id,omitempty"`
	// Change is "new" or "persisting" against a baseline report; empty
	// without one.
	Change string `json:"change,omitempty"`
	// Record is the record the finding is about, as read (nil for
	// findings about a zone or a name). Not in the JSON report, which
	// carries Name, Target and Port.
	Record *zone.Record `json:"-"`
}

// ZoneReport says how one zone was read.
type ZoneReport struct {
	Zone   string   `json:"zone"`
	Source string   `json:"source,omitempty"`
	Server string   `json:"server,omitempty"`
	Files  []string `json:"files,omitempty"`
	// Serial is the SOA serial, nil when unknown.
	Serial  *uint32 `json:"serial,omitempty"`
	Records int     `json:"records"`
	Note    string  `json:"note,omitempty"`
	Error   string  `json:"error,omitempty"`
}

// Record is one KMS SRV record in a report.
type Record struct {
	Zone     string `json:"zone"`
	Name     string `json:"name"`
	TTL      uint32 `json:"ttl"`
	Priority uint16 `json:"priority"`
	Weight   uint16 `json:"weight"`
	Port     uint16 `json:"port"`
	Target   string `json:"target"`
	// Source is how the record was read: axfr, query or file.
	Source string `json:"source"`
	// Registered is when Windows DNS last saw the record refreshed (its
	// aging timestamp, in dnscmd exports); left out when unknown.
	Registered *time.Time `json:"registered,omitempty"`
}

// Summary counts zones, records and findings by severity.
type Summary struct {
	Zones    int `json:"zones"`
	Records  int `json:"records"`
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Info     int `json:"info"`
}

// ReportVersion is the version of the Report JSON schema.
const ReportVersion = 1

// Target is what the audit learned about one target:port: how it
// resolved and how it answered the probe.
type Target struct {
	Target string `json:"target"`
	Port   uint16 `json:"port"`
	// Resolution is a resolve.ResolveStatus: resolved, nxdomain, no-address,
	// not-verified; empty for the null target ".".
	Resolution string   `json:"resolution,omitempty"`
	CNAME      string   `json:"cname,omitempty"`
	Addresses  []string `json:"addresses,omitempty"`
	Via        string   `json:"via,omitempty"`
	// Probe is a probe.Status (kms, refused, timeout, unreachable,
	// not-kms, or cancelled when the audit was interrupted before the
	// host answered), empty when not probed.
	Probe       string `json:"probe,omitempty"`
	ProbeDetail string `json:"probe_detail,omitempty"`
	// ProbeMillis is how long the probe took.
	ProbeMillis int64 `json:"probe_ms,omitempty"`
	// CachedAddresses are what resolvers still hand out for a target the
	// zone's own data has no address for; CachedTTL is how many seconds
	// more they may (0 when unknown), CachedVia the resolver asked.
	CachedAddresses []string `json:"cached_addresses,omitempty"`
	CachedTTL       uint32   `json:"cached_ttl,omitempty"`
	CachedVia       string   `json:"cached_via,omitempty"`
	// CachedResolution is what that resolver answers when it disagrees
	// with the zone's own data: "resolved" (CachedAddresses), or
	// "nxdomain" / "no-address" for a target the zone has an address for
	// that the resolver's negative cache still denies (for CachedTTL
	// seconds more, from the SOA of its answer).
	CachedResolution string `json:"cached_resolution,omitempty"`
}

// Report is the result of an audit.
type Report struct {
	Version     int          `json:"version"`
	GeneratedAt time.Time    `json:"generated_at"`
	Zones       []ZoneReport `json:"zones"`
	Records     []Record     `json:"records"`
	Targets     []Target     `json:"targets"`
	Findings    []Finding    `json:"findings"`
	Summary     Summary      `json:"summary"`
	// Resolved are the baseline's findings that are gone; empty without
	// a baseline.
	Resolved []Finding `json:"resolved,omitempty"`
	// Interrupted: the context ended (Ctrl-C, SIGTERM) before the audit
	// did, so the report is incomplete: a host whose probe was cut short
	// has no finding from it (its target says probe "cancelled").
	Interrupted bool `json:"interrupted,omitempty"`
}

func summarize(rep *Report) Summary {
	s := Summary{Zones: len(rep.Zones), Records: len(rep.Records)}
	for _, f := range rep.Findings {
		switch f.Severity {
		case SeverityError:
			s.Errors++
		case SeverityWarning:
			s.Warnings++
		default:
			s.Info++
		}
	}
	return s
}

// sortFindings orders findings by zone, then severity (errors first), then
// name, target and check, keeping the order stable for equal keys.
func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Zone, b.Zone),
			cmp.Compare(a.Severity.rank(), b.Severity.rank()),
			cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Target, b.Target),
			cmp.Compare(a.Check, b.Check),
		)
	})
}

// ClientOutcome is what a client whose DNS suffix is Domain gets.
type ClientOutcome struct {
	Domain string
	// Records is how many KMS records the client is given.
	Records int
	// Working are the records that lead to a host where activation can
	// work (no failing finding), as "target:port".
	Working []string
}

// Outcome tells, from a report, what a client in domain experiences: it
// picks one of the _vlmcs._tcp.<domain> records by priority and weight.
func (r *Report) Outcome(domain string) ClientOutcome {
	domain = dns.CanonicalName(domain)
	name := "_vlmcs._tcp." + domain
	out := ClientOutcome{Domain: domain}
	type key struct {
		target string
		port   uint16
	}
	fails := map[key]bool{}
	for _, f := range r.Findings {
		if f.Name == name && failing(f) {
			fails[key{f.Target, f.Port}] = true
		}
	}
	for _, rec := range r.Records {
		if rec.Name != name {
			continue
		}
		out.Records++
		if !fails[key{rec.Target, rec.Port}] {
			out.Working = append(out.Working, fmt.Sprintf("%s:%d", rec.Target, rec.Port))
		}
	}
	return out
}
