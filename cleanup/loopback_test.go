package cleanup_test

import (
	"os"
	"testing"

	"github.com/kmsdns/kmsdns/internal/testserver"
)

// TestMain keeps every test on loopback: code that falls back to the
// system resolver gets a loopback address where nothing answers.
func TestMain(m *testing.M) {
	done := testserver.Isolate()
	code := m.Run()
	done()
	os.Exit(code)
}
