package audit

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kmsdns/kmsdns/audit/probe"
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
	CheckPriorityWeight    = "priority-weight"
	CheckLongTTL           = "long-ttl"
	CheckZoneUnreadable    = "zone-unreadable"
	CheckTransferRefused   = "transfer-refused"
	CheckTargetNotVerified = "target-not-verified"
	CheckStale             = "stale-registration"
	CheckOutOfZone         = "out-of-zone-record"
)

// Activation error codes clients report (see the KMS troubleshooting
// articles): which DNS problem leads to which.
const (
	errNameNotExist = "0x8007232B" // DNS name does not exist
	errNoRecords    = "0x8007251D" // no records found for the DNS query
	errNameVariant  = "0x80092328"
	errSyntax       = "0x8007007B"
	errRPCUnavail   = "0x800706BA" // RPC server unavailable
	errNoKMS        = "0xC004F074" // no KMS could be contacted
	errKMSNoAnswer  = "0xC004F039" // KMS did not answer: TCP filtered
	errKMSCannotUse = "0xC004F042" // this KMS cannot activate this product
	errCountTooLow  = "0xC004F038" // count too low on the host found
)

func short(name string) string { return strings.TrimSuffix(name, ".") }

// zoneFindings judges one zone.
func (a *auditor) zoneFindings(r *zone.Result) []Finding {
	if r.Err != nil {
		fix := "Check that the server is reachable and allows this host (and key) to transfer or query the zone, then run the audit again."
		if r.Source == zone.SourceFile {
			fix = "Fix or replace the zone file at the place named, then run the audit again."
		}
		return []Finding{{
			Check: CheckZoneUnreadable, Severity: SeverityError, Zone: r.Zone,
			Message: "could not read the zone: " + r.Err.Error(),
			Fix:     fix,
		}}
	}
	var out []Finding
	if r.Source == zone.SourceQuery {
		out = append(out, Finding{
			Check: CheckTransferRefused, Severity: SeverityInfo, Zone: r.Zone,
			Message: "read by direct queries: " + r.Note + "; only the apex and configured names were checked",
			Fix:     "Allow zone transfers to this host (allow-transfer, or a TSIG key) so that KMS records at every depth are found.",
		})
	}
	for _, w := range r.Warnings {
		out = append(out, Finding{
			Check: CheckOutOfZone, Severity: SeverityWarning, Zone: r.Zone, Name: w.Record.Name,
			Target: w.Record.Target, Port: w.Record.Port, Message: w.Message,
			Fix: "Check what the server serves for this zone (a misconfigured or hostile server); the record was not audited.",
		})
	}
	out = append(out, noRecord(r)...)

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
		recs := byOwner[owner]
		out = append(out, duplicates(r.Zone, owner, recs)...)
		failing := 0
		for _, rec := range recs {
			fs := a.recordFindings(r, rec)
			out = append(out, fs...)
			if slices.ContainsFunc(fs, func(f Finding) bool { return failingChecks[f.Check] }) {
				failing++
			}
		}
		if failing == len(recs) {
			domain := short(strings.TrimPrefix(owner, zone.KMSService))
			out = append(out, Finding{
				Check: CheckNoLiveHost, Severity: SeverityError, Zone: r.Zone, Name: owner,
				Message:      fmt.Sprintf("every KMS record under %s fails (%d of %d): no client whose DNS suffix is %s can activate", short(owner), failing, len(recs), domain),
				ClientErrors: []string{errNoKMS},
				Fix:          "Bring up a working KMS host and publish it here first, then remove the failing records.",
			})
		}
	}
	out = append(out, serversDisagree(r)...)
	return out
}

// noRecord reports the apex and each configured name without a record.
func noRecord(r *zone.Result) []Finding {
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
		out = append(out, Finding{
			Check: CheckNoKMSRecord, Severity: SeverityError, Zone: r.Zone, Name: name,
			Message:      fmt.Sprintf("no _vlmcs._tcp SRV record: KMS clients whose DNS suffix is %s cannot find a KMS host", short(domain)),
			ClientErrors: []string{errNameNotExist, errNoRecords, errNameVariant, errSyntax},
			Fix:          fmt.Sprintf("Publish a KMS host here (kmsdns publish --zone %s --host HOST, or add the domain to DnsDomainPublishList on the KMS host).", short(domain)),
		})
	}
	return out
}

// duplicates reports a target that appears more than once under one name.
func duplicates(zoneName, owner string, recs []zone.Record) []Finding {
	ports := map[string][]string{}
	var order []string
	for _, rec := range recs {
		if _, ok := ports[rec.Target]; !ok {
			order = append(order, rec.Target)
		}
		ports[rec.Target] = append(ports[rec.Target], strconv.Itoa(int(rec.Port)))
	}
	var out []Finding
	for _, t := range order {
		if len(ports[t]) < 2 {
			continue
		}
		out = append(out, Finding{
			Check: CheckDuplicateTarget, Severity: SeverityWarning, Zone: zoneName, Name: owner, Target: t,
			Message: fmt.Sprintf("%s appears %d times under %s (ports %s): clients pick one at random", short(t), len(ports[t]), short(owner), strings.Join(ports[t], ", ")),
			Fix:     "Keep one record for the host, with the port it listens on (kmsdns unpublish, then kmsdns publish).",
		})
	}
	return out
}

// recordFindings judges one record.
func (a *auditor) recordFindings(r *zone.Result, rec zone.Record) (out []Finding) {
	p := a.policy
	f := func(check string, sev Severity, msg, fix string, errs ...string) {
		out = append(out, Finding{Check: check, Severity: sev, Zone: r.Zone, Name: rec.Name, Target: rec.Target, Port: rec.Port,
			Message: msg, ClientErrors: errs, Fix: fix})
	}
	if rec.Target == "." {
		f(CheckTargetNull, SeverityWarning, "the target is \".\": the record says the KMS service is decidedly not available in this domain (RFC 2782)",
			"Remove the \".\" record, or replace it with a KMS host's name if clients here should activate.", errNoKMS)
		return out
	}
	host := short(rec.Target)
	if inList(p.Decommissioned, rec.Target) {
		f(CheckDecommissioned, SeverityError, fmt.Sprintf("%s is on the list of decommissioned KMS hosts but is still published", host),
			fmt.Sprintf("Remove it (kmsdns cleanup --host %s); if the machine still runs, turn off its publishing (slmgr /cdns) or it registers again within 24 hours.", host),
			errRPCUnavail, errNoKMS)
	}
	if len(p.Approved) > 0 && !inList(p.Approved, rec.Target) {
		f(CheckUnapprovedHost, SeverityWarning, fmt.Sprintf("%s is not an approved KMS host: a machine given a KMS host key by mistake publishes itself", host),
			fmt.Sprintf("If %s should be a client, install a client setup key on it (slmgr /ipk) and remove its record; otherwise add it to the approved hosts.", host),
			errCountTooLow, errKMSCannotUse)
	}
	want := p.ExpectedPort
	if hp, ok := p.HostPorts[rec.Target]; ok {
		want = hp
	}
	if rec.Port != want {
		f(CheckPortMismatch, SeverityError, fmt.Sprintf("port %d, but %s is expected on port %d: every client that picks this record connects to the wrong port", rec.Port, host, want),
			fmt.Sprintf("Publish the record with port %d (kmsdns publish --zone %s --host %s --port %d), or if the host really listens on %d (slmgr /sprt), set that as its expected port.", want, short(r.Zone), host, want, rec.Port),
			errRPCUnavail, errNoKMS)
	}
	if rec.Priority != 0 || rec.Weight != 0 {
		f(CheckPriorityWeight, SeverityInfo, fmt.Sprintf("priority %d, weight %d: KMS clients ignore both and pick a host at random", rec.Priority, rec.Weight),
			"Nothing is broken; set priority and weight to 0 so the record says what clients do.")
	}
	if reg, ok := rec.Registered(); ok && a.now.Sub(reg) > p.StaleAfter {
		days := int(a.now.Sub(reg).Hours() / 24)
		f(CheckStale, SeverityWarning, fmt.Sprintf("Windows DNS last saw this record refreshed on %s, %d days ago: a live KMS host refreshes it every 24 hours, so %s has stopped publishing or is gone", reg.Format("2006-01-02"), days, host),
			fmt.Sprintf("Check %s; if it is retired, remove the record (kmsdns cleanup --host %s) rather than wait for scavenging.", host, host),
			errRPCUnavail, errNoKMS)
	}
	if rec.TTL > p.MaxTTL {
		f(CheckLongTTL, SeverityInfo, fmt.Sprintf("TTL %d s is above %d s: resolvers keep serving a failed host's record that long", rec.TTL, p.MaxTTL),
			"Lower the TTL (3600 s is common) so a failed host drops out of DNS quickly.")
	}

	if a.opts.Resolver == nil {
		return out
	}
	res, ok := a.resolved[zoneTarget{r.Zone, rec.Target}]
	if !ok {
		return out
	}
	switch res.Status {
	case zone.NXDomain, zone.NoAddress:
		why := "the name does not exist"
		if res.Status == zone.NoAddress {
			why = "the name has no A or AAAA record"
		}
		if res.CNAME != "" {
			why += fmt.Sprintf(" (alias to %s)", short(res.CNAME))
		}
		f(CheckTargetUnresolv, SeverityError, fmt.Sprintf("%s does not resolve: %s (%s): a stale record for a host that is gone", host, why, res.Via),
			fmt.Sprintf("Remove the record (kmsdns unpublish --zone %s --host %s) or restore the host's address record.", short(r.Zone), host),
			errRPCUnavail, errNoKMS)
	case zone.NotVerified:
		f(CheckTargetNotVerified, SeverityInfo, fmt.Sprintf("%s was not verified: %v", host, res.Err),
			"Run the audit without --offline, with a resolver that can see the name (--resolver), to check it.")
	}
	if res.CNAME != "" {
		f(CheckTargetCNAME, SeverityWarning, fmt.Sprintf("%s is an alias of %s: RFC 2782 forbids aliases as SRV targets", host, short(res.CNAME)),
			fmt.Sprintf("Point the record at the host's own name (%s).", short(res.CNAME)))
	}
	pr, ok := a.probes[targetPort{rec.Target, rec.Port}]
	if !ok {
		return out
	}
	addr := pr.Addr.String()
	switch pr.Status {
	case probe.StatusRefused:
		f(CheckHostUnreachable, SeverityError, fmt.Sprintf("TCP connection to %s port %d (%s) refused after %v: nothing listens there", host, rec.Port, addr, pr.Elapsed.Round(time.Millisecond)),
			fmt.Sprintf("Start the Software Protection service on %s and check its KMS port, or remove the record if the host is gone.", host),
			errRPCUnavail, errNoKMS)
	case probe.StatusTimeout, probe.StatusUnreachable:
		f(CheckHostUnreachable, SeverityError, fmt.Sprintf("no TCP connection to %s port %d (%s): %s (waited %v)", host, rec.Port, addr, pr.Detail, pr.Elapsed.Round(time.Millisecond)),
			fmt.Sprintf("Open TCP %d to %s in its firewall and on the path, or remove the record if the host is gone.", rec.Port, host),
			errKMSNoAnswer, errNoKMS)
	case probe.StatusNotKMS:
		f(CheckNotKMS, SeverityError, fmt.Sprintf("%s port %d (%s) accepts TCP but is not a KMS host: %s", host, rec.Port, addr, pr.Detail),
			fmt.Sprintf("Point the record at a KMS host, or fix the port: something else answers on %s port %d.", host, rec.Port),
			errRPCUnavail, errNoKMS)
	}
	return out
}

// serversDisagree compares what each NS server answers with what was read.
func serversDisagree(r *zone.Result) []Finding {
	if len(r.Servers) == 0 {
		return nil
	}
	asked := map[string]bool{zone.KMSName(r.Zone): true}
	for _, n := range r.Names {
		asked[zone.KMSName(zone.Qualify(n, r.Zone))] = true
	}
	var want []string
	for _, rec := range r.Records {
		if asked[rec.Name] {
			want = append(want, rec.String())
		}
	}
	slices.Sort(want)
	var out []Finding
	f := func(msg string) {
		out = append(out, Finding{
			Check: CheckServersDisagree, Severity: SeverityWarning, Zone: r.Zone, Message: msg,
			ClientErrors: []string{errNameNotExist, errRPCUnavail},
			Fix:          "Check zone transfers to that server (NOTIFY, allow-transfer, its refresh timer) and run the audit again.",
		})
	}
	for _, v := range r.Servers {
		who := short(v.Host)
		if v.Server != "" {
			who += " (" + v.Server + ")"
		}
		if v.Err != nil {
			f(fmt.Sprintf("name server %s did not answer for the zone: %v", who, v.Err))
			continue
		}
		var diffs []string
		if r.HasSerial && v.HasSerial && v.Serial != r.Serial {
			diffs = append(diffs, fmt.Sprintf("serial %d instead of %d", v.Serial, r.Serial))
		}
		var got []string
		for _, rec := range v.Records {
			got = append(got, rec.String())
		}
		slices.Sort(got)
		for _, g := range got {
			if !slices.Contains(want, g) {
				diffs = append(diffs, "has "+g)
			}
		}
		for _, w := range want {
			if !slices.Contains(got, w) {
				diffs = append(diffs, "lacks "+w)
			}
		}
		if len(diffs) > 0 {
			src := r.Server
			if src == "" {
				src = "the source read"
			}
			f(fmt.Sprintf("name server %s disagrees with %s: %s", who, src, strings.Join(diffs, "; ")))
		}
	}
	return out
}

// partialPublish reports hosts published at the apex of some zones of a
// publish group but not of the others.
func partialPublish(results []*zone.Result, groups [][]string) []Finding {
	byZone := map[string]*zone.Result{}
	for _, r := range results {
		if r.Err == nil {
			byZone[r.Zone] = r
		}
	}
	var out []Finding
	for _, g := range groups {
		var zones []string
		hosts := map[string]map[string]bool{} // zone -> targets at apex
		var union []string
		for _, z := range g {
			z = dns.CanonicalName(z)
			r, ok := byZone[z]
			if !ok {
				continue
			}
			zones = append(zones, z)
			hosts[z] = map[string]bool{}
			for _, rec := range r.Records {
				if rec.Name == zone.KMSName(z) && rec.Target != "." {
					hosts[z][rec.Target] = true
					if !slices.Contains(union, rec.Target) {
						union = append(union, rec.Target)
					}
				}
			}
		}
		names := make([]string, len(g))
		for i, z := range g {
			names[i] = short(dns.CanonicalName(z))
		}
		for _, h := range union {
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
				out = append(out, Finding{
					Check: CheckPartialPublish, Severity: SeverityWarning, Zone: z, Name: zone.KMSName(z), Target: h,
					Message: fmt.Sprintf("%s is published in %s but not here, though the publish group {%s} should carry the same hosts", short(h), strings.Join(in, ", "), strings.Join(names, ", ")),
					Fix:     fmt.Sprintf("Publish it here too (kmsdns publish --zone %s --host %s), or add %s to DnsDomainPublishList on the host.", short(z), short(h), short(z)),
				})
			}
		}
	}
	return out
}
