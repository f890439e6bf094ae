// Package audit judges the KMS SRV records that package zone read and
// explains what KMS clients will see.
//
// Records go in, a Report comes out: the zones read, every KMS record, and
// findings. A finding is data, not an error: it has a stable check id (part
// of the JSON contract), a severity, the zone, owner name, target and port
// it concerns, a message, the activation error codes clients hit because of
// it, and the fix. An error from this package means the audit could not run.
//
// Checks:
//
//	id                severity  when
//	zone-unreadable   error     neither transfer nor direct queries gave an answer
//	no-kms-record     error     a zone, or an extra name configured for it, has no _vlmcs._tcp SRV record
//	transfer-refused  info      the zone was read by direct queries because AXFR was refused
//
// The JSON form of a Report (Version 1) is documented in the README and is
// stable: fields are added, never renamed or removed.
package audit
