//go:build !unix

package regfile

// openFlags: opening does not block on these systems.
const openFlags = 0
