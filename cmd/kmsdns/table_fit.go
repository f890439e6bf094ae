package main

import (
	"io"
	"strings"
)

// Tables on a terminal: laid out by kmsdns itself (piped, tablewriter lays
// them out unwrapped), so that every line is a row of the table and no word
// is split that fits its column.

// fitTable writes header and rows as an ASCII table no wider than width.
// Columns are narrowed widest first, never below their longest word (a
// name's labels, broken after a dot or dash, are its words) and their
// title's; then titles wrap too. When even that is too wide, each row is
// written as a block of TITLE | value lines instead.
func fitTable(w io.Writer, header []string, rows [][]string, width int) error {
	n := len(header)
	avail := width - 3*n - 1
	natural := make([]int, n)
	soft := make([]int, n) // the longest word of the column and title
	least := make([]int, n)
	for i, h := range header {
		cellWord := 1
		for _, r := range rows {
			if i < len(r) {
				for _, l := range strings.Split(r[i], "\n") {
					natural[i] = max(natural[i], textWidth(l))
				}
				cellWord = max(cellWord, longestWord(r[i]))
			}
		}
		natural[i] = max(natural[i], textWidth(h))
		soft[i] = max(cellWord, longestWord(h))
		least[i] = max(cellWord, min(longestWord(h), 4))
	}
	if sum(least) > avail {
		return writeBlocks(w, header, rows, width)
	}
	cols := append([]int{}, natural...)
	narrow(cols, soft, avail)
	narrow(cols, least, avail)
	var b strings.Builder
	border := "+"
	for _, c := range cols {
		border += strings.Repeat("-", c+2) + "+"
	}
	border += "\n"
	cells := make([][][]string, len(rows))
	multi := false
	for j, r := range rows {
		cells[j] = make([][]string, n)
		for i := range header {
			if i < len(r) {
				cells[j][i] = wrapCell(r[i], cols[i])
				multi = multi || len(cells[j][i]) > 1
			}
		}
	}
	b.WriteString(border)
	head := make([][]string, n)
	for i, h := range header {
		head[i] = wrapCell(h, cols[i])
	}
	writeRow(&b, head, cols)
	b.WriteString(border)
	for j := range cells {
		if j > 0 && multi {
			// Rows of several lines are told apart by a line between.
			b.WriteString(border)
		}
		writeRow(&b, cells[j], cols)
	}
	b.WriteString(border)
	_, err := io.WriteString(w, b.String())
	return err
}

// narrow takes columns off the widest of cols (not below floor) until they
// sum to at most avail.
func narrow(cols, floor []int, avail int) {
	for sum(cols) > avail {
		widest := -1
		for i, c := range cols {
			if c > floor[i] && (widest < 0 || c > cols[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			return
		}
		cols[widest]--
	}
}

// writeRow writes one row whose cells are lines, padded to cols.
func writeRow(b *strings.Builder, cells [][]string, cols []int) {
	lines := 1
	for _, c := range cells {
		lines = max(lines, len(c))
	}
	for l := 0; l < lines; l++ {
		b.WriteString("|")
		for i, c := range cells {
			s := ""
			if l < len(c) {
				s = c[l]
			}
			b.WriteString(" " + s + strings.Repeat(" ", max(0, cols[i]-textWidth(s))) + " |")
		}
		b.WriteString("\n")
	}
}

// writeBlocks writes each row as TITLE | value lines, rows apart by a line.
func writeBlocks(w io.Writer, header []string, rows [][]string, width int) error {
	key := 0
	for _, h := range header {
		key = max(key, textWidth(h))
	}
	val := max(width-key-7, 4)
	border := "+" + strings.Repeat("-", key+2) + "+" + strings.Repeat("-", val+2) + "+\n"
	var b strings.Builder
	b.WriteString(border)
	for _, r := range rows {
		for i, h := range header {
			v := ""
			if i < len(r) {
				v = r[i]
			}
			writeRow(&b, [][]string{{h}, wrapCell(v, val)}, []int{key, val})
		}
		b.WriteString(border)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// wrapCell breaks a cell's text (which may hold lines) into lines of at
// most width.
func wrapCell(s string, width int) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for _, w := range wrapText(l, width) {
			out = append(out, strings.TrimPrefix(w, glued))
		}
	}
	return out
}

// longestWord is the width of the longest word of s: words end at spaces,
// and after a dot, comma, slash or dash (where names break).
func longestWord(s string) int {
	n, cur := 0, 0
	for _, c := range s {
		switch {
		case c == ' ' || c == '\n':
			cur = 0
		case strings.ContainsRune(".,/-", c):
			n = max(n, cur+1)
			cur = 0
			continue
		default:
			cur++
		}
		n = max(n, cur)
	}
	return n
}
