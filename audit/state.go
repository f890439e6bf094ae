package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// CheckReappeared is the id of the finding for a record that cleanup
// removed and that is back.
const CheckReappeared = "reappeared"

// Removed is a record that kmsdns cleanup removed.
type Removed struct {
	Zone      string    `json:"zone"`
	Name      string    `json:"name"`
	TTL       uint32    `json:"ttl"`
	Priority  uint16    `json:"priority"`
	Weight    uint16    `json:"weight"`
	Port      uint16    `json:"port"`
	Target    string    `json:"target"`
	Server    string    `json:"server,omitempty"`
	RemovedAt time.Time `json:"removed_at"`
}

func (r Removed) same(rec zone.Record) bool {
	return r.Zone == rec.Zone && r.Name == rec.Name && r.Target == rec.Target && r.Port == rec.Port &&
		r.Priority == rec.Priority && r.Weight == rec.Weight
}

// State is what cleanup remembers between runs: the records it removed.
type State struct {
	Version int       `json:"version"`
	Removed []Removed `json:"removed"`
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

// LoadState reads the state file; a missing file is an empty state.
func LoadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &State{Version: 1}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state file: %w", err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	return &s, nil
}

// Remember adds removed records, replacing older entries for the same record.
func (s *State) Remember(rs ...Removed) {
	for _, r := range rs {
		kept := s.Removed[:0]
		for _, old := range s.Removed {
			if !(old.Zone == r.Zone && old.Name == r.Name && old.Target == r.Target && old.Port == r.Port) {
				kept = append(kept, old)
			}
		}
		s.Removed = append(kept, r)
	}
}

// Forget drops entries for records published again on purpose.
func (s *State) Forget(recs ...zone.Record) {
	kept := s.Removed[:0]
	for _, old := range s.Removed {
		drop := false
		for _, r := range recs {
			if old.Zone == r.Zone && old.Name == r.Name && old.Target == r.Target {
				drop = true
			}
		}
		if !drop {
			kept = append(kept, old)
		}
	}
	s.Removed = kept
}

// Save writes the state file atomically (temporary file, sync, rename).
func (s *State) Save(path string) error {
	s.Version = 1
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".removed-*.json")
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("state file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("state file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	return nil
}

// reappeared reports records that cleanup removed and that are back.
func reappeared(r *zone.Result, removed []Removed) []Finding {
	var out []Finding
	for _, rec := range r.Records {
		for _, rm := range removed {
			if !rm.same(rec) {
				continue
			}
			host := short(rec.Target)
			out = append(out, Finding{
				Check: CheckReappeared, Severity: SeverityWarning, Zone: r.Zone, Name: rec.Name, Target: rec.Target, Port: rec.Port,
				Message: fmt.Sprintf("kmsdns cleanup removed this record on %s and it is back: %s still registers itself",
					rm.RemovedAt.UTC().Format("2006-01-02 15:04 MST"), host),
				ClientErrors: []string{errRPCUnavail, errNoKMS},
				Fix: fmt.Sprintf("Turn off DNS publishing on %s (slmgr /cdns, or DisableDnsPublishing = 1) or retire its KMS host key, then run kmsdns cleanup --host %s again.",
					host, host),
			})
			break
		}
	}
	return out
}

// Candidate is a record that cleanup may remove, and the finding that
// justifies it.
type Candidate struct {
	Record zone.Record
	Check  string
	Reason string
	// Alive: the target answered the KMS probe.
	Alive bool
}

// CleanupCandidates picks the records cleanup removes: every record whose
// target is one of hosts, every record found decommissioned or
// target-unresolvable, and with includeUnreachable also host-unreachable
// and not-kms. Records without such a finding are never picked.
func (r *Report) CleanupCandidates(hosts []string, includeUnreachable bool) []Candidate {
	removable := map[string]bool{CheckDecommissioned: true, CheckTargetUnresolv: true}
	if includeUnreachable {
		removable[CheckHostUnreachable], removable[CheckNotKMS] = true, true
	}
	var out []Candidate
	for _, rec := range r.Records {
		c := Candidate{Record: zone.Record{Zone: rec.Zone, Name: rec.Name, TTL: rec.TTL, Priority: rec.Priority,
			Weight: rec.Weight, Port: rec.Port, Target: rec.Target}}
		for _, h := range hosts {
			if dns.CanonicalName(h) == rec.Target {
				c.Check, c.Reason = "host", "named with --host"
			}
		}
		if c.Check == "" {
			for _, f := range r.Findings {
				if f.Zone == rec.Zone && f.Name == rec.Name && f.Target == rec.Target && f.Port == rec.Port && removable[f.Check] {
					c.Check, c.Reason = f.Check, f.Message
					break
				}
			}
		}
		if c.Check == "" {
			continue
		}
		for _, t := range r.Targets {
			if t.Target == rec.Target && t.Probe == "kms" {
				c.Alive = true
			}
		}
		out = append(out, c)
	}
	return out
}
