package config

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/kmsdns/kmsdns/zone"
)

// utf16File is s as Windows PowerShell writes text: UTF-16 with a byte
// order mark.
func utf16File(s string, order binary.AppendByteOrder) []byte {
	b := order.AppendUint16(nil, 0xFEFF)
	for _, u := range utf16.Encode([]rune(s)) {
		b = order.AppendUint16(b, u)
	}
	return b
}

// TestPasswordFileEncodings: a password file saved by Windows tools
// (UTF-16 LE or BE with BOM, UTF-8 with BOM, CR LF) gives the password
// itself, not the bytes of the encoding (which the KDC rejects as a wrong
// password); the last line break only is removed; a file that cannot be a
// password is refused without quoting it.
func TestPasswordFileEncodings(t *testing.T) {
	const pw = "Kmsc1-Machine-Pass!é€"
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		content []byte
		want    string // "" when refused
		errWant string
	}{
		{"plain", []byte(pw), pw, ""},
		{"LF", []byte(pw + "\n"), pw, ""},
		{"CR LF", []byte(pw + "\r\n"), pw, ""},
		{"UTF-8 BOM", []byte("\xef\xbb\xbf" + pw + "\n"), pw, ""},
		{"UTF-8 BOM CR LF", []byte("\xef\xbb\xbf" + pw + "\r\n"), pw, ""},
		{"UTF-16 LE BOM CR LF (PowerShell 5.1 >)", utf16File(pw+"\r\n", binary.LittleEndian), pw, ""},
		{"UTF-16 BE BOM", utf16File(pw+"\n", binary.BigEndian), pw, ""},
		{"UTF-16 LE odd length", append(utf16File(pw, binary.LittleEndian), 'x'), "", "UTF-16"},
		{"two line breaks", []byte(pw + "\n\n"), "", "control character"},
		{"two lines", []byte(pw + "\nsecond\n"), "", "control character"},
		{"NUL (UTF-16 without BOM)", []byte("P\x00w\x00"), "", "control character"},
		{"not UTF-8", []byte("Pa\xffss"), "", "not UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.NewReplacer(" ", "-", "(", "", ")", "", ">", "").Replace(tc.name)+".pw")
			if err := os.WriteFile(p, tc.content, 0o600); err != nil {
				t.Fatal(err)
			}
			plan, err := MergeUpdate(nil, UpdateFlags{Zones: []string{"a.example"}, Update: Update{PasswordFile: p, Principal: "KMSC1$"}})
			if tc.want == "" {
				if err == nil || !strings.Contains(err.Error(), tc.errWant) || !strings.Contains(err.Error(), p) {
					t.Fatalf("err %v, want one naming %s and saying %q", err, p, tc.errWant)
				}
				if strings.Contains(err.Error(), "Machine-Pass") {
					t.Errorf("the error quotes the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			g := plan.Primaries[0].GSS
			if g.Password != tc.want {
				t.Errorf("password %q, want %q", g.Password, tc.want)
			}
			if g.PasswordFile != p || g.Origin != "--password-file" {
				t.Errorf("password file %q from %q, want %q from --password-file", g.PasswordFile, g.Origin, p)
			}
		})
	}
}

// TestKeySecretFileEncodings: a --key-secret-file saved by Windows tools
// (UTF-16 with BOM, UTF-8 with BOM) gives the base64 secret, not "secret
// is not valid base64".
func TestKeySecretFileEncodings(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		content []byte
	}{
		{"plain", []byte(claimsSecret + "\n")},
		{"UTF-8 BOM", []byte("\xef\xbb\xbf" + claimsSecret + "\r\n")},
		{"UTF-16 LE BOM", utf16File(claimsSecret+"\r\n", binary.LittleEndian)},
		{"UTF-16 BE BOM", utf16File(claimsSecret+"\n", binary.BigEndian)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".secret")
			if err := os.WriteFile(p, tc.content, 0o600); err != nil {
				t.Fatal(err)
			}
			plan, err := MergeUpdate(nil, UpdateFlags{Zones: []string{"a.example"}, Update: Update{KeyName: "upd"}, KeyAlgorithm: "hmac-sha256", SecretFile: p})
			if err != nil {
				t.Fatal(err)
			}
			want, err := zone.NewKey("upd", "hmac-sha256", claimsSecret)
			if err != nil {
				t.Fatal(err)
			}
			if got := plan.Primaries[0].Key; !reflect.DeepEqual(got, want) {
				t.Errorf("key %v, not the one of the secret", got)
			}
		})
	}
}
