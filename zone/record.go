package zone

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/miekg/dns"
)

// Source says how a zone's records were obtained.
type Source string

// The sources a Snapshot can come from.
const (
	SourceAXFR  Source = "axfr"
	SourceQuery Source = "query"
	SourceFile  Source = "file"
)

// Record is one KMS SRV record: _vlmcs._tcp.<domain> SRV prio weight port target.
// Names are lower-cased and fully qualified.
type Record struct {
	Zone     string
	Name     string
	TTL      uint32
	Priority uint16
	Weight   uint16
	Port     uint16
	Target   string
	// Age is the Windows DNS aging timestamp ([AGE:n] in dnscmd exports:
	// hours since 1601-01-01 UTC) of a dynamically registered record; 0
	// when the record is static or the source has none.
	Age uint32
}

// windowsEpochHours is 1970-01-01 counted in hours since 1601-01-01, the
// epoch of Windows DNS aging timestamps.
const windowsEpochHours = 3234576

// Registered returns when a dynamically registered record was last
// refreshed, from its Windows aging timestamp; ok is false when the record
// has none (static records, or sources without aging).
func (r Record) Registered() (t time.Time, ok bool) {
	if r.Age <= windowsEpochHours || !validAge(r.Age) {
		return time.Time{}, false
	}
	return time.Unix(int64(r.Age-windowsEpochHours)*3600, 0).UTC(), true
}

// maxAgeHours is the last hour of year 9999 counted from 1601-01-01:
// later stamps are not times that JSON (RFC 3339) can carry.
const maxAgeHours = windowsEpochHours + 253402297199/3600

// validAge reports whether an aging stamp is a time before year 10000.
func validAge(age uint32) bool { return age <= maxAgeHours }

// String renders the record in zone-file form.
func (r Record) String() string {
	return fmt.Sprintf("%s\t%d\tIN\tSRV\t%d %d %d %s", r.Name, r.TTL, r.Priority, r.Weight, r.Port, r.Target)
}

// RR returns the record as a miekg/dns resource record.
func (r Record) RR() *dns.SRV {
	return &dns.SRV{
		Hdr:      dns.RR_Header{Name: r.Name, Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: r.TTL},
		Priority: r.Priority, Weight: r.Weight, Port: r.Port, Target: r.Target,
	}
}

// Snapshot is what was read from one zone.
type Snapshot struct {
	// Zone is the zone's name, fully qualified and lower-cased.
	Zone string
	// Source is how the records were read; empty when nothing could be read.
	Source Source
	// Server is the server that answered (host:port), empty for files.
	Server string
	// Files lists the zone files read, for SourceFile.
	Files []string
	// Serial is the SOA serial, valid when HasSerial is set.
	Serial    uint32
	HasSerial bool
	// Names are the extra names (client DNS suffixes) configured for the
	// zone, as given in its Spec.
	Names []string
	// Records are the KMS SRV records found, in the order read.
	Records []Record
	// Aliases are the zone's CNAME records, read by transfer when
	// ReadOptions.Aliases asks (at most DefaultMaxAliases;
	// AliasesDropped counts the rest).
	Aliases        []Alias
	AliasesDropped int
	// Seen counts every resource record read (transfer and file).
	Seen int
	// Refreshed is the newest Windows aging stamp ([AGE:n]) of any record
	// read from a zone file, SRV or not: a zone file is a snapshot, and a
	// domain controller refreshes its own records daily, so this is the
	// export's own time (at the latest). Zero when the file has no stamps
	// and for zones read from servers.
	Refreshed time.Time
	// Servers are the answers of each of the zone's NS servers, when
	// the audit's resolve.ViewAll asked for them; ServersErr says why they
	// could not be asked.
	Servers    []ServerView
	ServersErr error
	// Note explains how the source was chosen, e.g. why a transfer was not
	// used. Empty when there is nothing to say.
	Note string
	// Warnings are records the source sent that were ignored (outside the
	// zone), and what a zone file reader read past (records skipped, a
	// default TTL assumed, each naming file and line). At most a few are
	// kept; the last one counts the rest.
	Warnings []Warning
	// Err is set when the zone could not be read.
	Err error

	fileOpts FileOptions // how the files were read, to read them again
	cuts     cutSet      // the zone's delegations, until Read has checked Names
}

// KMSService is the first two labels of every KMS SRV owner name.
const KMSService = "_vlmcs._tcp."

// IsKMSName reports whether name is _vlmcs._tcp.<something>, in any case.
func IsKMSName(name string) bool {
	return len(name) > len(KMSService) && strings.EqualFold(name[:len(KMSService)], KMSService)
}

// KMSName returns the KMS SRV owner name for domain: _vlmcs._tcp.<domain>.
func KMSName(domain string) string {
	return KMSService + dns.CanonicalName(domain)
}

// RecordFromSRV turns an SRV RR into a Record of zone, its names
// lower-cased and fully qualified.
func RecordFromSRV(zone string, srv *dns.SRV) Record { return recordFromSRV(zone, srv) }

func recordFromSRV(zone string, srv *dns.SRV) Record {
	return Record{
		Zone:     zone,
		Name:     dns.CanonicalName(srv.Hdr.Name),
		TTL:      srv.Hdr.Ttl,
		Priority: srv.Priority,
		Weight:   srv.Weight,
		Port:     srv.Port,
		Target:   dns.CanonicalName(srv.Target),
	}
}

// Errors that callers can test with errors.Is.
var (
	// ErrTransferRefused: the server would not transfer the zone (REFUSED,
	// NOTAUTH without a TSIG error, NOTIMP, or an empty answer).
	ErrTransferRefused = errors.New("zone transfer refused")
	// ErrTimeout: the server did not answer in time.
	ErrTimeout = dnsx.ErrTimeout
	// ErrTruncated: a transfer ended before its closing SOA.
	ErrTruncated = errors.New("transfer ended before the closing SOA")
	// ErrTSIG: a TSIG failure, reported by the server or found in its answer.
	// The error is also a *TSIGError.
	ErrTSIG = errors.New("tsig failure")
	// ErrMalformed: the server answered, but not with a valid transfer
	// (garbage, a wrong message ID, an error rcode after the first
	// message, a first message without the SOA). Unlike a refusal it is
	// an error for the zone, never a reason to fall back to queries.
	ErrMalformed = errors.New("malformed answer")
	// ErrLimit: a transfer went beyond a limit (its overall deadline, or
	// the cap on KMS records per zone) and was stopped.
	ErrLimit = errors.New("transfer limit exceeded")
)

// Limits that keep a hostile or broken server from making a read endless
// or unbounded in memory.
const (
	// DefaultTransferTimeout bounds a whole zone transfer. A 10,000,000
	// record zone streams in about 25 s from a local BIND; five minutes
	// leaves room for slow links and busy servers.
	DefaultTransferTimeout = 5 * time.Minute
	// DefaultMaxRecords caps the KMS SRV records kept per zone, far above
	// any real deployment (a handful of hosts in a few hundred domains).
	DefaultMaxRecords = 10000
	// maxWarnings is how many ignored records a Snapshot names one by one.
	maxWarnings = 10
)

// Kinds of Warning.
const (
	// WarnOutOfZone: a record whose owner name is outside the zone being
	// read was ignored.
	WarnOutOfZone = "out-of-zone"
	// WarnZoneFile: a zone-file line read past, as named does: a record
	// that could not be read was skipped, or a default was assumed.
	WarnZoneFile = "zone-file"
)

// Warning is something a source sent that was ignored or read past, and
// why. It is data: the audit reports each as a finding.
type Warning struct {
	// Kind says what was wrong: WarnOutOfZone, WarnZoneFile, WarnBelowCut.
	Kind string
	// Record is the record ignored (its Zone is the zone being read), for
	// WarnOutOfZone and WarnBelowCut.
	Record Record
	// Cut is the delegated name Record is at or below, for WarnBelowCut.
	Cut string
	// File and Line say where, for zone files (for $GENERATE, the line of
	// the directive).
	File string
	Line int
	// Message explains it, never quoting more than a short prefix of a
	// zone file's text; for the last of many warnings it also counts the
	// ones not listed.
	Message string
}

// String is the message, after "file:line: " for zone files.
func (w Warning) String() string {
	if w.File == "" {
		return w.Message
	}
	return fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Message)
}

// collector keeps the KMS records read from one source: exact
// duplicates are dropped, records outside the zone become warnings, and
// at most max distinct records are kept, so memory is bounded whatever the
// source sends.
type collector struct {
	res     *Snapshot
	max     int
	seen    map[Record]struct{}
	sent    int // KMS SRV records received, kept or not
	outside int
}

func newCollector(res *Snapshot, max int) *collector {
	if max <= 0 {
		max = DefaultMaxRecords
	}
	return &collector{res: res, max: max, seen: map[Record]struct{}{}}
}

// add keeps rec unless it is a duplicate or outside the zone; it fails
// when rec would go beyond the cap.
func (c *collector) add(rec Record) error {
	c.sent++
	if !dns.IsSubDomain(c.res.Zone, rec.Name) {
		c.outside++
		if c.outside <= maxWarnings {
			c.res.Warnings = append(c.res.Warnings, Warning{Kind: WarnOutOfZone, Record: rec,
				Message: fmt.Sprintf("%s: owner %s is outside zone %s: ignored (a misconfigured or hostile server)", c.res.Server, rec.Name, c.res.Zone)})
		}
		return nil
	}
	if _, dup := c.seen[rec]; dup {
		return nil
	}
	if len(c.res.Records) >= c.max {
		return fmt.Errorf("%w: the server sent %d KMS records so far, %d of them distinct, more than the cap of %d per zone (max-kms-records)",
			ErrLimit, c.sent, len(c.res.Records)+1, c.max)
	}
	c.seen[rec] = struct{}{}
	c.res.Records = append(c.res.Records, rec)
	return nil
}

// finish counts the out-of-zone records not listed one by one.
func (c *collector) finish() {
	if n := c.outside - maxWarnings; n > 0 {
		w := &c.res.Warnings[len(c.res.Warnings)-1]
		w.Message += fmt.Sprintf("; %d more records outside the zone were ignored", n)
	}
}

// RcodeError is a DNS answer with an error rcode.
type RcodeError struct {
	Rcode int
}

func (e *RcodeError) Error() string {
	return "server answered " + dnsx.RcodeName(e.Rcode)
}

// Is makes REFUSED, NOTAUTH and NOTIMP answers match ErrTransferRefused.
func (e *RcodeError) Is(target error) bool {
	if target != ErrTransferRefused {
		return false
	}
	switch e.Rcode {
	case dns.RcodeRefused, dns.RcodeNotAuth, dns.RcodeNotImplemented:
		return true
	}
	return false
}

// TSIGError is a TSIG failure: either the server's TSIG error code (BADSIG,
// BADKEY, BADTIME, ...) or a signature on its answer that did not verify.
type TSIGError struct {
	// Code is the TSIG error the server reported (dns.RcodeBadSig, ...), or
	// 0 when the failure was found locally.
	Code int
	// Key is the key name used.
	Key string
	// Detail says what was found locally.
	Detail string
}

func (e *TSIGError) Error() string {
	key := strings.TrimSuffix(e.Key, ".")
	if e.Code == 0 {
		return fmt.Sprintf("TSIG check of the answer failed for key %q: %s", key, e.Detail)
	}
	if why := dnsx.TSIGProblem(e.Code); why != "" {
		return fmt.Sprintf("TSIG %s for key %q: %s", dnsx.RcodeName(e.Code), key, why)
	}
	return fmt.Sprintf("TSIG error %s for key %q", dnsx.RcodeName(e.Code), key)
}

// Is makes every TSIGError match ErrTSIG.
func (e *TSIGError) Is(target error) bool { return target == ErrTSIG }

// ServerView is what one of the zone's authoritative servers answers:
// its SOA serial and its _vlmcs._tcp records at the apex and extra names
// (filled in by the audit's resolve.ViewServers).
type ServerView struct {
	// Host is the NS host name; Server the address asked (ip:port).
	Host, Server string
	Serial       uint32
	HasSerial    bool
	Records      []Record
	// Err is set when the server gave no usable answer.
	Err error
}

// MaxNSHosts is how many NS hosts of a zone are tried (discovery) or
// asked (resolve.ViewServers), so that a zone listing thousands of
// unreachable name servers cannot make a read last for hours. Real zones
// have a few.
const MaxNSHosts = 16
