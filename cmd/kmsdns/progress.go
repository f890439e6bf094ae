package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kmsdns/kmsdns/zone"
)

// progress shows how many zones have been read, on stderr, when it is a
// terminal and there are more than a few zones.
type progress struct {
	w       io.Writer
	total   int
	on      bool
	tty     bool
	probing bool
	width   int // of the terminal on stderr; 0 when unknown
}

func newProgress(e env, total int) *progress {
	p := &progress{w: e.stderr, total: total, on: e.stderrTTY && total > 3, tty: e.stderrTTY}
	if t, ok := e.stderr.(*terminal); ok {
		// Redrawn in place: written as it is, fitted here.
		p.w, p.width = t.Writer, t.width
	}
	return p
}

// fit shortens a progress line to the terminal's width: a line that wraps
// cannot be redrawn in place.
func (p *progress) fit(line string) string {
	if r := []rune(line); p.width > 4 && len(r) > p.width-1 {
		return string(r[:p.width-4]) + "..."
	}
	return line
}

func (p *progress) update(done, total int, r *zone.Snapshot) {
	if !p.on {
		return
	}
	state := fmt.Sprintf("%d KMS records", len(r.Records))
	if r.Err != nil {
		state = "error"
	}
	fmt.Fprint(p.w, "\r\033[K"+p.fit(fmt.Sprintf("kmsdns: %d/%d zones read (%s: %s)", done, total, strings.TrimSuffix(r.Zone, "."), state)))
}

func (p *progress) done(d time.Duration) {
	if p.on {
		fmt.Fprintf(p.w, "\r\033[Kkmsdns: %d zones read in %s\n", p.total, d.Round(time.Millisecond))
	}
}

// probed shows how many KMS hosts have been probed.
func (p *progress) probed(done, total int) {
	if p.tty && total > 3 {
		p.probing = true
		fmt.Fprintf(p.w, "\r\033[Kkmsdns: %d/%d KMS hosts probed", done, total)
	}
}

func (p *progress) finish() {
	if p.probing {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
