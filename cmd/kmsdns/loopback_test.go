package main

import (
	"os"
	"testing"

	"github.com/kmsdns/kmsdns/internal/testserver"
)

// TestMain keeps every test on loopback: code that falls back to the
// system resolver gets a loopback address where nothing answers, never
// the machine's real resolver.
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
	dc.Stop()
	os.RemoveAll(stateHome)
	os.Exit(code)
}

// dc is the package's Samba AD DC, started by the first test that needs
// it and stopped after all ran (provisioning a domain takes seconds).
var dc testserver.SharedSamba
