//go:build unix

package config

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/kmsdns/kmsdns/internal/regfile"
	"github.com/kmsdns/kmsdns/zone"
)

// pipeOf returns /dev/fd/N for a pipe a goroutine writes text to and
// closes, as a shell's process substitution (`<(pass show ...)`) does.
func pipeOf(t *testing.T, text string) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	go func() { w.WriteString(text); w.Close() }()
	p := "/dev/fd/" + strconv.Itoa(int(r.Fd()))
	if _, err := os.Stat(p); err != nil {
		t.Skip(err)
	}
	return p
}

// TestSecretsFromAPipe: a --key-secret-file, a --password-file and a key
// file may each be a pipe, which can be read only once: every zone gets
// the secret read once. A FIFO nobody writes to is an error at once,
// naming the flag, never quoting a secret.
func TestSecretsFromAPipe(t *testing.T) {
	zones := []string{"a.example", "b.example"}
	keyText := "key \"upd\" {\n\talgorithm hmac-sha256;\n\tsecret \"" + claimsSecret + "\";\n};\n"
	want, err := zone.NewKey("upd", "hmac-sha256", claimsSecret)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("--key-secret-file", func(t *testing.T) {
		p, err := MergeUpdate(nil, UpdateFlags{Zones: zones, Update: Update{KeyName: "upd"}, KeyAlgorithm: "hmac-sha256", SecretFile: pipeOf(t, claimsSecret+"\n")})
		if err != nil {
			t.Fatal(err)
		}
		for _, pr := range p.Primaries {
			if pr.Key != want {
				t.Errorf("%s: key %v", pr.Zone, pr.Key)
			}
		}
	})
	t.Run("--key-file, read and update", func(t *testing.T) {
		rp, up, err := MergeWrite(nil, Flags{Zones: zones, Server: "127.0.0.1:9", KeyFile: pipeOf(t, keyText)}, Update{})
		if err != nil {
			t.Fatal(err)
		}
		for i, pr := range up.Primaries {
			if pr.Key != want || rp.Specs[i].Key != want {
				t.Errorf("%s: update key %v, read key %v", pr.Zone, pr.Key, rp.Specs[i].Key)
			}
		}
	})
	t.Run("--password-file", func(t *testing.T) {
		p, err := MergeUpdate(nil, UpdateFlags{Zones: zones, Update: Update{PasswordFile: pipeOf(t, "Pa55-w0rd-claims\n"), Principal: "kmsdns@CORP.EXAMPLE"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, pr := range p.Primaries {
			if pr.GSS == nil || pr.GSS.Password != "Pa55-w0rd-claims" {
				t.Errorf("%s: no password from the pipe", pr.Zone)
			}
		}
	})
	t.Run("FIFO with no writer", func(t *testing.T) {
		fifo := filepath.Join(t.TempDir(), "fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			fl   UpdateFlags
			want string
		}{
			{"--key-secret-file", UpdateFlags{Zones: zones, Update: Update{KeyName: "upd"}, KeyAlgorithm: "hmac-sha256", SecretFile: fifo}, "--key-secret-file: " + fifo + " (a pipe): nothing was written to it"},
			{"--password-file", UpdateFlags{Zones: zones, Update: Update{PasswordFile: fifo, Principal: "kmsdns@CORP.EXAMPLE"}}, "zone a.example: password file: " + fifo + " (a pipe): nothing was written to it"},
			{"--key-file", UpdateFlags{Zones: zones, Update: Update{KeyFile: fifo}}, "zone a.example: key file: " + fifo + " (a pipe): nothing was written to it"},
		} {
			_, err := MergeUpdate(nil, tc.fl)
			if !errors.Is(err, regfile.ErrPipeEmpty) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
			}
		}
	})
}
