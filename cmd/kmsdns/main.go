// Command kmsdns keeps the DNS side of Microsoft KMS activation healthy:
// it audits the _vlmcs._tcp SRV records that volume-licensed Windows and
// Office use to find their KMS host.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := defaultEnv()
	if w := terminalWidth(os.Stderr); w > 0 {
		// Errors and warnings fit the terminal too.
		e.stderr = &terminal{Writer: os.Stderr, width: w}
	}
	app := newApp(e)
	err := execute(ctx, app, os.Args)
	os.Exit(exitCode(err, app.ErrWriter))
}
