//go:build unix

package regfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mkfifo makes a named pipe nobody writes to.
func mkfifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// within fails the test when f takes longer than a few seconds (a FIFO
// opened the blocking way would wait for ever).
func within(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("blocked")
	}
}

func TestRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := mkfifo(t)
	tests := []struct{ path, kind string }{
		{fifo, "a named pipe"},
		{"/dev/zero", "a character device"},
		{"/dev/null", "a character device"},
		{dir, "a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.kind+" "+tc.path, func(t *testing.T) {
			if _, err := os.Stat(tc.path); err != nil {
				t.Skip(err)
			}
			within(t, func() {
				_, err := ReadFile(tc.path, 1<<20)
				if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), tc.path+": not a regular file ("+tc.kind+")") {
					t.Errorf("ReadFile: %v", err)
				}
				f, err := Open(tc.path)
				if !errors.Is(err, ErrNotRegular) || f != nil {
					t.Errorf("Open: %v", err)
				}
			})
		})
	}
	t.Run("symbolic link to a FIFO", func(t *testing.T) {
		link := filepath.Join(dir, "link")
		if err := os.Symlink(fifo, link); err != nil {
			t.Fatal(err)
		}
		within(t, func() {
			if _, err := ReadFile(link, 10); !errors.Is(err, ErrNotRegular) {
				t.Errorf("ReadFile: %v", err)
			}
		})
	})
	t.Run("FIFO in a root", func(t *testing.T) {
		root, err := os.OpenRoot(filepath.Dir(fifo))
		if err != nil {
			t.Fatal(err)
		}
		defer root.Close()
		within(t, func() {
			if _, err := OpenIn(root, "fifo"); !errors.Is(err, ErrNotRegular) {
				t.Errorf("OpenIn: %v", err)
			}
		})
	})
}

func TestReadFileCap(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, []byte("0123456789"), 0o600)
	if b, err := ReadFile(p, 10); err != nil || string(b) != "0123456789" {
		t.Errorf("at the cap: %q %v", b, err)
	}
	if _, err := ReadFile(p, 9); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), p+": file too large: more than 9 bytes") {
		t.Errorf("over the cap: %v", err)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "none"), 9); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
	// A regular file whose size says 0 (as /proc's do) is still cut at
	// the cap, by reading.
	if fi, err := os.Stat("/proc/self/maps"); err == nil && fi.Size() == 0 {
		if _, err := ReadFile("/proc/self/maps", 16); !errors.Is(err, ErrTooLarge) {
			t.Errorf("/proc/self/maps: %v", err)
		}
	}
}

// counter counts the bytes read through it.
type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestReadStopsAtTheCap: whatever the file's size says, no more than the
// cap (and one byte) is read.
func TestReadStopsAtTheCap(t *testing.T) {
	c := &counter{r: io.LimitReader(zeros{}, 64<<20)}
	if _, err := readCapped(c, "z", 1000); !errors.Is(err, ErrTooLarge) {
		t.Errorf("err = %v", err)
	}
	if c.n > 1001 {
		t.Errorf("read %d bytes for a cap of 1000", c.n)
	}
}
