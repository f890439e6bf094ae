package report

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kmsdns/kmsdns/audit"
)

// Config says which reports one audit run writes and what it is compared
// with.
type Config struct {
	// Files are the report files to write; the format of each is named
	// by its extension.
	Files []string
	// Baseline is an earlier JSON report to compare with. When empty and
	// HistoryDir is set, the latest run in the history is the baseline.
	Baseline string
	// HistoryDir keeps every run's JSON report; empty for none.
	HistoryDir string
	// Keep is how many runs the history keeps; DefaultKeep when zero.
	Keep int
	// Now is the time of the run: history runs from before it are used.
	Now time.Time
	// Warn receives the warnings about history files left out (a file
	// that cannot be read); os.Stderr when nil.
	Warn io.Writer
}

// Run is one audit run's reporting: opened before the audit (so that bad
// file names, baselines or history are found before anything is read),
// then Mark the report, then Finish to write the files.
type Run struct {
	cfg          Config
	baseline     *audit.Report
	baselinePath string
	points       []Point
	// older are the readable history runs before the baseline, newest
	// first, for the zones the baseline did not read.
	older []string
}

// Open checks cfg and loads the baseline and the history's points.
func Open(cfg Config) (*Run, error) {
	r := &Run{cfg: cfg}
	for _, f := range cfg.Files {
		if _, err := FormatOf(f); err != nil {
			return nil, err
		}
	}
	if cfg.Keep < 0 {
		return nil, fmt.Errorf("keep %d: %w", cfg.Keep, ErrBadKeep)
	}
	r.baselinePath = cfg.Baseline
	if cfg.HistoryDir != "" {
		h := r.history()
		files, err := h.before(cfg.Now)
		if err != nil {
			return nil, err
		}
		fromHistory := r.baselinePath == ""
		for i := len(files) - 1; i >= 0 && fromHistory; i-- {
			p := filepath.Join(h.Dir, files[i].name)
			b, err := Load(p)
			if err != nil {
				r.warn(err)
				continue
			}
			if r.baseline == nil {
				r.baseline, r.baselinePath = b, p
			} else {
				r.older = append(r.older, p)
			}
		}
		// With the baseline taken from the history, every unreadable file
		// has been named above already.
		warn := r.warn
		if fromHistory {
			warn = func(error) {}
		}
		r.points = h.points(files, warn)
	}
	if r.baselinePath != "" && r.baseline == nil {
		b, err := Load(r.baselinePath)
		if err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		r.baseline = b
	}
	return r, nil
}

// ErrBadKeep is returned for a negative number of runs to keep.
var ErrBadKeep = fmt.Errorf("the number of runs to keep must be 0 (the default, %d) or more", DefaultKeep)

func (r *Run) history() History { return History{Dir: r.cfg.HistoryDir, Keep: r.cfg.Keep} }

// BaselinePath is the baseline report's file, "" without one.
func (r *Run) BaselinePath() string { return r.baselinePath }

// Mark sets the finding ids of rep and, with a baseline, the changes and
// the resolved findings (see Mark).
// A zone this run read that the baseline did not (it was unreadable
// then, or not audited) is compared with the latest history run that
// read it.
func (r *Run) Mark(rep *audit.Report) { Mark(rep, r.perZone(rep)) }

func (r *Run) warn(err error) {
	w := r.cfg.Warn
	if w == nil {
		w = os.Stderr
	}
	fmt.Fprintf(w, "kmsdns: warning: history: skipping a file: %v\n", err)
}

// perZone is the baseline with, for each zone rep read that it did not,
// that zone's findings from the latest older history run that read it.
func (r *Run) perZone(rep *audit.Report) *audit.Report {
	if r.baseline == nil || len(r.older) == 0 {
		return r.baseline
	}
	b := *r.baseline
	b.Findings = append([]audit.Finding(nil), b.Findings...)
	b.Zones = append([]audit.ZoneReport(nil), b.Zones...)
	have := readZones(&b)
	for z := range readZones(rep) {
		if have[z] {
			continue
		}
		for _, p := range r.older {
			o, err := Load(p)
			if err != nil {
				continue
			}
			if !readZones(o)[z] {
				continue
			}
			for _, f := range o.Findings {
				if canon(f.Zone) == z {
					b.Findings = append(b.Findings, f)
				}
			}
			b.Zones = append(b.Zones, audit.ZoneReport{Zone: z})
			have[z] = true
			break
		}
	}
	return &b
}

// Finish writes every report file, then saves rep into the history. It
// stops at the first file that cannot be written: the error is a
// *WriteError naming it.
func (r *Run) Finish(rep *audit.Report) error {
	opts := Options{History: r.points}
	for _, f := range r.cfg.Files {
		if err := WriteFile(f, rep, opts); err != nil {
			return err
		}
	}
	if r.cfg.HistoryDir != "" {
		if _, err := r.history().Save(rep); err != nil {
			return err
		}
	}
	return nil
}
