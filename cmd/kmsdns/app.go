package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/urfave/cli/v2"
)

// Exit codes, for cron and monitoring.
const (
	exitClean    = 0 // no findings worse than info
	exitWarnings = 1 // warnings, no errors
	exitErrors   = 2 // errors (a zone that could not be read is one)
	exitUsage    = 3 // bad usage or config: nothing was done
)

// env is what the commands may touch outside their arguments, so tests can
// replace it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	now            func() time.Time
	// stderrTTY says whether stderr is a terminal (progress is shown then).
	stderrTTY bool
	// stdinTTY says whether stdin is a terminal (cleanup asks then).
	stdinTTY bool
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func defaultEnv() env {
	return env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, now: time.Now,
		stderrTTY: isTerminal(os.Stderr), stdinTTY: isTerminal(os.Stdin)}
}

// codeError carries an exit code; err may be nil when the output already
// says everything (a report with findings).
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *codeError) Unwrap() error { return e.err }

func usageError(format string, args ...any) error {
	return &codeError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// exitCode prints err (when it has something to say) and returns the code.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitClean
	}
	var ce *codeError
	if errors.As(err, &ce) {
		if ce.err != nil {
			fmt.Fprintln(stderr, "kmsdns:", ce.err)
		}
		return ce.code
	}
	// Anything else comes from flag parsing or an unknown command.
	fmt.Fprintln(stderr, "kmsdns:", err)
	return exitUsage
}

// version is the module version kmsdns was built as ("(devel)" from a
// checkout).
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

func newApp(e env) *cli.App {
	return &cli.App{
		Name:    "kmsdns",
		Version: version(),
		Usage:   "keep the DNS records of Microsoft KMS activation healthy",
		Description: `Volume-licensed Windows and Office find their KMS host through
_vlmcs._tcp.<domain> SRV records (port 1688). kmsdns finds every such record
in your zones (zone transfer, direct queries or zone files), checks that each
leads to a live KMS host, explains what clients will see, and changes the
records safely with RFC 2136 updates signed with TSIG or GSS-TSIG.

Exit codes: 0 clean (or every change succeeded), 1 warnings only, 2 errors or
a failed change, 3 bad usage or configuration (nothing was done).

Run "kmsdns COMMAND --help" for each command's options and examples.`,
		Writer:    e.stdout,
		ErrWriter: e.stderr,
		// Exit codes are decided in main, never by the library.
		ExitErrHandler:  func(*cli.Context, error) {},
		HideHelpCommand: true,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError("%v (see kmsdns help)", err)
		},
		Commands: []*cli.Command{
			auditCommand(e),
			checkCommand(e),
			publishCommand(e),
			unpublishCommand(e),
			cleanupCommand(e),
		},
	}
}
