// Package audit judges the KMS SRV records that package zone read and
// explains what KMS clients will see.
//
// Records go in, a Report comes out: the zones read, every KMS record, and
// findings. A finding is data, not an error: it has a stable check id (part
// of the JSON contract), a severity, the zone, owner name, target and port
// it concerns, a message, the activation error codes clients hit because of
// it, and the fix. An error from this package means the audit could not run.
//
// Checks (ids are part of the JSON contract):
//
//	id                   severity  when
//	no-kms-record        error     the zone, or an extra name configured for it, has no _vlmcs._tcp SRV record
//	target-unresolvable  error     the target has no A/AAAA (NXDOMAIN or no data)
//	target-negative-cached warning the zone's server has an address, a resolver still denies it from its negative cache
//	target-cname         warning   the target is an alias (RFC 2782 forbids it)
//	target-null          warning   the target is "." (service decidedly not available)
//	decommissioned       error     the target is on the decommissioned list
//	unapproved-host      warning   an approved list is set and the target is not on it
//	port-mismatch        error     the port differs from the expected port (1688 unless configured); info when a KMS host answers on the record's port
//	host-unreachable     error     TCP to target:port is refused or times out
//	not-kms              error     the port accepts TCP but does not accept a DCE/RPC bind for KMS
//	duplicate-target     warning   one target appears more than once under one name
//	partial-publish      warning   a host is in some zones of a publish group but not all
//	servers-disagree     warning   the zone's NS servers give different answers or serials
//	no-live-host         error     every KMS record under a name fails
//	lowest-priority-dead error     every host at the lowest priority fails while a higher one works
//	zero-weight          info      weight 0 beside non-zero weights at the same priority
//	long-ttl             info      TTL above the bound (default one day)
//	zone-unreadable      error     neither transfer nor direct queries gave an answer
//	zone-file-note       info      a zone-file line read past: a record skipped, the SOA minimum as default TTL
//	transfer-refused     info      read by direct queries because AXFR was refused
//	target-not-verified  info      the target could not be looked up (offline, or the lookup failed)
//	reappeared           warning   a record kmsdns cleanup removed is back (the host re-registers)
//	out-of-zone-record   warning   a record outside the zone was sent (or is in the file): ignored, not audited
//	below-delegation     warning   a record at or below a delegation of the zone (occluded): ignored, audit the child zone
//	stale-registration   warning   Windows aging shows no refresh for a week (default): the host stopped publishing
//
// Clients (Windows 7 and later) pick hosts by priority and weight as RFC
// 2782 says, so non-zero values are a design, judged by
// lowest-priority-dead and zero-weight.
//
// Checks are small named functions in tables (recordChecks, ownerChecks),
// each seeing the record or the records of one name and what the audit
// learned about their targets. A fix that is a kmsdns command is a
// Command (an argument list) and the Fix text prints Command.String(); a
// fix of several commands (target-cname: publish the host's own name, then
// remove the alias record) lists them all in Commands, in order.
//
// stale-registration judges a zone file, a snapshot, against the newest
// aging stamp in it (zone.Snapshot.Refreshed), a zone read from a server
// against the clock.
//
// Network access happens only through the Resolver and Prober handed to
// Run: *resolve.TargetResolver and probe.Prober, or test doubles.
//
// The JSON form of a Report (Version 1) is documented in the README and is
// stable: fields are added, never renamed or removed.
package audit
