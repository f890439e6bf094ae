// Package zone gets KMS SRV records (_vlmcs._tcp.<domain>) out of DNS
// servers and zone files.
//
// A zone is read in one of three ways, and the Snapshot says which:
//
//	source  how                                          function
//	axfr    zone transfer (RFC 5936), TSIG when keyed     Transfer
//	query   SRV queries at the apex and extra names       Query
//	file    RFC 1035 master file, BIND or Windows export  ReadFileContext, ParseFileContext
//
// Read picks for one zone: its files when it has any; otherwise a transfer
// from its server (or from the SOA MNAME and then the NS hosts, found
// through a resolver), falling back to direct queries when every transfer
// is refused (REFUSED, NOTAUTH, NOTIMP) or gets no answer at all. A
// transfer that started and went wrong (ErrTSIG, ErrMalformed,
// ErrTruncated, a stall, ErrLimit) is an error, never a reason to fall
// back. ReadAll reads many zones with a bounded number of workers, and at
// most DefaultTransfersPerServer transfers at once from one server.
//
// Whatever a server sends, a read ends and its memory is bounded: a whole
// transfer within DefaultTransferTimeout, at most DefaultMaxRecords
// distinct KMS records kept (both configurable), exact duplicates dropped.
// Records whose owner is outside the zone are not kept; each becomes a
// Warning in the Snapshot.
//
// Transfers are streamed: each message is walked in place by owner name
// and type, and only the SOA, the KMS SRV records and the TSIG record are
// unpacked, so memory does not grow with the zone. This is a speed
// choice, not a workaround: miekg/dns's dns.Transfer.In reads signed
// multi-message transfers correctly, but unpacks every record. When a key is given,
// every message of the answer must carry a TSIG that verifies (RFC 8945
// 5.3.1), checked on the raw message.
//
// Every owner name _vlmcs._tcp.* counts, at any depth and in any case;
// names are reported lower-cased and fully qualified.
//
// What the records point to (resolving SRV targets, comparing the NS
// servers, a client's view through its resolver) is the audit's side:
// package audit/resolve. Queries go through one small exchange layer
// (UDP, then TCP when truncated) shared with package publish.
//
// Zone files are read as named reads them (ParseFileContext says how):
// BIND's $GENERATE forms, the SOA minimum as default TTL without $TTL,
// records that cannot be read skipped with a Warning (file and line) unless
// they are the SOA or a KMS SRV record. Reading is bounded in line length,
// record count (DefaultMaxFileRecords) and $INCLUDE depth, stops when the
// context is done, and $INCLUDE reads only from the zone file's directory
// and FileOptions.IncludeDirs.
//
// Keys are read from BIND key files (tsig-keygen, nsupdate -k); a Key never
// prints its secret.
package zone
