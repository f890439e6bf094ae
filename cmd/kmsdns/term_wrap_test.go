package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestTerminalBreaksLongLines: any line written to the terminal that would
// be wider than it (here an UPDATE line of long names, with tabs) is
// broken after a dot or a space, its continuation indented; lines that fit
// and a prompt without a newline pass as they are, at once.
func TestTerminalBreaksLongLines(t *testing.T) {
	const long = "regional-datacenter-north.emea.subsidiary-holdings-group.example."
	var b bytes.Buffer
	term := &terminal{Writer: &b, width: 80}
	fmt.Fprint(term, "  ;; DELETE\n")
	fmt.Fprintf(term, "  _vlmcs._tcp.warehouse-and-logistics-center.building-twelve.%s\t0\tNONE\tSRV\t20 0 1688 kms-standby.%s\n", long, long)
	fmt.Fprint(term, "short line\n")
	fmt.Fprint(term, "Remove these records? [y/N] ")
	if got := b.String(); !strings.HasSuffix(got, "short line\nRemove these records? [y/N] ") {
		t.Errorf("a prompt was held back or changed:\n%q", got)
	}
	lines := strings.Split(b.String(), "\n")
	for _, l := range lines {
		if textWidth(l) > 80 {
			t.Errorf("line wider than 80: %q", l)
		}
		if strings.Contains(l, "\t") {
			t.Errorf("a tab is left: %q", l)
		}
	}
	if len(lines) < 5 || !strings.HasPrefix(lines[2], "    ") || !strings.ContainsAny(lines[1][len(lines[1])-1:], ".-") {
		t.Errorf("not broken after a dot or dash with the line's indentation and two spaces more:\n%s", b.String())
	}
	// Nothing is lost: but for white space, the text is the original's.
	joined := strings.Join(strings.Fields(b.String()), "")
	want := strings.Join(strings.Fields("  ;; DELETE _vlmcs._tcp.warehouse-and-logistics-center.building-twelve."+long+" 0 NONE SRV 20 0 1688 kms-standby."+long+" short line Remove these records? [y/N]"), "")
	if joined != want {
		t.Errorf("text changed:\n got %q\nwant %q", joined, want)
	}
	// Not a terminal: written as is.
	var plain bytes.Buffer
	fmt.Fprintf(&terminal{Writer: &plain}, "a\t%s%s%s\n", long, long, long)
	if plain.String() != "a\t"+long+long+long+"\n" {
		t.Errorf("wrapped without a width: %q", plain.String())
	}
}

// TestTerminalKeepsContinuedLine: a line ending in a backslash (a line of
// a command continued on the next) is written as it is, even wider than
// the terminal: broken, it would paste as two commands (review 3 item 1).
func TestTerminalKeepsContinuedLine(t *testing.T) {
	line := "            xn--mnchen-3ya-cccccccccccccccccccccccccccccccccccccccccccccc.example \\\n"
	var buf strings.Builder
	fmt.Fprint(&terminal{Writer: &buf, width: 80}, line)
	if buf.String() != line {
		t.Errorf("continued line broken:\n%s", buf.String())
	}
}
