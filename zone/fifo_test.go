//go:build unix

package zone

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/regfile"
)

// TestFIFOInputsRefused: a named pipe nobody writes to, given as a zone
// file or as an $INCLUDE target, is refused at once with an error naming
// it (opening it the ordinary way would wait for a writer for ever). As a
// key file (which may be a pipe) it gives an error at once too: nothing
// was written to it.
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
		{"key file", func() error { _, err := ReadKeyFile(fifo); return err }, "key file: " + fifo + " (a pipe): nothing was written to it"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { done <- tc.read() }()
			select {
			case err := <-done:
				if !errors.Is(err, regfile.ErrNotRegular) && !errors.Is(err, regfile.ErrPipeEmpty) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("err = %v, want %q", err, tc.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("blocked on the FIFO")
			}
		})
	}
}

// TestKeyFileFromAPipe: a key file given as a pipe (`--key-file <(vault
// read ...)` passes /dev/fd/N) is read; its secret is in no error.
func TestKeyFileFromAPipe(t *testing.T) {
	const secret = "c2VjcmV0LXNlY3JldA=="
	feed := func(text string) string {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		go func() { w.WriteString(text); w.Close() }()
		p := "/dev/fd/" + strconv.Itoa(int(r.Fd()))
		if _, err := os.Stat(p); err != nil {
			t.Skip(err)
		}
		return p
	}
	keys, err := ReadKeyFile(feed("key \"upd\" {\n\talgorithm hmac-sha256;\n\tsecret \"" + secret + "\";\n};\n"))
	if err != nil || len(keys) != 1 || keys[0].Name != "upd." || keys[0].secret != secret {
		t.Fatalf("ReadKeyFile: %v %v", keys, err)
	}
	_, err = ReadKeyFile(feed("key \"upd\" { secret \"" + secret + "\"; };\n"))
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("bad key file from a pipe: %v", err)
	}
}
