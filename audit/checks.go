package audit

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kmsdns/kmsdns/audit/probe"
	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/internal/dnsx"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// Check ids: part of the JSON contract.
const (
	CheckNoKMSRecord       = "no-kms-record"
	CheckTargetUnresolv    = "target-unresolvable"
	CheckTargetCNAME       = "target-cname"
	CheckTargetNull        = "target-null"
	CheckDecommissioned    = "decommissioned"
	CheckUnapprovedHost    = "unapproved-host"
	CheckPortMismatch      = "port-mismatch"
	CheckHostUnreachable   = "host-unreachable"
	CheckNotKMS            = "not-kms"
	CheckDuplicateTarget   = "duplicate-target"
	CheckPartialPublish    = "partial-publish"
	CheckServersDisagree   = "servers-disagree"
	CheckNoLiveHost        = "no-live-host"
	CheckLowestPrioDead    = "lowest-priority-dead"
	CheckZeroWeight        = "zero-weight"
	CheckLongTTL           = "long-ttl"
	CheckZoneUnreadable    = "zone-unreadable"
	CheckZoneFileNote      = "zone-file-note"
	CheckTransferRefused   = "transfer-refused"
	CheckTargetNotVerified = "target-not-verified"
	CheckStale             = "stale-registration"
	CheckOutOfZone         = "out-of-zone-record"
	CheckNegativeCached    = "target-negative-cached"
)

// Activation error codes clients report (see the KMS troubleshooting
// articles): which DNS problem leads to which.
const (
	CodeNameNotExist  = "0x8007232B" // DNS name does not exist
	CodeNoRecords     = "0x8007251D" // no records found for the DNS query
	CodeNameVariant   = "0x80092328" // "DNS name does not exist" variant
	CodeSyntax        = "0x8007007B" // "DNS name does not exist" variant
	CodeServerFailure = "0x8007232A" // DNS server failure
	CodeRPCUnavail    = "0x800706BA" // RPC server unavailable
	CodeNoKMS         = "0xC004F074" // no KMS could be contacted
	CodeKMSNoAnswer   = "0xC004F039" // KMS did not answer: TCP filtered
	CodeKMSCannotUse  = "0xC004F042" // this KMS cannot activate this product
	CodeCountTooLow   = "0xC004F038" // count too low on the host found
)

// Older names, still used by state.go.
const (
	errRPCUnavail = CodeRPCUnavail
	errNoKMS      = CodeNoKMS
)

func short(name string) string { return strings.TrimSuffix(name, ".") }

// recordCtx is what a record check sees: the record, its zone, and what
// the audit learned about its target.
type recordCtx struct {
	a   *auditor
	r   *zone.Snapshot
	rec zone.Record
	// perTarget counts the records under the same owner name by target.
	perTarget map[string]int
	// res is the target's resolution for this zone, nil when not resolved.
	res *resolve.Resolution
	// cached is the resolvers' view of a target the zone's own server has
	// no address for; nil when not asked.
	cached *resolve.Resolution
	// negative is the resolvers' negative answer for a target the zone's
	// own server has an address for; nil when there is none.
	negative *resolve.Resolution
	// probe is the probe of target:port, nil when not probed.
	probe *probe.Result
	// cancelled: target:port's probe was cut short (the audit was
	// interrupted); probe is nil then.
	cancelled bool
	// found are the findings of the checks run so far on this record.
	found []Finding
	// twin is the host's record under the same owner at the expected port,
	// where the host answers, when this record is on another port
	// (port-mismatch): this record is the one to remove, by hand.
	twin *zone.Record
}

func (c *recordCtx) host() string { return short(c.rec.Target) }

func (c *recordCtx) finding(check string, sev Severity, msg, fix string, cmd Command, errs ...string) Finding {
	return Finding{Check: check, Severity: sev, Zone: c.r.Zone, Name: c.rec.Name, Target: c.rec.Target, Port: c.rec.Port,
		Message: msg, ClientErrors: errs, Fix: fix, Command: cmd}
}

func (c *recordCtx) has(check string) bool {
	return slices.ContainsFunc(c.found, func(f Finding) bool { return f.Check == check })
}

// unresolvable: the zone's own data (or the resolver, for targets outside
// it) has no address for the target.
func (c *recordCtx) unresolvable() bool {
	return c.res != nil && (c.res.Status == resolve.NXDomain || c.res.Status == resolve.NoAddress)
}

// unpublish is the command that removes this record's host under its owner.
// None when the record has a fix that keeps it working (port-mismatch's
// command: its host answers on the expected port): removing it would throw
// away a working host, and as the name's last record (--force) empty the
// name.
func (c *recordCtx) unpublish() Command {
	last := len(c.perTarget) == 1
	if c.portStory() {
		return nil
	}
	return unpublishCommand(c.a.fixZone(c.r), c.rec.Name, c.rec.Target, last)
}

// portFix is the command of this record's port-mismatch finding, when it
// has one: its host answers as a KMS host on the expected port, so
// publishing the record there makes it work. That finding then tells the
// record's story; host-unreachable and not-kms would only repeat that the
// record's own port fails, with advice (remove the record, start the
// service) that is wrong for a live host.
func (c *recordCtx) portFix() Command {
	for _, f := range c.found {
		if f.Check == CheckPortMismatch && f.Command != nil {
			return f.Command
		}
	}
	return nil
}

// portStory: this record's port-mismatch finding tells its story, its
// host answering on the expected port: with a command (portFix), or
// naming the host's record there that makes this one redundant (twin).
func (c *recordCtx) portStory() bool {
	return c.portFix() != nil || c.twin != nil
}

// unpublishPort is unpublish for a problem of this record's port only:
// none when the host has another record under the owner (unpublish would
// remove that one too; duplicate-target says which to keep).
func (c *recordCtx) unpublishPort() Command {
	if c.perTarget[c.rec.Target] > 1 {
		return nil
	}
	return c.unpublish()
}

// withCommand renders a fix sentence around cmd: with is used when there
// is a command (one %s for it), without when there is none.
func withCommand(cmd Command, with, without string) string {
	if cmd == nil {
		return without
	}
	return fmt.Sprintf(with, cmd.String())
}

// recordCheck is one named check of a single record.
type recordCheck struct {
	id  string
	run func(c *recordCtx) []Finding
}

// recordChecks are the per-record checks, in the order they run; a check
// sees the findings of those before it.
func recordChecks() []recordCheck {
	return []recordCheck{
		{CheckDecommissioned, checkDecommissioned},
		{CheckTargetUnresolv, checkTargetUnresolvable},
		{CheckNegativeCached, checkNegativeCached},
		{CheckTargetNotVerified, checkTargetNotVerified},
		{CheckTargetCNAME, checkTargetCNAME},
		{CheckUnapprovedHost, checkUnapproved},
		{CheckPortMismatch, checkPortMismatch},
		{CheckStale, checkStale},
		{CheckLongTTL, checkLongTTL},
		{CheckHostUnreachable, checkHostUnreachable},
		{CheckNotKMS, checkNotKMS},
	}
}

// checkTargetNull: kmsdns unpublish takes host names only, so the fix
// for "." is prose.
func checkTargetNull(c *recordCtx) []Finding {
	return []Finding{c.finding(CheckTargetNull, SeverityWarning,
		"the target is \".\": the record says the KMS service is decidedly not available in this domain (RFC 2782)",
		"Remove the \".\" record, or replace it with a KMS host's name if clients here should activate.",
		nil, CodeNoKMS)}
}

func checkDecommissioned(c *recordCtx) []Finding {
	if !inList(c.a.policy.Decommissioned, c.rec.Target) {
		return nil
	}
	cmd := c.unpublish()
	return []Finding{c.finding(CheckDecommissioned, SeverityError,
		fmt.Sprintf("%s is on the list of decommissioned KMS hosts but is still published", c.host()),
		withCommand(cmd, "Remove it ("+"%s"+"); if the machine still runs, turn off its publishing (slmgr /cdns) or it registers again within 24 hours.",
			"Remove its record; if the machine still runs, turn off its publishing (slmgr /cdns) or it registers again within 24 hours."),
		cmd, CodeRPCUnavail, CodeNoKMS)}
}

func checkTargetUnresolvable(c *recordCtx) []Finding {
	if !c.unresolvable() {
		return nil
	}
	res := c.res
	why := "the name does not exist"
	if res.Status == resolve.NoAddress {
		why = "the name has no A or AAAA record"
	}
	if res.CNAME != "" {
		why += fmt.Sprintf(" (alias to %s)", short(res.CNAME))
	}
	msg := fmt.Sprintf("%s does not resolve: %s (%s): a stale record for a host that is gone", c.host(), why, res.Via)
	codes := []string{CodeRPCUnavail, CodeNoKMS}
	if cv := c.cached; cv != nil && cv.Status == resolve.Resolved {
		msg = fmt.Sprintf("%s does not resolve in the zone's own data: %s (%s); resolvers still hand out %s (%s)",
			c.host(), why, res.Via, joinAddrs(cv), cv.Via)
		if cv.TTL > 0 {
			msg += fmt.Sprintf(" for up to %d s more", cv.TTL)
		}
		msg += ": clients that get the cached answer connect there"
		if p := c.probe; p != nil {
			if p.Status == probe.StatusKMS {
				msg += " and a KMS host still answers, until the cache expires"
			} else {
				msg += fmt.Sprintf(" and fail (%s)", p.Status)
			}
		}
		msg += "; after that they get " + map[bool]string{true: "NXDOMAIN", false: "no address"}[res.Status == resolve.NXDomain]
	}
	cmd := c.unpublish()
	return []Finding{c.finding(CheckTargetUnresolv, SeverityError, msg,
		withCommand(cmd, "Remove the record (%s) or restore the host's address record.",
			"Remove the record or restore the host's address record."),
		cmd, codes...)}
}

// checkNegativeCached is the reverse of a cached address: the zone's own
// server has an address for the target, but a resolver still answers
// from its negative cache (RFC 2308) that there is none. One finding
// tells what the zone says, what resolvers hand out, for how long, and
// what clients meet.
func checkNegativeCached(c *recordCtx) []Finding {
	n := c.negative
	if n == nil || c.res == nil || c.res.Status != resolve.Resolved {
		return nil
	}
	answer := map[bool]string{true: "NXDOMAIN", false: "no address (NODATA)"}[n.Status == resolve.NXDomain]
	msg := fmt.Sprintf("%s resolves in the zone's own data to %s (%s), but resolvers still answer %s (%s)",
		c.host(), joinAddrs(c.res), c.res.Via, answer, n.Via)
	if n.TTL > 0 {
		msg += fmt.Sprintf(" for up to %d s more, from their negative cache (the SOA minimum of %s)", n.TTL, short(n.NegativeSOA))
	} else {
		msg += ", from their negative cache"
	}
	msg += ": clients that ask such a resolver find no address for the host and cannot activate through this record"
	if c.perTarget != nil && len(c.perTarget) > 1 {
		msg += " (they try the other records)"
	}
	msg += fmt.Sprintf("; after that they get %s", joinAddrs(c.res))
	if p := c.probe; p != nil && p.Status == probe.StatusKMS {
		msg += ", where a KMS host answers"
	}
	return []Finding{c.finding(CheckNegativeCached, SeverityWarning, msg,
		fmt.Sprintf("Nothing to change in the zone: the answer expires by itself; to hurry it, flush the name on the resolvers (BIND: rndc flushname %s; Windows DNS: Clear-DnsServerCache), and keep the SOA minimum of %s low if new hosts must be usable sooner.", c.host(), short(n.NegativeSOA)),
		nil, CodeRPCUnavail, CodeNoKMS)}
}

func joinAddrs(r *resolve.Resolution) string {
	s := make([]string, len(r.Addrs))
	for i, a := range r.Addrs {
		s[i] = a.String()
	}
	return strings.Join(s, " ")
}

func checkTargetNotVerified(c *recordCtx) []Finding {
	if c.res == nil || c.res.Status != resolve.NotVerified {
		return nil
	}
	return []Finding{c.finding(CheckTargetNotVerified, SeverityInfo, fmt.Sprintf("%s was not verified: %v", c.host(), c.res.Err),
		"Run the audit without --offline, with a resolver that can see the name (--resolver), to check it.", nil)}
}

func checkTargetCNAME(c *recordCtx) []Finding {
	if c.res == nil || c.res.CNAME == "" || c.unresolvable() {
		return nil
	}
	real := dns.CanonicalName(c.res.CNAME)
	msg := fmt.Sprintf("%s is an alias of %s: RFC 2782 forbids aliases as SRV targets", c.host(), short(real))
	fz := c.a.fixZone(c.r)
	if c.perTarget[real] > 0 {
		// The host's own name is already in the RRset: the alias record
		// only doubles it.
		cmd := unpublishCommand(fz, c.rec.Name, c.rec.Target, false)
		return []Finding{c.finding(CheckTargetCNAME, SeverityWarning, msg,
			withCommand(cmd, fmt.Sprintf("%s already has its own record here: remove the record that points at the alias (%%s).", short(real)),
				fmt.Sprintf("%s already has its own record here: remove the record that points at the alias.", short(real))), cmd)}
	}
	var cmds []Command
	if c.aliasHostFit(real) {
		rec := c.rec
		rec.Target = real
		pub := c.a.republish(c.r, c.rec.Name, rec)
		unp := unpublishCommand(fz, c.rec.Name, c.rec.Target, false)
		if pub != nil && unp != nil {
			cmds = []Command{pub, unp}
		}
	}
	fix := fmt.Sprintf("Point the record at the host's own name (%s) once that host answers.", short(real))
	if cmds != nil {
		fix = fmt.Sprintf("Point the record at the host's own name: publish it (%s), then remove the record that points at the alias (%s).", cmds[0], cmds[1])
	}
	f := c.finding(CheckTargetCNAME, SeverityWarning, msg, fix, nil)
	if cmds != nil {
		f.Command, f.Commands = cmds[0], cmds
	}
	return []Finding{f}
}

// aliasHostFit: the host an alias target points to (real) may be
// published in its place: fit by policy and by what is known of it
// (hostOK), resolved through the alias to addresses, and, when the alias
// was probed (the same addresses and port), answering as a KMS host.
func (c *recordCtx) aliasHostFit(real string) bool {
	if !c.a.hostOK(real, c.rec.Port) || c.res.Status != resolve.Resolved || len(c.res.Addrs) == 0 {
		return false
	}
	return c.probe == nil || c.probe.Status == probe.StatusKMS
}

func checkUnapproved(c *recordCtx) []Finding {
	p := c.a.policy
	if len(p.Approved) == 0 || inList(p.Approved, c.rec.Target) || c.has(CheckDecommissioned) || c.has(CheckTargetUnresolv) {
		return nil
	}
	return []Finding{c.finding(CheckUnapprovedHost, SeverityWarning, fmt.Sprintf("%s is not an approved KMS host: a machine given a KMS host key by mistake publishes itself", c.host()),
		fmt.Sprintf("If %s should be a client, install a client setup key on it (slmgr /ipk) and remove its record; otherwise add it to the approved hosts.", c.host()),
		nil, CodeCountTooLow, CodeKMSCannotUse)}
}

// checkPortMismatch: clients connect to the port the record gives. When
// a KMS host answers there, the record works and the mismatch is only a
// note against the policy (info, not failing, no command). Otherwise it
// is an error, and moving the record to the expected port is suggested
// only when a KMS host was probed answering there.
func checkPortMismatch(c *recordCtx) []Finding {
	want := c.a.expectedPort(c.rec.Target)
	if c.rec.Port == want {
		return nil
	}
	if c.probe != nil && c.probe.Status == probe.StatusKMS {
		return []Finding{c.finding(CheckPortMismatch, SeverityInfo,
			fmt.Sprintf("%s answers as a KMS host on port %d, the port this record gives clients; the policy expects port %d", c.host(), c.rec.Port, want),
			fmt.Sprintf("Nothing fails: clients use the record's port. If port %d is intended, set it as the expected port (--expected-port %d, or policy host-ports for %s alone); do not move the record to port %d unless a KMS host listens there.", c.rec.Port, c.rec.Port, c.host(), want),
			nil)}
	}
	var cmd Command
	if c.a.answersKMS(c.rec.Target, want) && c.a.hostOK(c.rec.Target, want) && !c.has(CheckDecommissioned) && !c.unresolvable() && (c.res == nil || c.res.CNAME == "") {
		if i := slices.IndexFunc(c.r.Records, func(r zone.Record) bool {
			return r.Name == c.rec.Name && r.Target == c.rec.Target && r.Port == want
		}); i >= 0 {
			// The host already has its record at the expected port: that
			// one works and keeps its own priority and weight; this one
			// only has to go (publish leaves the host's records at other
			// ports alone, unpublish removes them all).
			twin := c.r.Records[i]
			c.twin = &twin
		} else {
			rec := c.rec
			rec.Port = want
			cmd = c.a.republish(c.r, c.rec.Name, rec)
		}
	}
	msg := fmt.Sprintf("port %d, but %s is expected on port %d: every client that picks this record connects to the wrong port", c.rec.Port, c.host(), want)
	if c.cancelled {
		// Interrupted: whether port c.rec.Port works is unknown, so the
		// record is not counted as failing (no false no-live-host).
		return []Finding{c.finding(CheckPortMismatch, SeverityWarning,
			fmt.Sprintf("port %d, but %s is expected on port %d; the probe of port %d was interrupted, so whether a KMS host answers there is unknown", c.rec.Port, c.host(), want, c.rec.Port),
			"Run the audit again to completion to know whether clients can activate through this record.", nil)}
	}
	fix := fmt.Sprintf("Do not republish %s until it works (see its other findings); if the host really listens on %d (slmgr /sprt), set that as its expected port.", c.host(), c.rec.Port)
	codes := []string{CodeRPCUnavail, CodeNoKMS}
	switch {
	case c.twin != nil:
		msg = fmt.Sprintf("port %d, but %s answers as a KMS host on port %d, the expected port, where it has its own record here: every client that picks this record connects to the wrong port", c.rec.Port, c.host(), want)
		fix = twinFix(c.host(), short(c.rec.Name), strconv.Itoa(int(c.rec.Port)), *c.twin)
	case cmd != nil:
		// This finding is the record's only story (portFix): it says
		// what its own port does.
		msg = fmt.Sprintf("port %d, but %s answers as a KMS host on port %d, the expected port: every client that picks this record connects to the wrong port", c.rec.Port, c.host(), want)
		if p := c.probe; p != nil {
			how := string(p.Status)
			if p.Detail != "" {
				how += ": " + p.Detail
			}
			msg = fmt.Sprintf("port %d, but %s answers as a KMS host on port %d, the expected port, and not on %d (%s): every client that picks this record connects to the wrong port", c.rec.Port, c.host(), want, c.rec.Port, how)
			if p.Status == probe.StatusTimeout || p.Status == probe.StatusUnreachable {
				codes = []string{CodeKMSNoAnswer, CodeNoKMS}
			}
		}
		fix = fmt.Sprintf("Publish the record with port %d (%s: it replaces the port-%d record).", want, cmd, c.rec.Port)
	case c.a.opts.Prober == nil && !c.unresolvable() && !c.has(CheckDecommissioned):
		fix = fmt.Sprintf("Find the port the KMS service on %s listens on (slmgr /dlv on it; this run did not probe): if %d, publish the record with that port; if %d, set that as its expected port.", c.host(), want, c.rec.Port)
	}
	return []Finding{c.finding(CheckPortMismatch, SeverityError, msg, fix, cmd, codes...)}
}

// twinFix is the fix for a host with a working record at the expected
// port (twin) beside records on port(s) wrong under one name
// (port-mismatch and duplicate-target say the same): remove those by
// hand, as no kmsdns command removes one record of a host and keeps
// another.
func twinFix(host, owner, wrong string, twin zone.Record) string {
	return fmt.Sprintf("Keep %s's record on port %d (priority %d, weight %d) as it is and remove the port-%s record under %s by hand (zone file, DNS console, or nsupdate): publish leaves a host's records at other ports alone, and unpublish would remove all of them.",
		host, twin.Port, twin.Priority, twin.Weight, wrong, owner)
}

func checkStale(c *recordCtx) []Finding {
	reg, ok := c.rec.Registered()
	now, export := staleClock(c.a.now, c.r)
	if !ok || now.Sub(reg) <= c.a.policy.StaleAfter {
		return nil
	}
	days := int(now.Sub(reg).Hours() / 24)
	when := fmt.Sprintf("%d days ago", days)
	if export {
		when = fmt.Sprintf("%d days older than the newest refresh in this export (%s)", days, now.Format("2006-01-02"))
	}
	cmd := c.unpublish()
	return []Finding{c.finding(CheckStale, SeverityWarning,
		fmt.Sprintf("Windows DNS last saw this record refreshed on %s, %s: a live KMS host refreshes it every 24 hours, so %s has stopped publishing or is gone", reg.Format("2006-01-02"), when, c.host()),
		withCommand(cmd, fmt.Sprintf("Check %s; if it is retired, remove the record (%%s) rather than wait for scavenging.", c.host()),
			fmt.Sprintf("Check %s; if it is retired, remove the record rather than wait for scavenging.", c.host())),
		cmd, CodeRPCUnavail, CodeNoKMS)}
}

// staleClock is the time record ages are judged against: for a zone file,
// a snapshot, the newest refresh of any record in it (the export's own
// time, as a domain controller refreshes its own records daily), never
// later than now; for a zone read from a server, now. export tells which.
func staleClock(now time.Time, r *zone.Snapshot) (t time.Time, export bool) {
	if r.Source != zone.SourceFile || r.Refreshed.IsZero() || r.Refreshed.After(now) {
		return now, false
	}
	return r.Refreshed, true
}

func checkLongTTL(c *recordCtx) []Finding {
	if c.rec.TTL <= c.a.policy.MaxTTL {
		return nil
	}
	var cmd Command
	if c.a.hostOK(c.rec.Target, c.rec.Port) && c.rec.Port == c.a.expectedPort(c.rec.Target) && !c.has(CheckDecommissioned) && !c.unresolvable() && (c.res == nil || c.res.CNAME == "") {
		rec := c.rec
		rec.TTL = min(3600, c.a.policy.MaxTTL)
		cmd = publishCommand(c.a.fixZone(c.r), c.rec.Name, rec)
	}
	return []Finding{c.finding(CheckLongTTL, SeverityInfo, fmt.Sprintf("TTL %d s is above %d s: resolvers keep serving a failed host's record that long", c.rec.TTL, c.a.policy.MaxTTL),
		withCommand(cmd, fmt.Sprintf("Lower the TTL (%d s: %%s) so a failed host drops out of DNS quickly.", min(3600, c.a.policy.MaxTTL)),
			"Lower the TTL (3600 s is common) so a failed host drops out of DNS quickly."), cmd)}
}

// probed is the probe result to judge the record by: only for a target
// its own zone resolves (an unresolvable one tells its story once, in
// target-unresolvable).
func (c *recordCtx) probed() *probe.Result {
	if c.probe == nil || c.unresolvable() || c.has(CheckDecommissioned) {
		return nil
	}
	return c.probe
}

func checkHostUnreachable(c *recordCtx) []Finding {
	pr := c.probed()
	if pr == nil || c.portStory() {
		return nil
	}
	addr := pr.Addr.String()
	port := c.rec.Port
	cmd := c.unpublishPort()
	switch pr.Status {
	case probe.StatusRefused:
		return []Finding{c.finding(CheckHostUnreachable, SeverityError, fmt.Sprintf("TCP connection to %s port %d (%s) refused after %v: nothing listens there", c.host(), port, addr, pr.Elapsed.Round(time.Millisecond)),
			fmt.Sprintf("Start the Software Protection service on %s and check its KMS port, or remove the record if the host is gone%s.", c.host(), orCmd(cmd)),
			cmd, CodeRPCUnavail, CodeNoKMS)}
	case probe.StatusTimeout, probe.StatusUnreachable:
		return []Finding{c.finding(CheckHostUnreachable, SeverityError, fmt.Sprintf("no TCP connection to %s port %d (%s): %s (waited %v)", c.host(), port, addr, pr.Detail, pr.Elapsed.Round(time.Millisecond)),
			fmt.Sprintf("Open TCP %d to %s in its firewall and on the path, or remove the record if the host is gone%s.", port, c.host(), orCmd(cmd)),
			cmd, CodeKMSNoAnswer, CodeNoKMS)}
	}
	return nil
}

func orCmd(cmd Command) string {
	if cmd == nil {
		return ""
	}
	return " (" + cmd.String() + ")"
}

func checkNotKMS(c *recordCtx) []Finding {
	pr := c.probed()
	if pr == nil || pr.Status != probe.StatusNotKMS || c.portStory() {
		return nil
	}
	return []Finding{c.finding(CheckNotKMS, SeverityError, fmt.Sprintf("%s port %d (%s) accepts TCP but is not a KMS host: %s", c.host(), c.rec.Port, pr.Addr.String(), pr.Detail),
		fmt.Sprintf("Point the record at a KMS host, or fix the port: something else answers on %s port %d.", c.host(), c.rec.Port),
		nil, CodeRPCUnavail, CodeNoKMS)}
}

// failing reports whether f means a client that picks the record cannot
// activate. A port-mismatch that is not an error does not: its own port
// answers as a KMS host (info; clients use the record's port), or its
// probe was interrupted (warning; unknown).
func failing(f Finding) bool {
	switch f.Check {
	case CheckTargetNull, CheckDecommissioned, CheckPortMismatch, CheckTargetUnresolv, CheckHostUnreachable, CheckNotKMS:
		return f.Check != CheckPortMismatch || f.Severity == SeverityError
	}
	return false
}

// ownerCtx is what an owner check sees: every record under one name and
// the findings of each.
type ownerCtx struct {
	a     *auditor
	r     *zone.Snapshot
	owner string
	recs  []zone.Record
	// fails[i] is set when recs[i] has a failing finding.
	fails []bool
	// portFixes[i] is the port-mismatch command of recs[i], nil when none.
	portFixes []Command
	// perTarget counts recs by target.
	perTarget map[string]int
}

// ownerChecks are the checks of all the records under one name.
func ownerChecks() []func(o *ownerCtx) []Finding {
	return []func(o *ownerCtx) []Finding{checkDuplicates, checkNoLiveHost, checkLowestPriorityDead, checkZeroWeight}
}

// checkDuplicates reports a target that appears more than once under one name.
func checkDuplicates(o *ownerCtx) []Finding {
	ports := map[string][]string{}
	var order []string
	for _, rec := range o.recs {
		if _, ok := ports[rec.Target]; !ok {
			order = append(order, rec.Target)
		}
		ports[rec.Target] = append(ports[rec.Target], strconv.Itoa(int(rec.Port)))
	}
	type tp struct {
		target string
		port   uint16
	}
	index := map[tp]int{}
	for i, r := range o.recs {
		if _, ok := index[tp{r.Target, r.Port}]; !ok {
			index[tp{r.Target, r.Port}] = i
		}
	}
	var out []Finding
	for _, t := range order {
		if len(ports[t]) < 2 {
			continue
		}
		var cmd Command
		want := o.a.expectedPort(t)
		wantS := strconv.Itoa(int(want))
		var wrong []string
		for _, p := range ports[t] {
			if p != wantS && !slices.Contains(wrong, p) {
				wrong = append(wrong, p)
			}
		}
		fix := "Keep one record for the host, with the port it listens on, once the host works (see its other findings)."
		if i, ok := index[tp{t, want}]; ok && !o.fails[i] {
			if len(wrong) == 0 {
				// Every record on the expected port: publishing the
				// first one as it is replaces them all with it.
				cmd = o.a.republish(o.r, o.owner, o.recs[i])
				fix = withCommand(cmd, "Keep one record for the host (%s keeps the first, with its priority and weight, and removes the others).", fix)
			} else {
				// As port-mismatch says of the records on the wrong port.
				fix = twinFix(short(t), short(o.owner), strings.Join(wrong, ", "), o.recs[i])
			}
		}
		out = append(out, Finding{
			Check: CheckDuplicateTarget, Severity: SeverityWarning, Zone: o.r.Zone, Name: o.owner, Target: t,
			Message: fmt.Sprintf("%s appears %d times under %s (ports %s): clients that pick the record with the wrong port cannot activate", short(t), len(ports[t]), short(o.owner), strings.Join(ports[t], ", ")),
			Fix:     fix,
			Command: cmd,
		})
	}
	return out
}

// goodHost is a record under the zone that a fix may point clients to:
// the first at the expected port whose host is fit to publish. It is
// looked for once per zone.
func (o *ownerCtx) goodHost() (zone.Record, bool) {
	a := o.a
	if g, ok := a.good[o.r.Zone]; ok {
		return g, g.Target != ""
	}
	var g zone.Record
	for _, rec := range o.r.Records {
		if rec.Target != "." && rec.Port == a.expectedPort(rec.Target) && a.hostOK(rec.Target, rec.Port) {
			g = rec
			break
		}
	}
	a.good[o.r.Zone] = g
	return g, g.Target != ""
}

func checkNoLiveHost(o *ownerCtx) []Finding {
	n := 0
	for _, f := range o.fails {
		if f {
			n++
		}
	}
	if n < len(o.recs) {
		return nil
	}
	domain := short(strings.TrimPrefix(o.owner, zone.KMSService))
	f := Finding{
		Check: CheckNoLiveHost, Severity: SeverityError, Zone: o.r.Zone, Name: o.owner,
		Message:      fmt.Sprintf("every KMS record under %s fails (%d of %d): no client whose DNS suffix is %s can activate", short(o.owner), n, len(o.recs), domain),
		ClientErrors: []string{CodeNoKMS},
	}
	// A host here that answers on the expected port needs no other host:
	// its record's port-mismatch command makes the name work.
	var moves []Command
	var shown []string
	for _, c := range o.portFixes {
		if c != nil {
			moves = append(moves, c)
			shown = append(shown, c.String())
		}
	}
	if len(moves) > 0 {
		f.Command = moves[0]
		if len(moves) > 1 {
			f.Commands = moves
			f.Fix = fmt.Sprintf("The hosts answer as KMS hosts on the expected port: publish their records with that port (%s; each replaces the record on the wrong port, see port-mismatch).", strings.Join(shown, "; "))
		} else {
			f.Fix = fmt.Sprintf("The host answers as a KMS host on the expected port: publish its record with that port (%s: it replaces the record on the wrong port, see port-mismatch).", shown[0])
		}
		return []Finding{f}
	}
	switchedOff := !slices.ContainsFunc(o.recs, func(r zone.Record) bool { return r.Target != "." })
	if g, ok := o.goodHost(); ok && !switchedOff {
		// Another name's host joins this RRset: only its target and port
		// are the donor's; the RRset keeps its TTL (a publish with another
		// TTL would change the TTL of the name's other records), and the
		// host takes the name's lowest priority.
		rec := g
		rec.TTL, rec.Priority, rec.Weight = o.recs[0].TTL, o.recs[0].Priority, 0
		for _, r := range o.recs {
			rec.Priority = min(rec.Priority, r.Priority)
		}
		f.Command = o.a.republish(o.r, o.owner, rec)
	}
	f.Fix = withCommand(f.Command, "Publish a working KMS host here first (%s), then remove the failing records.",
		"Bring up a working KMS host and publish it here first, then remove the failing records.")
	if switchedOff {
		f.Fix = "Nothing to do if KMS is switched off here on purpose; otherwise publish a working KMS host here and remove the \".\" record."
	}
	return []Finding{f}
}

// checkLowestPriorityDead: clients try the lowest priority first (RFC
// 2782; Windows 7 and later), so when every host there fails every client
// first meets a dead host and depends on failover.
func checkLowestPriorityDead(o *ownerCtx) []Finding {
	if len(o.recs) == 0 {
		return nil
	}
	lowest := o.recs[0].Priority
	for _, r := range o.recs {
		lowest = min(lowest, r.Priority)
	}
	anyWorking := false
	for i, r := range o.recs {
		if r.Priority == lowest && !o.fails[i] {
			return nil
		}
		if !o.fails[i] {
			anyWorking = true
		}
	}
	if !anyWorking {
		return nil // no-live-host tells it
	}
	f := Finding{
		Check: CheckLowestPrioDead, Severity: SeverityError, Zone: o.r.Zone, Name: o.owner,
		Message:      fmt.Sprintf("every host at the lowest priority (%d) under %s fails: every client tries a dead host first and activates only if it fails over", lowest, short(o.owner)),
		ClientErrors: []string{CodeRPCUnavail},
	}
	// A host at that priority that answers on the expected port: its
	// record's port-mismatch command brings it back.
	for i, r := range o.recs {
		if c := o.portFixes[i]; c != nil && r.Priority == lowest {
			f.Command = c
			f.Fix = fmt.Sprintf("%s answers as a KMS host on the expected port: publish its record with that port (%s: it replaces the record on the wrong port, see port-mismatch).", short(r.Target), c)
			return []Finding{f}
		}
	}
	var cmd Command
	for i, r := range o.recs {
		if !o.fails[i] && r.Target != "." && o.a.hostOK(r.Target, r.Port) {
			rec := r
			rec.Priority = lowest
			cmd = o.a.republish(o.r, o.owner, rec)
			break
		}
	}
	f.Command = cmd
	f.Fix = withCommand(cmd, fmt.Sprintf("Bring the priority-%d hosts back, or move a working host to priority %d (%%s), then remove the dead records.", lowest, lowest),
		fmt.Sprintf("Bring the priority-%d hosts back, or give a working host priority %d, then remove the dead records.", lowest, lowest))
	return []Finding{f}
}

// checkZeroWeight: weight 0 beside non-zero weights at the same priority
// means that host is practically never chosen (RFC 2782).
func checkZeroWeight(o *ownerCtx) []Finding {
	weighted := map[uint16]bool{}
	for _, r := range o.recs {
		if r.Weight > 0 {
			weighted[r.Priority] = true
		}
	}
	var out []Finding
	for _, r := range o.recs {
		if r.Weight != 0 || !weighted[r.Priority] || r.Target == "." {
			continue
		}
		out = append(out, Finding{
			Check: CheckZeroWeight, Severity: SeverityInfo, Zone: o.r.Zone, Name: o.owner, Target: r.Target, Port: r.Port,
			Message: fmt.Sprintf("weight 0 beside non-zero weights at priority %d: clients practically never pick %s", r.Priority, short(r.Target)),
			Fix:     fmt.Sprintf("If %s should share the load, give it a weight like its peers'; if it is a standby, give it a higher priority number.", short(r.Target)),
		})
	}
	return out
}

// zoneFindings judges one zone.
func (a *auditor) zoneFindings(r *zone.Snapshot) []Finding {
	var notes []Finding
	for _, w := range r.Warnings {
		if w.Kind != zone.WarnZoneFile {
			continue
		}
		notes = append(notes, Finding{
			Check: CheckZoneFileNote, Severity: SeverityInfo, Zone: r.Zone, Message: w.String(),
			Fix: "Nothing to do for KMS clients; to silence this, give the file a $TTL or write the line named in a standard form.",
		})
	}
	if r.Err != nil {
		fix := "Check that the server is reachable and allows this host (and key) to transfer or query the zone, then run the audit again."
		if r.Source == zone.SourceFile {
			fix = "Fix or replace the zone file at the place named, then run the audit again."
		}
		return append(notes, Finding{
			Check: CheckZoneUnreadable, Severity: SeverityError, Zone: r.Zone,
			Message: "could not read the zone: " + r.Err.Error(),
			Fix:     fix,
		})
	}
	out := notes
	if r.Source == zone.SourceQuery {
		out = append(out, Finding{
			Check: CheckTransferRefused, Severity: SeverityInfo, Zone: r.Zone,
			Message: "read by direct queries: " + r.Note + "; only the apex and configured names were checked",
			Fix:     "Allow zone transfers to this host (allow-transfer, or a TSIG key) so that KMS records at every depth are found.",
		})
	}
	for _, w := range r.Warnings {
		if w.Kind != zone.WarnOutOfZone {
			continue
		}
		out = append(out, Finding{
			Check: CheckOutOfZone, Severity: SeverityWarning, Zone: r.Zone, Name: w.Record.Name,
			Target: w.Record.Target, Port: w.Record.Port, Message: w.String(),
			Fix: "Check what the server serves for this zone (a misconfigured or hostile server); the record was not audited.",
		})
	}
	out = append(out, a.noRecord(r)...)

	// Records grouped by owner name, in the order read.
	var owners []string
	byOwner := map[string][]zone.Record{}
	for _, rec := range r.Records {
		if _, ok := byOwner[rec.Name]; !ok {
			owners = append(owners, rec.Name)
		}
		byOwner[rec.Name] = append(byOwner[rec.Name], rec)
	}
	for _, owner := range owners {
		o := &ownerCtx{a: a, r: r, owner: owner, recs: byOwner[owner], perTarget: map[string]int{}}
		for _, rec := range o.recs {
			o.perTarget[rec.Target]++
		}
		for _, rec := range o.recs {
			fs := a.recordFindings(r, rec, o.perTarget)
			out = append(out, fs...)
			o.fails = append(o.fails, slices.ContainsFunc(fs, failing))
			var pf Command
			if i := slices.IndexFunc(fs, func(f Finding) bool { return f.Check == CheckPortMismatch && f.Command != nil }); i >= 0 {
				pf = fs[i].Command
			}
			o.portFixes = append(o.portFixes, pf)
		}
		for _, check := range ownerChecks() {
			out = append(out, check(o)...)
		}
	}
	out = a.byHand(r, out)
	out = append(out, serversDisagree(r)...)
	return out
}

// recordFindings runs every record check on rec.
func (a *auditor) recordFindings(r *zone.Snapshot, rec zone.Record, perTarget map[string]int) []Finding {
	c := &recordCtx{a: a, r: r, rec: rec, perTarget: perTarget}
	if rec.Target == "." {
		return checkTargetNull(c)
	}
	if res, ok := a.resolved[zoneTarget{r.Zone, rec.Target}]; ok {
		c.res = &res
	}
	if cv, ok := a.cached[zoneTarget{r.Zone, rec.Target}]; ok {
		c.cached = &cv
	}
	if n, ok := a.negative[zoneTarget{r.Zone, rec.Target}]; ok {
		c.negative = &n
	}
	if pr, ok := a.probes[targetPort{rec.Target, rec.Port}]; ok {
		// A probe cut short by the caller tells nothing: no finding.
		c.cancelled = pr.Status == probe.StatusCancelled
		if !c.cancelled {
			c.probe = &pr
		}
	}
	for _, check := range recordChecks() {
		c.found = append(c.found, check.run(c)...)
	}
	return c.found
}

// noRecord reports the apex and each configured name without a record.
func (a *auditor) noRecord(r *zone.Snapshot) []Finding {
	var out []Finding
	have := map[string]bool{}
	for _, rec := range r.Records {
		have[rec.Name] = true
	}
	seen := map[string]bool{}
	for _, n := range append([]string{r.Zone}, r.Names...) {
		domain := zone.Qualify(n, r.Zone)
		name := zone.KMSName(domain)
		if seen[name] || have[name] {
			continue
		}
		seen[name] = true
		var cmd Command
		if g, ok := (&ownerCtx{a: a, r: r}).goodHost(); ok {
			// A new name: the donor's target and port, publish's
			// defaults for the rest.
			rec := g
			rec.TTL, rec.Priority, rec.Weight = newNameTTL, 0, 0
			cmd = publishCommand(a.fixZone(r), name, rec)
		}
		out = append(out, Finding{
			Check: CheckNoKMSRecord, Severity: SeverityError, Zone: r.Zone, Name: name,
			Message:      fmt.Sprintf("no _vlmcs._tcp SRV record: KMS clients whose DNS suffix is %s cannot find a KMS host", short(domain)),
			ClientErrors: []string{CodeNameNotExist, CodeNoRecords, CodeNameVariant, CodeSyntax},
			Fix: withCommand(cmd, fmt.Sprintf("Publish a working KMS host here (%%s), or add %s to DnsDomainPublishList on the KMS host.", short(domain)),
				fmt.Sprintf("Publish a working KMS host here, or add %s to DnsDomainPublishList on the KMS host.", short(domain))),
			Command: cmd,
		})
	}
	return out
}

// Disagreement is what one name server of a zone answers differently
// from the source the audit read (servers-disagree).
type Disagreement struct {
	// Host is the name server's name (from the NS records), Server the
	// address asked.
	Host   string `json:"host"`
	Server string `json:"server,omitempty"`
	// Serial is the name server's SOA serial, SourceSerial the source's;
	// nil when unknown.
	Serial       *uint32 `json:"serial,omitempty"`
	SourceSerial *uint32 `json:"source_serial,omitempty"`
	// Extra are records the server has and the source lacks, Missing the
	// reverse, in zone-file form.
	Extra   []string `json:"extra,omitempty"`
	Missing []string `json:"missing,omitempty"`
	// ExtraRecords and MissingRecords are the same records as fields.
	ExtraRecords   []DisagreeRecord `json:"extra_records,omitempty"`
	MissingRecords []DisagreeRecord `json:"missing_records,omitempty"`
	// Error is why the server could not be asked.
	Error string `json:"error,omitempty"`
}

// DisagreeRecord is one SRV record of a Disagreement.
type DisagreeRecord struct {
	Name     string `json:"name"`
	Target   string `json:"target"`
	Port     uint16 `json:"port"`
	Priority uint16 `json:"priority"`
	Weight   uint16 `json:"weight"`
	TTL      uint32 `json:"ttl"`
}

func disagreeRecord(r zone.Record) DisagreeRecord {
	return DisagreeRecord{Name: r.Name, Target: r.Target, Port: r.Port, Priority: r.Priority, Weight: r.Weight, TTL: r.TTL}
}

// serversDisagree compares what each NS server answers with what was read.
func serversDisagree(r *zone.Snapshot) []Finding {
	if len(r.Servers) == 0 {
		return nil
	}
	asked, _, capped := resolve.AskedNames(r)
	var want []string
	wantSet := map[string]bool{}
	recOf := map[string]zone.Record{}
	for _, rec := range r.Records {
		if asked[rec.Name] {
			s := rec.String()
			if !wantSet[s] {
				want = append(want, s)
				recOf[s] = rec
			}
			wantSet[s] = true
		}
	}
	slices.Sort(want)
	var out []Finding
	const transferFix = "Check zone transfers to that server (NOTIFY, allow-transfer, its refresh timer) and run the audit again."
	f := func(msg, fix string, d *Disagreement) {
		out = append(out, Finding{
			Check: CheckServersDisagree, Severity: SeverityWarning, Zone: r.Zone, Message: msg,
			ClientErrors: []string{CodeNameNotExist, CodeRPCUnavail},
			Fix:          fix,
			Disagreement: d,
		})
	}
	for _, v := range r.Servers {
		who := short(v.Host)
		if v.Server != "" {
			who += " (" + v.Server + ")"
		}
		d := &Disagreement{Host: v.Host, Server: v.Server}
		if r.HasSerial {
			s := r.Serial
			d.SourceSerial = &s
		}
		if v.Err != nil {
			d.Error = withoutLocalAddr(v.Err.Error())
			msg, fix := serverErrAdvice(who, short(v.Host), v.Err)
			f(msg+": "+d.Error, fix, d)
			continue
		}
		if v.HasSerial {
			s := v.Serial
			d.Serial = &s
		}
		var diffs []string
		if r.HasSerial && v.HasSerial && v.Serial != r.Serial {
			diffs = append(diffs, fmt.Sprintf("serial %d instead of %d", v.Serial, r.Serial))
		}
		var got []string
		gotSet := map[string]bool{}
		for _, rec := range v.Records {
			s := rec.String()
			if !gotSet[s] {
				got = append(got, s)
				recOf[s] = rec
			}
			gotSet[s] = true
		}
		slices.Sort(got)
		for _, g := range got {
			if !wantSet[g] {
				diffs = append(diffs, "has "+g)
				d.Extra = append(d.Extra, g)
				d.ExtraRecords = append(d.ExtraRecords, disagreeRecord(recOf[g]))
			}
		}
		for _, w := range want {
			if !gotSet[w] {
				diffs = append(diffs, "lacks "+w)
				d.Missing = append(d.Missing, w)
				d.MissingRecords = append(d.MissingRecords, disagreeRecord(recOf[w]))
			}
		}
		if len(diffs) > 0 {
			src := r.Server
			if src == "" {
				src = "the source read"
			}
			msg := fmt.Sprintf("name server %s disagrees with %s: %s", who, src, strings.Join(diffs, "; "))
			if capped {
				msg += fmt.Sprintf(" (only the first %d _vlmcs._tcp names were asked)", resolve.MaxAskedNames)
			}
			f(msg, transferFix, d)
		}
	}
	return out
}

// serverErrAdvice says what an error asking name server host (who: its
// name and address) means and what to do: a server that does not answer
// needs starting (or its NS record removed), one that does not serve the
// zone needs the zone configured; zone transfers are not the problem.
func serverErrAdvice(who, host string, err error) (msg, fix string) {
	var rc *zone.RcodeError
	switch {
	case errors.Is(err, zone.ErrNotAuthoritative) || errors.As(err, &rc):
		return fmt.Sprintf("name server %s does not serve the zone", who),
			fmt.Sprintf("Configure the zone on %s (as a secondary of the primary), or remove its NS record from the zone.", host)
	case errors.Is(err, dnsx.ErrTimeout) || dnsx.IsConnError(err):
		return fmt.Sprintf("name server %s does not answer", who),
			fmt.Sprintf("Start the DNS server on %s (or open the firewall to it), or remove its NS record from the zone.", host)
	}
	return fmt.Sprintf("name server %s could not be asked for the zone", who),
		fmt.Sprintf("Check %s (its address record and its DNS service), or remove its NS record from the zone, and run the audit again.", host)
}

// localAddr matches the local address of a net.OpError's text ("read udp
// 127.0.0.1:51772->127.0.0.3:53"): an ephemeral port that would make the
// finding's text change with every run.
var localAddr = regexp.MustCompile(`\b(udp|tcp)([46]?) \S+->`)

// withoutLocalAddr is an error text without the local address.
func withoutLocalAddr(s string) string { return localAddr.ReplaceAllString(s, "$1$2 ") }

// partialPublish reports hosts published at the apex of some zones of a
// publish group but not of the others. A host that is not fit to publish
// (decommissioned, unapproved, an alias, unresolvable, failing its probe)
// is not suggested: its own findings say what to do.
func (a *auditor) partialPublish(results []*zone.Snapshot, groups [][]string) []Finding {
	byZone := map[string]*zone.Snapshot{}
	for _, r := range results {
		if r.Err == nil {
			byZone[r.Zone] = r
		}
	}
	var out []Finding
	for _, g := range groups {
		var zones []string
		hosts := map[string]map[string]bool{} // zone -> targets at apex
		ttls := map[string]uint32{}           // zone -> TTL of the apex RRset
		var union []zone.Record
		inUnion := map[string]bool{}
		for _, z := range g {
			z = dns.CanonicalName(z)
			r, ok := byZone[z]
			if !ok {
				continue
			}
			zones = append(zones, z)
			hosts[z] = map[string]bool{}
			for _, rec := range r.Records {
				if rec.Name == zone.KMSName(z) {
					if _, ok := ttls[z]; !ok {
						ttls[z] = rec.TTL
					}
				}
				if rec.Name == zone.KMSName(z) && rec.Target != "." {
					hosts[z][rec.Target] = true
					if !inUnion[rec.Target] && a.publishable(rec) {
						union = append(union, rec)
					}
					inUnion[rec.Target] = true
				}
			}
		}
		names := make([]string, len(g))
		for i, z := range g {
			names[i] = short(dns.CanonicalName(z))
		}
		for _, rec := range union {
			h := rec.Target
			var in []string
			for _, z := range zones {
				if hosts[z][h] {
					in = append(in, short(z))
				}
			}
			for _, z := range zones {
				if hosts[z][h] {
					continue
				}
				// The host joins this zone's apex RRset: it keeps its
				// priority and weight but takes the RRset's TTL (or
				// publish's default for a new name), so publishing it
				// changes no other record's TTL.
				here := rec
				here.TTL = newNameTTL
				if ttl, ok := ttls[z]; ok {
					here.TTL = ttl
				}
				cmd := publishCommand(z, zone.KMSName(z), here)
				out = append(out, Finding{
					Check: CheckPartialPublish, Severity: SeverityWarning, Zone: z, Name: zone.KMSName(z), Target: h,
					Message: fmt.Sprintf("%s is published in %s but not here, though the publish group {%s} should carry the same hosts", short(h), strings.Join(in, ", "), strings.Join(names, ", ")),
					Fix: withCommand(cmd, fmt.Sprintf("Publish it here too (%%s), or add %s to DnsDomainPublishList on the host.", short(z)),
						fmt.Sprintf("Publish it here too, or add %s to DnsDomainPublishList on the host.", short(z))),
					Command: cmd,
				})
			}
		}
	}
	return out
}

// publishable: rec's host may be suggested for publishing elsewhere.
func (a *auditor) publishable(rec zone.Record) bool {
	return rec.Port == a.expectedPort(rec.Target) && a.hostOK(rec.Target, rec.Port)
}
