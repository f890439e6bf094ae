package report

import (
	"fmt"
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
}

// Run is one audit run's reporting: opened before the audit (so that bad
// file names, baselines or history are found before anything is read),
// then Mark the report, then Finish to write the files.
type Run struct {
	cfg          Config
	baseline     *audit.Report
	baselinePath string
	points       []Point
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
		if r.baselinePath == "" {
			p, err := h.Latest(cfg.Now)
			if err != nil {
				return nil, err
			}
			r.baselinePath = p
		}
		pts, err := h.Points(cfg.Now)
		if err != nil {
			return nil, err
		}
		r.points = pts
	}
	if r.baselinePath != "" {
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
func (r *Run) Mark(rep *audit.Report) { Mark(rep, r.baseline) }

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
