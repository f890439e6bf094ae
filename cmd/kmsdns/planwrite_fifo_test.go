//go:build unix

package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWriteDesiredRefusesFIFOAndDevice: plan --write-desired -c with a
// named pipe nobody writes to, or with /dev/zero, returns at once with
// exit 3 and says why. It runs the binary under a memory limit and a
// deadline, so a read of /dev/zero to its end fails the test instead of
// eating the machine's memory.
func TestWriteDesiredRefusesFIFOAndDevice(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	bin := buildKmsdns(t, dir)
	for _, tc := range []struct{ path, want string }{
		{fifo, "not a regular file (a named pipe)"},
		{"/dev/zero", "not a regular file (a character device)"},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			// ulimit -v: 2 GiB of address space at most.
			cmd := exec.CommandContext(ctx, "sh", "-c", `ulimit -v 2097152; exec "$0" plan --write-desired -c "$1"`, bin, tc.path)
			start := time.Now()
			b, _ := cmd.CombinedOutput()
			if ctx.Err() != nil || time.Since(start) > 5*time.Second {
				t.Fatalf("plan --write-desired -c %s: did not return promptly (%v)\n%s", tc.path, time.Since(start), b)
			}
			if code := cmd.ProcessState.ExitCode(); code != exitUsage || !strings.Contains(string(b), tc.want) {
				t.Errorf("plan --write-desired -c %s: exit %d, want %d and %q\n%s", tc.path, code, exitUsage, tc.want, b)
			}
		})
	}
}
