package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/testserver"
)

// TestHelpGolden keeps each command's --help in a golden file (a change
// to the help is reviewed as a diff) and checks that its prose fits 80
// columns: every line above OPTIONS that is not an example command.
func TestHelpGolden(t *testing.T) {
	for _, name := range sharedFlagCommands {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := run(t, name, "--help")
			if code != exitClean || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			assertGolden(t, "help-"+name+".txt", out)
			prose, _, _ := strings.Cut(out, "\nOPTIONS:")
			for _, l := range strings.Split(prose, "\n") {
				f := strings.Fields(l)
				if len(f) > 0 && (f[0] == "kmsdns" && !strings.HasPrefix(l, "   kmsdns "+name+" - ") || strings.HasPrefix(f[0], "KMSDNS_")) {
					continue // an example, kept whole so it can be pasted
				}
				if w := textWidth(l); w > 80 {
					t.Errorf("line of %d columns:\n%s", w, l)
				}
			}
		})
	}
}

// TestFlagsAfterArgumentsEveryCommand: on every command, a flag after a
// positional argument is still a flag: --help after an argument shows the
// help, a mistyped flag after one is named as a flag. (check's flags after
// its domains are run against BIND in TestFlagsAfterArgumentsRealBIND.)
func TestFlagsAfterArgumentsEveryCommand(t *testing.T) {
	for _, name := range sharedFlagCommands {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := run(t, name, "contoso.com", "--help")
			if code != exitClean || errOut != "" || !strings.Contains(out, "kmsdns "+name+" - ") {
				t.Errorf("--help after an argument: exit %d, stderr %q\n%s", code, errOut, out)
			}
			out, errOut, code = run(t, name, "contoso.com", "--timeout", "5s", "--verbos")
			if code != exitUsage || out != "" || !strings.Contains(errOut, name+": unknown flag --verbos") {
				t.Errorf("a mistyped flag after an argument: exit %d, stdout %q, stderr %q", code, out, errOut)
			}
		})
	}
	// Without a mistake, a command that takes no argument refuses the
	// argument itself, not the flags after it.
	out, errOut, code := run(t, "publish", "extra", "--zone", "a.example", "--host", "kms1.a.example", "--dry-run")
	if code != exitUsage || out != "" || !strings.Contains(errOut, `publish: unexpected argument "extra"`) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// runWidth is run with stdout a terminal of width columns.
func runWidth(t *testing.T, width int, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	var stdout = &terminal{Writer: &out, width: width}
	app := newApp(env{stdout: stdout, stderr: &errb, now: func() time.Time { return fixedNow }, warned: map[string]bool{}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := exitCode(execute(ctx, app, append([]string{"kmsdns"}, args...)), app.ErrWriter)
	return out.String(), errb.String(), code
}

// TestProseFitsTerminalRealBIND: the sentences check, publish and cleanup
// print around their tables are wrapped to an 80-column terminal (and not
// when stdout is not a terminal).
func TestProseFitsTerminalRealBIND(t *testing.T) {
	const z = "prose-with-a-long-zone-name.example"
	bind := testserver.StartBIND(t, testserver.BINDConfig{Keys: []testserver.Key{cliUpdKey}, Zones: []testserver.Zone{{
		Name: z, Transfer: "any;", Extra: "update-policy { grant upd zonesub SRV; };",
		Content: "$ORIGIN " + z + ".\n$TTL 300\n@ IN SOA ns1 hm 1 3600 900 1209600 300\n IN NS ns1\nns1 IN A 127.0.0.1\n" +
			"_vlmcs._tcp IN SRV 0 0 1688 kms-only-host-of-the-zone\nkms-only-host-of-the-zone IN A 127.0.0.73\n",
	}}})
	keyFile := cliUpdKey.WriteKeyFile(t, t.TempDir())
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"check outcome", []string{"check", "--no-probe", "-r", bind.Addr, z}, "a client picks one of 1 record(s)"},
		{"publish warning", []string{"publish", "--dry-run", "--server", bind.Addr, "-k", keyFile, "-r", bind.Addr, "--zone", z, "--host", "missing-host-that-does-not-resolve." + z}, "warning:"},
		{"cleanup kept", []string{"cleanup", "--dry-run", "--no-probe", "--server", bind.Addr, "-k", keyFile, "-r", bind.Addr, "--zone", z, "--host", "kms-only-host-of-the-zone." + z}, "Kept: the last KMS record"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			piped, errOut, _ := run(t, tc.args...)
			if !strings.Contains(piped, tc.want) {
				t.Fatalf("lacks %q:\n%s\n%s", tc.want, piped, errOut)
			}
			if n, _ := proseWidest(piped); n <= 80 {
				t.Fatalf("piped, the widest line is %d columns: the case proves nothing\n%s", n, piped)
			}
			out, _, _ := runWidth(t, 80, tc.args...)
			if n, line := proseWidest(out); n > 80 {
				t.Errorf("a line of %d columns at 80:\n%s\n%s", n, line, out)
			}
			flat := strings.Join(strings.Fields(out), " ")
			if !strings.Contains(flat, tc.want) {
				t.Errorf("wrapped output lacks %q:\n%s", tc.want, out)
			}
		})
	}
}

// proseWidest is widest without the records in zone-file form (the UPDATE
// message, kept records): they stay whole, to be pasted.
func proseWidest(out string) (int, string) {
	var prose []string
	for _, l := range strings.Split(out, "\n") {
		if !strings.Contains(l, "\t") {
			prose = append(prose, l)
		}
	}
	return widest(strings.Join(prose, "\n"))
}
