package main

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Mutation is one deliberate bug: in File, the only occurrence of From is
// replaced by To, and the tests of Packages (limited to Run when set)
// should then fail.
type Mutation struct {
	ID       string
	Desc     string
	File     string
	Packages []string
	Run      string
	// Survives explains why the tests cannot catch this mutant (an
	// equivalent mutant, or one only a slower test sees); it is still
	// counted as survived, but listed apart.
	Survives string
	From, To string
	Line     int // line of the list the entry starts on
}

// ParseList reads a mutation list:
//
//	# a comment (outside snippets)
//	=== id
//	desc: what the mutant breaks
//	file: zone/xfr.go
//	pkg: ./zone ./publish
//	run: ^TestTransfer      (optional: go test -run)
//	survives: why no test can catch it (optional)
//	--- from
//	<the exact original lines>
//	--- to
//	<the replacement lines, possibly none>
//
// Snippet lines are taken verbatim (tabs and all) up to the next line
// starting with "--- " or "=== "; trailing lines that are blank or start
// with "#" (comments between entries) are dropped.
func ParseList(r io.Reader, name string) ([]Mutation, error) {
	var (
		out  []Mutation
		cur  *Mutation
		body *[]string // snippet being read
		from []string
		to   []string
	)
	ids := map[string]int{}
	finish := func() error {
		if cur == nil {
			return nil
		}
		cur.From, cur.To = joinTrim(from), joinTrim(to)
		switch {
		case cur.File == "":
			return fmt.Errorf("%s:%d: mutation %s: no file:", name, cur.Line, cur.ID)
		case len(cur.Packages) == 0:
			return fmt.Errorf("%s:%d: mutation %s: no pkg:", name, cur.Line, cur.ID)
		case cur.From == "":
			return fmt.Errorf("%s:%d: mutation %s: empty --- from", name, cur.Line, cur.ID)
		case cur.From == cur.To:
			return fmt.Errorf("%s:%d: mutation %s: --- to is the same as --- from", name, cur.Line, cur.ID)
		}
		out = append(out, *cur)
		return nil
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "=== "):
			if err := finish(); err != nil {
				return nil, err
			}
			id := strings.TrimSpace(line[4:])
			if id == "" || strings.ContainsAny(id, " \t") {
				return nil, fmt.Errorf("%s:%d: bad mutation id %q", name, n, id)
			}
			if prev, dup := ids[id]; dup {
				return nil, fmt.Errorf("%s:%d: mutation id %s already used on line %d", name, n, id, prev)
			}
			ids[id] = n
			cur, body, from, to = &Mutation{ID: id, Line: n}, nil, nil, nil
		case line == "--- from" || line == "--- to":
			if cur == nil {
				return nil, fmt.Errorf("%s:%d: %q before any === entry", name, n, line)
			}
			if line == "--- from" {
				body = &from
			} else {
				body = &to
			}
		case body != nil:
			*body = append(*body, line)
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
		case cur == nil:
			return nil, fmt.Errorf("%s:%d: %q before any === entry", name, n, line)
		default:
			key, val, ok := strings.Cut(line, ":")
			val = strings.TrimSpace(val)
			switch {
			case !ok:
				return nil, fmt.Errorf("%s:%d: want key: value, got %q", name, n, line)
			case key == "desc":
				cur.Desc = val
			case key == "file":
				cur.File = val
			case key == "pkg":
				cur.Packages = strings.Fields(val)
			case key == "run":
				if _, err := regexp.Compile(val); err != nil {
					return nil, fmt.Errorf("%s:%d: run: %w", name, n, err)
				}
				cur.Run = val
			case key == "survives":
				cur.Survives = val
			default:
				return nil, fmt.Errorf("%s:%d: unknown key %q (desc, file, pkg, run, survives)", name, n, key)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := finish(); err != nil {
		return nil, err
	}
	return out, nil
}

func joinTrim(lines []string) string {
	for len(lines) > 0 && (strings.TrimSpace(lines[len(lines)-1]) == "" || strings.HasPrefix(lines[len(lines)-1], "#")) {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}

// Apply returns src with the only occurrence of m.From replaced. found is
// the number of occurrences: 0 means the entry is stale (the code moved),
// more than 1 that it is ambiguous; src is then returned unchanged.
func Apply(src string, m Mutation) (out string, found int) {
	found = strings.Count(src, m.From)
	if found != 1 {
		return src, found
	}
	return strings.Replace(src, m.From, m.To, 1), 1
}
