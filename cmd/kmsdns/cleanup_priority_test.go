package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/internal/testserver"
)

// TestCleanupReplacePriorityWeight (issue 9): cleanup --replace-with
// takes --priority and --weight; the dry run shows them, and the server
// holds exactly the replacement with them (read back), the other record
// unchanged. Without --replace-port the replacement carries the port the
// audit expects (--expected-port: the lab's KMS port, not 1688).
func TestCleanupReplacePriorityWeight(t *testing.T) {
	l := startCleanupLab(t, map[string]string{"pw1.example": pair})
	args := l.args("--zone", "pw1.example", "--host", "kms-old.pw1.example", "--replace-with", "kms-new.pw1.example",
		"--priority", "10", "--weight", "5")
	out, errOut, code := run(t, append(args, "--dry-run")...)
	if want := fmt.Sprintf("SRV\t10 5 %d kms-new.pw1.example.", l.port); code != exitClean || !strings.Contains(out+errOut, want) {
		t.Errorf("dry run: exit %d, lacks %q:\n%s%s", code, want, out, errOut)
	}
	out, errOut, code = run(t, append(args, "--yes")...)
	if code != exitClean {
		t.Errorf("cleanup: exit %d\n%s%s", code, out, errOut)
	}
	var got []string
	for _, r := range testserver.Records(t, l.bind.Addr, "pw1.example") {
		if strings.Contains(r, "\tsrv\t") {
			f := strings.Fields(r)
			got = append(got, strings.Join(f[len(f)-4:], " "))
		}
	}
	slices.Sort(got)
	want := []string{fmt.Sprintf("0 0 %d kms-ok.pw1.example.", l.port), fmt.Sprintf("10 5 %d kms-new.pw1.example.", l.port)}
	if !slices.Equal(got, want) {
		t.Errorf("the server holds %q, want %q", got, want)
	}
}
