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
	app := newApp(defaultEnv())
	err := execute(ctx, app, os.Args)
	os.Exit(exitCode(err, app.ErrWriter))
}
