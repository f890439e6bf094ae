package zone

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/internal/testserver"
)

// cutZone is a parent zone that delegates sub.example. and deep.example.
// and still holds stale KMS records below both cuts (occluded data: BIND
// transfers it but never serves it). The NS records of deep come after
// the record below them: a reader must not depend on the order.
const cutZone = `$ORIGIN example.
$TTL 3600
@ IN SOA ns1 hostmaster 1 3600 900 1209600 300
  IN NS ns1
ns1 IN A 127.0.0.1
_vlmcs._tcp IN SRV 0 0 1688 kms1
_vlmcs._tcp.nosub IN SRV 0 0 1688 kms1
sub IN NS ns1.sub
ns1.sub IN A 127.0.0.2
_vlmcs._tcp.sub IN SRV 0 0 1688 kms-occluded
_vlmcs._tcp.x.deep IN SRV 0 0 1688 kms-deep
deep IN NS ns1.sub
kms1 IN A 127.0.0.10
`

// checkCut: only the records above the cuts are kept, each occluded one
// is a WarnBelowCut warning naming the record and its cut.
func checkCut(t *testing.T, res *Snapshot) {
	t.Helper()
	var names []string
	for _, r := range res.Records {
		names = append(names, r.Name)
	}
	slices.Sort(names)
	if want := []string{"_vlmcs._tcp.example.", "_vlmcs._tcp.nosub.example."}; !slices.Equal(names, want) {
		t.Errorf("records %v, want %v", names, want)
	}
	got := map[string]string{}
	for _, w := range res.Warnings {
		if w.Kind != WarnBelowCut {
			t.Errorf("other warning %+v", w)
			continue
		}
		got[w.Record.Name] = w.Cut
		if !strings.Contains(w.Message, "below the delegation "+strings.TrimSuffix(w.Cut, ".")+": it belongs to that zone; audit it there") || !strings.Contains(w.Message, w.Record.Target) {
			t.Errorf("message %q", w.Message)
		}
	}
	want := map[string]string{"_vlmcs._tcp.sub.example.": "sub.example.", "_vlmcs._tcp.x.deep.example.": "deep.example."}
	if len(got) != len(want) || got["_vlmcs._tcp.sub.example."] != want["_vlmcs._tcp.sub.example."] || got["_vlmcs._tcp.x.deep.example."] != want["_vlmcs._tcp.x.deep.example."] {
		t.Errorf("warnings %v, want %v", got, want)
	}
}

// TestBelowCutFile: a zone file's KMS records below a delegation are not
// the zone's.
func TestBelowCutFile(t *testing.T) {
	res, err := ParseFile(strings.NewReader(cutZone), "example", "example.zone")
	if err != nil {
		t.Fatal(err)
	}
	checkCut(t, res)
}

// TestBelowCutBIND: the same by AXFR from BIND, and by queries (BIND
// answers a name below the cut with a referral: no records).
func TestBelowCutBIND(t *testing.T) {
	bind := testserver.StartBIND(t, testserver.BINDConfig{Zones: []testserver.Zone{
		{Name: "example", Content: cutZone, Transfer: "any;"},
	}})
	res, err := Transfer(t.Context(), TransferConfig{Zone: "example", Server: bind.Addr})
	if err != nil {
		t.Fatal(err)
	}
	checkCut(t, res)

	q, err := Query(t.Context(), QueryConfig{Zone: "example", Server: bind.Addr, Names: []string{"sub", "x.deep"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Records) != 1 || q.Records[0].Name != "_vlmcs._tcp.example." {
		t.Errorf("query records %+v", q.Records)
	}
}

// TestCutSetBelow: a cut covers itself and the names below it, not a
// sibling that shares its text, nor the apex.
func TestCutSetBelow(t *testing.T) {
	c := newCutSet("example.")
	c.add("example.")
	c.add("Sub.Example.")
	c.add("other.org.")
	for name, want := range map[string]string{
		"_vlmcs._tcp.sub.example.":    "sub.example.",
		"sub.example.":                "sub.example.",
		"_vlmcs._tcp.a.sub.example.":  "sub.example.",
		"_vlmcs._tcp.subway.example.": "",
		"_vlmcs._tcp.nosub.example.":  "",
		"_vlmcs._tcp.example.":        "",
		"_vlmcs._tcp.other.org.":      "",
	} {
		if got, _ := c.below(name); got != want {
			t.Errorf("below(%s) = %q, want %q", name, got, want)
		}
	}
}

// TestBelowCutNames: an extra name at or below a delegation is not the
// zone's (its clients see the child zone): it leaves Names with a
// warning, by transfer, by queries (BIND answers with a referral) and
// from zone files, where a delegation in one file covers another's
// records.
func TestBelowCutNames(t *testing.T) {
	q := strings.Replace(cutZone, "$ORIGIN example.", "$ORIGIN q.example.", 1)
	bind := testserver.StartBIND(t, testserver.BINDConfig{Zones: []testserver.Zone{
		{Name: "example", Content: cutZone, Transfer: "any;"},
		{Name: "q.example", Content: q, Transfer: "none;"},
	}})
	dir := t.TempDir()
	noDeep := strings.Replace(cutZone, "deep IN NS ns1.sub\n", "", 1)
	f1, f2 := filepath.Join(dir, "a.zone"), filepath.Join(dir, "b.zone")
	if err := os.WriteFile(f1, []byte(noDeep), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f2, []byte("$ORIGIN example.\n$TTL 3600\n@ IN SOA ns1 hostmaster 1 3600 900 1209600 300\ndeep IN NS ns1.sub\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	names := []string{"sub", "a.b.x.deep", "nosub"}
	for _, tc := range []struct {
		name string
		spec Spec
		src  Source
	}{
		{"axfr", Spec{Zone: "example", Server: bind.Addr, Names: names}, SourceAXFR},
		{"query", Spec{Zone: "q.example", Server: bind.Addr, Names: names}, SourceQuery},
		{"files", Spec{Zone: "example", Files: []string{f1, f2}, Names: names}, SourceFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Read(t.Context(), tc.spec, ReadOptions{})
			if res.Err != nil || res.Source != tc.src {
				t.Fatalf("%s: %v", res.Source, res.Err)
			}
			if !slices.Equal(res.Names, []string{"nosub"}) {
				t.Errorf("names %v", res.Names)
			}
			cuts := map[string]string{}
			for _, w := range res.Warnings {
				if w.Kind == WarnBelowCut && strings.HasPrefix(w.Message, "the extra name ") {
					cuts[w.Record.Name] = w.Cut
				}
			}
			z := res.Zone
			if len(cuts) != 2 || cuts["_vlmcs._tcp.sub."+z] != "sub."+z || cuts["_vlmcs._tcp.a.b.x.deep."+z] != "deep."+z {
				t.Errorf("warnings %v", res.Warnings)
			}
			if tc.src != SourceQuery {
				checkCut(t, &Snapshot{Records: res.Records, Warnings: slices.DeleteFunc(res.Warnings, func(w Warning) bool {
					return strings.HasPrefix(w.Message, "the extra name ")
				})})
			}
		})
	}
}

// TestCutCap: at most DefaultMaxCuts delegations are remembered; a record
// below one past the cap is kept, and a warning says the cap was reached.
func TestCutCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("$ORIGIN example.\n$TTL 3600\n@ IN SOA ns1 hostmaster 1 3600 900 1209600 300\n  IN NS ns1\n")
	b.WriteString("_vlmcs._tcp.d0 IN SRV 0 0 1688 kms1\n_vlmcs._tcp.last IN SRV 0 0 1688 kms1\n")
	for i := range DefaultMaxCuts {
		fmt.Fprintf(&b, "d%d IN NS ns1\n", i)
	}
	b.WriteString("last IN NS ns1\n")
	res, err := ParseFile(strings.NewReader(b.String()), "example", "big.zone")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Records) != 1 || res.Records[0].Name != "_vlmcs._tcp.last.example." {
		t.Errorf("records %+v", res.Records)
	}
	capped := 0
	for _, w := range res.Warnings {
		if w.Kind == WarnBelowCut && strings.Contains(w.Message, "more than 100000 delegations") {
			capped++
		}
	}
	if capped != 1 || len(res.cuts.names) != DefaultMaxCuts {
		t.Errorf("%d cap warnings, %d cuts: %v", capped, len(res.cuts.names), res.Warnings)
	}
}
