package main

import (
	"io"
	"strings"
	"sync"
	"unicode"
)

// Commands in text on a terminal: a kmsdns command that does not fit on the
// line is printed on lines of its own, broken between arguments with a
// trailing " \", so that copied into a shell it is still one command. An
// argument longer than the line is continued inside the word: its next
// line starts at column 0 (glued), as a backslash-newline inside a word
// joins it again.

// glued marks a line of wrapText that continues a word: printed at column
// 0, without the paragraph's indentation.
const glued = "\x00"

var (
	valueFlagsOnce sync.Once
	valueFlagSet   map[string]bool
)

// takesValue says whether a kmsdns flag (without dashes) takes a value.
func takesValue(name string) bool {
	valueFlagsOnce.Do(func() {
		valueFlagSet = map[string]bool{}
		app := newApp(env{stdout: io.Discard, stderr: io.Discard})
		for _, c := range app.Commands {
			for n := range specOf(c.Flags).value {
				valueFlagSet[n] = true
			}
		}
	})
	return valueFlagSet[name]
}

// continuable says whether a command (its first word) may be continued on
// the next line with a backslash: kmsdns's may, slmgr's (cmd.exe) not.
func continuable(first string) bool {
	return strings.TrimLeft(first, "(\"'`") == "kmsdns"
}

// commandEnd returns the index of the last word of the kmsdns (or slmgr)
// command that starts at fields[i], or -1 when none starts there. A command is "kmsdns",
// a command name, check's names, then flags and their values; it ends
// before the first other word, or at a word holding a closing parenthesis
// or ending in a colon, semicolon or comma.
func commandEnd(fields []string, i int) int {
	if i+1 < len(fields) && strings.TrimLeft(fields[i], "(\"'`") == "slmgr" && strings.HasPrefix(fields[i+1], "/") {
		// slmgr /option [value], for cmd.exe: kept on one line when
		// it fits, never continued with a backslash.
		j := i + 1
		switch strings.TrimRight(fields[j], ",;:)") {
		case "/skms", "/skms-domain", "/sprt", "/ipk":
			if !endsCommand(fields[j]) && j+1 < len(fields) {
				j++
			}
		}
		return j
	}
	if strings.TrimLeft(fields[i], "(\"'`") != "kmsdns" || i+1 >= len(fields) {
		return -1
	}
	sub := strings.TrimRightFunc(fields[i+1], func(r rune) bool { return !unicode.IsLetter(r) })
	switch sub {
	case "audit", "check", "publish", "unpublish", "cleanup", "plan", "apply":
	default:
		return -1
	}
	j := i + 1
	flags := false
	for !endsCommand(fields[j]) && j+1 < len(fields) {
		w := fields[j+1]
		switch {
		case strings.HasPrefix(w, "-") && len(w) > 1:
			flags = true
			j++
			name, _, hasVal := strings.Cut(strings.TrimLeft(w, "-"), "=")
			if !hasVal && takesValue(name) && !endsCommand(w) && j+1 < len(fields) {
				j++
			}
		case !flags && sub == "check":
			j++
		default:
			return j
		}
	}
	return j
}

func endsCommand(w string) bool {
	return strings.ContainsAny(w, ")`") || strings.HasSuffix(w, ":") || strings.HasSuffix(w, ";") || strings.HasSuffix(w, ",")
}

// commandLines breaks a command (its words) into lines of at most width:
// between arguments (a flag stays with its value when they fit on a line
// together), each line but the last
// ending in " \" and the later ones indented two spaces; an argument
// longer than a line is broken after a dot or dash, ending in "\", its
// next line glued.
func commandLines(fields []string, width int) []string {
	var units []string
	for k := 0; k < len(fields); k++ {
		u := fields[k]
		if k > 0 && strings.HasPrefix(u, "-") && !strings.Contains(u, "=") && takesValue(strings.TrimLeft(u, "-")) && k+1 < len(fields) {
			k++
			u += " " + fields[k]
		}
		if flag, value, ok := strings.Cut(u, " "); ok && textWidth(u)+4 > width {
			// too long for a line of its own: the value on the next
			units = append(units, flag, value)
			continue
		}
		units = append(units, u)
	}
	var lines []string
	line, glue := "", ""
	for k, u := range units {
		// A line that more units may follow can end in " \": it
		// leaves room for those two characters (review 3 item 1: a
		// line of width-1 or width characters became wider than the
		// terminal, which broke it again without a continuation).
		limit := width
		if k < len(units)-1 {
			limit = width - 2
		}
		switch {
		case line == "":
			line = u
		case textWidth(line)+1+textWidth(u)+2 <= width:
			line += " " + u
		default:
			lines = append(lines, glue+line+" \\")
			line, glue = "  "+u, ""
		}
		for textWidth(line) > limit && limit > 2 {
			head, tail := breakWord(line, limit-1)
			lines = append(lines, glue+head+"\\")
			line, glue = tail, glued
		}
	}
	return append(lines, glue+line)
}
