package zone

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/miekg/dns"

	"github.com/kmsdns/kmsdns/internal/zonegen"
)

// benchZone writes a zonegen zone of n records (mostly A, AAAA, CNAME,
// TXT, MX and non-KMS SRV, with 20 KMS SRV records spread through it) and
// returns its path and the planted KMS records.
func benchZone(b *testing.B, n int) (string, zonegen.Config) {
	b.Helper()
	c := zonegen.Config{Origin: "bench.example.", Records: n, KMS: 20, Addresses: true}
	path := filepath.Join(b.TempDir(), "bench.zone")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := zonegen.Write(f, c); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path, c
}

// checkPlanted fails unless recs are exactly the KMS records of c.
func checkPlanted(b *testing.B, recs []Record, c zonegen.Config) {
	b.Helper()
	want := map[string]bool{}
	for _, s := range zonegen.Planted(c) {
		want[fmt.Sprintf("%s %d %s", dns.CanonicalName(s.Name), s.Port, dns.CanonicalName(s.Target))] = true
	}
	if len(recs) != len(want) {
		b.Fatalf("%d KMS records, want %d", len(recs), len(want))
	}
	for _, r := range recs {
		if k := fmt.Sprintf("%s %d %s", r.Name, r.Port, r.Target); !want[k] {
			b.Fatalf("record %s was not planted", k)
		}
	}
}

// BenchmarkZoneFile compares kmsdns's zone-file reader with miekg/dns's
// ZoneParser on the same generated zone: ns and allocations per record.
// The 1M-record zone is left out with -short.
func BenchmarkZoneFile(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		if n > 100_000 && testing.Short() {
			continue
		}
		total := n + 3 + 20 // SOA, NS, ns1 A, the records, the KMS targets' addresses
		b.Run(fmt.Sprintf("kmsdns/%dk", n/1000), func(b *testing.B) {
			path, c := benchZone(b, n)
			m := startAllocs(b)
			for b.Loop() {
				res, err := ReadFileContext(context.Background(), path, "", FileOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if res.Seen != total {
					b.Fatalf("seen %d records, want %d", res.Seen, total)
				}
				checkPlanted(b, res.Records, c)
			}
			perRecord(b, m, total)
		})
		// Every record built, as an audit's second pass (the targets'
		// addresses) reads the file.
		b.Run(fmt.Sprintf("kmsdns-every-record/%dk", n/1000), func(b *testing.B) {
			path, _ := benchZone(b, n)
			res, err := ReadFileContext(context.Background(), path, "", FileOptions{})
			if err != nil {
				b.Fatal(err)
			}
			m := startAllocs(b)
			for b.Loop() {
				seen := 0
				if err := walkFile(context.Background(), res, path, func(dns.RR) { seen++ }); err != nil {
					b.Fatal(err)
				}
				if seen != total {
					b.Fatalf("seen %d records, want %d", seen, total)
				}
			}
			perRecord(b, m, total)
		})
		b.Run(fmt.Sprintf("miekg/%dk", n/1000), func(b *testing.B) {
			path, c := benchZone(b, n)
			m := startAllocs(b)
			for b.Loop() {
				recs, seen := miekgKMS(b, path)
				if seen != total {
					b.Fatalf("seen %d records, want %d", seen, total)
				}
				checkPlanted(b, recs, c)
			}
			perRecord(b, m, total)
		})
	}
}

// miekgKMS reads a zone file with miekg/dns's ZoneParser and keeps its
// KMS SRV records, the least an audit of the file needs.
func miekgKMS(b *testing.B, path string) ([]Record, int) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	zp := dns.NewZoneParser(f, "", path)
	var recs []Record
	seen := 0
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		seen++
		if srv, ok := rr.(*dns.SRV); ok && IsKMSName(srv.Hdr.Name) {
			recs = append(recs, recordFromSRV("bench.example.", srv))
		}
	}
	if err := zp.Err(); err != nil {
		b.Fatal(err)
	}
	return recs, seen
}

// startAllocs starts the timed loop and returns the allocation count
// before it.
func startAllocs(b *testing.B) uint64 {
	b.Helper()
	b.ReportAllocs()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	b.ResetTimer()
	return m.Mallocs
}

// perRecord reports ns and allocations per record of the zone, over every
// iteration of the loop.
func perRecord(b *testing.B, mallocs uint64, records int) {
	b.Helper()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	n := float64(b.N) * float64(records)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/record")
	b.ReportMetric(float64(m.Mallocs-mallocs)/n, "allocs/record")
}
