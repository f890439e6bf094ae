package main

import (
	"encoding/json"
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

// TestExtremeAgeStampJSON (issue 11): an aging stamp past year 9999 no
// longer makes -o json print nothing: the report is one valid document,
// the record is read as static, and a zone-file-note says why.
func TestExtremeAgeStampJSON(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.example.dns")
	text := "; Database file x.example.dns for x.example zone.\n@ IN SOA ns hm ( 1 1 1 1 3600 )\n" +
		"_vlmcs._tcp [AGE:4294967295] 600 SRV 0 0 1688 kms1\n"
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "audit", "--offline", "-f", p, "-o", "json")
	var rep struct {
		Records  []map[string]any
		Findings []struct{ Check, Message string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code == exitUsage || len(rep.Records) != 1 {
		t.Fatalf("exit %d, json %v:\n%s%s", code, err, out, errOut)
	}
	if _, ok := rep.Records[0]["registered"]; ok {
		t.Errorf("record carries a registration time: %v", rep.Records[0])
	}
	found := false
	for _, f := range rep.Findings {
		found = found || f.Check == "zone-file-note" && strings.Contains(f.Message, "[AGE:4294967295]")
	}
	if !found {
		t.Errorf("no zone-file-note about the stamp: %+v", rep.Findings)
	}
}
