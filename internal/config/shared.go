package config

import (
	"fmt"

	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// secrets reads key files once each and collects a warning for every file
// holding a secret that other users can read.
type secrets struct {
	keyFiles map[string][]zone.Key
	warned   map[string]bool
	warnings []string
}

func newSecrets() *secrets {
	return &secrets{keyFiles: map[string][]zone.Key{}, warned: map[string]bool{}}
}

// warn notes path once when it is readable by others.
func (s *secrets) warn(path string) {
	if w := SecretFileWarning(path); w != "" && !s.warned[path] {
		s.warned[path] = true
		s.warnings = append(s.warnings, w)
	}
}

// key returns the key called name (or the only key) of a key file.
func (s *secrets) key(zoneName, file, name string) (zone.Key, error) {
	ks, ok := s.keyFiles[file]
	if !ok {
		var err error
		if ks, err = zone.ReadKeyFile(file); err != nil {
			return zone.Key{}, err
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
			z = Zone{Name: n}
		}
		zones = append(zones, z)
	}
	return zones, nil
}
