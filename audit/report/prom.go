package report

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/kmsdns/kmsdns/audit"
)

// WriteProm writes rep in the Prometheus text exposition format, for
// node_exporter's textfile collector. Every metric is a gauge describing
// this run:
//
//	kmsdns_audit_timestamp_seconds            when the audit ran
//	kmsdns_audit_zones, kmsdns_audit_records  zones audited, KMS records found
//	kmsdns_audit_findings{severity}           findings by severity
//	kmsdns_zone_read_success{zone}            1 when the zone could be read
//	kmsdns_zone_records{zone}                 KMS SRV records in the zone
//	kmsdns_zone_findings{zone,severity,check} findings by zone, severity and check
//	kmsdns_target_probe_success{target,port}  1 when the host answered as a KMS host
//	kmsdns_target_probe_result{target,port,result} 1 for the probe's result
//	kmsdns_target_probe_duration_seconds{target,port} how long the probe took
//
// Zone and target names are written without their final dot. Targets
// that were not probed have no probe metrics.
func WriteProm(w io.Writer, rep *audit.Report) error {
	bw := bufio.NewWriter(w)
	p := promWriter{w: bw}
	p.family("kmsdns_audit_timestamp_seconds", "Unix time the KMS DNS audit ran.")
	p.sample("kmsdns_audit_timestamp_seconds", nil, strconv.FormatFloat(float64(rep.GeneratedAt.UnixMilli())/1000, 'f', -1, 64))
	p.family("kmsdns_audit_zones", "Zones audited.")
	p.sample("kmsdns_audit_zones", nil, strconv.Itoa(rep.Summary.Zones))
	p.family("kmsdns_audit_records", "KMS SRV records found in all zones.")
	p.sample("kmsdns_audit_records", nil, strconv.Itoa(rep.Summary.Records))
	p.family("kmsdns_audit_findings", "Findings of the audit by severity.")
	for _, s := range []struct {
		sev string
		n   int
	}{{"error", rep.Summary.Errors}, {"warning", rep.Summary.Warnings}, {"info", rep.Summary.Info}} {
		p.sample("kmsdns_audit_findings", []string{"severity", s.sev}, strconv.Itoa(s.n))
	}

	p.family("kmsdns_zone_read_success", "Whether the zone could be read (1) or not (0).")
	for _, z := range rep.Zones {
		ok := "1"
		if z.Error != "" {
			ok = "0"
		}
		p.sample("kmsdns_zone_read_success", []string{"zone", bare(z.Zone)}, ok)
	}
	p.family("kmsdns_zone_records", "KMS SRV records in the zone.")
	for _, z := range rep.Zones {
		p.sample("kmsdns_zone_records", []string{"zone", bare(z.Zone)}, strconv.Itoa(z.Records))
	}
	type key struct{ zone, sev, check string }
	counts := map[key]int{}
	for _, f := range rep.Findings {
		counts[key{bare(f.Zone), string(f.Severity), f.Check}]++
	}
	keys := make([]key, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.zone, b.zone), cmp.Compare(a.sev, b.sev), cmp.Compare(a.check, b.check))
	})
	p.family("kmsdns_zone_findings", "Findings in the zone by severity and check.")
	for _, k := range keys {
		p.sample("kmsdns_zone_findings", []string{"zone", k.zone, "severity", k.sev, "check", k.check}, strconv.Itoa(counts[k]))
	}

	var probed []audit.Target
	for _, t := range rep.Targets {
		if t.Probe != "" {
			probed = append(probed, t)
		}
	}
	if len(probed) > 0 {
		p.family("kmsdns_target_probe_success", "Whether the KMS host answered the probe as a KMS host (1) or not (0).")
		for _, t := range probed {
			ok := "0"
			if t.Probe == "kms" {
				ok = "1"
			}
			p.sample("kmsdns_target_probe_success", targetLabels(t), ok)
		}
		p.family("kmsdns_target_probe_result", "The probe's result for the KMS host: 1 for the result label's value.")
		for _, t := range probed {
			p.sample("kmsdns_target_probe_result", append(targetLabels(t), "result", t.Probe), "1")
		}
		p.family("kmsdns_target_probe_duration_seconds", "How long the probe of the KMS host took.")
		for _, t := range probed {
			p.sample("kmsdns_target_probe_duration_seconds", targetLabels(t), strconv.FormatFloat(float64(t.ProbeMillis)/1000, 'f', -1, 64))
		}
	}
	if p.err != nil {
		return p.err
	}
	return bw.Flush()
}

func targetLabels(t audit.Target) []string {
	return []string{"target", bare(t.Target), "port", strconv.Itoa(int(t.Port))}
}

// bare is a name without its final dot ("." stays).
func bare(name string) string {
	if name == "." {
		return name
	}
	return strings.TrimSuffix(name, ".")
}

type promWriter struct {
	w   *bufio.Writer
	err error
}

func (p *promWriter) family(name, help string) {
	p.printf("# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
}

// sample writes one sample; labels are name, value pairs.
func (p *promWriter) sample(name string, labels []string, value string) {
	var b strings.Builder
	b.WriteString(name)
	if len(labels) > 0 {
		b.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(labels[i])
			b.WriteString(`="`)
			b.WriteString(labelEscaper.Replace(labels[i+1]))
			b.WriteByte('"')
		}
		b.WriteByte('}')
	}
	p.printf("%s %s\n", b.String(), value)
}

func (p *promWriter) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// labelEscaper escapes a label value for the text format.
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
