package converge_test

import (
	"os"
	"testing"
)

// TestMain keeps every test on loopback: code that falls back to the
// system resolver gets a loopback address where nothing answers.
func TestMain(m *testing.M) {
	os.Setenv("KMSDNS_RESOLVER", "127.0.0.1:9")
	os.Exit(m.Run())
}
