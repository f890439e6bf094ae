package zone

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/kmsdns/kmsdns/internal/zonegen"
	"github.com/miekg/dns"
)

// heapPeak samples the live heap while f runs and returns its peak.
func heapPeak(f func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	f()
	close(stop)
	wg.Wait()
	return peak.Load()
}

func writeGenerated(t testing.TB, dir string, c zonegen.Config) (string, int64) {
	t.Helper()
	p := filepath.Join(dir, c.Origin+"zone")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zonegen.Write(f, c); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	return p, fi.Size()
}

// TestTransferStreamsMillionRecordZone transfers a 1,000,000-record zone
// from a real BIND and checks that memory stays flat: only the KMS
// records are kept, each message is walked in place.
func TestTransferStreamsMillionRecordZone(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 1,000,000-record zone")
	}
	const records, kms = 1_000_000, 40
	key := testserver.Key{Name: "big-xfr", Algorithm: "hmac-sha256", Secret: keySHA256.Secret}
	dir := t.TempDir()
	c := zonegen.Config{Origin: "big.example.", Records: records, KMS: kms, Serial: 99}
	path, size := writeGenerated(t, dir, c)
	bind := testserver.StartBIND(t, testserver.BINDConfig{
		Keys:  []testserver.Key{key},
		Zones: []testserver.Zone{{Name: "big.example", File: path, Transfer: "key big-xfr;"}},
	})
	var res *Snapshot
	var err error
	start := time.Now()
	peak := heapPeak(func() {
		res, err = Transfer(t.Context(), TransferConfig{Zone: "big.example", Server: bind.Addr, Key: zoneKey(t, key), Timeout: 30 * time.Second})
	})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if res.Seen != records+3 /* SOA, NS, ns1 A */ || len(res.Records) != kms || res.Serial != 99 {
		t.Fatalf("seen %d records, %d KMS, serial %d", res.Seen, len(res.Records), res.Serial)
	}
	for i, want := range kmsTargets(kms, c.Origin) {
		if !slices.ContainsFunc(res.Records, func(r Record) bool { return r.Target == want }) {
			t.Errorf("KMS record %d (%s) not found", i, want)
		}
	}
	t.Logf("1,000,000-record zone (%d MiB as a file), TSIG-signed AXFR from BIND: %v, peak heap %.1f MiB",
		size>>20, took.Round(time.Millisecond), float64(peak)/(1<<20))
	// README: "a peak heap of about 3 MiB"; 6 MiB leaves room for the
	// sampler and the runtime, and still catches a zone held in memory.
	if peak > 6<<20 {
		t.Errorf("peak heap %.1f MiB, more than 6 MiB: memory grows with the zone", float64(peak)/(1<<20))
	}
}

func kmsTargets(n int, origin string) []string {
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, dns.CanonicalName(zonegen.KMSTarget(i, origin)))
	}
	return out
}

// TestFastPathMatchesFullParse compares the in-place walk with a full
// miekg/dns transfer on generated zones and on every sample zone.
func TestFastPathMatchesFullParse(t *testing.T) {
	dir := t.TempDir()
	var zones []testserver.Zone
	for i, n := range []int{10, 5000, 40000} {
		origin := fmt.Sprintf("gen%d.example.", i)
		p, _ := writeGenerated(t, dir, zonegen.Config{Origin: origin, Records: n, KMS: 1 + n/1000})
		zones = append(zones, testserver.Zone{Name: origin[:len(origin)-1], File: p, Transfer: "any;"})
	}
	zones = append(zones,
		testserver.Zone{Name: "contoso.com", Content: readSample(t, "contoso.com.zone"), Transfer: "any;"},
		testserver.Zone{Name: "fabrikam.com", Content: winToBIND(t, "fabrikam.com.dns"), Transfer: "any;"},
	)
	bind := testserver.StartBIND(t, testserver.BINDConfig{
		Zones: zones,
		Files: map[string]string{"contoso.com-apac.inc": readSample(t, "contoso.com-apac.inc")},
	})
	for _, z := range zones {
		t.Run(z.Name, func(t *testing.T) {
			fast, err := Transfer(t.Context(), TransferConfig{Zone: z.Name, Server: bind.Addr})
			if err != nil {
				t.Fatal(err)
			}
			tr := new(dns.Transfer)
			m := new(dns.Msg)
			m.SetAxfr(dns.Fqdn(z.Name))
			ch, err := tr.In(m, bind.Addr)
			if err != nil {
				t.Fatal(err)
			}
			var full []Record
			seen := 0
			for env := range ch {
				if env.Error != nil {
					t.Fatal(env.Error)
				}
				for _, rr := range env.RR {
					seen++
					if srv, ok := rr.(*dns.SRV); ok && IsKMSName(srv.Hdr.Name) {
						full = append(full, recordFromSRV(dns.CanonicalName(z.Name), srv))
					}
				}
			}
			if !slices.Equal(fast.Records, full) {
				t.Errorf("fast path:\n%s\nfull parse:\n%s", recs(fast.Records), recs(full))
			}
			if fast.Seen != seen-1 { // the full parse counts the closing SOA
				t.Errorf("fast path saw %d records, full parse %d", fast.Seen, seen-1)
			}
			if len(full) == 0 {
				t.Error("no KMS records in the test zone")
			}
		})
	}
}

// winToBIND makes a Windows export loadable by BIND the way kmsdns reads it.
func winToBIND(t *testing.T, name string) string {
	t.Helper()
	w := &windowsFilter{r: newBufReader(readSample(t, name))}
	out, err := io.ReadAll(w)
	if err != nil {
		t.Fatal(err)
	}
	return "$TTL 3600\n" + string(out)
}
