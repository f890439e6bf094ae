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
	done := testserver.Isolate()
	code := m.Run()
	dc.Stop()
	done()
	os.Exit(code)
}

// dc is the package's Samba AD DC, started by the first test that needs
// it and stopped after all ran (provisioning a domain takes seconds).
var dc testserver.SharedSamba
