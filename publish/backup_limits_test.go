package publish_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/publish"
)

// repeatReader repeats b without end, as /dev/zero does.
type repeatReader struct{ b byte }

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.b
	}
	return len(p), nil
}

// TestReadBackupLimits: lines over 64 KiB, more than 100,000 records and
// endless input are refused with the file and line; errors quote at most
// a short prefix of a line; 100,000 records are read.
func TestReadBackupLimits(t *testing.T) {
	const head = "; kmsdns cleanup backup\n; zone a.example. server 127.0.0.1:53\n"
	rec := func(i int) string {
		return fmt.Sprintf("_vlmcs._tcp.a.example. 60 IN SRV 0 0 1688 kms%d.a.example.\n", i)
	}
	records := func(n int) string {
		var b strings.Builder
		b.WriteString(head)
		for i := range n {
			b.WriteString(rec(i))
		}
		return b.String()
	}
	t.Run("100000 records", func(t *testing.T) {
		b, err := publish.ReadBackup(strings.NewReader(records(publish.MaxBackupRecords)), "b.zone")
		if err != nil || len(b.Zones[0].Records) != publish.MaxBackupRecords {
			t.Fatalf("err %v", err)
		}
	})
	long := "_vlmcs._tcp.a.example. 60 IN SRV 0 0 1688 " + strings.Repeat("k", publish.MaxBackupLine) + "\n"
	for _, tc := range []struct {
		name string
		in   io.Reader
		want []string
		big  bool
	}{
		{"100001 records", strings.NewReader(records(publish.MaxBackupRecords + 1)), []string{fmt.Sprintf("b.zone:%d:", publish.MaxBackupRecords+3), "more than 100000 records"}, true},
		{"long line", strings.NewReader(head + rec(1) + long + rec(2)), []string{"b.zone:4:", "longer than 65536 bytes"}, true},
		{"endless line", io.MultiReader(strings.NewReader(head), repeatReader{'k'}), []string{"b.zone:3:", "longer than 65536 bytes"}, true},
		{"endless zeros", repeatReader{0}, []string{"b.zone:1:", "longer than 65536 bytes"}, true},
		{"too many blank lines", strings.NewReader(strings.Repeat("\n", publish.MaxBackupLines+10)), []string{fmt.Sprintf("b.zone:%d:", publish.MaxBackupLines+1), "more than"}, true},
		{"bad long record", strings.NewReader(head + "_vlmcs._tcp.a.example. 60 IN SRV 0 0 1688 kms.a.example. " + strings.Repeat("k", 5000) + "\n"), []string{"b.zone:3:", "is not a record"}, false},
		{"bad long target", strings.NewReader(head + "_vlmcs._tcp.a.example. 60 IN SRV 0 0 1688 " + strings.Repeat("k", 300) + ".\n"), []string{"b.zone:3:", "is not a record"}, false},
		{"bad long zone", strings.NewReader("; zone " + strings.Repeat("k", 300) + " server x\n" + rec(1)), []string{"b.zone:1:", "not a domain name"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := publish.ReadBackup(tc.in, "b.zone")
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q: %.300s", w, msg)
				}
			}
			if errors.Is(err, publish.ErrBackupTooLarge) != tc.big {
				t.Errorf("errors.Is(ErrBackupTooLarge) = %v: %v", !tc.big, err)
			}
			if strings.Contains(msg, strings.Repeat("k", 41)) || len(msg) > 300 {
				t.Errorf("error quotes more than a short prefix (%d bytes): %.300s", len(msg), msg)
			}
		})
	}
}
