package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/internal/testserver"
)

// TestRestoreZoneListedTwice: publish --from-file with a backup that
// lists a zone in two sections (two backups joined with cat) restores the
// zone's records in one UPDATE (its SOA serial steps once), each record
// once, read back from BIND; sections of one zone naming different
// servers are refused with the file and both lines, nothing sent.
func TestRestoreZoneListedTwice(t *testing.T) {
	l := startCleanupLab(t, map[string]string{"tw1.example": pair, "tw2.example": pair})
	srv := l.bind.Addr
	before := map[string][]string{}
	for _, z := range []string{"tw1.example", "tw2.example"} {
		before[z] = testserver.Records(t, srv, z)
		zoneUpdate(t, srv, z, []string{srvRR(z, 300, l.port, "kms-old")}, nil) // what a cleanup removed
	}
	section := func(z, server string, targets ...string) string {
		s := fmt.Sprintf("\n; zone %s. server %s\n", z, server)
		for _, tg := range targets {
			s += srvRR(z, 300, l.port, tg) + "\n"
		}
		return s
	}
	write := func(body string) string {
		p := filepath.Join(t.TempDir(), "backup.zone")
		if err := os.WriteFile(p, []byte("; kmsdns cleanup backup, 2026-12-02T15:00:00Z\n"+body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	serials := func() [2]uint32 { return [2]uint32{serial(t, srv, "tw1.example"), serial(t, srv, "tw2.example")} }
	removed := map[string][]string{"tw1.example": testserver.Records(t, srv, "tw1.example"), "tw2.example": testserver.Records(t, srv, "tw2.example")}

	t.Run("different servers refused", func(t *testing.T) {
		// The reviewer's file: the first section on a server where
		// nothing listens, the second on the lab's BIND.
		bad := write(section("tw1.example", "127.0.0.1:1", "kms-old") + section("tw2.example", srv, "kms-old") + section("tw1.example", srv, "kms-old"))
		s0 := serials()
		for _, extra := range [][]string{{"--dry-run"}, nil} {
			out, errOut, code := run(t, append([]string{"publish", "--from-file", bad, "--key-file", l.keyFile}, extra...)...)
			want := fmt.Sprintf("%s:9: zone tw1.example. is listed again with server %q, but %s:3 gives it server \"127.0.0.1:1\"", bad, srv, bad)
			if code != exitUsage || !strings.Contains(errOut, want) {
				t.Errorf("%v: exit %d, want %d and %q\n%s%s", extra, code, exitUsage, want, out, errOut)
			}
		}
		if s := serials(); s != s0 {
			t.Errorf("serials %v -> %v: something was sent", s0, s)
		}
	})

	t.Run("same server restored in one update", func(t *testing.T) {
		backup := write(section("tw1.example", srv, "kms-old") + section("tw2.example", srv, "kms-old") + section("tw1.example", srv, "kms-old", "kms-new"))
		s0 := serials()
		out, errOut, code := run(t, "publish", "--from-file", backup, "--key-file", l.keyFile, "--dry-run")
		// One UPDATE per zone, to the lab's BIND, kms-old added once.
		if code != exitClean || strings.Count(out, "; UPDATE for zone") != 2 || strings.Count(out, "; UPDATE for zone tw1.example. to "+srv+"\n") != 1 ||
			strings.Count(out, fmt.Sprintf("SRV\t0 0 %d kms-old.tw1.example.", l.port)) != 1 {
			t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
		}
		if s := serials(); s != s0 {
			t.Fatalf("the dry run sent an update: serials %v -> %v", s0, s)
		}
		out, errOut, code = run(t, "publish", "--from-file", backup, "--key-file", l.keyFile)
		if code != exitClean {
			t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
		}
		if s := serials(); s != [2]uint32{s0[0] + 1, s0[1] + 1} {
			t.Errorf("serials %v -> %v: want one update per zone\n%s%s", s0, s, out, errOut)
		}
		want := map[string][]string{
			"tw1.example": append(slices.Clone(before["tw1.example"]), fmt.Sprintf("_vlmcs._tcp.tw1.example.\t300\tin\tsrv\t0 0 %d kms-new.tw1.example.", l.port)),
			"tw2.example": before["tw2.example"],
		}
		for z, w := range want {
			slices.Sort(w)
			if got := testserver.Records(t, srv, z); !slices.Equal(got, w) {
				t.Errorf("%s holds\n%s\nwant\n%s\n(after the removal: %v)", z, strings.Join(got, "\n"), strings.Join(w, "\n"), removed[z])
			}
		}
	})
}
