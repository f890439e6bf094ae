package regfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"
)

// PipeWait is how long ReadSecret waits for a pipe's writer to write its
// secret and close the pipe: process substitution (`<(pass show ...)`)
// passes a pipe whose writer is a command that finishes at once.
const PipeWait = 5 * time.Second

// ErrPipeTimeout is wrapped by ReadSecret's error for a pipe whose writer
// did not close it within the wait.
var ErrPipeTimeout = errors.New("timed out")

// ErrPipeEmpty is wrapped by ReadSecret's error for a pipe that gave
// nothing: a named pipe nobody has open for writing gives end of file at
// once.
var ErrPipeEmpty = errors.New("nothing was written to it (no writer had it open, or its writer wrote nothing)")

// ReadSecret reads a file holding a secret (a TSIG secret, a password, a
// key file), of at most limit bytes, as ReadFile does; but a pipe (an
// anonymous one, as `--key-secret-file <(pass show dns/upd)` passes as
// /dev/fd/63, or a named one) is read too, to its end, within wait: a
// pipe with no writer gives an error wrapping ErrPipeEmpty at once, and a
// writer that does not close it within wait an error wrapping
// ErrPipeTimeout. Devices, sockets and directories are refused as Open
// refuses them. Errors never quote what was read.
func ReadSecret(path string, limit int64, wait time.Duration) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	switch {
	case fi.Mode().IsRegular():
		return Read(f, path, limit)
	case fi.Mode()&fs.ModeNamedPipe != 0:
		return readPipe(f, path, limit, wait)
	}
	return nil, Check(f, path)
}

// readPipe reads the pipe f (called name in errors) to its end, at most
// limit bytes, giving up after wait.
func readPipe(f *os.File, name string, limit int64, wait time.Duration) ([]byte, error) {
	// A pipe opened non-blocking is read through Go's poller, so a
	// deadline bounds the read; where it cannot be set the read could
	// block for ever, and the pipe is refused.
	if err := f.SetReadDeadline(time.Now().Add(wait)); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w (a pipe, which cannot be read with a time limit here)", ErrNotRegular)}
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, fmt.Errorf("%w after %s reading %s (a pipe): its writer did not finish", ErrPipeTimeout, wait, name)
	case err != nil:
		return nil, fmt.Errorf("%s (a pipe): %w", name, err)
	case int64(len(b)) > limit:
		return nil, fmt.Errorf("%s (a pipe): %w: more than %d bytes", name, ErrTooLarge, limit)
	case len(b) == 0:
		return nil, fmt.Errorf("%s (a pipe): %w", name, ErrPipeEmpty)
	}
	return b, nil
}

// IsPipe reports whether path is a pipe (a named FIFO, or the /dev/fd/N
// that a shell's process substitution gives): a command that names it
// cannot be run again later.
func IsPipe(path string) bool {
	if strings.HasPrefix(path, "/dev/fd/") || strings.HasPrefix(path, "/proc/self/fd/") {
		return true
	}
	fi, err := os.Stat(path)
	return err == nil && fi.Mode()&fs.ModeNamedPipe != 0
}
