package audit

import (
	"cmp"
	"slices"
	"time"

	"github.com/kmsdns/kmsdns/zone"
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
	// Fix says what to do, in one sentence.
	Fix string `json:"fix"`
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

// Report is the result of an audit.
type Report struct {
	Version     int          `json:"version"`
	GeneratedAt time.Time    `json:"generated_at"`
	Zones       []ZoneReport `json:"zones"`
	Records     []Record     `json:"records"`
	Findings    []Finding    `json:"findings"`
	Summary     Summary      `json:"summary"`
}

// Options tune an audit.
type Options struct {
	// Now stamps the report; time.Now when nil.
	Now func() time.Time
}

// Build judges what was read and returns the report. Zones keep the order
// of results; findings are sorted by zone, errors first.
func Build(results []*zone.Result, opts Options) *Report {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	rep := &Report{Version: ReportVersion, GeneratedAt: now().UTC(), Zones: []ZoneReport{}, Records: []Record{}, Findings: []Finding{}}
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
			rep.Records = append(rep.Records, Record{
				Zone: rec.Zone, Name: rec.Name, TTL: rec.TTL, Priority: rec.Priority,
				Weight: rec.Weight, Port: rec.Port, Target: rec.Target, Source: string(r.Source),
			})
		}
		rep.Findings = append(rep.Findings, zoneFindings(r)...)
	}
	sortFindings(rep.Findings)
	rep.Summary = summarize(rep)
	return rep
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
