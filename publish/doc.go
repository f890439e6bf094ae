// Package publish creates and removes KMS SRV records with RFC 2136
// dynamic updates, signed with TSIG (RFC 8945: BIND, Knot, PowerDNS) or
// GSS-TSIG (RFC 3645: Windows DNS "secure only" zones, BIND with
// tkey-gssapi-keytab).
//
// Changes are planned before they are sent: Plan reads each zone's current
// records from its primary and returns a ZonePlan per zone, which says what
// will happen (added, already present, replaced, removed, not present)
// and renders the exact UPDATE message for --dry-run. Apply sends the
// plans, one signed message per zone, one connection per server, and then
// reads the records back to verify them.
//
// An UPDATE message is built as RFC 2136 section 2 lays it out:
//
//	section        content                           miekg/dns
//	zone           the zone, SOA, IN                 Msg.SetUpdate
//	prerequisite   the RRset holding each RR to delete, as read  Msg.Used (class IN, TTL 0)
//	update         deletions of single RRs           Msg.Remove (class NONE, TTL 0)
//	update         additions                         Msg.Insert
//
// Every deletion is guarded by a prerequisite that the record still exists
// exactly as read. RFC 2136 compares a value-dependent prerequisite with
// the whole RRset, so the prerequisite is the RRset as read: if any of its
// records changed since, the server answers NXRRSET and nothing in that
// message is applied.
// Deletions and additions of one zone travel in one message, which the
// server applies atomically: a replacement never leaves a moment without a
// record.
package publish
