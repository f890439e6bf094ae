package zone

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// bindFiles are the BIND-format zone files under testdata (Windows
// exports, *.dns, and included fragments, *.inc, are not zones of their own).
func bindFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../testdata/zones/*.zone")
	if err != nil || len(files) < 4 {
		t.Fatalf("sample zone files: %v %v", files, err)
	}
	return files
}

// namedCheckzone returns the path of named-checkzone, or skips the test
// (fails it under KMSDNS_REQUIRE_SERVERS=1).
func namedCheckzone(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("named-checkzone")
	if err != nil {
		for _, d := range []string{"/usr/sbin", "/usr/bin", "/sbin"} {
			if _, err := os.Stat(filepath.Join(d, "named-checkzone")); err == nil {
				return filepath.Join(d, "named-checkzone")
			}
		}
		if os.Getenv("KMSDNS_REQUIRE_SERVERS") == "1" {
			t.Fatal("named-checkzone not found and KMSDNS_REQUIRE_SERVERS=1")
		}
		t.Skip("named-checkzone not installed: cannot compare with BIND")
	}
	return p
}

// TestSamplesAgreeWithNamed loads every BIND-format sample with
// named-checkzone -D and checks that kmsdns reads exactly the KMS SRV
// records of named's canonical dump, and no owner name named does not have.
func TestSamplesAgreeWithNamed(t *testing.T) {
	checkzone := namedCheckzone(t)
	for _, file := range bindFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			var owners []string
			res, err := ReadFile(file, "")
			if err != nil {
				t.Fatalf("kmsdns: %v", err)
			}
			if err := walkFile(t.Context(), res, file, func(rr dns.RR) {
				owners = append(owners, dns.CanonicalName(rr.Header().Name))
			}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			// BIND reads a relative $INCLUDE from its working directory.
			cmd := exec.CommandContext(ctx, checkzone, "-D", "-o", "-", strings.TrimSuffix(res.Zone, "."), filepath.Base(file))
			cmd.Dir = filepath.Dir(file)
			var out, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("named-checkzone does not load %s: %v\n%s%s", file, err, stderr.String(), out.String())
			}
			var want []string
			named := map[string]bool{}
			sc := bufio.NewScanner(&out)
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				if len(f) < 4 {
					continue
				}
				named[strings.ToLower(f[0])] = true
				if f[3] == "SRV" && IsKMSName(f[0]) && len(f) == 8 {
					want = append(want, strings.ToLower(strings.Join([]string{f[0], f[1], f[4], f[5], f[6], f[7]}, " ")))
				}
			}
			// named gives an RRset the TTL of its first record.
			ttl := map[string]uint32{}
			var got []string
			for _, rec := range res.Records {
				if _, ok := ttl[rec.Name]; !ok {
					ttl[rec.Name] = rec.TTL
				}
				rec.TTL = ttl[rec.Name]
				f := strings.Fields(rec.String())
				got = append(got, strings.Join(slices.Delete(f, 2, 4), " "))
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) || len(want) == 0 {
				t.Errorf("KMS records:\nkmsdns:\n%s\nnamed:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for _, o := range owners {
				if !named[o] {
					t.Errorf("kmsdns read owner %s, which named's dump does not have", o)
				}
			}
		})
	}
}
