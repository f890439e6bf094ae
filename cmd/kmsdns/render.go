package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/audit/report"
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

// terminal is stdout when it is a terminal: width is its width in columns.
// Tables and findings written to it are fitted to that width; to anything
// else (a pipe, a file, a test buffer) nothing is wrapped.
type terminal struct {
	io.Writer
	width int
}

// widthOf is the width output to w must fit in, 0 for no limit.
func widthOf(w io.Writer) int {
	if t, ok := w.(*terminal); ok {
		return t.width
	}
	return 0
}

// table is an ASCII table whose cells are wrapped, when it is written to a
// terminal, so that no line is wider than the terminal.
type table struct {
	w      io.Writer
	header []string
	rows   [][]string
}

func newTable(w io.Writer) *table { return &table{w: w} }

// Header sets the column titles.
func (t *table) Header(cells ...string) { t.header = cells }

// Append adds a row.
func (t *table) Append(row []string) error {
	t.rows = append(t.rows, row)
	return nil
}

// Render writes the table.
func (t *table) Render() error {
	rows := t.rows
	if width := widthOf(t.w); width > 0 {
		rows = fitRows(t.header, t.rows, width)
	}
	tt := tablewriter.NewTable(t.w,
		tablewriter.WithRendition(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)}),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
	)
	tt.Header(t.header)
	for _, r := range rows {
		if err := tt.Append(r); err != nil {
			return err
		}
	}
	return tt.Render()
}

// fitRows wraps the cells of rows so that the table fits in width columns:
// the widest columns are narrowed first, never below their title's width
// (or 4), and cells are broken at spaces, then after dots, commas, slashes
// and dashes.
func fitRows(header []string, rows [][]string, width int) [][]string {
	n := len(header)
	natural := make([]int, n)
	floor := make([]int, n)
	for i, h := range header {
		natural[i] = textWidth(h)
		floor[i] = max(textWidth(h), 4)
	}
	for _, r := range rows {
		for i := 0; i < n && i < len(r); i++ {
			for _, l := range strings.Split(r[i], "\n") {
				natural[i] = max(natural[i], textWidth(l))
			}
		}
	}
	// "| " before each cell, " " after it, and the final "|".
	avail := width - 3*n - 1
	cols := append([]int{}, natural...)
	for sum(cols) > avail {
		widest := -1
		for i, c := range cols {
			if c > floor[i] && (widest < 0 || c > cols[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			break // as narrow as it gets
		}
		cols[widest]--
	}
	out := make([][]string, len(rows))
	for j, r := range rows {
		out[j] = make([]string, len(r))
		for i, c := range r {
			if i < n && cols[i] < natural[i] {
				c = strings.Join(wrapText(c, cols[i]), "\n")
			}
			out[j][i] = c
		}
	}
	return out
}

// naturalWidth is the width of the table unwrapped.
func naturalWidth(header []string, rows [][]string) int {
	w := 1
	for i, h := range header {
		c := textWidth(h)
		for _, r := range rows {
			if i < len(r) {
				for _, l := range strings.Split(r[i], "\n") {
					c = max(c, textWidth(l))
				}
			}
		}
		w += c + 3
	}
	return w
}

func sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

func textWidth(s string) int { return utf8.RuneCountInString(s) }

// wrapText breaks s into lines of at most width characters: at spaces
// where it can, else after a dot, comma, slash or dash, else anywhere. A
// command in the text ("kmsdns ...", up to its closing parenthesis) is kept
// on one line when it fits, so that it can be copied as printed.
func wrapText(s string, width int) []string {
	if width < 1 || textWidth(s) <= width {
		return []string{s}
	}
	var lines []string
	line := ""
	put := func(word string) {
		switch {
		case line == "":
			line = word
		case textWidth(line)+1+textWidth(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
		for textWidth(line) > width {
			head, tail := breakWord(line, width)
			lines = append(lines, head)
			line = tail
		}
	}
	for _, word := range words(s, width) {
		put(word)
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// words splits s at spaces, keeping "kmsdns ..." commands (up to the
// closing parenthesis) as one word when they fit in width.
func words(s string, width int) []string {
	fields := strings.Fields(s)
	var out []string
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if strings.TrimLeft(f, "(\"") == "kmsdns" {
			j := i
			for j+1 < len(fields) {
				j++
				if strings.ContainsAny(fields[j], ")\"") {
					break
				}
			}
			if cmd := strings.Join(fields[i:j+1], " "); textWidth(cmd) <= width {
				out = append(out, cmd)
				i = j
				continue
			}
		}
		out = append(out, f)
	}
	return out
}

// breakWord splits a word too long for width after the last dot, comma,
// slash or dash that keeps the head within width, else at width.
func breakWord(w string, width int) (string, string) {
	r := []rune(w)
	for i := width; i > width/3; i-- {
		if strings.ContainsRune(".,/-", r[i-1]) {
			return string(r[:i]), string(r[i:])
		}
	}
	return string(r[:width]), string(r[width:])
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

// para writes text after first, wrapped to the width of w (when it is a
// terminal) with later lines after indent.
func para(w io.Writer, first, text, indent string) {
	width := widthOf(w)
	if width == 0 {
		fmt.Fprintf(w, "%s%s\n", first, text)
		return
	}
	for i, l := range wrapText(text, width-len(indent)) {
		pre := indent
		if i == 0 {
			pre = first
		}
		fmt.Fprintf(w, "%s%s\n", pre, l)
	}
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
