package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kmsdns/kmsdns/internal/config"
)

// TestRestoreCommandNamesOnlyWhatCanBeRunAgain: the restore command
// printed after cleanup and apply carries the key name the run selected
// (apply's --key-name too), names regular files by absolute path, and never
// names a pipe (process substitution's /dev/fd/N, a FIFO): a shell comment
// says to give that input again instead.
func TestRestoreCommandNamesOnlyWhatCanBeRunAgain(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "upd.key")
	if err := os.WriteFile(keyFile, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "secret.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	withFlags := func(f config.Flags) cleanupArgs { return cleanupArgs{audit: auditArgs{flags: f}} }
	withUpdate := func(u config.Update) cleanupArgs {
		a := cleanupArgs{}
		a.update.flags.Update = u
		return a
	}
	if got := applyRestoreCommand(convergeArgs{configFile: "kmsdns.yaml", keyName: "upd"}, "b.zone"); !strings.Contains(got, "--key-name upd") {
		t.Errorf("apply's restore command lacks --key-name upd: %s", got)
	}
	if got := applyRestoreCommand(convergeArgs{configFile: "kmsdns.yaml", statePath: "st.json"}, "b.zone"); !strings.Contains(got, "--state "+filepath.Join(mustWd(t), "st.json")) {
		t.Errorf("apply's restore command lacks apply's --state: %s", got)
	}
	for _, tc := range []struct {
		name      string
		a         cleanupArgs
		want, not []string
	}{
		{"apply keeps --key-name", cleanupArgs{audit: auditArgs{configFile: "kmsdns.yaml", flags: config.Flags{KeyName: "upd"}}},
			[]string{"--config " + filepath.Join(mustWd(t), "kmsdns.yaml"), "--key-name upd"}, []string{"#"}},
		{"regular key file", withFlags(config.Flags{KeyFile: keyFile, KeyName: "upd"}),
			[]string{"--key-file " + keyFile, "--key-name upd"}, []string{"#"}},
		{"secret from process substitution", withFlags(config.Flags{KeyName: "upd", KeyAlgorithm: "hmac-sha256", SecretFile: "/dev/fd/63"}),
			[]string{"--key-name upd", "--key-algorithm hmac-sha256", "# add --key-secret-file /dev/fd/63 as you gave it"}, []string{"--key-secret-file /dev/fd/63 "}},
		{"key file from a FIFO", withFlags(config.Flags{KeyFile: fifo}),
			[]string{"# add --key-file " + fifo}, []string{"--key-file " + fifo + " "}},
		// Review 3 item 2: the piped password file is left out, --gss
		// stays (without it the command would restore unsigned).
		{"password file from a pipe", withUpdate(config.Update{PasswordFile: fifo, Principal: "KMSC1$", Krb5Conf: keyFile}),
			[]string{"--gss --principal 'KMSC1$' --krb5-conf " + keyFile, "# add --password-file " + fifo}, []string{"--password-file " + fifo + " "}},
		{"regular password file", withUpdate(config.Update{PasswordFile: keyFile, Principal: "u"}),
			[]string{"--gss --password-file " + keyFile + " --principal u"}, []string{"#"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := restoreCommand(tc.a, "b.zone")
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q:\n%s", w, got)
				}
			}
			cmd, _, _ := strings.Cut(got, "#")
			for _, n := range tc.not {
				if strings.Contains(cmd+" ", n) && n != "#" || n == "#" && strings.Contains(got, "#") {
					t.Errorf("has %q:\n%s", n, got)
				}
			}
		})
	}
}

func mustWd(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}
