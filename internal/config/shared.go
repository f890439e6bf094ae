package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kmsdns/kmsdns/internal/regfile"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// secrets reads key files once each and collects a warning for every file
// holding a secret that other users can read.
type secrets struct {
	keyFiles map[string][]zone.Key
	// tsigSecrets are base64 TSIG secrets by file ("" for SecretEnv).
	tsigSecrets map[string]string
	// passwords are passwords by file: a pipe can be read only once.
	passwords map[string]string
	warned    map[string]bool
	warnings  []string
}

func newSecrets() *secrets {
	return &secrets{keyFiles: map[string][]zone.Key{}, tsigSecrets: map[string]string{}, passwords: map[string]string{}, warned: map[string]bool{}}
}

// secret is readSecret, once per file.
func (s *secrets) secret(file string) (string, error) {
	if v, ok := s.tsigSecrets[file]; ok {
		return v, nil
	}
	v, err := readSecret(file)
	if err != nil {
		return "", err
	}
	s.tsigSecrets[file] = v
	return v, nil
}

// password reads a password file (a regular file or a pipe) once: the
// password is its text (see decodePassword) without the final line break.
func (s *secrets) password(file string) (string, error) {
	if v, ok := s.passwords[file]; ok {
		return v, nil
	}
	b, err := regfile.ReadSecret(file, maxSecretFile, regfile.PipeWait)
	if err != nil {
		return "", err
	}
	v, err := decodePassword(b)
	if err != nil {
		return "", fmt.Errorf("%s: %w", file, err)
	}
	s.passwords[file] = v
	return v, nil
}

// decodePassword turns a password file's bytes into the password, as
// Windows tools save text too: UTF-16 with a byte order mark (what
// `"..." > file` writes in Windows PowerShell 5.1) is decoded, a UTF-8
// byte order mark (Set-Content -Encoding UTF8, Notepad's "UTF-8 with
// BOM") dropped, and the final line break (LF, CR LF or CR) removed. A
// password that is not UTF-8 or holds control characters is refused
// (never shown): the KDC would only answer "wrong password".
func decodePassword(b []byte) (string, error) {
	b, err := decodeBOM(b)
	if err != nil {
		return "", err
	}
	v := string(b)
	for _, eol := range []string{"\r\n", "\n", "\r"} {
		if w, ok := strings.CutSuffix(v, eol); ok {
			v = w
			break
		}
	}
	if !utf8.ValidString(v) {
		return "", errors.New("the password is not UTF-8 text: save the file as UTF-8 (without BOM) or UTF-16 with BOM")
	}
	for i, r := range v {
		if unicode.IsControl(r) {
			return "", fmt.Errorf("the password holds a control character (U+%04X at byte %d; a password has none): is it more than one line, or a binary file?", r, i)
		}
	}
	return v, nil
}

// warn notes path once when it is readable by others.
func (s *secrets) warn(path string) {
	if w := SecretFileWarning(path); w != "" && !s.warned[path] {
		s.warned[path] = true
		s.warnings = append(s.warnings, w)
	}
}

// key returns the key called name (or the only key) of a key file; from
// says where the file was named ("--key-file", "kmsdns.yaml
// zones[1].key-file"), for errors.
func (s *secrets) key(zoneName, file, name, from string) (zone.Key, error) {
	ks, ok := s.keyFiles[file]
	if !ok {
		var err error
		if ks, err = zone.ReadKeyFile(file); err != nil {
			return zone.Key{}, fmt.Errorf("zone %s: %w (from %s)", zoneName, err, from)
		}
		s.keyFiles[file] = ks
		s.warn(file)
	}
	k, err := zone.FindKey(ks, name, file)
	if err != nil {
		return zone.Key{}, fmt.Errorf("zone %s: %w", zoneName, err)
	}
	return k, nil
}

// zonesNamed returns the file's settings for each zone named, or bare
// zones for names the file does not have; valid checks each name first.
func (f *File) zonesNamed(names []string, valid func(string) error) ([]Zone, error) {
	byName := map[string]Zone{}
	for _, z := range f.Zones {
		if z.Name != "" {
			byName[dns.CanonicalName(z.Name)] = z
		}
	}
	var zones []Zone
	for _, n := range names {
		if err := valid(n); err != nil {
			return nil, err
		}
		z, ok := byName[dns.CanonicalName(n)]
		if !ok {
			if len(byName) > 0 {
				return nil, f.notConfigured(n)
			}
			z = Zone{Name: n}
		}
		zones = append(zones, z)
	}
	return zones, nil
}

// ErrZoneNotConfigured is returned for a --zone the configuration file
// does not list (when it lists any).
var ErrZoneNotConfigured = errors.New("zone not in the configuration")

// notConfigured says that zone n is not in the file, listing the zones
// that are.
func (f *File) notConfigured(n string) error {
	var names []string
	for _, z := range f.Zones {
		if z.Name != "" {
			names = append(names, strings.TrimSuffix(z.Name, "."))
		}
	}
	hint := ""
	if c := Closest(strings.TrimSuffix(n, "."), names); c != "" {
		hint = fmt.Sprintf("; did you mean %s?", c)
	}
	return fmt.Errorf("--zone %s: %w %s (it configures %s)%s", n, ErrZoneNotConfigured, f.path, strings.Join(names, ", "), hint)
}

// setting says where a zone's setting came from: the flag when it is set,
// else the zone's entry in the file, else the file's defaults. field is
// the YAML field name; for update settings prefix it with "update.".
func (f *File) setting(z Zone, field, flagValue, zoneValue string) string {
	switch {
	case flagValue != "":
		return "--" + strings.TrimPrefix(field, "update.")
	case zoneValue != "" && z.at != "":
		return fmt.Sprintf("%s %s.%s", f.path, z.at, field)
	case zoneValue != "":
		return "--" + field
	}
	return fmt.Sprintf("%s defaults.%s", f.path, field)
}

// decodeBOM decodes text that starts with a byte order mark as Windows
// tools write it: UTF-16 LE or BE is turned into UTF-8, a UTF-8 mark is
// dropped; other text is returned as it is.
func decodeBOM(b []byte) ([]byte, error) {
	out, err := io.ReadAll(regfile.Text(bytes.NewReader(b), 4096))
	if errors.Is(err, regfile.ErrOddUTF16) {
		return nil, errors.New("the file starts with a UTF-16 byte order mark but has an odd number of bytes: save it as UTF-8 without BOM (Set-Content -Encoding ascii)")
	}
	return out, err
}
