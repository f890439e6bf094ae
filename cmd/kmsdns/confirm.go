package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

// confirm asks question of the person at the terminal before cmd changes
// anything. Without terminals on stdin and stderr (cron, systemd) nothing
// changes: exit 3, and the message ends with how to go on. Anything but
// "y" or "yes", and Ctrl-C at the prompt, is no: exit 2. cleanup and apply
// use it.
func confirm(c *cli.Context, e env, cmd, question, howToGoOn string) error {
	if !e.stdinTTY || !e.stderrTTY {
		return &codeError{code: exitUsage, err: fmt.Errorf("%s: no terminal to confirm on (stdin and stderr must be terminals): nothing was changed; %s", cmd, howToGoOn)}
	}
	fmt.Fprintf(e.stderr, "%s [y/N] ", question)
	answers := make(chan string, 1)
	go func() {
		answer, _ := bufio.NewReader(io.LimitReader(e.stdin, 64)).ReadString('\n')
		answers <- answer
	}()
	var answer string
	select {
	case answer = <-answers:
	case <-c.Context.Done():
		fmt.Fprintln(e.stderr)
	}
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		fmt.Fprintln(e.stderr, "kmsdns: nothing was changed")
		return &codeError{code: exitErrors}
	}
	return nil
}
