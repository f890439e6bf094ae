package zone

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// recs renders records as "name port target" lines for comparison.
func recs(rs []Record) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func TestParseFile(t *testing.T) {
	tests := []struct {
		name, origin, text string
		want               string // records, one String() per line
		serial             uint32
		seen               int
	}{
		{
			name: "apex and sub-domain, relative and absolute",
			text: `$ORIGIN example.org.
$TTL 600
@ IN SOA ns hm 7 1 1 1 1
_vlmcs._tcp IN SRV 0 0 1688 kms1
_vlmcs._tcp.sub 300 IN SRV 1 2 1689 kms2.example.org.
kms1 A 127.0.0.1
`,
			want: "_vlmcs._tcp.example.org.\t600\tIN\tSRV\t0 0 1688 kms1.example.org.\n" +
				"_vlmcs._tcp.sub.example.org.\t300\tIN\tSRV\t1 2 1689 kms2.example.org.\n",
			serial: 7, seen: 4,
		},
		{
			name:   "mixed case is lower-cased",
			origin: "Example.ORG",
			text: `@ 60 IN SOA ns hm 1 1 1 1 1
_VLMCS._TCP.Deep.Sub 60 IN SRV 0 0 1688 KMS.Example.Org.
`,
			want:   "_vlmcs._tcp.deep.sub.example.org.\t60\tIN\tSRV\t0 0 1688 kms.example.org.\n",
			serial: 1, seen: 2,
		},
		{
			name:   "other services and look-alikes are not KMS",
			origin: "example.org.",
			text: `@ 60 IN SOA ns hm 1 1 1 1 1
_ldap._tcp 60 IN SRV 0 0 389 dc
_vlmcs._udp 60 IN SRV 0 0 1688 kms
x._vlmcs._tcp 60 IN SRV 0 0 1688 kms
_vlmcs 60 IN SRV 0 0 1688 kms
_vlmcs._tcp 60 IN TXT "not an SRV"
`,
			want: "", serial: 1, seen: 6,
		},
		{
			name:   "$GENERATE",
			origin: "example.org.",
			text: `@ 60 IN SOA ns hm 1 1 1 1 1
$GENERATE 1-4 host$ 60 A 127.0.0.$
_vlmcs._tcp 60 IN SRV 0 0 1688 host1
`,
			want:   "_vlmcs._tcp.example.org.\t60\tIN\tSRV\t0 0 1688 host1.example.org.\n",
			serial: 1, seen: 6,
		},
		{
			name:   "duplicate RRs count once",
			origin: "example.org.",
			text: `@ 60 IN SOA ns hm 1 1 1 1 1
_vlmcs._tcp 60 IN SRV 0 0 1688 kms
_vlmcs._tcp 120 IN SRV 0 0 1688 kms
`,
			want:   "_vlmcs._tcp.example.org.\t60\tIN\tSRV\t0 0 1688 kms.example.org.\n",
			serial: 1, seen: 2,
		},
		{
			name: "origin from an absolute SOA owner",
			text: `example.net. 60 IN SOA ns hm 9 1 1 1 1
_vlmcs._tcp.example.net. 60 IN SRV 0 0 1688 kms.example.net.
`,
			want:   "_vlmcs._tcp.example.net.\t60\tIN\tSRV\t0 0 1688 kms.example.net.\n",
			serial: 9, seen: 2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ParseFile(strings.NewReader(tc.text), tc.origin, "test.zone")
			if err != nil {
				t.Fatal(err)
			}
			if got := recs(res.Records); got != tc.want {
				t.Errorf("records:\n%s\nwant:\n%s", got, tc.want)
			}
			if !res.HasSerial || res.Serial != tc.serial {
				t.Errorf("serial = %d (%v), want %d", res.Serial, res.HasSerial, tc.serial)
			}
			if res.Seen != tc.seen {
				t.Errorf("seen = %d, want %d", res.Seen, tc.seen)
			}
			if res.Source != SourceFile {
				t.Errorf("source = %q", res.Source)
			}
		})
	}
}

func TestParseFileErrors(t *testing.T) {
	tests := []struct {
		name, origin, text string
		want               []string // substrings of the error
	}{
		{"bad port names file and line", "example.org.", "@ 60 IN SOA ns hm 1 1 1 1 1\n\n_vlmcs._tcp 60 IN SRV 0 0 99999 kms\n",
			[]string{"bad.zone:3: ", "example.org.", "bad SRV Port"}},
		{"no origin", "", "@ 60 IN SOA ns hm 1 1 1 1 1\n", []string{"bad.zone", "cannot tell which zone"}},
		{"invalid origin", "bad..name", "", []string{"not a valid zone name"}},
		{"missing include", "example.org.", "@ 60 IN SOA ns hm 1 1 1 1 1\n$INCLUDE does-not-exist.inc\n", []string{"does-not-exist.inc"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFile(strings.NewReader(tc.text), tc.origin, "bad.zone")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestReadFileSampleContoso(t *testing.T) {
	res, err := ReadFile("../testdata/zones/contoso.com.zone", "")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"_vlmcs._tcp.contoso.com.\t3600\tIN\tSRV\t0 0 1688 kms1.contoso.com.",
		"_vlmcs._tcp.contoso.com.\t3600\tIN\tSRV\t0 0 1688 kms2.contoso.com.",
		"_vlmcs._tcp.contoso.com.\t3600\tIN\tSRV\t0 0 1688 kms-old.contoso.com.",
		"_vlmcs._tcp.emea.contoso.com.\t172800\tIN\tSRV\t10 50 1689 kms-emea.contoso.com.",
		"_vlmcs._tcp.site1.branch.contoso.com.\t3600\tIN\tSRV\t0 0 1688 kms-br1.branch.contoso.com.",
		"_vlmcs._tcp.site2.branch.contoso.com.\t3600\tIN\tSRV\t0 0 1688 kms-br2.branch.contoso.com.",
		"_vlmcs._tcp.branch.contoso.com.\t3600\tIN\tSRV\t0 0 1688 kms-alias.branch.contoso.com.",
		"_vlmcs._tcp.apac.contoso.com.\t3600\tIN\tSRV\t0 0 1688 kms-apac.contoso.com.",
		"_vlmcs._tcp.apac.contoso.com.\t3600\tIN\tSRV\t0 0 1689 kms-apac.contoso.com.",
		"_vlmcs._tcp.lab.contoso.com.\t3600\tIN\tSRV\t0 0 0 .",
	}, "\n") + "\n"
	if got := recs(res.Records); got != want {
		t.Errorf("records:\n%s\nwant:\n%s", got, want)
	}
	if res.Zone != "contoso.com." || res.Serial != 2026112101 {
		t.Errorf("zone %s serial %d", res.Zone, res.Serial)
	}
}

func TestReadFileWindowsExport(t *testing.T) {
	res, err := ReadFile("../testdata/zones/fabrikam.com.dns", "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Zone != "fabrikam.com." || res.Serial != 41 {
		t.Errorf("zone %s serial %d", res.Zone, res.Serial)
	}
	want := "_vlmcs._tcp.fabrikam.com.\t600\tIN\tSRV\t0 0 1688 kms01.fabrikam.com.\n" +
		"_vlmcs._tcp.fabrikam.com.\t600\tIN\tSRV\t0 0 1688 office-kms.fabrikam.com.\n" +
		"_vlmcs._tcp.fabrikam.com.\t600\tIN\tSRV\t0 0 1688 kms1.contoso.com.\n"
	if got := recs(res.Records); got != want {
		t.Errorf("records:\n%s\nwant:\n%s", got, want)
	}
	if res.Records[0].Age != 3733191 || res.Records[1].Age != 3721170 {
		t.Errorf("ages = %d, %d", res.Records[0].Age, res.Records[1].Age)
	}
}

func TestWindowsFilterKeepsLines(t *testing.T) {
	in := "a [AGE:12] 600 A 127.0.0.1\n@ WINS L2 C900 ( 10.0.0.1\n 10.0.0.2 )\nwins A 127.0.0.2\nb [AGE:7] 60 A 127.0.0.3 ; note\n"
	want := "a          600 A 127.0.0.1 ;[AGE:12]\n;@ WINS L2 C900 ( 10.0.0.1\n; 10.0.0.2 )\nwins A 127.0.0.2\nb         60 A 127.0.0.3 ; note [AGE:7]\n"
	var got strings.Builder
	w := &windowsFilter{r: newBufReader(in)}
	buf := make([]byte, 7)
	for {
		n, err := w.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if got.String() != want {
		t.Errorf("got\n%q\nwant\n%q", got.String(), want)
	}
}

func TestReadFilesOfOneZone(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.zone")
	b := filepath.Join(dir, "b.zone")
	os.WriteFile(a, []byte("$ORIGIN example.org.\n@ 60 IN SOA ns hm 3 1 1 1 1\n_vlmcs._tcp 60 SRV 0 0 1688 kms1\n"), 0o644)
	os.WriteFile(b, []byte("$ORIGIN example.com.\n@ 60 IN SOA ns hm 3 1 1 1 1\n"), 0o644)
	res := Read(t.Context(), Spec{Files: []string{a}}, ReadOptions{Offline: true})
	if res.Err != nil || len(res.Records) != 1 {
		t.Fatalf("%v %v", res.Err, res.Records)
	}
	res = Read(t.Context(), Spec{Files: []string{a, b}}, ReadOptions{})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "b.zone holds zone example.com.") {
		t.Fatalf("err = %v", res.Err)
	}
	res = Read(t.Context(), Spec{Zone: "example.org"}, ReadOptions{Offline: true})
	if !errors.Is(res.Err, ErrOffline) {
		t.Fatalf("offline network read: %v", res.Err)
	}
}

func TestGuessOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"$ORIGIN a.example.\n@ IN SOA ns hm 1 1 1 1 1\n":                                "a.example.",
		"b.example. IN SOA ns hm 1 1 1 1 1\n":                                           "b.example.",
		"; Database file c.example.dns for c.example zone.\n@ IN SOA ns hm 1 1 1 1 1\n": "c.example.",
		"$ORIGIN d.example.\nsub IN SOA ns hm 1 1 1 1 1\n":                              "sub.d.example.",
		"@ IN SOA ns hm 1 1 1 1 1\n":                                                    "",
		"$ORIGIN e.example.\n":                                                          "e.example.",
	} {
		if got := guessOrigin([]byte(in)); got != want {
			t.Errorf("guessOrigin(%q) = %q, want %q", in, got, want)
		}
	}
}

func newBufReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }

func TestRegistered(t *testing.T) {
	r := Record{Age: 3733191} // from the fabrikam.com sample export
	got, ok := r.Registered()
	if !ok || got.Format(time.RFC3339) != "2026-11-18T15:00:00Z" {
		t.Errorf("Registered() = %v, %v", got, ok)
	}
	if _, ok := (Record{}).Registered(); ok {
		t.Error("a static record has a registration time")
	}
}
