package publish_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/publish"
)

// TestReadBackupRepeatedZone: a zone listed in two sections (two backups
// joined with cat) is one zone in the result, at its first place, on its
// one server, each record once with the TTL of its last line; sections
// naming different servers are refused with the file and both lines.
func TestReadBackupRepeatedZone(t *testing.T) {
	rr := func(z string, ttl int, target string) string {
		return fmt.Sprintf("_vlmcs._tcp.%s. %d IN SRV 0 0 1688 %s.%s.\n", z, ttl, target, z)
	}
	t.Run("same server merged", func(t *testing.T) {
		in := "; kmsdns cleanup backup\n" +
			"; zone a.example. server 127.0.0.1:53\n" + rr("a.example", 300, "kms1") + rr("a.example", 300, "kms2") +
			"; zone e.example. server 127.0.0.2:53\n" + rr("e.example", 300, "kms1") +
			"; zone A.Example server 127.0.0.1:53\n" + rr("a.example", 600, "kms2") + rr("a.example", 300, "kms3") + rr("a.example", 300, "kms1")
		b, err := publish.ReadBackup(strings.NewReader(in), "b.zone")
		if err != nil {
			t.Fatal(err)
		}
		var zones []string
		for _, z := range b.Zones {
			zones = append(zones, z.Zone+" "+z.Server)
		}
		if want := []string{"a.example. 127.0.0.1:53", "e.example. 127.0.0.2:53"}; !slices.Equal(zones, want) {
			t.Fatalf("zones %q, want %q", zones, want)
		}
		var recs []string
		for _, r := range b.Zones[0].Records {
			recs = append(recs, fmt.Sprintf("%d %s", r.TTL, r.Target))
		}
		if want := []string{"300 kms1.a.example.", "600 kms2.a.example.", "300 kms3.a.example."}; !slices.Equal(recs, want) {
			t.Errorf("a.example records %q, want %q", recs, want)
		}
		for z, want := range map[string]string{"a.example": "127.0.0.1:53", "E.EXAMPLE.": "127.0.0.2:53", "x.example": ""} {
			if got := b.Server(z); got != want {
				t.Errorf("Server(%s) = %q, want %q", z, got, want)
			}
		}
	})
	t.Run("different servers refused", func(t *testing.T) {
		in := "; kmsdns cleanup backup\n" +
			"; zone a.example. server 127.0.0.1:1\n" + rr("a.example", 300, "kms1") +
			"; zone e.example. server 127.0.0.2:53\n" + rr("e.example", 300, "kms1") +
			"; zone a.example. server 127.0.0.3:53\n" + rr("a.example", 300, "kms2")
		b, err := publish.ReadBackup(strings.NewReader(in), "b.zone")
		if err == nil {
			t.Fatalf("read %+v, want an error", b)
		}
		for _, want := range []string{"b.zone:6: zone a.example.", `"127.0.0.3:53"`, `b.zone:2 gives it server "127.0.0.1:1"`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
	})
}
