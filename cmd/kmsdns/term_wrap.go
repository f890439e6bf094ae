package main

import (
	"io"
	"strings"
)

// terminal is stdout when it is a terminal: width is its width in columns.
// Tables and findings written to it are fitted to that width by their
// renderers; every other line (an UPDATE message of long names, a check
// heading) is broken by Write. To anything else (a pipe, a file, a test
// buffer) nothing is wrapped.
type terminal struct {
	io.Writer
	width int

	col    int    // the column the next rune goes to
	indent string // the leading spaces of the current line
}

// Write writes p, breaking any line that would be wider than the terminal:
// after a space, dot, comma, slash or dash where it can, continuing with
// the line's own indentation and two spaces more. Tabs are expanded to
// 8-column stops, so that the width counted is the width shown. Nothing is
// held back: a prompt without a newline appears at once.
func (t *terminal) Write(p []byte) (int, error) {
	if t.width <= 0 {
		return t.Writer.Write(p)
	}
	var out strings.Builder
	s := string(p)
	for {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			t.put(&out, s)
			break
		}
		t.put(&out, s[:i])
		out.WriteByte(s[i])
		t.col, t.indent = 0, ""
		s = s[i+1:]
	}
	if _, err := io.WriteString(t.Writer, out.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// put writes seg, a piece of the current line, breaking it where the line
// would pass the width.
func (t *terminal) put(out *strings.Builder, seg string) {
	if seg == "" {
		return
	}
	if t.col == 0 && (isCommandLine(seg) || strings.HasSuffix(seg, "\\")) {
		// A command to copy is never broken, nor a line of one that
		// continues on the next (ending in a backslash): pasted, the
		// pieces would run as broken commands.
		out.WriteString(seg)
		t.col += textWidth(seg)
		return
	}
	if a, b := findCommand(seg); a >= 0 {
		t.putText(out, seg[:a])
		t.putCommand(out, seg[a:b])
		t.put(out, seg[b:])
		return
	}
	t.putText(out, seg)
}

// putCommand writes a kmsdns command: where it is when it fits, else from
// the start of a line, broken as commandLines does.
func (t *terminal) putCommand(out *strings.Builder, cmd string) {
	cont := t.indent + "  "
	if len(cont) > t.width/2 {
		cont = ""
	}
	if t.col+textWidth(cmd) > t.width && t.col > len(cont) {
		s := strings.TrimRight(out.String(), " ")
		out.Reset()
		out.WriteString(s + "\n" + cont)
		t.col = len(cont)
	}
	if t.col+textWidth(cmd) <= t.width {
		out.WriteString(cmd)
		t.col += textWidth(cmd)
		return
	}
	if !continuable(strings.Fields(cmd)[0]) {
		t.putText(out, cmd)
		return
	}
	// Later lines go after cont: the width left after it (or after the
	// start of the command, when that is further right).
	for i, l := range commandLines(strings.Fields(cmd), t.width-max(t.col, len(cont))) {
		if i > 0 {
			out.WriteString("\n")
			t.col = 0
			if !strings.HasPrefix(l, glued) {
				out.WriteString(cont)
				t.col = len(cont)
			}
		}
		l = strings.TrimPrefix(l, glued)
		out.WriteString(l)
		t.col += textWidth(l)
	}
}

// findCommand returns the byte offsets of the first kmsdns command in seg,
// or -1, -1.
func findCommand(seg string) (int, int) {
	type word struct {
		w          string
		start, end int
	}
	var words []word
	start := -1
	for i, c := range seg + " " {
		switch {
		case c == ' ' || c == '\t':
			if start >= 0 {
				words = append(words, word{seg[start:i], start, i})
				start = -1
			}
		case start < 0:
			start = i
		}
	}
	fields := make([]string, len(words))
	for i, w := range words {
		fields[i] = w.w
	}
	for i := range fields {
		if j := commandEnd(fields, i); j >= 0 {
			return words[i].start, words[j].end
		}
	}
	return -1, -1
}

// putText writes seg, a piece of the current line without a command,
// breaking it where the line would pass the width.
func (t *terminal) putText(out *strings.Builder, seg string) {
	if seg == "" {
		return
	}
	r := []rune(expandTabs(seg, t.col))
	if t.col == 0 {
		n := 0
		for n < len(r) && r[n] == ' ' {
			n++
		}
		t.indent = string(r[:n])
	}
	cont := t.indent + "  "
	if len(cont) > t.width/2 {
		cont = ""
	}
	for t.col+len(r) > t.width {
		room := t.width - t.col
		cut := 0
		for i := min(room, len(r)); i > room/3 && i > 0; i-- {
			if strings.ContainsRune(" .,/-", r[i-1]) {
				cut = i
				break
			}
		}
		if cut == 0 {
			if t.col > len(cont) {
				// Something is on the line already: go on below it.
				out.WriteString("\n" + cont)
				t.col = len(cont)
				r = trimSpace(r)
				continue
			}
			cut = room
		}
		out.WriteString(strings.TrimRight(string(r[:cut]), " "))
		out.WriteString("\n" + cont)
		t.col = len(cont)
		r = trimSpace(r[cut:])
	}
	out.WriteString(string(r))
	t.col += len(r)
}

func trimSpace(r []rune) []rune {
	for len(r) > 0 && r[0] == ' ' {
		r = r[1:]
	}
	return r
}

// expandTabs replaces each tab of s, which starts at column col, with
// spaces to the next multiple of 8.
func expandTabs(s string, col int) string {
	if !strings.Contains(s, "\t") {
		return s
	}
	var b strings.Builder
	for _, c := range s {
		if c == '\t' {
			n := 8 - col%8
			b.WriteString(strings.Repeat(" ", n))
			col += n
			continue
		}
		b.WriteRune(c)
		col++
	}
	return b.String()
}

// isCommandLine says whether line is a command to copy on a line of its own
// that cannot be continued with a backslash (a reg add of plan
// --publish-list for cmd.exe, an slmgr command).
func isCommandLine(line string) bool {
	l := strings.TrimLeft(line, " ")
	for _, p := range []string{"reg add ", "slmgr ", "cscript "} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}
