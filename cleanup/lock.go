package cleanup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultLockWait is how long a writer waits for the state file's lock.
const DefaultLockWait = 10 * time.Second

// LockedError says the state file's lock is held by another run.
type LockedError struct {
	Path string
	// PID is the holder's process id as it wrote it in the lock file; 0
	// when unknown.
	PID  int
	Wait time.Duration
}

func (e *LockedError) Error() string {
	who := "another kmsdns run"
	if e.PID > 0 {
		who = fmt.Sprintf("kmsdns process %d", e.PID)
	}
	return fmt.Sprintf("state file lock %s: held by %s for over %s; wait for it to finish, or remove the lock file if that process is gone", e.Path, who, e.Wait)
}

// lockFile takes an exclusive advisory lock (flock) on path, retrying
// until wait has passed, and writes our pid in it.
func lockFile(ctx context.Context, path string, wait time.Duration) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("state file lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state file lock %s: %w", path, err)
	}
	deadline := time.Now().Add(wait)
	for {
		var busy bool
		busy, err = tryLock(f)
		if err == nil && !busy {
			break
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("state file lock %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			b := make([]byte, 32)
			n, _ := f.ReadAt(b, 0)
			pid, _ := strconv.Atoi(strings.TrimSpace(string(b[:n])))
			f.Close()
			return nil, &LockedError{Path: path, PID: pid, Wait: wait}
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("state file lock %s: %w", path, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() {
		f.Truncate(0)
		unlock(f)
		f.Close()
	}, nil
}
