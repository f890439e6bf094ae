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

// TestKeyNameWithConfigKeyFileEveryWriter: --key-name picks the key in a
// key file the config names (zones[].key-file, zones[].update.key-file,
// defaults.key-file) on publish, unpublish, cleanup, publish --from-file
// and apply, against a real BIND that lets only key upd update the
// zone: the file holds xfr first, then upd. Every write is read back;
// without --key-name the file is refused (it holds two keys) and nothing
// is sent. Cleanup's restore hint runs as printed.
func TestKeyNameWithConfigKeyFileEveryWriter(t *testing.T) {
	xfr := testserver.Key{Name: "xfr", Algorithm: "hmac-sha512", Secret: "8JvDZ0ZyN8gBq1dWnfPz6sN2b7cVYyqHfN1lZ0Xw1Ks="}
	bind := startCLIBIND(t, []testserver.Key{xfr, cliUpdKey}, map[string]string{"k1.example": "upd", "k2.example": "upd", "k3.example": "upd", "k4.example": "upd"})
	dir := t.TempDir()
	multi := filepath.Join(dir, "multi.key")
	var text string
	for _, k := range []testserver.Key{xfr, cliUpdKey} {
		text += k.BINDClause()
	}
	if err := os.WriteFile(multi, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ zone, yaml string }{
		{"k1.example", "zones:\n  - name: k1.example\n    server: %s\n    key-file: %s\n"},
		{"k2.example", "zones:\n  - name: k2.example\n    server: %s\n    update:\n      key-file: %s\n"},
		{"k3.example", "defaults:\n  server: %s\n  key-file: %s\nzones:\n  - name: k3.example\n"},
	} {
		t.Run(tc.zone, func(t *testing.T) {
			cfg := filepath.Join(dir, tc.zone+".yaml")
			os.WriteFile(cfg, []byte(fmt.Sprintf(tc.yaml, bind.Addr, multi)), 0o600)
			k1, k2 := "kms1."+tc.zone, "kms2."+tc.zone
			rec := func(h string) string { return "_vlmcs._tcp." + tc.zone + ". 1688 3600 " + h + "." }
			expect := func(step string, want ...string) {
				t.Helper()
				if got := kmsRecords(t, bind.Addr, tc.zone); !slices.Equal(got, want) {
					t.Errorf("%s: zone holds %v, want %v", step, got, want)
				}
			}

			out, errOut, code := run(t, "publish", "-c", cfg, "--host", k1, "--host", k2, "--no-probe", "--key-name", "upd")
			if code != exitClean {
				t.Fatalf("publish: exit %d\n%s%s", code, out, errOut)
			}
			expect("publish", rec(k1), rec(k2))

			out, errOut, code = run(t, "unpublish", "-c", cfg, "--host", k2)
			if code != exitUsage || !strings.Contains(errOut, "holds 2 keys") {
				t.Errorf("unpublish without --key-name: exit %d\n%s%s", code, out, errOut)
			}
			expect("unpublish without --key-name", rec(k1), rec(k2))
			out, errOut, code = run(t, "unpublish", "-c", cfg, "--host", k2, "--key-name", "upd")
			if code != exitClean {
				t.Fatalf("unpublish: exit %d\n%s%s", code, out, errOut)
			}
			expect("unpublish", rec(k1))

			backup := filepath.Join(t.TempDir(), "b.zone")
			out, errOut, code = run(t, "cleanup", "-c", cfg, "--host", k1, "--force", "--yes", "--no-probe", "--backup", backup,
				"--state", filepath.Join(t.TempDir(), "state"), "--key-name", "upd")
			if code != exitClean {
				t.Fatalf("cleanup: exit %d\n%s%s", code, out, errOut)
			}
			expect("cleanup")

			// The restore hint names the config and --key-name, and runs.
			i := strings.Index(errOut, "(restore: ")
			if i < 0 {
				t.Fatalf("no restore hint: %s", errOut)
			}
			hint := errOut[i+len("(restore: "):]
			hint = hint[:strings.Index(hint, ")\n")]
			args := strings.Fields(hint)
			if args[0] != "kmsdns" || !slices.Contains(args, "--key-name") {
				t.Fatalf("hint %q", hint)
			}
			out, errOut, code = run(t, args[1:]...)
			if code != exitClean {
				t.Fatalf("%s: exit %d\n%s%s", hint, code, out, errOut)
			}
			expect("restore", rec(k1))
		})
	}

	t.Run("apply", func(t *testing.T) {
		cfg := filepath.Join(dir, "k4.yaml")
		os.WriteFile(cfg, []byte(fmt.Sprintf("zones:\n  - name: k4.example\n    server: %s\n    key-file: %s\n    desired:\n      \"@\": [kms1.k4.example]\n", bind.Addr, multi)), 0o600)
		args := []string{"apply", "-c", cfg, "--yes", "--no-probe", "--force", "--backup", filepath.Join(t.TempDir(), "b.zone"), "--state", filepath.Join(t.TempDir(), "state")}
		out, errOut, code := run(t, args...)
		if code != exitUsage || !strings.Contains(errOut, "holds 2 keys") {
			t.Errorf("apply without --key-name: exit %d\n%s%s", code, out, errOut)
		}
		if got := kmsRecords(t, bind.Addr, "k4.example"); len(got) != 0 {
			t.Errorf("apply without --key-name changed the zone: %v", got)
		}
		out, errOut, code = run(t, append(args, "--key-name", "upd")...)
		if code != exitClean {
			t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
		}
		if got := kmsRecords(t, bind.Addr, "k4.example"); !slices.Equal(got, []string{"_vlmcs._tcp.k4.example. 1688 3600 kms1.k4.example."}) {
			t.Errorf("apply: zone holds %v", got)
		}
	})
}
