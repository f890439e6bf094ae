// Package publish creates and removes KMS SRV records with RFC 2136
// dynamic updates, signed with TSIG (RFC 8945: BIND, Knot, PowerDNS) or
// GSS-TSIG (RFC 3645: Windows DNS "secure only" zones, BIND with
// tkey-gssapi-keytab).
//
// Changes are planned before they are sent: Client.PlanPublishAll and
// Client.PlanUnpublishAll read each zone's current records at every name
// from its primary and return one ZonePlan per zone, carrying every host
// under every name. A plan says, record by record (Change), what will
// happen (added, already present, replaced, removed, not present), and
// ZonePlan.Text renders the very message Msg builds and Apply sends, for
// --dry-run. Apply sends the plans, one signed message per zone, one
// connection per server, and then reads the records back to verify them,
// TTL included. An update sent without a clear answer (a timeout, a broken
// connection, an interruption) is read back too, and its Result says
// whether it was applied (ReadBack). Each request is signed and its answer
// verified by miekg/dns, on a fresh dns.Conn over the one connection.
//
// An RRset has one TTL (RFC 2181 section 5.2): a record published without
// a TTL takes the TTL of the set it joins, and a TTL that differs changes
// the set's, which the plan's Note says. Likewise, the port, priority and
// weight a caller did not choose (Record.Keep, the flags kmsdns publish was
// not given) keep the values of the host's record at each name, so
// publishing a host again never moves it; a host new to a name gets the
// Record's values. Planned lists the records the plans publish, each on
// its own port, for CheckHosts, which resolves and probes them; Heed turns
// what it found into warnings or, for --require-live, blocked plans. Every refusal an UpdateError explains
// starts with the credentials used (Credentials, Unsigned), never the
// secret.
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
