package zonegen

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// TestPlantedMatchesWrite reads back what Write wrote and compares its KMS
// records with Planted: the benchmark checks kmsdns against Planted.
func TestPlantedMatchesWrite(t *testing.T) {
	for _, c := range []Config{
		{Origin: "a.example.", Records: 1000, KMS: 20},
		{Origin: "b.example", Records: 10, KMS: 20, Addresses: true},
		{Origin: "c.example.", Records: 1000, KMS: 1, Addresses: true},
		{Origin: "d.example.", Records: 7, KMS: 3},
		{Origin: "e.example.", Records: 100, KMS: 0},
	} {
		t.Run(c.Origin, func(t *testing.T) {
			var b strings.Builder
			n, err := Write(&b, c)
			if err != nil {
				t.Fatal(err)
			}
			var got []SRV
			addrs := map[string]bool{}
			total := 0
			zp := dns.NewZoneParser(strings.NewReader(b.String()), "", "")
			for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
				total++
				switch rr := rr.(type) {
				case *dns.SRV:
					if strings.HasPrefix(strings.ToLower(rr.Hdr.Name), "_vlmcs._tcp.") {
						got = append(got, SRV{Name: rr.Hdr.Name, Port: rr.Port, Target: rr.Target})
					}
				case *dns.A:
					addrs[rr.Hdr.Name] = true
				}
			}
			if err := zp.Err(); err != nil {
				t.Fatal(err)
			}
			want := Planted(c)
			if n != len(want) || len(got) != len(want) {
				t.Fatalf("Write says %d, zone has %d, Planted %d", n, len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("record %d: zone has %+v, Planted %+v", i, got[i], want[i])
				}
				if addrs[want[i].Target] != c.Addresses {
					t.Errorf("target %s has an address: %v, want %v", want[i].Target, addrs[want[i].Target], c.Addresses)
				}
			}
			extra := 0
			if c.Addresses {
				extra = n
			}
			if wantTotal := 3 + c.Records + extra; total != wantTotal {
				t.Errorf("%d records, want %d (SOA, NS, ns1 A, %d, %d addresses)", total, wantTotal, c.Records, extra)
			}
		})
	}
}

// TestPlantedSpelled pins the names: KMS records at the apex and, in upper
// case, in sub-domains, so that readers are tested on case.
func TestPlantedSpelled(t *testing.T) {
	got := Planted(Config{Origin: "d.example", Records: 7, KMS: 3})
	want := []SRV{
		{Name: "_vlmcs._tcp.d.example.", Port: 1688, Target: "kms0.d.example."},
		{Name: "_VLMCS._TCP.site1.d.example.", Port: 1688, Target: "kms1.d.example."},
		{Name: "_vlmcs._tcp.d.example.", Port: 1688, Target: "kms2.d.example."},
	}
	if len(got) != len(want) {
		t.Fatalf("Planted: %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
