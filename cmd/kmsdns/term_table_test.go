package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// checkTables fails t unless every table line of out is a whole row of its
// table (no line broken by the terminal: a line holding only "|" or
// "------+") and no word of a cell was split across lines: each cell's
// lines, joined again (without a space after a dot or dash, where names
// break), give only words of known (the same output unwrapped). It returns
// the number of table lines seen.
func checkTables(t *testing.T, what, out string, known map[string]bool) int {
	t.Helper()
	var table []string
	seen := 0
	flush := func() {
		defer func() { table = nil }()
		if len(table) == 0 {
			return
		}
		seen += len(table)
		border := table[0]
		var cuts []int
		for i, c := range border {
			if c == '+' {
				cuts = append(cuts, i)
			}
		}
		var frags [][]string // per column, the fragments of the block
		header := true
		for _, l := range table {
			if strings.HasPrefix(l, "+") {
				for _, col := range frags {
					checkWords(t, what, strings.Join(col, "\n"), known, header)
				}
				if frags != nil {
					header = false
				}
				frags = make([][]string, len(cuts)-1)
				continue
			}
			if len(l) != len(border) {
				t.Errorf("%s: table line %q is not as wide as its border %q", what, l, border)
				continue
			}
			for i := 0; i+1 < len(cuts); i++ {
				if l[cuts[i]] != '|' {
					t.Errorf("%s: table line %q has no column separator at %d", what, l, cuts[i])
				}
				if f := strings.TrimSpace(l[cuts[i]+1 : cuts[i+1]]); f != "" {
					frags[i] = append(frags[i], f)
				}
			}
		}
	}
	for _, l := range strings.Split(out, "\n") {
		trimmed := strings.TrimLeft(l, " ")
		switch {
		case strings.HasPrefix(l, "+") || strings.HasPrefix(l, "|"):
			if !strings.HasSuffix(l, "+") && !strings.HasSuffix(l, "|") {
				t.Errorf("%s: table line broken: %q", what, l)
			}
			table = append(table, l)
			continue
		case strings.HasPrefix(trimmed, "|") || trimmed != "" && strings.Trim(trimmed, "-+") == "":
			t.Errorf("%s: a piece of a table line on a line of its own: %q", what, l)
		}
		flush()
	}
	flush()
	return seen
}

// checkWords checks the joined fragments of one column of one block.
func checkWords(t *testing.T, what, frags string, known map[string]bool, header bool) {
	t.Helper()
	if header {
		return // titles may wrap inside a word when nothing else fits
	}
	joined := ""
	for _, f := range strings.Split(frags, "\n") {
		if joined != "" && !strings.ContainsAny(joined[len(joined)-1:], ".-/,") {
			joined += " "
		}
		joined += f
	}
	for _, w := range strings.Fields(joined) {
		if !known[w] {
			t.Errorf("%s: %q is not a word of the unwrapped output: a word was split (cell %q)", what, w, strings.ReplaceAll(frags, "\n", " / "))
		}
	}
}

// wordsOf is the set of words of out, table separators apart.
func wordsOf(out string) map[string]bool {
	known := map[string]bool{}
	for _, w := range strings.Fields(strings.ReplaceAll(out, "|", " ")) {
		known[w] = true
	}
	return known
}

// TestTablesFitWithoutBreakingWords runs publish, unpublish, cleanup and plan
// with long names (real BIND) on terminals of 80 and 60 columns, and the
// same runs piped on another server: every table line is a row of its table
// and no word that fits its column is split (review 2 item 9).
func TestTablesFitWithoutBreakingWords(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Fatal("script(1) (util-linux/bsdutils) is needed to run kmsdns under a pseudo-terminal")
	}
	bin := buildBinary(t)
	runs := func(l longNamesLab) []string {
		return []string{
			"publish --no-probe -z " + l.zone + " --name " + l.site + " --host " + l.primary + l.srv,
			"unpublish -z " + l.zone + " --name " + l.site + " --host kms-standby." + l.zone + l.srv,
			"cleanup --dry-run --stale --no-probe -z " + l.zone + l.resolver + l.srv,
			"cleanup --yes --host kms-gone-decommissioned-host." + l.site + "." + l.zone + " --no-probe -z " + l.zone + l.resolver + l.srv,
			"plan --no-probe -c " + l.planCfg + l.resolver,
		}
	}
	other := startLongNamesLab(t)
	state := t.TempDir()
	known := map[string]bool{}
	for _, a := range runs(other) {
		out, _ := piped(t, bin, a, state)
		for w := range wordsOf(string(out)) {
			known[w] = true
		}
	}
	for _, cols := range []int{80, 60} {
		l := startLongNamesLab(t)
		for i, a := range runs(l) {
			name := strings.Fields(a)[0]
			t.Run(fmt.Sprintf("%d columns %d %s", cols, i, name), func(t *testing.T) {
				out := underPTY(t, cols, bin, a)
				if n, line := widest(out); n > cols {
					t.Errorf("line of %d columns: %s", n, line)
				}
				if checkTables(t, name, out, known) == 0 {
					t.Errorf("no table printed:\n%s", out)
				}
				if t.Failed() {
					t.Logf("output:\n%s", out)
				}
			})
		}
	}
}

// TestPlanTableKeepsColumns: a plan of short names on 80 columns keeps its
// columns (titles wrap rather than words), and no word is split; on 40
// columns each row becomes a block of TITLE | value lines.
func TestPlanTableKeepsColumns(t *testing.T) {
	header := []string{"ZONE", "OWNER", "TARGET", "PORT", "PRIORITY", "WEIGHT", "TTL", "ACTION", "WAS"}
	rows := [][]string{
		{"contoso.com", "emea", "kms-emea.contoso.com", "1688", "10", "50", "3600", "would replace", "1688 0 0 ttl 3600"},
		{"fabrikam.com", "@", "kms1.fabrikam.com", "1688", "0", "0", "3600", "would add", ""},
	}
	var piped bytes.Buffer
	tb := newTable(&piped)
	tb.Header(header...)
	for _, r := range rows {
		tb.Append(r)
	}
	tb.Render()
	known := wordsOf(piped.String())
	for _, width := range []int{80, 60, 40} {
		var b bytes.Buffer
		tb := newTable(&terminal{Writer: &b, width: width})
		tb.Header(header...)
		for _, r := range rows {
			tb.Append(r)
		}
		if err := tb.Render(); err != nil {
			t.Fatal(err)
		}
		what := fmt.Sprintf("width %d", width)
		checkTables(t, what, b.String(), known)
		if n, line := widest(b.String()); n > width {
			t.Errorf("%s: line of %d: %s", what, n, line)
		}
		first := strings.SplitN(b.String(), "\n", 3)[1]
		if columns := strings.Count(first, "|") - 1; width == 80 && columns != len(header) || width == 40 && columns != 2 {
			t.Errorf("%s: %d columns:\n%s", what, columns, b.String())
		}
		if t.Failed() {
			t.Logf("%s:\n%s", what, b.String())
		}
	}
}
