//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignalStopsZoneFileParsing: SIGINT or SIGTERM stops the reading of a
// zone file that expands without end (a $GENERATE of two billion records)
// within a second, with an error that says so; the run does not go on to
// the record cap.
func TestSignalStopsZoneFileParsing(t *testing.T) {
	bin := buildBinary(t)
	zf := filepath.Join(t.TempDir(), "endless.zone")
	os.WriteFile(zf, []byte("$ORIGIN example.org.\n$TTL 60\n@ IN SOA ns hm 1 1 1 1 1\n$GENERATE 0-2147483647 h$ A 127.0.0.1\n"), 0o644)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(bin, "audit", "--offline", "-f", zf)
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			time.Sleep(500 * time.Millisecond) // reading, far from the record cap
			cmd.Process.Signal(sig)
			start := time.Now()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("still reading 5 s after %v", sig)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("stopped %v after %v (want within a second)", d.Round(time.Millisecond), sig)
			}
			text := out.String() + errOut.String()
			if !strings.Contains(text, "context canceled") || strings.Contains(text, "more than") {
				t.Errorf("not stopped by the signal:\n%s", text)
			}
		})
	}
}
