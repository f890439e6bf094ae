package config

import (
	"errors"
	"fmt"
	"strings"

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
// password is its text without the final line break.
func (s *secrets) password(file string) (string, error) {
	if v, ok := s.passwords[file]; ok {
		return v, nil
	}
	b, err := regfile.ReadSecret(file, maxSecretFile, regfile.PipeWait)
	if err != nil {
		return "", err
	}
	v := strings.TrimRight(string(b), "\r\n")
	s.passwords[file] = v
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
