package main

import (
	"fmt"
	"strings"

	"github.com/kmsdns/kmsdns/internal/config"
	"github.com/urfave/cli/v2"
)

// Flags after arguments, and suggestions for mistyped commands and flags.
//
// urfave/cli v2 stops parsing a command's flags at its first positional
// argument, so "kmsdns check contoso.com --resolver 127.0.0.1" would read
// "--resolver" as a domain. prepareArgs moves every flag (with its value)
// ahead of the positional arguments, using each command's own flag
// definitions to know which flags take a value; "--" ends the flags.
// It also rejects unknown commands and flags, with the closest known one.

// flagSpec is what prepareArgs knows of a command's flags.
type flagSpec struct {
	// value holds every name (without dashes) of a flag that takes a
	// value; bool holds the others.
	value, bool map[string]bool
	// long lists the flags' primary names, for suggestions.
	long []string
}

func specOf(flags []cli.Flag) flagSpec {
	s := flagSpec{value: map[string]bool{}, bool: map[string]bool{"help": true, "h": true}}
	for _, f := range flags {
		takes := false
		if tv, ok := f.(interface{ TakesValue() bool }); ok {
			takes = tv.TakesValue()
		}
		for i, n := range f.Names() {
			if takes {
				s.value[n] = true
			} else {
				s.bool[n] = true
			}
			if i == 0 {
				s.long = append(s.long, n)
			}
		}
	}
	s.long = append(s.long, "help")
	return s
}

// prepareArgs returns args (os.Args style: the program name first) with
// each command's flags ahead of its positional arguments, or a usage error
// for an unknown command or flag.
func prepareArgs(app *cli.App, args []string) ([]string, error) {
	if len(args) < 2 {
		return args, nil
	}
	// The command is the first argument that is not a flag (the app's own
	// flags take no value: --help, --version).
	i := 1
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "-" {
		if args[i] == "--" {
			return args, nil
		}
		switch f := strings.TrimLeft(args[i], "-"); f {
		case "help", "h", "version", "v":
		default:
			msg := "unknown flag " + args[i]
			if s := config.Closest(f, []string{"help", "version"}); s != "" {
				msg += fmt.Sprintf(": did you mean --%s?", s)
			}
			return nil, usageError("%s (see kmsdns --help)", msg)
		}
		i++
	}
	if i == len(args) {
		return args, nil
	}
	name := args[i]
	if name == "help" || name == "h" {
		// "kmsdns help [COMMAND]" is "kmsdns [COMMAND] --help".
		if i+1 < len(args) {
			return prepareArgs(app, []string{args[0], args[i+1], "--help"})
		}
		return []string{args[0], "--help"}, nil
	}
	cmd := app.Command(name)
	if cmd == nil {
		var names []string
		for _, c := range app.Commands {
			if !c.Hidden {
				names = append(names, c.Name)
			}
		}
		msg := fmt.Sprintf("%q is not a kmsdns command", name)
		if s := config.Closest(name, names); s != "" {
			msg += fmt.Sprintf(": did you mean %q?", s)
		} else {
			msg += " (commands: " + strings.Join(names, ", ") + ")"
		}
		return nil, usageError("%s (see kmsdns --help)", msg)
	}
	if cmd.SkipFlagParsing {
		return args, nil
	}
	spec := specOf(cmd.Flags)
	var flags, pos []string
	rest := args[i+1:]
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		switch {
		case a == "--":
			pos = append(pos, rest[j+1:]...)
			j = len(rest)
		case a == "-" || !strings.HasPrefix(a, "-"):
			pos = append(pos, a)
		default:
			fname, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
			switch {
			case spec.value[fname]:
				flags = append(flags, a)
				if !hasValue {
					if j+1 == len(rest) {
						return nil, usageError("%s: flag needs a value: %s (see kmsdns %s --help)", cmd.Name, a, cmd.Name)
					}
					j++
					flags = append(flags, rest[j])
				}
			case spec.bool[fname]:
				flags = append(flags, a)
			default:
				msg := fmt.Sprintf("%s: unknown flag %s", cmd.Name, strings.SplitN(a, "=", 2)[0])
				if s := config.Closest(fname, spec.long); s != "" {
					msg += fmt.Sprintf(": did you mean --%s?", s)
				}
				return nil, usageError("%s (see kmsdns %s --help)", msg, cmd.Name)
			}
		}
	}
	for _, f := range flags {
		if f == "--help" || f == "-h" || f == "-help" {
			// "kmsdns check contoso.com --help" is the command's help, as
			// with git, not a help topic named contoso.com.
			return append(append([]string{}, args[:i+1]...), "--help"), nil
		}
	}
	out := append(append([]string{}, args[:i+1]...), flags...)
	if len(pos) > 0 {
		out = append(append(out, "--"), pos...)
	}
	return out, nil
}
