package main

import (
	"fmt"
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
