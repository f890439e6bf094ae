package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
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
	// beforeZone, when set, is called before cleanup sends each zone's
	// update (tests interrupt runs there).
	beforeZone func(zone string)
	// warned holds the warnings already printed in this run, so that one
	// said by two merges (cleanup reads, then updates) is printed once.
	warned map[string]bool
}

// warn prints a warning on stderr, once per run.
func (e env) warn(msg string) {
	if e.warned != nil {
		if e.warned[msg] {
			return
		}
		e.warned[msg] = true
	}
	fmt.Fprintln(e.stderr, "kmsdns: warning:", msg)
}

// isTerminal is a real isatty check: /dev/null is a character device but
// not a terminal.
func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd())
}

func defaultEnv() env {
	var stdout io.Writer = os.Stdout
	if w := terminalWidth(os.Stdout); w > 0 {
		// Tables and findings are fitted to the terminal; piped or
		// redirected output is never wrapped.
		stdout = &terminal{Writer: os.Stdout, width: w}
	}
	return env{stdin: os.Stdin, stdout: stdout, stderr: os.Stderr, now: time.Now,
		stderrTTY: isTerminal(os.Stderr), stdinTTY: isTerminal(os.Stdin), warned: map[string]bool{}}
}

// execute runs the app on args (os.Args style): flags may follow positional
// arguments, and unknown commands and flags are refused with a suggestion.
func execute(ctx context.Context, app *cli.App, args []string) error {
	format, values, machine := outputFormat(args)
	o, _ := app.Writer.(*output)
	if o != nil {
		o.machine = machine
	}
	command := commandName(app, args)
	args, err := prepareArgs(app, args)
	if err == nil {
		err = outputRepeated(values)
	}
	if err == nil {
		err = app.RunContext(ctx, args)
	}
	if o != nil {
		// -o json is one JSON document on stdout, a usage error too.
		emitErrorDoc(o, format, command, err, ctx.Err() != nil)
	}
	return err
}

// outputRepeated refuses -o given twice with different values (the last
// one would win without a word: -o json -o table printed a table).
func outputRepeated(values []string) error {
	for _, v := range values {
		if v != values[0] {
			return usageError("--output: given more than once (%s): give one FORMAT", strings.Join(values, ", "))
		}
	}
	return nil
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
	fmt.Fprintln(stderr, "kmsdns:", err)
	return exitUsage
}

// codeOf is the exit code of err: anything without one comes from flag
// parsing or an unknown command.
func codeOf(err error) int {
	var ce *codeError
	switch {
	case err == nil:
		return exitClean
	case errors.As(err, &ce):
		return ce.code
	}
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
	// Every command writes through one output, so that machine output is
	// never wrapped and a failed -o json run still prints a document.
	e.stdout = newOutput(e.stdout)
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
			planCommand(e), applyCommand(e),
			{
				Name:   "version",
				Usage:  "print kmsdns's version (as --version does)",
				Hidden: true,
				Action: func(c *cli.Context) error {
					cli.ShowVersion(c)
					return nil
				},
			},
		},
	}
}
