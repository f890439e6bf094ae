package cleanup

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/internal/regfile"
	"github.com/kmsdns/kmsdns/zone"
)

// MaxStateSize caps the state file: a bigger file (or /dev/zero) is not
// read into memory.
const MaxStateSize = 64 << 20

// ErrCorruptState is wrapped by the error for a state file that cannot be
// parsed (or is over MaxStateSize). Audit warns and goes on without it;
// writers set it aside (see Update).
var ErrCorruptState = errors.New("corrupt state file")

// State is what cleanup remembers between runs: the records it removed.
type State struct {
	Version int             `json:"version"`
	Removed []audit.Removed `json:"removed"`
}

// DefaultStatePath is $XDG_STATE_HOME/kmsdns/removed.json, or
// ~/.local/state/kmsdns/removed.json.
func DefaultStatePath() string {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return filepath.Join(os.TempDir(), "kmsdns", "removed.json")
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "kmsdns", "removed.json")
}

// LoadState reads the state file; a missing file is an empty state. A file
// that cannot be parsed gives an error wrapping ErrCorruptState.
func LoadState(path string) (*State, error) {
	f, err := regfile.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &State{Version: 1}, nil
	}
	if errors.Is(err, regfile.ErrNotRegular) { // a FIFO, a device: corrupt, never waited on
		return nil, fmt.Errorf("state file %s: %w: %v", path, ErrCorruptState, err)
	}
	if err != nil {
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > MaxStateSize {
		return nil, fmt.Errorf("state file %s: %w: larger than %d MiB", path, ErrCorruptState, MaxStateSize>>20)
	}
	// A state file is a JSON object: anything else (a binary file,
	// /dev/zero) is refused from its first bytes, without reading on.
	br := bufio.NewReader(io.LimitReader(f, MaxStateSize+1))
	head, _ := br.Peek(512)
	if t := bytes.TrimLeft(head, " \t\r\n"); len(t) > 0 && t[0] != '{' {
		return nil, fmt.Errorf("state file %s: %w: not a JSON object", path, ErrCorruptState)
	}
	b, err := io.ReadAll(br)
	if err != nil {
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	if len(b) > MaxStateSize {
		return nil, fmt.Errorf("state file %s: %w: larger than %d MiB", path, ErrCorruptState, MaxStateSize>>20)
	}
	s := &State{Version: 1}
	if len(bytes.TrimSpace(b)) == 0 {
		return s, nil
	}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("state file %s: %w: %v", path, ErrCorruptState, err)
	}
	return s, nil
}

// Remember adds removed records, replacing older entries for the same
// record.
func (s *State) Remember(rs ...audit.Removed) {
	for _, r := range rs {
		s.drop(func(old audit.Removed) bool { return sameEntry(old, r) })
		s.Removed = append(s.Removed, r)
	}
}

func sameEntry(a, b audit.Removed) bool {
	return a.Zone == b.Zone && a.Name == b.Name && a.Target == b.Target && a.Port == b.Port &&
		a.Priority == b.Priority && a.Weight == b.Weight
}

func (s *State) drop(match func(audit.Removed) bool) int {
	kept := s.Removed[:0]
	for _, old := range s.Removed {
		if !match(old) {
			kept = append(kept, old)
		}
	}
	n := len(s.Removed) - len(kept)
	s.Removed = kept
	return n
}

// Forget drops entries for records published again on purpose and
// reports how many went.
func (s *State) Forget(recs ...zone.Record) int {
	return s.drop(func(old audit.Removed) bool {
		for _, r := range recs {
			if old.Zone == r.Zone && old.Name == r.Name && old.Target == r.Target {
				return true
			}
		}
		return false
	})
}

// save writes the state file atomically: temporary file in the same
// directory, fsync, rename, fsync of the directory.
func (s *State) save(path string) error {
	s.Version = 1
	if s.Removed == nil {
		s.Removed = []audit.Removed{}
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("state file %s: %w", path, err)
	}
	return writeAtomic(path, append(b, '\n'))
}

func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state file %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, ".removed-*.json")
	if err != nil {
		return fmt.Errorf("state file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("state file %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("state file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("state file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("state file %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// StateStore is the state file at Path, changed only under its lock.
type StateStore struct {
	Path string
	// LockWait is how long a writer waits for another run's lock;
	// DefaultLockWait when zero.
	LockWait time.Duration
	// Now names a corrupt file set aside; time.Now when nil.
	Now func() time.Time
	// Notice is told what the store did beyond the asked change (a
	// corrupt file set aside); ignored when nil.
	Notice func(msg string)
}

// Update locks the state file, reads it, lets change edit it and writes it
// back atomically before unlocking, so runs that overlap never lose each
// other's entries. A corrupt file is renamed to
// <path>.corrupt-<UTC time> (Notice says so) and a fresh state started.
func (st *StateStore) Update(ctx context.Context, change func(*State)) error {
	unlock, err := lockFile(ctx, st.Path+".lock", st.lockWait())
	if err != nil {
		return err
	}
	defer unlock()
	s, err := LoadState(st.Path)
	if errors.Is(err, ErrCorruptState) {
		now := time.Now
		if st.Now != nil {
			now = st.Now
		}
		aside := fmt.Sprintf("%s.corrupt-%s", st.Path, now().UTC().Format("20060102T150405.000000000Z"))
		if fi, serr := os.Stat(st.Path); serr != nil || !fi.Mode().IsRegular() {
			return err
		}
		if rerr := os.Rename(st.Path, aside); rerr != nil {
			return fmt.Errorf("%w (and setting it aside failed: %v)", err, rerr)
		}
		if st.Notice != nil {
			st.Notice(fmt.Sprintf("%v; set it aside as %s and started a new state file", err, aside))
		}
		s, err = &State{Version: 1}, nil
	}
	if err != nil {
		return err
	}
	change(s)
	return s.save(st.Path)
}

func (st *StateStore) lockWait() time.Duration {
	if st.LockWait > 0 {
		return st.LockWait
	}
	return DefaultLockWait
}

// Forget drops from the state file at statePath the entries for recs
// (records published again on purpose, which audit must no longer
// report as reappeared). It reports how many entries went. A missing
// state file is left missing.
func Forget(ctx context.Context, statePath string, recs []zone.Record) (int, error) {
	if len(recs) == 0 {
		return 0, nil
	}
	if _, err := os.Stat(statePath); errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	n := 0
	st := &StateStore{Path: statePath}
	err := st.Update(ctx, func(s *State) { n = s.Forget(recs...) })
	return n, err
}

// Remember adds to the state file at statePath records removed outside a
// cleanup run (kmsdns unpublish), so that a later audit reports them if
// they come back. notice, when set, is told of a corrupt file set aside.
func Remember(ctx context.Context, statePath string, removed []audit.Removed, notice func(msg string)) error {
	if len(removed) == 0 {
		return nil
	}
	st := &StateStore{Path: statePath, Notice: notice}
	return st.Update(ctx, func(s *State) { s.Remember(removed...) })
}
