//go:build unix

package regfile

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const pipeSecret = "c2VjcmV0LXRoYXQtbXVzdC1ub3QtbGVhaw=="

// TestReadSecretFromAPipe: a secret is read from a named pipe whose writer
// writes and closes it, and from an anonymous pipe (/dev/fd/N, as a
// shell's process substitution passes it); a FIFO nobody writes gives an
// error at once, one whose writer never finishes an error after the
// wait; a device, a directory and an over-long pipe are refused. No error
// quotes the secret.
func TestReadSecretFromAPipe(t *testing.T) {
	noLeak := func(t *testing.T, err error) {
		t.Helper()
		if err != nil && strings.Contains(err.Error(), pipeSecret) {
			t.Errorf("error shows the secret: %v", err)
		}
	}
	t.Run("named pipe, writer writes and closes", func(t *testing.T) {
		fifo := mkfifo(t)
		go func() {
			w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // waits for the reader
			if err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond) // the reader waits for data
			w.WriteString(pipeSecret)
			w.Close()
		}()
		within(t, func() {
			// The writer opens once the reader has; retry until it has.
			deadline := time.Now().Add(3 * time.Second)
			for {
				b, err := ReadSecret(fifo, 1<<10, 2*time.Second)
				if errors.Is(err, ErrPipeEmpty) && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				if err != nil || string(b) != pipeSecret {
					t.Errorf("ReadSecret: %d bytes, %v", len(b), err)
				}
				return
			}
		})
	})
	t.Run("anonymous pipe as /dev/fd/N", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		path := "/dev/fd/" + strconv.Itoa(int(r.Fd()))
		if _, err := os.Stat(path); err != nil {
			t.Skip(err)
		}
		go func() {
			time.Sleep(100 * time.Millisecond)
			w.WriteString(pipeSecret + "\n")
			w.Close()
		}()
		within(t, func() {
			b, err := ReadSecret(path, 1<<10, 3*time.Second)
			if err != nil || string(b) != pipeSecret+"\n" {
				t.Errorf("ReadSecret: %d bytes, %v", len(b), err)
			}
		})
	})
	t.Run("named pipe with no writer: at once", func(t *testing.T) {
		fifo := mkfifo(t)
		start := time.Now()
		_, err := ReadSecret(fifo, 1<<10, 3*time.Second)
		if !errors.Is(err, ErrPipeEmpty) || !strings.Contains(err.Error(), fifo+" (a pipe): nothing was written to it") {
			t.Errorf("ReadSecret: %v", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("took %v", d)
		}
	})
	t.Run("writer that never finishes: the wait", func(t *testing.T) {
		fifo := mkfifo(t)
		// Hold a write end open (non-blocking open for writing needs a
		// reader: open one first), writing part of the secret only.
		hold, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer hold.Close()
		w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		start := time.Now()
		var b []byte
		within(t, func() { b, err = ReadSecret(fifo, 1<<10, 300*time.Millisecond) })
		d := time.Since(start)
		if !errors.Is(err, ErrPipeTimeout) || !strings.Contains(err.Error(), "timed out after 300ms reading "+fifo+" (a pipe)") || b != nil {
			t.Errorf("ReadSecret: %q, %v", b, err)
		}
		if d < 300*time.Millisecond || d > 2*time.Second {
			t.Errorf("returned after %v, want about 300ms", d)
		}
		// Part of a secret written, never finished: the same.
		w.WriteString(pipeSecret[:8])
		_, err = ReadSecret(fifo, 1<<10, 200*time.Millisecond)
		if !errors.Is(err, ErrPipeTimeout) {
			t.Errorf("partly written: %v", err)
		}
		noLeak(t, err)
	})
	t.Run("pipe over the cap: at once, its writer still writing", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		defer w.Close() // the writer does not finish: reading stops at the cap
		w.WriteString(pipeSecret)
		start := time.Now()
		_, err = ReadSecret("/dev/fd/"+strconv.Itoa(int(r.Fd())), 10, 3*time.Second)
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "(a pipe): file too large: more than 10 bytes") {
			t.Errorf("ReadSecret: %v", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("took %v", d)
		}
		noLeak(t, err)
	})
	for _, tc := range []struct{ path, kind string }{
		{"/dev/zero", "a character device"},
		{"/dev/null", "a character device"},
		{t.TempDir(), "a directory"},
	} {
		t.Run("refused: "+tc.kind+" "+tc.path, func(t *testing.T) {
			if _, err := os.Stat(tc.path); err != nil {
				t.Skip(err)
			}
			within(t, func() {
				_, err := ReadSecret(tc.path, 1<<10, 3*time.Second)
				if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), tc.path+": not a regular file ("+tc.kind+")") {
					t.Errorf("ReadSecret: %v", err)
				}
			})
		})
	}
	t.Run("regular file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "s")
		os.WriteFile(p, []byte(pipeSecret), 0o600)
		if b, err := ReadSecret(p, 1<<10, time.Second); err != nil || string(b) != pipeSecret {
			t.Errorf("ReadSecret: %d bytes, %v", len(b), err)
		}
		if _, err := ReadSecret(p, 10, time.Second); !errors.Is(err, ErrTooLarge) {
			t.Errorf("over the cap: %v", err)
		}
		empty := filepath.Join(t.TempDir(), "e")
		os.WriteFile(empty, nil, 0o600)
		if b, err := ReadSecret(empty, 10, time.Second); err != nil || len(b) != 0 {
			t.Errorf("empty regular file (its caller judges it): %q %v", b, err)
		}
	})
}

// TestPipeWaitDocumented: the README gives the wait for a pipe as it is.
func TestPipeWaitDocumented(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(b)), " ")
	secs := strconv.Itoa(int(PipeWait / time.Second))
	for _, want := range []string{"within " + secs + " s (`regfile.PipeWait`)", "timed out after " + secs + "s reading /dev/fd/63 (a pipe)"} {
		if !strings.Contains(text, want) {
			t.Errorf("README.md does not say %q", want)
		}
	}
}
