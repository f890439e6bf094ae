package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/audit/report"
)

func render(w io.Writer, format string, rep *audit.Report) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return renderTable(w, rep)
}

func short(name string) string {
	if name == "" {
		return "(unknown zone)"
	}
	if name == "." {
		return name
	}
	return strings.TrimSuffix(name, ".")
}

func renderTable(w io.Writer, rep *audit.Report) error {
	fmt.Fprintln(w, "KMS SRV records")
	if len(rep.Records) == 0 {
		fmt.Fprintln(w, "  none found")
	} else {
		header := []string{"ZONE", "NAME", "TARGET", "PORT", "PRIORITY", "WEIGHT", "TTL", "SOURCE"}
		var rows [][]string
		for _, r := range rep.Records {
			rows = append(rows, []string{short(r.Zone), short(r.Name), short(r.Target), strconv.Itoa(int(r.Port)),
				strconv.Itoa(int(r.Priority)), strconv.Itoa(int(r.Weight)), strconv.Itoa(int(r.TTL)), r.Source})
		}
		if width := widthOf(w); width > 0 && naturalWidth(header, rows) > width {
			// Too wide for the terminal: one table per zone, under
			// the zone's name, leaves more room for names.
			for i := 0; i < len(rows); {
				j := i
				for j < len(rows) && rows[j][0] == rows[i][0] {
					j++
				}
				if i > 0 {
					fmt.Fprintln(w)
				}
				fmt.Fprintf(w, "%s\n", rows[i][0])
				t := newTable(w)
				t.Header(header[1:]...)
				for _, r := range rows[i:j] {
					t.Append(r[1:])
				}
				if err := t.Render(); err != nil {
					return err
				}
				i = j
			}
		} else {
			t := newTable(w)
			t.Header(header...)
			for _, r := range rows {
				t.Append(r)
			}
			if err := t.Render(); err != nil {
				return err
			}
		}
	}

	if len(rep.Targets) > 0 {
		fmt.Fprintln(w, "\nKMS hosts")
		t := newTable(w)
		t.Header("TARGET", "PORT", "RESOLVES TO", "PROBE")
		for _, tg := range rep.Targets {
			res := tg.Resolution
			switch {
			case len(tg.Addresses) > 0:
				res = strings.Join(tg.Addresses, " ")
			case res == "":
				res = "-"
			}
			if tg.CNAME != "" {
				res = "alias of " + short(tg.CNAME) + ": " + res
			}
			pr := "-"
			if tg.Probe != "" {
				pr = tg.Probe
				if tg.Probe != "kms" {
					pr += fmt.Sprintf(" (%d ms)", tg.ProbeMillis)
				}
			}
			t.Append([]string{short(tg.Target), strconv.Itoa(int(tg.Port)), res, pr})
		}
		if err := t.Render(); err != nil {
			return err
		}
	}

	fmt.Fprintln(w, "\nZones")
	t := newTable(w)
	t.Header("ZONE", "SOURCE", "FROM", "SERIAL", "RECORDS", "STATUS")
	for _, z := range rep.Zones {
		from := z.Server
		if len(z.Files) > 0 {
			from = strings.Join(z.Files, ", ")
		}
		serial := "-"
		if z.Serial != nil {
			serial = strconv.FormatUint(uint64(*z.Serial), 10)
		}
		status := "ok"
		switch {
		case z.Error != "":
			status = "ERROR (see findings)"
		case z.Note != "":
			status = "ok, see note in findings"
		}
		source := z.Source
		if source == "" {
			source = "-"
		}
		t.Append([]string{short(z.Zone), source, from, serial, strconv.Itoa(z.Records), status})
	}
	if err := t.Render(); err != nil {
		return err
	}

	if len(rep.Findings) > 0 {
		fmt.Fprintln(w, "\nFindings")
		zone := ""
		for _, f := range rep.Findings {
			if f.Zone != zone {
				zone = f.Zone
				fmt.Fprintf(w, "\n%s\n", short(zone))
			}
			renderFinding(w, f)
		}
	}
	renderResolved(w, rep)
	renderSummary(w, rep)
	return nil
}

// renderResolved lists the baseline's findings that are gone.
func renderResolved(w io.Writer, rep *audit.Report) {
	if len(rep.Resolved) == 0 {
		return
	}
	fmt.Fprintf(w, "\nResolved since the baseline\n")
	for _, f := range rep.Resolved {
		subject := short(f.Name)
		if f.Target != "" {
			subject += fmt.Sprintf(" -> %s:%d", short(f.Target), f.Port)
		}
		para(w, "  ", fmt.Sprintf("%s: %s %s (was %s)", short(f.Zone), f.Check, subject, f.Severity), "    ")
	}
}

// renderFinding writes one finding, wrapped to the terminal's width.
func renderFinding(w io.Writer, f audit.Finding) {
	subject := ""
	if f.Name != "" {
		subject = " " + short(f.Name)
	}
	switch {
	case f.Target != "" && f.Port != 0:
		subject += fmt.Sprintf(" -> %s:%d", short(f.Target), f.Port)
	case f.Target != "":
		subject += " -> " + short(f.Target)
	}
	if f.Change == report.ChangeNew {
		subject += " [new]"
	}
	const indent = "          "
	para(w, fmt.Sprintf("  %-7s ", strings.ToUpper(string(f.Severity))), f.Check+subject, indent)
	para(w, indent, f.Message, indent)
	if len(f.ClientErrors) > 0 {
		para(w, indent, "clients see: "+strings.Join(f.ClientErrors, ", "), indent)
	}
	para(w, indent, "fix: "+f.Fix, indent)
}

// renderFindingsOnly writes just the findings, one block per zone (a zone
// without findings says so), and the summary line.
func renderFindingsOnly(w io.Writer, rep *audit.Report) {
	byZone := map[string][]audit.Finding{}
	var order []string
	for _, z := range rep.Zones {
		if _, ok := byZone[z.Zone]; !ok {
			order = append(order, z.Zone)
			byZone[z.Zone] = nil
		}
	}
	for _, f := range rep.Findings {
		if _, ok := byZone[f.Zone]; !ok {
			order = append(order, f.Zone)
		}
		byZone[f.Zone] = append(byZone[f.Zone], f)
	}
	for i, z := range order {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, short(z))
		if len(byZone[z]) == 0 {
			fmt.Fprintln(w, "  no findings")
		}
		for _, f := range byZone[z] {
			renderFinding(w, f)
		}
	}
	renderResolved(w, rep)
	renderSummary(w, rep)
}

// renderSummary writes the closing line of counts.
func renderSummary(w io.Writer, rep *audit.Report) {
	s := rep.Summary
	fmt.Fprintf(w, "\n%s, %s: %s, %s, %s\n", plural(s.Zones, "zone"), plural(s.Records, "KMS record"),
		plural(s.Errors, "error"), plural(s.Warnings, "warning"), plural(s.Info, "info"))
}

func plural(n int, what string) string {
	if n == 1 || what == "info" {
		return fmt.Sprintf("%d %s", n, what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
