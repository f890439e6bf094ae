package report

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/internal/regfile"
)

// Changes of a finding against a baseline.
const (
	ChangeNew        = "new"
	ChangePersisting = "persisting"
)

// Format is a report file format.
type Format string

// The formats, named by their file extension.
const (
	FormatJSON     Format = "json"
	FormatMarkdown Format = "md"
	FormatHTML     Format = "html"
	FormatProm     Format = "prom"
)

// ErrUnknownFormat is returned for a report file whose extension names no
// format.
var ErrUnknownFormat = errors.New("unknown report format (the file name must end in .json, .md, .html or .prom)")

// FormatOf is the format of the report file path, by its extension.
func FormatOf(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return FormatJSON, nil
	case ".md", ".markdown":
		return FormatMarkdown, nil
	case ".html", ".htm":
		return FormatHTML, nil
	case ".prom":
		return FormatProm, nil
	}
	return "", fmt.Errorf("report %s: %w", path, ErrUnknownFormat)
}

// WriteError is a report file that could not be written.
type WriteError struct {
	Path string
	Err  error
}

func (e *WriteError) Error() string { return fmt.Sprintf("report %s: %v", e.Path, e.Err) }

// Unwrap returns the cause.
func (e *WriteError) Unwrap() error { return e.Err }

// ID is the stable id of a finding: a digest of its check, zone, owner
// name, target and port. The message text is left out on purpose, so that
// rewording a message does not make an old finding look new. A finding
// about one name server (servers-disagree) has no target: the name server
// takes its place, so that each server's finding keeps an id of its own.
func ID(f audit.Finding) string {
	target := f.Target
	if target == "" && f.Disagreement != nil {
		target = f.Disagreement.Host
	}
	h := sha256.New()
	for _, s := range []string{f.Check, canon(f.Zone), canon(f.Name), canon(target), strconv.Itoa(int(f.Port))} {
		io.WriteString(h, s)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// canon lowercases a name and gives it its final dot, so that ids do not
// depend on how a name was spelled.
func canon(name string) string {
	if name == "" || name == "." {
		return name
	}
	name = strings.ToLower(name)
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	return name
}

// Mark sets the ID of every finding of rep. With a baseline it also marks
// each finding ChangeNew or ChangePersisting and sets rep.Resolved to the
// baseline's findings that rep no longer has, in the zones rep read (a
// zone not audited this run, or unreadable, is not checked); without
// one Change and Resolved are cleared.
func Mark(rep, baseline *audit.Report) {
	for i := range rep.Findings {
		rep.Findings[i].ID = ID(rep.Findings[i])
		rep.Findings[i].Change = ""
	}
	rep.Resolved = nil
	if baseline == nil {
		return
	}
	before := make(map[string]bool, len(baseline.Findings))
	for _, f := range baseline.Findings {
		before[ID(f)] = true
	}
	now := make(map[string]bool, len(rep.Findings))
	for i := range rep.Findings {
		f := &rep.Findings[i]
		now[f.ID] = true
		f.Change = ChangeNew
		if before[f.ID] {
			f.Change = ChangePersisting
		}
	}
	read := readZones(rep)
	seen := map[string]bool{}
	for _, f := range baseline.Findings {
		id := ID(f)
		if now[id] || seen[id] || !read[canon(f.Zone)] {
			continue
		}
		seen[id] = true
		f.ID, f.Change = id, ""
		rep.Resolved = append(rep.Resolved, f)
	}
}

// readZones are the zones rep audited and read (canonical names): a
// finding of another zone was not checked, so it is neither new nor
// resolved.
func readZones(rep *audit.Report) map[string]bool {
	m := map[string]bool{}
	for _, z := range rep.Zones {
		if z.Error == "" {
			m[canon(z.Zone)] = true
		}
	}
	return m
}

// MaxReportSize bounds a JSON report read back (a baseline or a history
// file).
const MaxReportSize = 2 << 30

// Load reads a JSON report written by kmsdns (--output json or a .json
// report).
func Load(path string) (*audit.Report, error) {
	f, err := regfile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", path, err)
	}
	defer f.Close()
	var rep audit.Report
	if err := decode(f, &rep); err != nil {
		return nil, fmt.Errorf("report %s: %w", path, err)
	}
	if rep.Version != audit.ReportVersion {
		return nil, fmt.Errorf("report %s: schema version %d, want %d: %w", path, rep.Version, audit.ReportVersion, ErrNotReport)
	}
	return &rep, nil
}

// ErrNotReport is returned for a file that is not a kmsdns JSON report.
var ErrNotReport = errors.New("not a kmsdns JSON report")

func decode(r io.Reader, v any) error {
	dec := json.NewDecoder(bufio.NewReader(io.LimitReader(r, MaxReportSize)))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrNotReport, err)
	}
	return nil
}

// WriteJSON writes rep as the schema-1 JSON report, as kmsdns --output
// json prints it.
func WriteJSON(w io.Writer, rep *audit.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// Options are what a report file may show beyond the report itself.
type Options struct {
	// History are earlier runs, oldest first, for the HTML chart; the
	// report's own run is added to them.
	History []Point
}

// Write writes rep to w in format.
func Write(w io.Writer, format Format, rep *audit.Report, opts Options) error {
	switch format {
	case FormatJSON:
		return WriteJSON(w, rep)
	case FormatMarkdown:
		return WriteMarkdown(w, rep)
	case FormatHTML:
		return WriteHTML(w, rep, opts)
	case FormatProm:
		return WriteProm(w, rep)
	}
	return fmt.Errorf("%q: %w", format, ErrUnknownFormat)
}

// WriteFile writes rep to path, in the format its extension names,
// atomically. Its error is a *WriteError naming path.
func WriteFile(path string, rep *audit.Report, opts Options) error {
	format, err := FormatOf(path)
	if err != nil {
		return &WriteError{Path: path, Err: err}
	}
	return writeAtomic(path, func(w io.Writer) error { return Write(w, format, rep, opts) })
}

// writeAtomic writes path through a temporary file in the same directory,
// synced and renamed over path; on any error path is left as it was.
func writeAtomic(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return &WriteError{Path: path, Err: err}
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = &WriteError{Path: path, Err: err}
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<16)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename in dir durable where the system allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync() // not supported everywhere (Windows): best effort
		d.Close()
	}
}
