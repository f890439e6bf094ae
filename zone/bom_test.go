package zone

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
)

// winExport is a dnscmd /ZoneExport file, CRLF, as REVIEW4 item 3 gives it.
const winExport = ";\r\n;  Database file contoso.com.dns for contoso.com zone.\r\n;      Zone version:  2\r\n;\r\n" +
	"@                       IN  SOA dc1.contoso.com.  hostmaster.contoso.com. (\r\n" +
	"                                2           ; serial number\r\n" +
	"                                900         ; refresh\r\n" +
	"                                600         ; retry\r\n" +
	"                                86400       ; expire\r\n" +
	"                                3600      ) ; default TTL\r\n" +
	"@                       NS\tdc1.contoso.com.\r\n" +
	"@                       0 WINS  L2 C900 ( 192.168.0.10 192.168.0.11 )\r\n" +
	"dc1                     A\t127.0.0.1\r\n" +
	"kms1    [AGE:3700000]   A\t127.0.0.181\r\n" +
	"_vlmcs._tcp [AGE:3700000] 600 SRV 0 100 1688\tkms1.contoso.com.\r\n" +
	"_vlmcs._tcp [AGE:3699000] 600 SRV 0 100 1688\tkms2.contoso.com.\r\n" +
	"kms2    [AGE:3699000]   A\t127.0.0.182\r\n"

func encodeUTF16(s string, big bool) []byte {
	u := utf16.Encode([]rune("\ufeff" + s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		if big {
			binary.BigEndian.PutUint16(b[2*i:], c)
		} else {
			binary.LittleEndian.PutUint16(b[2*i:], c)
		}
	}
	return b
}

func writeZone(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A zone file without the SOA of its zone is unreadable, never an empty
// zone (REVIEW4 item 2); with several files, any one may hold it.
func TestReadFileNoSOA(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"empty.dns": "",
		"nosoa.dns": "; nothing\nfoo 3600 IN TXT \"x\"\n",
		"other.dns": "$TTL 60\nsub.contoso.com. IN SOA ns hm 1 1 1 1 1\n_vlmcs._tcp 60 IN SRV 0 0 1688 kms1.contoso.com.\n",
		"fast.dns":  "$TTL 60\n" + strings.Repeat("a IN A 127.0.0.1\n", 10),
	} {
		p := writeZone(t, dir, name, []byte(text))
		r, err := ReadFile(p, "contoso.com")
		if err == nil || !strings.Contains(err.Error(), "no SOA record for zone contoso.com.") || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: err %v, want no SOA naming the file", name, err)
		}
		if r == nil || r.Zone != "contoso.com." || len(r.Records) != 0 {
			t.Errorf("%s: snapshot %+v", name, r)
		}
	}
	soa := writeZone(t, dir, "soa.dns", []byte("$TTL 60\n@ IN SOA ns hm 5 1 1 1 1\n"))
	srv := writeZone(t, dir, "srv.dns", []byte("$TTL 60\n_vlmcs._tcp IN SRV 0 0 1688 kms1.contoso.com.\n"))
	r := Read(t.Context(), Spec{Zone: "contoso.com", Files: []string{srv, soa}}, ReadOptions{})
	if r.Err != nil || r.Serial != 5 || len(r.Records) != 1 {
		t.Errorf("SOA in the second file: %+v", r)
	}
	r = Read(t.Context(), Spec{Zone: "contoso.com", Files: []string{srv, filepath.Join(dir, "nosoa.dns")}}, ReadOptions{})
	if r.Err == nil || !strings.Contains(r.Err.Error(), "no SOA record for zone contoso.com.") {
		t.Errorf("no SOA in either file: err %v", r.Err)
	}
}

// A UTF-16 export (PowerShell 5.1 ">") reads as the UTF-8 file does
// (REVIEW4 item 3), and a UTF-8 BOM is dropped, in $INCLUDEd files too,
// so a $ORIGIN on line 1 is honoured (item 8).
func TestReadFileBOM(t *testing.T) {
	dir := t.TempDir()
	want, err := ReadFile(writeZone(t, dir, "plain.dns", []byte(winExport)), "")
	if err != nil || len(want.Records) != 2 || len(want.Warnings) != 0 {
		t.Fatalf("plain: %v %+v", err, want)
	}
	for name, b := range map[string][]byte{
		"u16le.dns": encodeUTF16(winExport, false),
		"u16be.dns": encodeUTF16(winExport, true),
		"bom.dns":   append([]byte("\xef\xbb\xbf"), winExport...),
	} {
		for _, origin := range []string{"", "contoso.com"} {
			got, err := ReadFile(writeZone(t, dir, name, b), origin)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if recs(got.Records) != recs(want.Records) || got.Serial != 2 || len(got.Warnings) != 0 || got.Refreshed != want.Refreshed {
				t.Errorf("%s: got %s serial %d warnings %v, want %s", name, recs(got.Records), got.Serial, got.Warnings, recs(want.Records))
			}
		}
	}
	inc := "\xef\xbb\xbf$ORIGIN sub.contoso.com.\n_vlmcs._tcp 60 IN SRV 0 0 1688 kms9.contoso.com.\n"
	writeZone(t, dir, "inc.dns", []byte(inc))
	writeZone(t, dir, "inc16.dns", encodeUTF16("$ORIGIN s16.contoso.com.\n_vlmcs._tcp 60 IN SRV 0 0 1688 kms8.contoso.com.\n", false))
	top := "\xef\xbb\xbf$ORIGIN contoso.com.\n$TTL 60\n@ IN SOA ns hm 1 1 1 1 1\n$INCLUDE inc.dns\n$INCLUDE inc16.dns\n"
	got, err := ReadFile(writeZone(t, dir, "top.dns", []byte(top)), "")
	if err != nil {
		t.Fatal(err)
	}
	w := "_vlmcs._tcp.sub.contoso.com.\t60\tIN\tSRV\t0 0 1688 kms9.contoso.com.\n" +
		"_vlmcs._tcp.s16.contoso.com.\t60\tIN\tSRV\t0 0 1688 kms8.contoso.com.\n"
	if recs(got.Records) != w || len(got.Warnings) != 0 {
		t.Errorf("includes: got %s %v, want %s", recs(got.Records), got.Warnings, w)
	}
}
