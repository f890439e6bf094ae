package cleanup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/publish"
)

// Status is what became of one zone, as the account after a run gives it.
type Status string

// Statuses of a zone after Apply.
const (
	// StatusChanged: the update was applied and the records read back
	// are as planned.
	StatusChanged Status = "changed"
	// StatusNotChanged: the update was sent and not applied (the server
	// refused it, or a guard found the records changed since the plan).
	StatusNotChanged Status = "not changed"
	// StatusNotSent: nothing was sent (nothing to do, a plan that could
	// not be made, the run was interrupted before this zone, the server
	// could not be reached, or signing failed before sending, as a
	// GSS-TSIG negotiation can).
	StatusNotSent Status = "not sent"
	// StatusUnknown: the update was sent, no answer came and the records
	// could not be read back to tell. Its records stay pending in the
	// state file.
	StatusUnknown Status = "unknown"
)

// ZoneResult is what happened to one zone.
type ZoneResult struct {
	publish.Result
	Plan   *ZonePlan
	Status Status
}

// Outcome is the account of a run.
type Outcome struct {
	// Backup is the backup file written before the first update; empty
	// when the plan removes nothing (a plan that only adds records, as
	// converge's can be, writes no backup).
	Backup string
	Zones  []ZoneResult
	// Interrupted: the context was cancelled; zones after it were not
	// sent.
	Interrupted bool
	// StateErr is set when the state file could not be written (the
	// zones' results stand).
	StateErr error
}

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// BackupPath is where the backup goes; it must not exist.
	BackupPath string
	// BackupUnique, for a default BackupPath (a time of day, one-second
	// resolution): when the file exists (a run started in the same
	// second), the backup goes to NAME-2.zone, NAME-3.zone, ... instead.
	BackupUnique bool
	// State is the state file; nil writes none.
	State *StateStore
	// Now stamps the backup and the state entries; time.Now when nil.
	Now func() time.Time
	// BeforeZone, when set, is called before each zone's update is sent,
	// just before the context is checked for the last time: tests
	// interrupt runs here.
	BeforeZone func(zone string)
}

// ErrBackup is wrapped by Apply's error when the backup could not be
// written: nothing was sent.
var ErrBackup = errors.New("backup not written: nothing was changed")

// Apply writes the backup of every record the plan removes, synced to
// disk (no backup when it removes nothing), then sends each zone's update in turn. The context is checked
// before every send; once it is cancelled the remaining zones are not
// sent (an update already sent is waited for, within the client's
// timeout). The state file records each zone's removals as pending before its
// update and settles them after (kept for an applied update, dropped for
// one not applied, left pending when nobody can tell), so a run killed at
// any point leaves every changed zone in it.
func Apply(ctx context.Context, cl *publish.Client, plan *Plan, opts ApplyOptions) (*Outcome, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	out := &Outcome{}
	if plan.Removes() > 0 {
		path, err := writeBackup(opts.BackupPath, opts.BackupUnique, plan, now())
		if err != nil {
			return nil, err
		}
		out.Backup = path
	}
	// State writes go on after an interruption: they are the account.
	bg := context.WithoutCancel(ctx)
	for _, zp := range plan.Zones {
		zr := ZoneResult{Plan: zp, Result: publish.Result{Zone: zp.Zone, Server: zp.Server, Action: zp.Action, Note: zp.Note}}
		switch {
		case zp.Err != nil:
			zr.Status, zr.Action, zr.Err, zr.Answer = StatusNotSent, publish.ActionFailed, zp.Err, "nothing sent"
		case zp.Empty():
			zr.Status, zr.Answer = StatusNotSent, "nothing sent"
		case out.Interrupted || out.StateErr != nil:
			zr.Status, zr.Answer = StatusNotSent, "nothing sent"
			zr.Note = "not sent: the run was interrupted before this zone"
			if out.StateErr != nil && !out.Interrupted {
				zr.Note = "not sent: the state file could not be written"
			}
		default:
			if opts.BeforeZone != nil {
				opts.BeforeZone(zp.Zone)
			}
			if ctx.Err() != nil {
				out.Interrupted = true
				zr.Status, zr.Answer, zr.Note = StatusNotSent, "nothing sent", "not sent: the run was interrupted before this zone"
				break
			}
			entries := removedEntries(zp, now().UTC())
			if err := opts.State.update(bg, func(s *State) { s.Remember(entries...) }); err != nil {
				out.StateErr = err
				zr.Status, zr.Answer, zr.Note = StatusNotSent, "nothing sent", "not sent: the state file could not be written"
				break
			}
			zr = applyZone(ctx, cl, zp, zr)
			var serr error
			switch zr.Status {
			case StatusChanged:
				serr = opts.State.update(bg, func(s *State) { settle(s, entries, true) })
			case StatusNotChanged, StatusNotSent:
				serr = opts.State.update(bg, func(s *State) { settle(s, entries, false) })
			}
			if serr != nil {
				out.StateErr = serr
			}
			if ctx.Err() != nil {
				out.Interrupted = true
			}
		}
		out.Zones = append(out.Zones, zr)
	}
	return out, nil
}

// applyZone sends one zone's update and decides its status. An update
// without a clear answer is read back by publish's Client.Apply
// (Result.ReadBack says what it found).
func applyZone(ctx context.Context, cl *publish.Client, zp *ZonePlan, zr ZoneResult) ZoneResult {
	// Once sent, an update is waited for (each exchange is bounded by the
	// client's timeout) even if the run is interrupted meanwhile: an
	// abandoned answer would leave the zone's fate to guesswork.
	zr.Result = cl.Apply(context.WithoutCancel(ctx), []*publish.ZonePlan{zp.ZonePlan})[0]
	var ue *publish.UpdateError
	switch {
	case zr.NotSent:
		// Nothing left this host whole (no connection, or signing failed:
		// a GSS-TSIG negotiation): the server cannot have acted on it.
		zr.Status, zr.Answer = StatusNotSent, "nothing sent"
	case zr.Err == nil && zr.Verified:
		zr.Status = StatusChanged
	case zr.ReadBack == publish.ReadBackNotApplied, errors.As(zr.Err, &ue):
		// Read back as it was, or the server answered: not applied.
		zr.Status = StatusNotChanged
	default:
		// Accepted but the read-back differs, or nobody can tell.
		zr.Status = StatusUnknown
	}
	return zr
}

// removedEntries are the state entries for a zone's deletions, pending.
func removedEntries(zp *ZonePlan, at time.Time) []audit.Removed {
	var out []audit.Removed
	for _, d := range zp.Delete {
		out = append(out, audit.Removed{Zone: d.Zone, Name: d.Name, TTL: d.TTL, Priority: d.Priority, Weight: d.Weight,
			Port: d.Port, Target: d.Target, Server: zp.Server, RemovedAt: at, Pending: true})
	}
	return out
}

// settle confirms (ok) or drops the pending entries.
func settle(s *State, entries []audit.Removed, ok bool) {
	for i := range s.Removed {
		e := &s.Removed[i]
		if e.Pending && slices.ContainsFunc(entries, func(x audit.Removed) bool { return sameEntry(*e, x) && e.RemovedAt.Equal(x.RemovedAt) }) {
			e.Pending = false
		}
	}
	if !ok {
		s.drop(func(e audit.Removed) bool {
			return slices.ContainsFunc(entries, func(x audit.Removed) bool { return sameEntry(e, x) && e.RemovedAt.Equal(x.RemovedAt) })
		})
	}
}

func (st *StateStore) update(ctx context.Context, change func(*State)) error {
	if st == nil {
		return nil
	}
	return st.Update(ctx, change)
}

// writeBackup writes the records the plan deletes to path (which must not
// exist; with unique, the first of path, NAME-2.ext, NAME-3.ext, ... that
// does not) and syncs file and directory before returning, so no update is
// sent before the backup is safe. It returns the path written.
func writeBackup(path string, unique bool, plan *Plan, created time.Time) (string, error) {
	b := &publish.Backup{Created: created}
	for _, zp := range plan.Zones {
		if !zp.Empty() && len(zp.Delete) > 0 {
			b.Zones = append(b.Zones, publish.BackupZone{Zone: zp.Zone, Server: zp.Server, Records: zp.Delete})
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	ext := filepath.Ext(path)
	for n := 2; unique && errors.Is(err, fs.ErrExist) && n <= 100; n++ {
		alt := fmt.Sprintf("%s-%d%s", strings.TrimSuffix(path, ext), n, ext)
		if f, err = os.OpenFile(alt, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
			path = alt
		}
	}
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBackup, err)
	}
	if err := b.Write(f); err != nil {
		f.Close()
		return "", fmt.Errorf("%w: %s: %w", ErrBackup, path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", fmt.Errorf("%w: %s: %w", ErrBackup, path, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrBackup, path, err)
	}
	syncDir(filepath.Dir(path))
	return path, nil
}
