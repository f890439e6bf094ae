package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFilesStaySmall: cmd/kmsdns only parses flags and renders, in files
// a reader takes in at once; logic belongs in the library packages.
func TestFilesStaySmall(t *testing.T) {
	const most = 300
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(b), "\n"); n > most {
			t.Errorf("%s: %d lines (at most %d: move logic to its package or split the rendering)", f, n, most)
		}
	}
}
