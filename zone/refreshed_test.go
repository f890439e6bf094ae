package zone

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRefreshedIsTheNewestStampOfAnyRecord: Snapshot.Refreshed is the
// newest valid [AGE:n] of any record of the file (an A record of the
// domain controller included), not only of the KMS SRV records; a file
// without stamps has none.
func TestRefreshedIsTheNewestStampOfAnyRecord(t *testing.T) {
	const head = ";\n;  Database file fabrikam.com.dns for fabrikam.com zone.\n;\n@ 3600 SOA dc1.fabrikam.com. hostmaster.fabrikam.com. 1 900 600 86400 3600\n@ NS dc1.fabrikam.com.\n"
	tests := []struct {
		name string
		body string
		want time.Time
	}{
		{"A newer than SRV", "dc1 [AGE:3733190] 1200 A 192.0.2.1\n_vlmcs._tcp [AGE:3733100] 600 SRV 0 0 1688 kms01.fabrikam.com.\n",
			time.Date(2026, 11, 18, 14, 0, 0, 0, time.UTC)},
		{"SRV newest", "dc1 [AGE:3733000] 1200 A 192.0.2.1\n_vlmcs._tcp [AGE:3733191] 600 SRV 0 0 1688 kms01.fabrikam.com.\n",
			time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC)},
		{"an invalid stamp is not the newest", "dc1 [AGE:4294967295] 1200 A 192.0.2.1\n_vlmcs._tcp [AGE:3733191] 600 SRV 0 0 1688 kms01.fabrikam.com.\n",
			time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC)},
		{"no stamps", "dc1 1200 A 192.0.2.1\n_vlmcs._tcp 600 SRV 0 0 1688 kms01.fabrikam.com.\n", time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ParseFile(strings.NewReader(head+tc.body), "", "fabrikam.com.dns")
			if err != nil {
				t.Fatal(err)
			}
			if !res.Refreshed.Equal(tc.want) {
				t.Errorf("Refreshed %v, want %v", res.Refreshed, tc.want)
			}
		})
	}
}

// TestRefreshedOverTheZonesFiles: a zone read from several files is
// judged against the newest stamp of any of them.
func TestRefreshedOverTheZonesFiles(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.dns"), filepath.Join(dir, "b.dns")
	os.WriteFile(a, []byte("$ORIGIN f.example.\n@ 3600 SOA ns hm 1 1 1 1 1\n_vlmcs._tcp [AGE:3733000] 600 SRV 0 0 1688 k1\n"), 0o600)
	os.WriteFile(b, []byte("$ORIGIN f.example.\n_vlmcs._tcp [AGE:3733191] 600 SRV 0 0 1688 k2\n"), 0o600)
	for _, files := range [][]string{{a, b}, {b, a}} {
		res := readFiles(t.Context(), Spec{Zone: "f.example", Files: files}, ReadOptions{})
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		if want := time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC); !res.Refreshed.Equal(want) {
			t.Errorf("%v: Refreshed %v, want %v", files, res.Refreshed, want)
		}
	}
}
