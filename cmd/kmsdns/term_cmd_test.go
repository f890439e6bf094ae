package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// commandsIn lists the kmsdns commands of text, one per line (as a shell
// reads them: words apart by spaces).
func commandsIn(text string) []string {
	var cmds []string
	for _, l := range strings.Split(text, "\n") {
		fields := strings.Fields(l)
		for i := 0; i < len(fields); i++ {
			if j := commandEnd(fields, i); j >= 0 {
				cmds = append(cmds, strings.Join(fields[i:j+1], " "))
				i = j
			}
		}
	}
	return cmds
}

// TestCommandsPasteWhole: on terminals of 80 and 60 columns, every kmsdns
// command the output prints (fixes of findings, check's advice, plan's
// apply command), read back as a shell reads it (a backslash-newline
// joins lines), is the command printed piped, whole (review 2 item 12).
func TestCommandsPasteWhole(t *testing.T) {
	bin := buildBinary(t)
	l := startLongNamesLab(t)
	state := t.TempDir()
	for _, args := range []string{
		"audit --offline -f " + l.file,
		"audit --offline --findings-only -f " + l.file,
		"check --no-probe" + l.resolver + " " + l.site + "." + l.zone,
		"plan --no-probe -c " + l.planCfg + l.resolver,
	} {
		pout, _ := piped(t, bin, args, state)
		want := commandsIn(string(pout))
		long := 0
		for _, c := range want {
			if textWidth(c) > 60 {
				long++
			}
		}
		if long == 0 {
			t.Errorf("%s: no command longer than 60 columns to show:\n%s", args, pout)
		}
		for _, cols := range []int{80, 60} {
			t.Run(fmt.Sprintf("%d columns %s", cols, strings.Fields(args)[0]), func(t *testing.T) {
				out := underPTY(t, cols, bin, args)
				if n, line := widest(out); n > cols {
					t.Errorf("line of %d columns: %s", n, line)
				}
				joined := strings.ReplaceAll(out, "\\\n", "")
				for _, c := range want {
					// words apart by spaces (a shell's blanks), not by a newline
					re := regexp.QuoteMeta(c)
					re = strings.ReplaceAll(re, " ", "[ \t]+")
					if !regexp.MustCompile(re).MatchString(joined) {
						t.Errorf("command not printed whole (pasted, it would run broken):\n%s", c)
					}
				}
				if t.Failed() {
					t.Logf("output:\n%s", out)
				}
			})
		}
	}
}

// TestRestoreCommandPastesWhole: on a 60-column terminal, the restore
// command cleanup prints (on stderr, long: the backup's path, the server,
// the key file) read back as a shell reads it runs as printed (review 2
// item 12).
func TestRestoreCommandPastesWhole(t *testing.T) {
	bin := buildBinary(t)
	l := startLongNamesLab(t)
	dir := t.TempDir()
	args := "cleanup --yes --host kms-gone-decommissioned-host." + l.site + "." + l.zone + " --no-probe -z " + l.zone + l.resolver + l.srv
	cmd := exec.Command("script", "-q", "-e", "-c", fmt.Sprintf("stty cols 60 rows 50; %s %s 2>&1", bin, args), "/dev/null")
	cmd.Env = append(os.Environ(), "TERM=dumb", "XDG_STATE_HOME="+t.TempDir())
	cmd.Dir = dir
	raw, _ := cmd.Output()
	out := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(string(raw))
	var restore string
	for _, c := range commandsIn(strings.ReplaceAll(out, "\\\n", "")) {
		if strings.Contains(c, "--from-file") {
			restore = strings.TrimRight(c, ")")
		}
	}
	if restore == "" {
		t.Fatalf("no restore command:\n%s", out)
	}
	if n, line := widest(out); n > 60 {
		t.Errorf("line of %d columns: %s", n, line)
	}
	run := exec.Command("sh", "-c", bin+strings.TrimPrefix(restore, "kmsdns")+" --dry-run")
	run.Dir = dir
	run.Env = append(os.Environ(), "XDG_STATE_HOME="+t.TempDir())
	got, err := run.CombinedOutput()
	if err != nil || !strings.Contains(string(got), "would add") {
		t.Errorf("restore command %q: %v\n%s\nprinted:\n%s", restore, err, got, out)
	}
}

// TestCommandArgumentAtEveryLength: a fix command with one argument of
// every length around the line's width (50 characters to 12 more than the
// width), at 80 and 60 columns, in a finding (10-column indent), in check's
// advice (4) and at column 0 (cleanup's "Kept:"), written by para to the
// terminal writer: no line is wider than the terminal and the lines, sourced
// by bash, run the command once with exactly its arguments (review 3 item
// 1: a 67-character host at 80 columns lost its " \" and --force).
func TestCommandArgumentAtEveryLength(t *testing.T) {
	dir := t.TempDir()
	for _, width := range []int{80, 60} {
		for _, indent := range []string{"          ", "    ", ""} {
			for n := 50; n <= width+12; n++ {
				long := "xn--mnchen-3ya-" + strings.Repeat("c", n-23) + ".example"
				for _, args := range [][]string{
					{"unpublish", "--zone", "sub.example", "--name", "w44", "--host", long, "--force"},
					{"unpublish", "--zone", "sub.example", "--name", strings.TrimSuffix(long, ".example"), "--host", "kms1.example", "--force"},
					{"publish", "--zone", long},
				} {
					cmd := "kmsdns " + strings.Join(args, " ")
					for k, text := range []string{
						"fix: Remove the record (" + cmd + ") or restore the address record of the host.",
						"(" + cmd + ") or restore the address record of the host.",
					} {
						viaPara := k == 0
						var buf strings.Builder
						if viaPara {
							para(&terminal{Writer: &buf, width: width}, indent, text, indent)
						} else {
							// a line the terminal writer alone breaks
							fmt.Fprintln(&terminal{Writer: &buf, width: width}, indent+text)
						}
						out := buf.String()
						if w, line := widest(out); w > width {
							t.Errorf("%d columns, indent %d, argument of %d, para %v: line of %d columns: %q", width, len(indent), n, viaPara, w, line)
						}
						a := strings.Index(out, "(kmsdns ")
						b := strings.Index(out[max(a, 0):], ")") + a
						if a < 0 || b < a {
							t.Fatalf("no command in:\n%s", out)
						}
						script := filepath.Join(dir, "cmd.sh")
						if err := os.WriteFile(script, []byte(out[a+1:b]+"\n"), 0o600); err != nil {
							t.Fatal(err)
						}
						got, err := exec.Command("bash", "-c", `kmsdns(){ printf "[%s]" "$@"; }; . "$1"`, "_", script).Output()
						want := "[" + strings.Join(args, "][") + "]"
						if err != nil || string(got) != want {
							t.Errorf("%d columns, indent %d, argument of %d, para %v: pasted, runs %s (%v), not %s:\n%s", width, len(indent), n, viaPara, got, err, want, out)
						}
					}
				}
			}
		}
	}
}
