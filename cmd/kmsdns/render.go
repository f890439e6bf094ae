package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

func render(w io.Writer, format string, rep *audit.Report) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return renderTable(w, rep)
}

func newTable(w io.Writer) *tablewriter.Table {
	return tablewriter.NewTable(w,
		tablewriter.WithRendition(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)}),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
	)
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
		t := newTable(w)
		t.Header("ZONE", "NAME", "TARGET", "PORT", "PRIORITY", "WEIGHT", "TTL", "SOURCE")
		for _, r := range rep.Records {
			t.Append([]string{short(r.Zone), short(r.Name), short(r.Target), strconv.Itoa(int(r.Port)),
				strconv.Itoa(int(r.Priority)), strconv.Itoa(int(r.Weight)), strconv.Itoa(int(r.TTL)), r.Source})
		}
		if err := t.Render(); err != nil {
			return err
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
			fmt.Fprintf(w, "  %-7s %s%s\n", strings.ToUpper(string(f.Severity)), f.Check, subject)
			fmt.Fprintf(w, "          %s\n", f.Message)
			if len(f.ClientErrors) > 0 {
				fmt.Fprintf(w, "          clients see: %s\n", strings.Join(f.ClientErrors, ", "))
			}
			fmt.Fprintf(w, "          fix: %s\n", f.Fix)
		}
	}
	s := rep.Summary
	fmt.Fprintf(w, "\n%s, %s: %s, %s, %s\n", plural(s.Zones, "zone"), plural(s.Records, "KMS record"),
		plural(s.Errors, "error"), plural(s.Warnings, "warning"), plural(s.Info, "info"))
	return nil
}

func plural(n int, what string) string {
	if n == 1 || what == "info" {
		return fmt.Sprintf("%d %s", n, what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
