package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestStateFromConfigAndSecretFileRestoreRealBIND: the config's
// defaults.state is the state file of publish and unpublish too (not only
// of audit and cleanup); and cleanup signing with --key-name,
// --key-algorithm and --key-secret-file prints a restore command that
// works as printed and names the secret file, never the secret.
func TestStateFromConfigAndSecretFileRestoreRealBIND(t *testing.T) {
	l := startPubLab(t, "sc.example")
	cfg := filepath.Join(l.dir, "kmsdns.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("defaults:\n  server: %s\n  state: st/removed.json\n  update:\n    key-file: %s\nzones:\n  - name: sc.example\n", l.bind.Addr, l.keyFile)), 0o600)
	state := filepath.Join(l.dir, "st", "removed.json")
	stateHolds := func(target string) bool {
		b, _ := os.ReadFile(state)
		return strings.Contains(string(b), `"target": "`+target+`"`)
	}
	port := fmt.Sprint(l.port)
	for _, step := range [][]string{
		{"publish", "--config", cfg, "--host", "kms-a.sc.example", "--port", port, "--no-probe"},
		{"unpublish", "--config", cfg, "--host", "kms-a.sc.example"},
	} {
		if out, errOut, code := run(t, step...); code != exitClean {
			t.Fatalf("%s: exit %d\n%s%s", step[0], code, out, errOut)
		}
	}
	if !stateHolds("kms-a.sc.example.") {
		t.Fatalf("unpublish with the config did not remember the removal in %s", state)
	}
	if out, errOut, code := run(t, "publish", "--config", cfg, "--host", "kms-a.sc.example", "--port", port, "--no-probe"); code != exitClean || stateHolds("kms-a.sc.example.") {
		t.Fatalf("publish again with the config: exit %d, state still holds kms-a\n%s%s", code, out, errOut)
	}

	secretFile := filepath.Join(l.dir, "upd.secret")
	os.WriteFile(secretFile, []byte(cliUpdKey.Secret+"\n"), 0o600)
	before := kmsTargets(t, l.bind.Addr, "sc.example")
	out, errOut, code := run(t, "cleanup", "--server", l.bind.Addr, "--zone", "sc.example", "--host", "kms-a.sc.example", "--yes", "--no-probe",
		"--key-name", cliUpdKey.Name, "--key-algorithm", cliUpdKey.Algorithm, "--key-secret-file", secretFile,
		"--expected-port", port, "--state", filepath.Join(l.dir, "other.json"), "--backup", filepath.Join(l.dir, "b.zone"))
	if code != exitClean || slices.Contains(kmsTargets(t, l.bind.Addr, "sc.example"), "kms-a.sc.example.") {
		t.Fatalf("cleanup: exit %d\n%s%s", code, out, errOut)
	}
	i := strings.Index(errOut, "(restore: ")
	if i < 0 {
		t.Fatalf("no restore command: %s", errOut)
	}
	hint := errOut[i+len("(restore: "):]
	hint = hint[:strings.Index(hint, ")\n")]
	if strings.Contains(hint, cliUpdKey.Secret) || !strings.Contains(hint, "--key-secret-file "+secretFile) {
		t.Fatalf("restore command %q", hint)
	}
	args := strings.Fields(hint)
	if args[0] != "kmsdns" {
		t.Fatalf("restore command %q", hint)
	}
	if out, errOut, code := run(t, args[1:]...); code != exitClean {
		t.Fatalf("%s: exit %d\n%s%s", hint, code, out, errOut)
	}
	if got := kmsTargets(t, l.bind.Addr, "sc.example"); !slices.Equal(got, before) {
		t.Errorf("after the restore: %v, want %v", got, before)
	}
}
