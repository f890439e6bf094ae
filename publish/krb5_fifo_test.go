//go:build unix

package publish

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/regfile"
)

// TestKrb5ConfFIFORefused: a krb5.conf that is a named pipe nobody writes
// to (given as Krb5Conf or $KRB5_CONFIG) is refused at once, not waited
// on; so is one with a principal that needs its default realm.
func TestKrb5ConfFIFORefused(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "krb5.conf")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	const server = "127.0.0.1:1" // nothing listens: no clock reading, no KDC
	for _, tc := range []struct {
		name string
		g    *GSS
		env  string
	}{
		{"Krb5Conf", &GSS{Krb5Conf: fifo}, ""},
		{"KRB5_CONFIG", &GSS{}, fifo},
		{"default realm", &GSS{Principal: "u", Password: "p", Krb5Conf: fifo}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("KRB5_CONFIG", tc.env)
			tc.g.ServerNames = map[string]string{server: "dns.f.example"}
			tc.g.Timeout = time.Second
			done := make(chan error, 1)
			go func() { _, _, _, err := tc.g.Sign(t.Context(), server); done <- err }()
			select {
			case err := <-done:
				if !errors.Is(err, regfile.ErrNotRegular) {
					t.Errorf("err = %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("blocked on the FIFO")
			}
		})
	}
}
