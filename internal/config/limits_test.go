package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/testserver"
)

// TestNamesOutsideTheZone: an extra name outside its zone would let the
// config inject _vlmcs._tcp.evil.org. as a record of contoso.com.
func TestNamesOutsideTheZone(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"absolute, elsewhere", "zones:\n  - name: contoso.com\n    names: [emea, evil.org.]\n", `zones[0].names[1]: name "evil.org.": evil.org. is outside the zone contoso.com.`},
		{"the parent", "zones:\n  - name: emea.contoso.com\n    names: [contoso.com.]\n", `zones[0].names[0]: name "contoso.com."`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.text), "k.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	ok := "zones:\n  - name: contoso.com\n    names: [emea, apac.contoso.com, deep.site.contoso.com., contoso.com.]\n"
	if _, err := Parse([]byte(ok), "k.yaml"); err != nil {
		t.Errorf("names inside the zone: %v", err)
	}
	_, err := Merge(nil, Flags{Zones: []string{"contoso.com"}, Names: []string{"emea", "evil.org."}})
	if err == nil || !strings.Contains(err.Error(), `--name: name "evil.org.": evil.org. is outside the zone contoso.com.`) {
		t.Errorf("--name outside the zone: %v", err)
	}
}

// TestMergeTransferLimits: the transfer limits and the key's origin reach
// the specs; flags win over the zone, the zone over the defaults.
func TestMergeTransferLimits(t *testing.T) {
	dir := t.TempDir()
	key := testserver.Key{Name: "xfr", Algorithm: "hmac-sha256", Secret: "8JvDZ0ZyN8gBq1dWnfPz6sN2b7cVYyqHfN1lZ0Xw1Ks="}
	keyFile := key.WriteKeyFile(t, dir)
	cfg := filepath.Join(dir, "k.yaml")
	os.WriteFile(cfg, []byte(`defaults:
  transfer-timeout: 2m
  max-kms-records: 500
  key-file: xfr.key
zones:
  - name: a.example
  - name: b.example
    transfer-timeout: 30s
    key-file: `+keyFile+`
`), 0o600)
	f, err := Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		flags     Flags
		timeouts  [2]time.Duration
		max       int
		keyOrigin [2]string
	}{
		{"from the file", Flags{}, [2]time.Duration{2 * time.Minute, 30 * time.Second}, 500,
			[2]string{keyFile + " (" + cfg + " defaults.key-file)", keyFile + " (" + cfg + " zones[1].key-file)"}},
		{"flags win", Flags{TransferTimeout: time.Hour, MaxKMSRecords: 7, KeyFile: keyFile}, [2]time.Duration{time.Hour, time.Hour}, 7,
			[2]string{keyFile + " (--key-file)", keyFile + " (--key-file)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Merge(f, tc.flags)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range p.Specs {
				if s.TransferTimeout != tc.timeouts[i] || s.MaxRecords != tc.max || s.KeyOrigin != tc.keyOrigin[i] {
					t.Errorf("%s: transfer timeout %v, max %d, key origin %q", s.Zone, s.TransferTimeout, s.MaxRecords, s.KeyOrigin)
				}
			}
		})
	}
	// A key given by name, algorithm and secret file.
	secret := filepath.Join(dir, "secret")
	os.WriteFile(secret, []byte(key.Secret+"\n"), 0o600)
	p, err := Merge(nil, Flags{Zones: []string{"a.example"}, KeyName: "xfr", KeyAlgorithm: "hmac-sha256", SecretFile: secret})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Specs[0].KeyOrigin; got != "--key-name and --key-algorithm, secret from "+secret {
		t.Errorf("key origin %q", got)
	}
	for _, text := range []string{"defaults:\n  max-kms-records: -1\n", "defaults:\n  transfer-timeout: -1s\n"} {
		if _, err := Parse([]byte(text), "k.yaml"); err == nil {
			t.Errorf("%q accepted", text)
		}
	}
}
