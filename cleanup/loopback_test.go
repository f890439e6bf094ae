package cleanup_test

import (
	"os"
	"testing"
)

// TestMain keeps every test on loopback: code that falls back to the
// system resolver gets a loopback address where nothing answers.
func TestMain(m *testing.M) {
	// The default state file goes to a directory of the run's own, never
	// to the user's ~/.local/state (tests must not leave records there).
	stateHome, err := os.MkdirTemp("", "kmsdns-state")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_STATE_HOME", stateHome)
	os.Setenv("KMSDNS_RESOLVER", "127.0.0.1:9")
	code := m.Run()
	os.RemoveAll(stateHome)
	os.Exit(code)
}
