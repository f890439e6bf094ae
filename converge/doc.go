// Package converge makes zones hold exactly the KMS SRV records an admin
// declared for them (kmsdns plan and kmsdns apply), the way DNS-as-code
// tools converge a zone, and the way DnsDomainPublishList makes each KMS
// host register itself, but centrally and checked against live hosts:
//
//   - New reads every managed name from the zone's primary (the records
//     the UPDATE's prerequisites will guard) and diffs it with the desired
//     records (Diff): per name, what is added, removed or replaced (another
//     port, priority, weight or TTL), one publish.ZonePlan per zone with
//     additions and removals in one message. Names that are not managed
//     are never read or touched.
//   - Plan.Check resolves and probes every host before and after, so the
//     plan can say what clients see now and would see after (ClientView),
//     and marks a name unsafe when none of its desired hosts is live;
//     Plan.Guard then blocks the whole plan unless forced.
//   - Apply hands the plan to cleanup.Apply: a backup of every record it
//     removes (restorable with kmsdns publish --from-file), synced before
//     the first update, then one guarded UPDATE per zone, each read back.
//     Every name a message changes, including one that only gains records,
//     is guarded by an RFC 2136 prerequisite: its KMS RRset exactly as read
//     (value-dependent), or, for a name read with none, "RRset does not
//     exist". A record added, changed or removed by someone since it was
//     read makes the server refuse that zone's message: nothing there
//     changes, and the zone is reported as skipped.
//   - PublishList gives, per KMS host, the DnsDomainPublishList value that
//     would make the host register the same records itself.
//
// An RRset has one TTL (RFC 2181 5.2): a name's desired TTL is the one its
// records give, else the TTL the RRset has now (3600 for a new one), and a
// TTL change replaces every record of the name in the same message.
package converge
