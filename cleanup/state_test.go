//go:build !windows

package cleanup_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/zone"
)

func entry(i int) audit.Removed {
	z := fmt.Sprintf("z%d.example.", i)
	return audit.Removed{Zone: z, Name: "_vlmcs._tcp." + z, Port: 1688, Target: "kms-old." + z, RemovedAt: time.Unix(1700000000, 0).UTC()}
}

func TestStateConcurrentWritersLoseNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "removed.json")
	var wg sync.WaitGroup
	const n = 40
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := &cleanup.StateStore{Path: path}
			errs <- st.Update(t.Context(), func(s *cleanup.State) { s.Remember(entry(i)) })
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s, err := cleanup.LoadState(path)
	if err != nil || len(s.Removed) != n {
		t.Fatalf("%d of %d entries kept (%v)", len(s.Removed), n, err)
	}
}

func TestStateLockHeldSaysWho(t *testing.T) {
	path := filepath.Join(t.TempDir(), "removed.json")
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	f.WriteString("4242\n")
	st := &cleanup.StateStore{Path: path, LockWait: 200 * time.Millisecond}
	start := time.Now()
	err = st.Update(t.Context(), func(s *cleanup.State) { s.Remember(entry(1)) })
	var le *cleanup.LockedError
	if !errors.As(err, &le) || le.PID != 4242 || !strings.Contains(err.Error(), "kmsdns process 4242") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 5*time.Second {
		t.Errorf("waited %s", d)
	}
	// Released: the writer gets in.
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	if err := st.Update(t.Context(), func(s *cleanup.State) { s.Remember(entry(1)) }); err != nil {
		t.Fatal(err)
	}
}

func TestStateCorruptAndHuge(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name    string
		content string
	}{
		{"garbage", "{not json"},
		{"wrong shape", `{"removed": 42}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".json")
			os.WriteFile(path, []byte(c.content), 0o600)
			if _, err := cleanup.LoadState(path); !errors.Is(err, cleanup.ErrCorruptState) {
				t.Fatalf("load: %v", err)
			}
			var notices []string
			now := time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC)
			st := &cleanup.StateStore{Path: path, Now: func() time.Time { return now }, Notice: func(m string) { notices = append(notices, m) }}
			if err := st.Update(t.Context(), func(s *cleanup.State) { s.Remember(entry(1)) }); err != nil {
				t.Fatal(err)
			}
			aside := path + ".corrupt-20261122T040000.000000000Z"
			if b, err := os.ReadFile(aside); err != nil || string(b) != c.content {
				t.Errorf("set aside: %v %q", err, b)
			}
			if len(notices) != 1 || !strings.Contains(notices[0], aside) {
				t.Errorf("notices: %q", notices)
			}
			if s, err := cleanup.LoadState(path); err != nil || len(s.Removed) != 1 {
				t.Errorf("new state: %v %+v", err, s)
			}
		})
	}
	t.Run("dev zero", func(t *testing.T) {
		if _, err := cleanup.LoadState("/dev/zero"); !errors.Is(err, cleanup.ErrCorruptState) {
			t.Fatalf("load: %v", err)
		}
		// A writer never renames /dev/zero.
		st := &cleanup.StateStore{Path: "/dev/zero", LockWait: time.Second}
		if err := st.Update(t.Context(), func(*cleanup.State) {}); err == nil {
			t.Fatal("updated /dev/zero")
		}
	})
}

func TestForget(t *testing.T) {
	path := filepath.Join(t.TempDir(), "removed.json")
	st := &cleanup.StateStore{Path: path}
	st.Update(t.Context(), func(s *cleanup.State) { s.Remember(entry(1), entry(2)) })
	e := entry(2)
	n, err := cleanup.Forget(t.Context(), path, []zone.Record{{Zone: e.Zone, Name: e.Name, Port: 1700, Target: e.Target}})
	if err != nil || n != 1 {
		t.Fatalf("forget: %d %v", n, err)
	}
	if s, _ := cleanup.LoadState(path); len(s.Removed) != 1 || s.Removed[0].Zone != entry(1).Zone {
		t.Errorf("left: %+v", s.Removed)
	}
	missing := filepath.Join(t.TempDir(), "none.json")
	if n, err := cleanup.Forget(t.Context(), missing, []zone.Record{{Zone: e.Zone}}); n != 0 || err != nil {
		t.Errorf("missing file: %d %v", n, err)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("Forget created a state file")
	}
}

// TestStateSizeCap: a state file over MaxStateSize is refused, not read
// into memory whole.
func TestStateSizeCap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.json")
	f, _ := os.Create(path)
	f.WriteString(`{"version":1,"removed":[` + strings.Repeat(" ", 100))
	f.Truncate(cleanup.MaxStateSize + 10)
	f.Close()
	if _, err := cleanup.LoadState(path); !errors.Is(err, cleanup.ErrCorruptState) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("load: %v", err)
	}
}
