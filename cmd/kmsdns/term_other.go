//go:build !unix

package main

import "os"

// terminalWidth is 0 (no wrapping) where the terminal size is not known.
func terminalWidth(*os.File) int { return 0 }
