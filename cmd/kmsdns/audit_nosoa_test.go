package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An empty zone file is an unreadable zone, not a healthy one without a
// KMS record (REVIEW4 item 2).
func TestAuditEmptyZoneFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "empty.dns")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "audit", "--offline", "--zone-file", f, "--zone", "contoso.com", "-o", "json")
	if code != 2 || !strings.Contains(out, "zone-unreadable") || !strings.Contains(out, "no SOA record") || strings.Contains(out, "no-kms-record") {
		t.Errorf("exit %d, stderr %q, out:\n%s", code, errOut, out)
	}
}
