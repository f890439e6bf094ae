package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// widthOf is the width output to w must fit in, 0 for no limit.
func widthOf(w io.Writer) int {
	switch t := w.(type) {
	case *output:
		return t.width()
	case *terminal:
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
		return fitTable(t.w, t.header, rows, width)
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
// kmsdns command in the text is kept on one line when it fits, else put on
// lines of its own that paste as one command (commandLines; a line that
// starts with glued goes at column 0).
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
	fields := strings.Fields(s)
	for i := 0; i < len(fields); i++ {
		j := commandEnd(fields, i)
		if j < 0 {
			put(fields[i])
			continue
		}
		if cmd := strings.Join(fields[i:j+1], " "); textWidth(cmd) <= width {
			put(cmd)
		} else if !continuable(fields[i]) {
			for _, f := range fields[i : j+1] {
				put(f)
			}
		} else {
			if line != "" {
				lines = append(lines, line)
			}
			cl := commandLines(fields[i:j+1], width)
			lines = append(lines, cl[:len(cl)-1]...)
			line = cl[len(cl)-1]
			if strings.HasPrefix(line, glued) {
				lines = append(lines, line)
				line = ""
			}
		}
		i = j
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// breakWord splits a word too long for width after the last dot, comma,
// slash or dash that keeps the head within width (so that no label that
// fits is split), else at width.
func breakWord(w string, width int) (string, string) {
	r := []rune(w)
	for i := width; i > 0; i-- {
		if strings.ContainsRune(".,/-", r[i-1]) {
			return string(r[:i]), string(r[i:])
		}
	}
	return string(r[:width]), string(r[width:])
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
		if strings.HasPrefix(l, glued) {
			pre, l = "", l[len(glued):]
		}
		if i == 0 {
			pre = first
		}
		fmt.Fprintf(w, "%s%s\n", pre, l)
	}
}
