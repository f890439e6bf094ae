package testserver

// TB is the part of testing.TB that the harness uses, so that the
// benchmark command (cmd/kmsdns-bench) can start the same servers outside
// a test. *testing.T and *testing.B satisfy it.
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	Logf(format string, args ...any)
	Cleanup(func())
	TempDir() string
	Failed() bool
}
