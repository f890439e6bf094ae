package cleanup_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/cleanup"
)

// TestStateLockNamesItsHolder: a run holding the state file's lock writes
// its PID into the lock file, so another run that gives up says which
// process holds it (TestStateLockHeldSaysWho writes the PID itself).
func TestStateLockNamesItsHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "removed.json")
	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- (&cleanup.StateStore{Path: path}).Update(t.Context(), func(*cleanup.State) {
			close(holding)
			<-release
		})
	}()
	<-holding
	err := (&cleanup.StateStore{Path: path, LockWait: 100 * time.Millisecond}).Update(t.Context(), func(*cleanup.State) {})
	close(release)
	if herr := <-done; herr != nil {
		t.Fatal(herr)
	}
	var le *cleanup.LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() || !strings.Contains(err.Error(), fmt.Sprintf("kmsdns process %d", os.Getpid())) {
		t.Errorf("err = %v; want the lock held by process %d", err, os.Getpid())
	}
}
