package main

import (
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

// output is stdout as the commands see it. Human text (tables, findings,
// plans) written to it is fitted to the terminal when stdout is one; machine
// output (-o json, -o nagios, plan --write-desired) goes out byte for byte,
// whatever stdout is, so that it parses and pastes as printed.
type output struct {
	raw  io.Writer // stdout itself
	term *terminal // stdout when it is a terminal, else nil
	// machine is set when the command line asks for machine output:
	// nothing is wrapped then.
	machine bool
	// wrote says whether anything was written (a command that failed
	// before printing its JSON document gets one printed for it).
	wrote bool
}

func newOutput(w io.Writer) *output {
	if t, ok := w.(*terminal); ok {
		return &output{raw: t.Writer, term: t}
	}
	return &output{raw: w}
}

func (o *output) Write(p []byte) (int, error) {
	o.wrote = true
	if o.term != nil && !o.machine {
		return o.term.Write(p)
	}
	return o.raw.Write(p)
}

// width is the width human text must fit in, 0 for no limit.
func (o *output) width() int {
	if o.term == nil || o.machine {
		return 0
	}
	return o.term.width
}

// outputFormat is the value of the command line's -o/--output flag ("" when
// not given; "json" when any value given is json, in any case, so that a
// usage error about -o itself is a JSON document too), every value given,
// and whether it asks for machine output (json or nagios output, plan
// --write-desired). args are os.Args style; "--" ends the flags.
func outputFormat(args []string) (format string, values []string, machine bool) {
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch name {
		case "o", "output":
			if !hasVal {
				if i+1 >= len(args) {
					continue
				}
				i++
				val = args[i]
			}
			values = append(values, val)
		case "write-desired":
			machine = true
		}
	}
	for _, v := range values {
		if strings.EqualFold(v, "json") {
			return "json", values, true
		}
		format = v
	}
	return format, values, machine || format == "nagios"
}

// commandName is the command args run ("" for none).
func commandName(app *cli.App, args []string) string {
	for _, a := range args[min(1, len(args)):] {
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			if c := app.Command(a); c != nil {
				return c.Name
			}
			return ""
		}
	}
	return ""
}

// errorDoc is the JSON document printed for a command run with -o json that
// failed before printing its own (a usage error, mostly).
type errorDoc struct {
	Version  int    `json:"version"`
	Command  string `json:"command"`
	Error    string `json:"error"`
	ExitCode int    `json:"exit_code"`
	// Interrupted: Ctrl-C or SIGTERM ended the command first.
	Interrupted bool `json:"interrupted,omitempty"`
}

// emitErrorDoc prints the error document for err on o when -o json was
// asked for and nothing was printed yet.
func emitErrorDoc(o *output, format, command string, err error, interrupted bool) {
	if err == nil || format != "json" || o.wrote {
		return
	}
	msg := err.Error()
	var ce *codeError
	if errors.As(err, &ce) && ce.err == nil {
		msg = ""
	}
	enc := json.NewEncoder(o.raw)
	enc.SetIndent("", "  ")
	enc.Encode(errorDoc{Version: 1, Command: command, Error: msg, ExitCode: codeOf(err), Interrupted: interrupted})
	o.wrote = true
}
