//go:build unix

package zone

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/regfile"
)

// TestFIFOInputsRefused: a named pipe nobody writes to, given as a zone
// file, as an $INCLUDE target or as a key file, is refused at once with an
// error naming it (opening it the ordinary way would wait for a writer for
// ever).
func TestFIFOInputsRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	zf := filepath.Join(dir, "inc.zone")
	os.WriteFile(zf, []byte("$ORIGIN f.example.\n$TTL 60\n@ SOA ns hm 1 1 1 1 1\n$INCLUDE pipe\n"), 0o600)
	tests := []struct {
		name string
		read func() error
		want string
	}{
		{"zone file", func() error { _, err := ReadFile(fifo, "f.example"); return err }, "zone file: open " + fifo + ": not a regular file (a named pipe)"},
		{"zone file, origin from the file", func() error { _, err := ReadFile(fifo, ""); return err }, "not a regular file (a named pipe)"},
		{"$INCLUDE target", func() error { _, err := ReadFile(zf, ""); return err }, `inc.zone:4: $INCLUDE "pipe": open pipe: not a regular file (a named pipe)`},
		{"key file", func() error { _, err := ReadKeyFile(fifo); return err }, "key file: open " + fifo + ": not a regular file (a named pipe)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { done <- tc.read() }()
			select {
			case err := <-done:
				if !errors.Is(err, regfile.ErrNotRegular) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("err = %v, want %q", err, tc.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("blocked on the FIFO")
			}
		})
	}
}
