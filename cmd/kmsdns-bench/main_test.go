//go:build !windows

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/internal/testserver"
)

// stubMain is a kmsdns that reads no zone, probes nothing and sends no
// update, but answers with well-formed, empty JSON and the exit code the
// real one gives for each run (2 for the probe run, whose dead hosts are
// errors; 0 otherwise, the zone-file audit included): what made the
// unverified benchmark report "84.8x faster" and targets held.
const stubMain = `package main

import (
	"fmt"
	"os"
	"slices"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "publish" {
		fmt.Println(` + "`" + `{"version": 1, "results": []}` + "`" + `)
		return
	}
	fmt.Println(` + "`" + `{"version": 1, "zones": [], "records": [], "targets": [], "findings": [], "summary": {}}` + "`" + `)
	if slices.Contains(os.Args, "--expected-port") {
		os.Exit(2)
	}
}
`

// TestBrokenKmsdnsFails runs each benchmark target against the stub and
// expects every one to fail, saying what was missing.
func TestBrokenKmsdnsFails(t *testing.T) {
	// The benchmark needs these; without them it fails for another reason.
	testserver.Binary(t, "named", "bind9")
	testserver.Binary(t, "kdig", "knot-dnsutils")
	testserver.Binary(t, "nsupdate", "bind9-dnsutils")
	testserver.Binary(t, "named-checkzone", "bind9-utils")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(stubMain), 0o600); err != nil {
		t.Fatal(err)
	}
	stub := filepath.Join(dir, "kmsdns")
	build := exec.Command("go", "build", "-o", stub, "main.go")
	build.Dir = dir
	build.Env = append(os.Environ(), "GO111MODULE=off", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the stub: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		only, want string
	}{
		{"1", "audit of big.example: kmsdns reports 0 zones"},
		{"2", "audit of many zones: kmsdns reports 0 zones"},
		{"3", "audit with probes: 0 records, want 100"},
		{"4", "after kmsdns publish: zone p000.example"},
		{"5", "audit of zone file big.example: kmsdns reports 0 zones"},
	} {
		t.Run("target "+tc.only, func(t *testing.T) {
			var stderr strings.Builder
			code := run(options{small: true, only: []string{tc.only}, kmsdns: stub}, &stderr)
			if code == 0 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("kmsdns-bench -small -only %s -kmsdns STUB: exit %d, stderr %q; want non-zero and %q", tc.only, code, stderr.String(), tc.want)
			}
		})
	}
}
