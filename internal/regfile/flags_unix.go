//go:build unix

package regfile

import "syscall"

// openFlags: O_NONBLOCK so that opening a FIFO does not wait for a writer
// (it has no effect on a regular file), O_NOCTTY so that a terminal never
// becomes the controlling one.
const openFlags = syscall.O_NONBLOCK | syscall.O_NOCTTY
