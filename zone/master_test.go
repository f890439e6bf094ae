package zone

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const soa = "@ 60 IN SOA ns hm 1 1 1 1 1\n"

func warnings(ws []Warning) string {
	var b strings.Builder
	for _, w := range ws {
		b.WriteString(w.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// TestParseFileAsNamed covers what named loads and miekg/dns alone does
// not: BIND's $GENERATE forms, no $TTL, records of types that cannot be
// read.
func TestParseFileAsNamed(t *testing.T) {
	tests := []struct {
		name, text string
		want       string   // records
		warn       []string // substrings, one per warning, in order
	}{
		{
			name: "$GENERATE with a quoted right-hand side",
			text: "$TTL 60\n" + soa + "$GENERATE 1-3 _vlmcs._tcp.site$ SRV \"0 0 1688 kms$\" ; comment\n",
			want: "_vlmcs._tcp.site1.example.org.\t60\tIN\tSRV\t0 0 1688 kms1.example.org.\n" +
				"_vlmcs._tcp.site2.example.org.\t60\tIN\tSRV\t0 0 1688 kms2.example.org.\n" +
				"_vlmcs._tcp.site3.example.org.\t60\tIN\tSRV\t0 0 1688 kms3.example.org.\n",
		},
		{
			name: "$GENERATE modifiers, step, TTL and class",
			text: "$TTL 60\n" + soa + "$GENERATE 8-10/2 _vlmcs._tcp.dc${0,3,d} 600 IN SRV \"${-8,0,d} 0 ${1680} k${0,2,x}.${0,4,o}.${0,1,X}\"\n",
			want: "_vlmcs._tcp.dc008.example.org.\t600\tIN\tSRV\t0 0 1688 k08.0010.8.example.org.\n" +
				"_vlmcs._tcp.dc010.example.org.\t600\tIN\tSRV\t2 0 1690 k0a.0012.a.example.org.\n",
		},
		{
			name: "$GENERATE nibbles, as named-checkzone writes them",
			text: "$TTL 60\n" + soa + "$GENERATE 10-10 _vlmcs._tcp.${0,3,n}.a SRV \"0 0 1688 k.${0,0,n}.${291,0,N}.${0,2,n}x\"\n" +
				"$GENERATE 10-10 _vlmcs._tcp.${0,6,N}b SRV \"0 0 1688 k\"\n",
			want: "_vlmcs._tcp.a.0.a.example.org.\t60\tIN\tSRV\t0 0 1688 k.a.d.2.1.a.x.example.org.\n" +
				"_vlmcs._tcp.a.0.0.b.example.org.\t60\tIN\tSRV\t0 0 1688 k.example.org.\n",
		},
		{
			name: "$GENERATE escapes: \\$ and $$ are a dollar sign",
			text: "$TTL 60\n" + soa + "$GENERATE 1-1 _vlmcs._tcp.s$$ SRV \"0 0 1688 k\\$$\"\n",
			want: "_vlmcs._tcp.s$.example.org.\t60\tIN\tSRV\t0 0 1688 k\\$1.example.org.\n",
		},
		{
			name: "$GENERATE the miekg/dns way, unquoted",
			text: "$TTL 60\n" + soa + "$GENERATE 1-1 _vlmcs._tcp.s$ SRV 0 0 1688 kms$\n",
			want: "_vlmcs._tcp.s1.example.org.\t60\tIN\tSRV\t0 0 1688 kms1.example.org.\n",
		},
		{
			name: "no $TTL: the SOA minimum, with a warning",
			text: "@ IN SOA ns hm ( 1 1 1 1\n 1200 )\n_vlmcs._tcp SRV 0 0 1688 kms\n_vlmcs._tcp.b 300 SRV 0 0 1688 kms\nx A 127.0.0.1\n_vlmcs._tcp.c SRV 0 0 1688 kms\n",
			want: "_vlmcs._tcp.example.org.\t1200\tIN\tSRV\t0 0 1688 kms.example.org.\n" +
				"_vlmcs._tcp.b.example.org.\t300\tIN\tSRV\t0 0 1688 kms.example.org.\n" +
				"_vlmcs._tcp.c.example.org.\t1200\tIN\tSRV\t0 0 1688 kms.example.org.\n",
			warn: []string{"t.zone:1: no $TTL and no TTL on the SOA: records without a TTL get the SOA minimum, 1200 s"},
		},
		{
			name: "no $TTL, TTL on the SOA: the last TTL (RFC 1035)",
			text: "@ 60 IN SOA ns hm 1 1 1 1 1200\n_vlmcs._tcp SRV 0 0 1688 kms\n_vlmcs._tcp.b 1h SRV 0 0 1688 kms\n_vlmcs._tcp.c SRV 0 0 1688 kms\n",
			want: "_vlmcs._tcp.example.org.\t60\tIN\tSRV\t0 0 1688 kms.example.org.\n" +
				"_vlmcs._tcp.b.example.org.\t3600\tIN\tSRV\t0 0 1688 kms.example.org.\n" +
				"_vlmcs._tcp.c.example.org.\t3600\tIN\tSRV\t0 0 1688 kms.example.org.\n",
		},
		{
			name: "records that cannot be read are skipped, the rest is read",
			text: "$TTL 60\n" + soa +
				"wks IN WKS 192.0.2.1 tcp ftp smtp\n" +
				"nsap NSAP 0x47.0005.80.005a00.0000.0001.e133.ffffff000161.00\n" +
				"bogus BOGUS x\n" +
				"_ldap._tcp SRV 0 0 99999 dc\n" +
				"$GENERATE 1-2 a$ A 300.0.0.$\n" +
				"_vlmcs._tcp SRV 0 0 1688 kms\n",
			want: "_vlmcs._tcp.example.org.\t60\tIN\tSRV\t0 0 1688 kms.example.org.\n",
			warn: []string{
				`t.zone:3: skipped a record: unknown type "WKS"`,
				`t.zone:4: skipped a record: unknown type "NSAP"`,
				`t.zone:5: skipped a record: unknown type "BOGUS"`,
				`t.zone:6: skipped SRV record: bad SRV Port: "99999"`,
				`t.zone:7: $GENERATE value 1: skipped A record: bad A A: "300.0.0.1"`,
				`t.zone:7: $GENERATE value 2: skipped A record`,
			},
		},
		{
			name: "KMS records outside the zone are ignored, as named does",
			text: "$TTL 60\n" + soa + "_vlmcs._tcp.evil.test. SRV 0 0 1688 kms\n_vlmcs._tcp SRV 0 0 1688 kms\n",
			want: "_vlmcs._tcp.example.org.\t60\tIN\tSRV\t0 0 1688 kms.example.org.\n",
			warn: []string{"t.zone:3: owner _vlmcs._tcp.evil.test. is outside zone example.org.: ignored, as named does"},
		},
		{
			name: "other classes are not read",
			text: "$TTL 60\n" + soa + "_vlmcs._tcp CH SRV 0 0 1688 kms\n_vlmcs._tcp 60 HS SRV x y z\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ParseFile(strings.NewReader(tc.text), "example.org", "t.zone")
			if err != nil {
				t.Fatal(err)
			}
			if got := recs(res.Records); got != tc.want {
				t.Errorf("records:\n%s\nwant:\n%s", got, tc.want)
			}
			if len(res.Warnings) != len(tc.warn) {
				t.Fatalf("warnings:\n%swant %d", warnings(res.Warnings), len(tc.warn))
			}
			for i, w := range tc.warn {
				if !strings.HasPrefix(res.Warnings[i].String(), w) {
					t.Errorf("warning %d = %q, want %q...", i, res.Warnings[i], w)
				}
			}
		})
	}
}

func TestParseFileFails(t *testing.T) {
	long := strings.Repeat("a", 63) + "."
	tests := []struct {
		name, text string
		want       []string // substrings of the error
		not        string   // must not be in the error
	}{
		{"KMS SRV record that cannot be read", "$TTL 60\n" + soa + "x A 127.0.0.1\n_vlmcs._tcp.a SRV 0 0 x kms\n",
			[]string{"zone example.org.: t.zone:4: SRV record: bad SRV Port"}, ""},
		{"KMS SRV of a $GENERATE: the directive's line and value", "$TTL 60\n" + soa + "\n$GENERATE 65530-65540 _vlmcs._tcp.s$ SRV \"0 0 $ kms\"\n",
			[]string{"t.zone:4: $GENERATE value 65536: SRV record: bad SRV Port"}, ""},
		{"SOA that cannot be read", "$TTL 60\n@ IN SOA ns hm 1 1 1 1 x\n", []string{"t.zone:2: SOA record"}, ""},
		{"bad $GENERATE modifier", "$TTL 60\n" + soa + "$GENERATE 1-2 a${0,3,q} A 127.0.0.1\n", []string{"t.zone:3: $GENERATE owner", "base must be"}, ""},
		{"bad $GENERATE range", "$TTL 60\n" + soa + "$GENERATE 5-1 a$ A 127.0.0.1\n", []string{"t.zone:3: $GENERATE", "start <= stop"}, ""},
		{"owner name over 255 octets", "$TTL 60\n" + soa + "\n" + strings.Repeat(long, 4) + " A 127.0.0.1\n",
			[]string{"t.zone:4: not a valid owner name"}, long},
		{"generated owner over 255 octets", "$TTL 60\n" + soa + "$GENERATE 1-1 " + strings.Repeat("a${0,60}.", 5) + " A 127.0.0.1\n",
			[]string{"t.zone:3: $GENERATE value 1: not a valid owner name"}, ""},
		{"unknown directive", "$TTL 60\n$FOO bar\n", []string{"t.zone:2: unknown directive"}, ""},
		{"long token quoted by a prefix only", "$TTL 60\n" + soa + "$TTL " + strings.Repeat("9x", 500) + "\n",
			[]string{`t.zone:3: $TTL: "9x9x9x9x9x9x9x9x"...`}, strings.Repeat("9x", 9)},
		{"unbalanced parentheses", "$TTL 60\n@ IN SOA ns hm ( 1 1 1 1 1\n", []string{"t.zone:2: unbalanced parentheses"}, ""},
		{"line too long", "$TTL 60\n" + soa + strings.Repeat("a", MaxLineLength+10) + "\n", []string{"t.zone:3: line longer than"}, "aaaaaaaaaaaaaaaaaaaa"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ParseFile(strings.NewReader(tc.text), "example.org", "t.zone")
			if err == nil {
				t.Fatalf("no error; records %v", res.Records)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if tc.not != "" && strings.Contains(err.Error(), tc.not) {
				t.Errorf("error quotes the file: %q", err)
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.File != "t.zone" || fe.Line == 0 {
				t.Errorf("not a *FileError with a place: %#v", err)
			}
			if res == nil || res.Zone != "example.org." || len(res.Records) != 0 {
				t.Errorf("failed result %+v: want the zone's name and no records", res)
			}
		})
	}
}

func TestReadFileDevZero(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	start := time.Now()
	for _, origin := range []string{"example.org", ""} {
		_, err := ReadFileContext(t.Context(), "/dev/zero", origin, FileOptions{})
		if err == nil || len(err.Error()) > 300 || strings.Contains(err.Error(), `\x00\x00\x00\x00\x00`) {
			t.Errorf("origin %q: err = %.300q", origin, err)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

// bomb writes n files, each $INCLUDing the next many times; the last one
// $GENERATEs 65536 records.
func bomb(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	for i := range n {
		var b strings.Builder
		if i == 0 {
			b.WriteString("$ORIGIN example.org.\n$TTL 60\n" + soa)
		}
		if i == n-1 {
			b.WriteString("$GENERATE 0-65535 h$ A 127.0.0.1\n")
		} else {
			for range 50 {
				fmt.Fprintf(&b, "$INCLUDE f%d.zone\n", i+1)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d.zone", i)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "f0.zone")
}

func TestReadFileStopsOnCancel(t *testing.T) {
	one := filepath.Join(t.TempDir(), "one.zone")
	if err := os.WriteFile(one, []byte("$ORIGIN example.org.\n$TTL 60\n"+soa+"$GENERATE 0-2147483647 h$ A 127.0.0.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"nested $INCLUDE": bomb(t, 7), "one $GENERATE": one} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(200*time.Millisecond, cancel)
			start := time.Now()
			_, err := ReadFileContext(ctx, path, "", FileOptions{MaxRecords: 1 << 62})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v", err)
			}
			if d := time.Since(start); d > 1200*time.Millisecond {
				t.Errorf("stopped %v after the start, want within a second of the cancel", d)
			}
		})
	}
}

func TestReadFileRecordCap(t *testing.T) {
	path := bomb(t, 3)
	_, err := ReadFileContext(t.Context(), path, "", FileOptions{MaxRecords: 100_000})
	var fe *FileError
	if !errors.Is(err, ErrTooManyRecords) || !errors.As(err, &fe) || !strings.HasSuffix(fe.File, "f2.zone") || fe.Line != 1 {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "more than 100000 records") {
		t.Errorf("err = %v", err)
	}
}

func TestIncludeConfined(t *testing.T) {
	top := t.TempDir()
	zdir := filepath.Join(top, "zones")
	other := filepath.Join(top, "other")
	for _, d := range []string{zdir, other, filepath.Join(zdir, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	secret := "root:$6$SECRETHASHSECRETHASH:19000:0:99999:7:::\n"
	write := func(path, text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(other, "shadow"), secret)
	write(filepath.Join(other, "kms.inc"), "_vlmcs._tcp SRV 0 0 1688 kms-other\n")
	write(filepath.Join(zdir, "sub", "kms.inc"), "_vlmcs._tcp SRV 0 0 1688 kms-sub\n")
	write(filepath.Join(zdir, "bad.inc"), "_vlmcs._tcp SRV 0 0 SECRETWORD-IN-INCLUDE kms\n")
	if err := os.Symlink(filepath.Join(other, "shadow"), filepath.Join(zdir, "link.inc")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(other, "kms.inc"), filepath.Join(zdir, "klink.inc")); err != nil {
		t.Fatal(err)
	}
	head := "$ORIGIN example.org.\n$TTL 60\n" + soa
	tests := []struct {
		name, include string
		dirs          []string
		want          string // records, or the error's start when refused
		refused       bool
	}{
		{"own directory", "sub/kms.inc", nil, "kms-sub.example.org.", false},
		{"outside, absolute", filepath.Join(other, "shadow"), nil, "zone.zone:4: $INCLUDE", true},
		{"outside, relative", "../other/shadow", nil, "zone.zone:4: $INCLUDE", true},
		{"outside through a symbolic link", "link.inc", nil, "zone.zone:4: $INCLUDE", true},
		{"allowed directory", filepath.Join(other, "kms.inc"), []string{other}, "kms-other.example.org.", false},
		{"allowed directory, relative path", "../other/kms.inc", []string{other}, "kms-other.example.org.", false},
		{"a link into a directory not allowed", "klink.inc", nil, "zone.zone:4: $INCLUDE", true},
		{"a link into an allowed directory", "klink.inc", []string{other}, "kms-other.example.org.", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(zdir, "zone.zone")
			write(path, head+"$INCLUDE "+tc.include+"\n")
			res, err := ReadFileContext(t.Context(), path, "", FileOptions{IncludeDirs: tc.dirs})
			if tc.refused {
				if !errors.Is(err, ErrIncludeRefused) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v", err)
				}
				if strings.Contains(err.Error(), "SECRETHASH") || strings.Contains(err.Error(), "root:") {
					t.Errorf("error quotes the file: %v", err)
				}
				return
			}
			if err != nil || len(res.Records) != 1 || res.Records[0].Target != tc.want {
				t.Fatalf("err %v, records %v", err, res)
			}
		})
	}
	t.Run("errors in an included file quote none of it", func(t *testing.T) {
		path := filepath.Join(zdir, "zone.zone")
		write(path, head+"$INCLUDE bad.inc\n")
		_, err := ReadFileContext(t.Context(), path, "", FileOptions{})
		if err == nil || !strings.Contains(err.Error(), "bad.inc:1: SRV record") || strings.Contains(err.Error(), "SECRETWORD") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestExtremeAgeStamp(t *testing.T) {
	text := "; Database file x.example.dns for x.example zone.\n@ IN SOA ns hm ( 1 1 1 1 3600 )\n" +
		"_vlmcs._tcp [AGE:4294967295] 600 SRV 0 0 1688 kms1\n" +
		"_vlmcs._tcp [AGE:3733191] 600 SRV 0 0 1688 kms2\n"
	res, err := ParseFile(strings.NewReader(text), "", "x.dns")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Records) != 2 || res.Records[0].Age != 0 || res.Records[1].Age != 3733191 {
		t.Fatalf("records %+v", res.Records)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].String(), "x.dns:3: aging stamp [AGE:4294967295] is not a time before year 10000") {
		t.Errorf("warnings %v", res.Warnings)
	}
	// A Record built some other way never yields a time JSON cannot carry.
	for _, age := range []uint32{maxAgeHours, maxAgeHours + 1, 1<<32 - 1} {
		if reg, ok := (Record{Age: age}).Registered(); ok {
			if _, err := json.Marshal(reg); err != nil {
				t.Errorf("age %d: %v", age, err)
			}
		}
	}
	if _, ok := (Record{Age: maxAgeHours}).Registered(); !ok {
		t.Error("the last hour of year 9999 is refused")
	}
}
