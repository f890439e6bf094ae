package report

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/internal/regfile"
)

// DefaultKeep is how many runs a history keeps by default: a year of
// weekly audits.
const DefaultKeep = 52

// historyLayout is the UTC time in a history file's name:
// kmsdns-20261122T090000Z.json.
const historyLayout = "20060102T150405Z"

// HistoryName is the name of the history file of a run at t.
func HistoryName(t time.Time) string {
	return "kmsdns-" + t.UTC().Format(historyLayout) + ".json"
}

// historyTime is the time in a history file's name; ok is false for any
// other file.
func historyTime(name string) (time.Time, bool) {
	s, ok := strings.CutPrefix(name, "kmsdns-")
	if !ok {
		return time.Time{}, false
	}
	s, ok = strings.CutSuffix(s, ".json")
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(historyLayout, s)
	return t, err == nil
}

// Point is one run in a history: when it ran and what it found.
type Point struct {
	Time     time.Time
	Errors   int
	Warnings int
}

// History is a directory keeping every run's JSON report.
type History struct {
	Dir string
	// Keep is how many runs are kept; DefaultKeep when zero or less.
	Keep int
}

// historyFile is one run's file in a history.
type historyFile struct {
	name string
	t    time.Time
}

// files are the history's run files, oldest first. A missing directory
// is an empty history.
func (h History) files() ([]historyFile, error) {
	entries, err := os.ReadDir(h.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", h.Dir, err)
	}
	var out []historyFile
	for _, e := range entries {
		if t, ok := historyTime(e.Name()); ok && e.Type().IsRegular() {
			out = append(out, historyFile{name: e.Name(), t: t})
		}
	}
	slices.SortFunc(out, func(a, b historyFile) int { return a.t.Compare(b.t) })
	return out, nil
}

// Latest is the path of the latest run before t, "" when there is none.
func (h History) Latest(before time.Time) (string, error) {
	files, err := h.files()
	if err != nil {
		return "", err
	}
	for i := len(files) - 1; i >= 0; i-- {
		if files[i].t.Before(before.Truncate(time.Second)) {
			return filepath.Join(h.Dir, files[i].name), nil
		}
	}
	return "", nil
}

// Points are the runs before t, oldest first: the Keep-1 latest, those
// that stay in the history once a run at t is saved.
func (h History) Points(before time.Time) ([]Point, error) {
	files, err := h.files()
	if err != nil {
		return nil, err
	}
	files = slices.DeleteFunc(files, func(f historyFile) bool { return !f.t.Before(before.Truncate(time.Second)) })
	if k := h.keep() - 1; len(files) > k {
		files = files[len(files)-k:]
	}
	var pts []Point
	for _, f := range files {
		p, err := readPoint(filepath.Join(h.Dir, f.name))
		if err != nil {
			return nil, err
		}
		pts = append(pts, p)
	}
	return pts, nil
}

// before are the history's runs before t, oldest first.
func (h History) before(t time.Time) ([]historyFile, error) {
	files, err := h.files()
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(files, func(f historyFile) bool { return !f.t.Before(t.Truncate(time.Second)) }), nil
}

// points are the chart points of files (oldest first): the Keep-1 latest
// that can be read; each file that cannot is left out and passed to warn.
func (h History) points(files []historyFile, warn func(error)) []Point {
	if k := h.keep() - 1; len(files) > k {
		files = files[len(files)-k:]
	}
	var pts []Point
	for _, f := range files {
		p, err := readPoint(filepath.Join(h.Dir, f.name))
		if err != nil {
			warn(err)
			continue
		}
		pts = append(pts, p)
	}
	return pts
}

func (h History) keep() int {
	if h.Keep <= 0 {
		return DefaultKeep
	}
	return h.Keep
}

// readPoint reads the time and counts of one JSON report, skipping the
// rest.
func readPoint(path string) (Point, error) {
	f, err := regfile.Open(path)
	if err != nil {
		return Point{}, fmt.Errorf("history %s: %w", path, err)
	}
	defer f.Close()
	var head struct {
		Version     int           `json:"version"`
		GeneratedAt time.Time     `json:"generated_at"`
		Summary     audit.Summary `json:"summary"`
	}
	if err := decode(f, &head); err != nil {
		return Point{}, fmt.Errorf("history %s: %w", path, err)
	}
	if head.Version != audit.ReportVersion {
		return Point{}, fmt.Errorf("history %s: schema version %d: %w", path, head.Version, ErrNotReport)
	}
	return Point{Time: head.GeneratedAt, Errors: head.Summary.Errors, Warnings: head.Summary.Warnings}, nil
}

// Save writes rep into the history as HistoryName(rep.GeneratedAt),
// atomically, then removes the oldest runs beyond Keep. It returns the
// path written.
func (h History) Save(rep *audit.Report) (string, error) {
	if err := os.MkdirAll(h.Dir, 0o755); err != nil {
		return "", fmt.Errorf("history %s: %w", h.Dir, err)
	}
	path := filepath.Join(h.Dir, HistoryName(rep.GeneratedAt))
	if err := writeAtomic(path, func(w io.Writer) error { return WriteJSON(w, rep) }); err != nil {
		return "", err
	}
	files, err := h.files()
	if err != nil {
		return path, err
	}
	for len(files) > h.keep() {
		if err := os.Remove(filepath.Join(h.Dir, files[0].name)); err != nil {
			return path, fmt.Errorf("history %s: pruning: %w", h.Dir, err)
		}
		files = files[1:]
	}
	return path, nil
}
