package testserver

import (
	"fmt"
	"os"
)

// Isolate keeps a test binary to itself, for TestMain: code that falls
// back to the system resolver gets a loopback address where nothing
// answers (KMSDNS_RESOLVER=127.0.0.1:9), never the machine's resolver; and
// the default state file goes to a directory of the run's own
// (XDG_STATE_HOME), never to the user's ~/.local/state. Child processes
// (the built kmsdns) inherit both. done removes the directory.
func Isolate() (done func()) {
	os.Setenv("KMSDNS_RESOLVER", "127.0.0.1:9")
	stateHome, err := os.MkdirTemp("", "kmsdns-state")
	if err != nil {
		panic(fmt.Sprintf("a state directory for the tests: %v", err))
	}
	os.Setenv("XDG_STATE_HOME", stateHome)
	return func() { os.RemoveAll(stateHome) }
}
