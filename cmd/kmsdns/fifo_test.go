//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFIFOInputsReturnPromptly: a named pipe nobody writes to, given as
// any file kmsdns reads, makes the command return at once with an error
// naming the flag or file (opening it the ordinary way waits for a writer
// for ever): refused as not a regular file, or, for the secret inputs that
// may be a pipe (--key-file, --key-secret-file, --password-file), read
// and found empty. /dev/zero is refused the same way, secret inputs too.
func TestFIFOInputsReturnPromptly(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o600)
		return p
	}
	inc := write("inc.zone", "$ORIGIN f.example.\n$TTL 60\n@ SOA ns hm 1 1 1 1 1\n$INCLUDE pipe\n")
	pw := write("pw", "secret\n")
	notRegular := ": not a regular file (a named pipe)"
	noWriter := " (a pipe): nothing was written to it (no writer had it open, or its writer wrote nothing)"
	devZero := "open /dev/zero: not a regular file (a character device)"
	tests := []struct {
		name string
		args []string
		want string
		code int
	}{
		{"-c", []string{"audit", "-c", fifo}, "config: open " + fifo + notRegular, exitUsage},
		{"-c /dev/zero", []string{"audit", "-c", "/dev/zero"}, "config: open /dev/zero: not a regular file (a character device)", exitUsage},
		{"--zone-file", []string{"audit", "--offline", "-f", fifo, "-z", "f.example"}, "zone file: open " + fifo + notRegular, exitErrors},
		{"$INCLUDE", []string{"audit", "--offline", "-f", inc}, `inc.zone:4: $INCLUDE "pipe": open pipe` + notRegular, exitErrors},
		{"--key-file", []string{"audit", "-z", "f.example", "-s", "127.0.0.1:1", "-k", fifo}, "key file: " + fifo + noWriter, exitUsage},
		{"--key-file /dev/zero", []string{"audit", "-z", "f.example", "-s", "127.0.0.1:1", "-k", "/dev/zero"}, "key file: " + devZero, exitUsage},
		{"--state (audit warns and goes on)", []string{"audit", "--offline", "-f", sampleFabrikam, "--state", fifo}, "state file " + fifo + ": corrupt state file: open " + fifo + notRegular, exitWarnings},
		{"--key-secret-file", []string{"publish", "--dry-run", "-z", "f.example", "-s", "127.0.0.1:1", "--host", "kms.f.example", "--key-name", "k", "--key-algorithm", "hmac-sha256", "--key-secret-file", fifo},
			"--key-secret-file: " + fifo + noWriter, exitUsage},
		{"--key-secret-file /dev/zero", []string{"publish", "--dry-run", "-z", "f.example", "-s", "127.0.0.1:1", "--host", "kms.f.example", "--key-name", "k", "--key-algorithm", "hmac-sha256", "--key-secret-file", "/dev/zero"},
			"--key-secret-file: " + devZero, exitUsage},
		{"--password-file", []string{"publish", "--dry-run", "-z", "f.example", "-s", "127.0.0.1:1", "--host", "kms.f.example", "--principal", "u@F.EXAMPLE", "--password-file", fifo},
			"password file: " + fifo + noWriter, exitUsage},
		{"--password-file /dev/zero", []string{"publish", "--dry-run", "-z", "f.example", "-s", "127.0.0.1:1", "--host", "kms.f.example", "--principal", "u@F.EXAMPLE", "--password-file", "/dev/zero"},
			"password file: " + devZero, exitUsage},
		{"--krb5-conf", []string{"publish", "--dry-run", "-z", "f.example", "-s", "127.0.0.1:1", "--host", "kms.f.example", "--principal", "u@F.EXAMPLE", "--password-file", pw, "--krb5-conf", fifo},
			"krb5.conf: open " + fifo + notRegular, exitUsage},
		{"--keytab", []string{"publish", "--dry-run", "-z", "f.example", "-s", "127.0.0.1:1", "--host", "kms.f.example", "--principal", "u@F.EXAMPLE", "--keytab", fifo},
			"keytab: open " + fifo + notRegular, exitUsage},
		{"--from-file", []string{"publish", "--dry-run", "--from-file", fifo}, "--from-file: open " + fifo + notRegular, exitUsage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			type result struct {
				out, errOut string
				code        int
			}
			done := make(chan result, 1)
			go func() {
				out, errOut, code := run(t, tc.args...)
				done <- result{out, errOut, code}
			}()
			select {
			case r := <-done:
				if !strings.Contains(r.errOut+r.out, tc.want) {
					t.Errorf("output does not say %q:\nstdout %s\nstderr %s", tc.want, r.out, r.errOut)
				}
				if r.code != tc.code {
					t.Errorf("exit %d, want %d", r.code, tc.code)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("blocked on the FIFO")
			}
		})
	}
}
