package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/internal/testserver"
)

// testRestoreWarnsDuplicate: a backup's record whose host is at the name
// again with other values (an apply backup holds the records apply
// replaced): the restore plan says it adds a second record for the host.
func testRestoreWarnsDuplicate(t *testing.T, l *cleanupLab) {
	const z = "rd1.example"
	out, errOut, code := run(t, l.args(append(zoneArgs(z), "--host", "kms-old."+z, "--yes", "--state", filepath.Join(t.TempDir(), "s.json"))...)...)
	if code != exitClean {
		t.Fatalf("cleanup: exit %d\n%s%s", code, out, errOut)
	}
	backup := backupPath(t, errOut)
	// Meanwhile kms-old is back with priority 10, as apply's replacement.
	zoneUpdate(t, l.bind.Addr, z, nil, []string{fmt.Sprintf("_vlmcs._tcp.%s. 300 IN SRV 10 0 %d kms-old.%s.", z, l.port, z)})
	note := fmt.Sprintf("kms-old.rd1.example already has a record here (port %d, priority 10, weight 0): restoring adds a second (port %d, priority 0, weight 0)", l.port, l.port)
	out, errOut, code = run(t, "publish", "--from-file", backup, "--key-file", l.keyFile, "--dry-run")
	if code != exitClean || !strings.Contains(strings.Join(strings.Fields(out), " "), note) {
		t.Errorf("dry run: exit %d, no %q:\n%s%s", code, note, out, errOut)
	}
}

// testRestoreChecksHosts: restoring is publishing, and the hosts it puts
// back are checked as publish checks a host: kms-old (nothing listens on
// its address) is warned about in the dry run, exit unchanged; with
// --require-live the zone is skipped and nothing is sent (read back).
func testRestoreChecksHosts(t *testing.T, l *cleanupLab) {
	const z = "rs7.example"
	out, errOut, code := run(t, l.args(append(zoneArgs(z), "--host", "kms-old."+z, "--yes", "--state", filepath.Join(t.TempDir(), "s.json"))...)...)
	if code != exitClean {
		t.Fatalf("cleanup: exit %d\n%s%s", code, out, errOut)
	}
	backup := backupPath(t, errOut)
	before := testserver.Records(t, l.bind.Addr, z)
	restore := []string{"publish", "--from-file", backup, "--key-file", l.keyFile, "--probe-timeout", "1s"}
	out, errOut, code = run(t, append(restore, "--dry-run")...)
	if code != exitClean || !strings.Contains(out+errOut, "kms-old."+z) || !strings.Contains(out+errOut, "warning") {
		t.Errorf("dry run: exit %d, no warning about kms-old:\n%s%s", code, out, errOut)
	}
	out, errOut, code = run(t, append(restore, "--require-live")...)
	if code == exitClean || !strings.Contains(out+errOut, "--require-live") {
		t.Errorf("--require-live: exit %d, not refused:\n%s%s", code, out, errOut)
	}
	if after := testserver.Records(t, l.bind.Addr, z); !slices.Equal(before, after) {
		t.Errorf("--require-live changed the zone:\n%q\n%q", before, after)
	}
}
