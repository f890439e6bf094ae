// Package regfile opens the files kmsdns reads (configuration, state, key,
// secret, password, zone, backup and krb5.conf files) so that a named pipe,
// a device or a socket given by mistake can neither block the command
// (opening a FIFO nobody writes waits forever) nor feed it without end
// (/dev/zero): the file is opened without waiting, checked with fstat, and
// refused unless it is a regular file; ReadFile reads at most a cap.
// ReadSecret, for the files holding a secret, takes a pipe too (process
// substitution), read within a time limit.
package regfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrNotRegular is wrapped by the error for a path that is not a regular
// file (a named pipe, a device, a socket, a directory).
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is wrapped by ReadFile's error for a file over its cap.
var ErrTooLarge = errors.New("file too large")

// Open opens path for reading. It never waits for a writer (a FIFO is
// opened non-blocking) and returns an error wrapping ErrNotRegular, naming
// path and what it is, for anything but a regular file (symbolic links
// are followed).
func Open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, err
	}
	if err := Check(f, path); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// OpenIn is Open for name inside root.
func OpenIn(root *os.Root, name string) (*os.File, error) {
	f, err := root.OpenFile(name, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, err
	}
	if err := Check(f, name); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Check returns an error wrapping ErrNotRegular when the open file f
// (called name in the error) is not a regular file.
func Check(f *os.File, name string) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w (%s)", ErrNotRegular, kind(fi.Mode()))}
	}
	return nil
}

// kind names a file mode's type for people.
func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	}
	return "not a plain file"
}

// ReadFile reads the regular file path, of at most limit bytes: a larger
// file gives an error wrapping ErrTooLarge, after reading no more than
// limit+1 bytes.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, path, limit)
}

// Read reads at most limit bytes of f (called name in errors); a longer
// file gives an error wrapping ErrTooLarge.
func Read(f *os.File, name string, limit int64) ([]byte, error) {
	if fi, err := f.Stat(); err == nil && fi.Size() > limit {
		return nil, fmt.Errorf("%s: %w: more than %d bytes", name, ErrTooLarge, limit)
	}
	return readCapped(f, name, limit)
}

// readCapped reads r to its end, but never more than limit+1 bytes (a
// file's size may say 0, as /proc's do, or grow while it is read).
func readCapped(r io.Reader, name string, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: %w: more than %d bytes", name, ErrTooLarge, limit)
	}
	return b, nil
}

// Stat returns an error wrapping ErrNotRegular when path (symbolic links
// followed) is not a regular file, for a file another library opens by
// name (a keytab): stat never waits on a FIFO.
func Stat(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w (%s)", ErrNotRegular, kind(fi.Mode()))}
	}
	return nil
}
