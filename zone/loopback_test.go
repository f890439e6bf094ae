package zone

import (
	"os"
	"testing"

	"github.com/kmsdns/kmsdns/internal/testserver"
)

// TestMain keeps every test on loopback: code that falls back to the
// system resolver gets a loopback address where nothing answers, never
// the machine's real resolver.
func TestMain(m *testing.M) {
	done := testserver.Isolate()
	code := m.Run()
	done()
	os.Exit(code)
}
