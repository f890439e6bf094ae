package audit

import (
	"fmt"
	"strings"

	"github.com/kmsdns/kmsdns/zone"
)

// Check ids: part of the JSON contract.
const (
	CheckZoneUnreadable  = "zone-unreadable"
	CheckNoKMSRecord     = "no-kms-record"
	CheckTransferRefused = "transfer-refused"
)

// errsNoRecord are the activation errors of a client that finds no KMS
// SRV record in its domain.
func errsNoRecord() []string {
	return []string{"0x8007232B", "0x8007251D", "0x80092328", "0x8007007B"}
}

// zoneFindings judges how one zone was read and whether each name that
// clients use has a KMS record.
func zoneFindings(r *zone.Result) []Finding {
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
	have := map[string]bool{}
	for _, rec := range r.Records {
		have[rec.Name] = true
	}
	seen := map[string]bool{}
	for _, n := range append([]string{r.Zone}, r.Names...) {
		domain := zone.Qualify(n, r.Zone)
		name := zone.KMSName(domain)
		if seen[name] {
			continue
		}
		seen[name] = true
		if have[name] {
			continue
		}
		out = append(out, Finding{
			Check: CheckNoKMSRecord, Severity: SeverityError, Zone: r.Zone, Name: name,
			Message:      fmt.Sprintf("no _vlmcs._tcp SRV record: KMS clients whose DNS suffix is %s cannot find a KMS host", strings.TrimSuffix(domain, ".")),
			ClientErrors: errsNoRecord(),
			Fix:          fmt.Sprintf("Publish the KMS host here (kmsdns publish --zone %s, or add it to DnsDomainPublishList on the KMS host), or point clients at a host with slmgr /skms.", strings.TrimSuffix(domain, ".")),
		})
	}
	return out
}
