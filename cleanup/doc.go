// Package cleanup removes the KMS SRV records of failed or retired hosts
// after an audit, with nothing lost on the way:
//
//   - Select picks the records: those whose target is a host named by the
//     admin, or (Stale) those the audit found decommissioned or
//     unresolvable, and with IncludeUnreachable also host-unreachable and
//     not-kms ones. Each Removal refers to the record as read and to the
//     finding that justifies it.
//   - NewPlan reads each zone's current records from its primary and plans
//     one guarded UPDATE per zone (publish.ZonePlan), adding a replacement
//     host in the same message when asked. The replacement takes the TTL of
//     the RRset it joins unless a TTL is given (RFC 2181 §5.2: an RRset has
//     one TTL). A removal the plan keeps is a Kept with its reason: the last
//     KMS record of a name (unless force), or a record the primary now holds
//     in another form. Plan.HeedReplacement takes in the checks of the
//     replacement host (publish.CheckHosts): warnings, or with refuse
//     (--require-live) a plan that sends nothing.
//   - Apply writes a backup (synced to disk) of every record it removes
//     before the first update (none for a plan that removes nothing), then
//     sends one zone at a time, checking the context before each send. The
//     state file (StateStore) is written under an advisory lock before and
//     after each zone, so an interrupted or killed run leaves an exact
//     account. An update whose answer never came (timeout, interruption) is
//     read back to tell whether the server applied it.
//
// PlanRestore plans putting a backup back (kmsdns publish --from-file):
// it only adds the records a zone lacks, with their TTL from the backup,
// and says when that changes the TTL of the records beside them.
//
// The state file is what a later audit compares with (audit.Removed): a
// removed record that is back is reported as reappeared. Forget drops
// entries for records published again on purpose.
package cleanup
