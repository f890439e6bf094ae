package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeyFileWithSecretFileIsUsageError (issue 11): --key-file together
// with --key-secret-file is a usage error, for every command that reads
// or writes, before anything is sent; the secret is never printed.
func TestKeyFileWithSecretFileIsUsageError(t *testing.T) {
	dir := t.TempDir()
	const secret = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"
	keyFile := filepath.Join(dir, "x.key")
	secretFile := filepath.Join(dir, "x.secret")
	if err := os.WriteFile(keyFile, []byte("key \"x\" {\n algorithm hmac-sha256;\n secret \""+secret+"\";\n};\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	both := []string{"--key-file", keyFile, "--key-name", "x", "--key-algorithm", "hmac-sha256", "--key-secret-file", secretFile}
	for _, args := range [][]string{
		{"audit", "--zone", "a.example", "--server", "127.0.0.1:9"},
		{"publish", "--zone", "a.example", "--server", "127.0.0.1:9", "--host", "kms.a.example", "--dry-run"},
	} {
		t.Run(args[0], func(t *testing.T) {
			out, errOut, code := run(t, append(args, both...)...)
			if code != exitUsage || !strings.Contains(errOut, "without --key-file") {
				t.Errorf("exit %d, want %d (usage):\n%s%s", code, exitUsage, out, errOut)
			}
			if strings.Contains(out+errOut, secret[:12]) {
				t.Errorf("secret printed:\n%s%s", out, errOut)
			}
		})
	}
}
