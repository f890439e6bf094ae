package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/kmsdns/kmsdns/audit"
)

// zoneHealth is one zone's status and counts.
type zoneHealth struct {
	Zone                    string
	Status                  string // ok, warning, error
	Records                 int
	Errors, Warnings, Info  int
	Source, ReadError, Note string
}

// health is the status of every zone of rep, in its order: error when the
// zone could not be read or has errors, warning with warnings, else ok.
func health(rep *audit.Report) []zoneHealth {
	idx := map[string]int{}
	var out []zoneHealth
	for _, z := range rep.Zones {
		if _, ok := idx[z.Zone]; ok {
			continue
		}
		idx[z.Zone] = len(out)
		out = append(out, zoneHealth{Zone: bare(z.Zone), Records: z.Records, Source: z.Source, ReadError: z.Error, Note: z.Note})
	}
	for _, f := range rep.Findings {
		i, ok := idx[f.Zone]
		if !ok {
			idx[f.Zone] = len(out)
			i = len(out)
			out = append(out, zoneHealth{Zone: bare(f.Zone)})
		}
		switch f.Severity {
		case audit.SeverityError:
			out[i].Errors++
		case audit.SeverityWarning:
			out[i].Warnings++
		default:
			out[i].Info++
		}
	}
	for i := range out {
		h := &out[i]
		switch {
		case h.ReadError != "" || h.Errors > 0:
			h.Status = "error"
		case h.Warnings > 0:
			h.Status = "warning"
		default:
			h.Status = "ok"
		}
	}
	return out
}

// severities in the order reports show them, with their headings.
var severities = []struct {
	sev     audit.Severity
	heading string
}{{audit.SeverityError, "Errors"}, {audit.SeverityWarning, "Warnings"}, {audit.SeverityInfo, "Info"}}

// subject is a finding's owner and target:port, as "name -> target:port".
func subject(f audit.Finding) string {
	s := bare(f.Name)
	t := ""
	switch {
	case f.Target != "" && f.Port != 0:
		t = fmt.Sprintf("%s:%d", bare(f.Target), f.Port)
	case f.Target != "":
		t = bare(f.Target)
	}
	if s != "" && t != "" {
		return s + " -> " + t
	}
	return s + t
}

// WriteMarkdown writes rep as Markdown for a ticket or a wiki: a summary
// per zone, then the findings grouped by severity with the errors clients
// see and the fix, then the findings resolved since the baseline.
func WriteMarkdown(w io.Writer, rep *audit.Report) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	s := rep.Summary
	p("# KMS DNS audit, %s\n\n", rep.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC"))
	p("%s, %s: **%s**, **%s**, %d info.", count(s.Zones, "zone"), count(s.Records, "KMS record"), count(s.Errors, "error"), count(s.Warnings, "warning"), s.Info)
	if news, ok := changes(rep); ok {
		p(" Since the baseline: %d new, %d resolved.%s", news, len(rep.Resolved), unreadNote(rep))
	}
	p("\n\n## Zones\n\n| Zone | Status | KMS records | Errors | Warnings | Info | Read |\n|---|---|---:|---:|---:|---:|---|\n")
	for _, h := range health(rep) {
		read := h.Source
		if h.ReadError != "" {
			read = "failed: " + h.ReadError
		} else if h.Note != "" {
			read += ": " + h.Note
		}
		p("| %s | %s | %d | %d | %d | %d | %s |\n", mdCell(h.Zone), strings.ToUpper(h.Status), h.Records, h.Errors, h.Warnings, h.Info, mdCell(read))
	}
	for _, sv := range severities {
		var fs []audit.Finding
		for _, f := range rep.Findings {
			if f.Severity == sv.sev {
				fs = append(fs, f)
			}
		}
		if len(fs) == 0 {
			continue
		}
		p("\n## %s (%d)\n", sv.heading, len(fs))
		for _, f := range fs {
			mdFinding(bw, f, true)
		}
	}
	if len(rep.Findings) == 0 {
		p("\nNo findings.\n")
	}
	if len(rep.Resolved) > 0 {
		p("\n## Resolved since the baseline (%d)\n", len(rep.Resolved))
		for _, f := range rep.Resolved {
			mdFinding(bw, f, false)
		}
	}
	return bw.Flush()
}

// changes counts the new findings; ok is false when there was no baseline.
func changes(rep *audit.Report) (news int, ok bool) {
	for _, f := range rep.Findings {
		if f.Change != "" {
			ok = true
		}
		if f.Change == ChangeNew {
			news++
		}
	}
	return news, ok || len(rep.Resolved) > 0
}

func mdFinding(w io.Writer, f audit.Finding, details bool) {
	tag := ""
	if f.Change == ChangeNew {
		tag = " **NEW**"
	}
	fmt.Fprintf(w, "\n### %s: `%s` %s%s\n\n", mdText(bare(f.Zone)), f.Check, mdCode(subject(f)), tag)
	if !details {
		fmt.Fprintf(w, "%s (was %s; id %s)\n", mdText(f.Message), f.Severity, f.ID)
		return
	}
	fmt.Fprintf(w, "%s\n\n", mdText(f.Message))
	if len(f.ClientErrors) > 0 {
		fmt.Fprintf(w, "- Clients see: %s\n", mdText(strings.Join(f.ClientErrors, ", ")))
	}
	fmt.Fprintf(w, "- Fix: %s\n", mdText(f.Fix))
	if f.ID != "" {
		fmt.Fprintf(w, "- Id: %s\n", f.ID)
	}
}

// mdCode is s as inline code, or nothing when s is empty.
func mdCode(s string) string {
	if s == "" {
		return ""
	}
	return "`" + strings.ReplaceAll(s, "`", "'") + "`"
}

// mdText escapes the characters Markdown would take as markup.
func mdText(s string) string { return mdEscaper.Replace(strings.ReplaceAll(s, "\n", " ")) }

// mdCell is mdText for a table cell.
func mdCell(s string) string { return mdText(s) }

var mdEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", `\<`, ">", `\>`, "|", `\|`, "#", `\#`)

// unreadNote says which zones this run did not read, and so left out of
// the comparison with the baseline; "" when it read them all.
func unreadNote(rep *audit.Report) string {
	var zs []string
	for _, z := range rep.Zones {
		if z.Error != "" {
			zs = append(zs, z.Zone)
		}
	}
	if len(zs) == 0 {
		return ""
	}
	return " Not compared (not read this run): " + strings.Join(zs, ", ") + "."
}
