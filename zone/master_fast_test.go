package zone

import (
	"bufio"
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// readBothWays reads text with the fast path and with every record read
// by miekg/dns, each way once for the records only and once with every
// record wanted (as walkFile reads), and returns the outcomes rendered
// for comparison.
func readBothWays(t testing.TB, text string) (fast, slow string) {
	read := func(slow bool, each func(dns.RR)) string {
		res := &Snapshot{Zone: "example.org.", Source: SourceFile, Files: []string{"t.zone"}, fileOpts: FileOptions{MaxRecords: 2000, slow: slow}}
		br := bufio.NewReaderSize(strings.NewReader(text), MaxLineLength+1)
		head, _ := br.Peek(64 << 10)
		err := parse(context.Background(), br, head, "t.zone", res, each)
		res.fileOpts = FileOptions{}
		return fmt.Sprintf("err %v\n%+v", err, *res)
	}
	var fastRRs, slowRRs []dns.RR
	fast, slow = read(false, nil), read(true, nil)
	fastEach := read(false, func(rr dns.RR) { fastRRs = append(fastRRs, rr) })
	slowEach := read(true, func(rr dns.RR) { slowRRs = append(slowRRs, rr) })
	if fastEach != slowEach {
		t.Errorf("with every record wanted: fast path:\n%s\nmiekg/dns:\n%s", fastEach, slowEach)
	}
	if !reflect.DeepEqual(fastRRs, slowRRs) {
		t.Errorf("records built: fast path:\n%v\nmiekg/dns:\n%v", fastRRs, slowRRs)
	}
	return fast, slow
}

// TestFastPathAgrees checks that the fast path reads records exactly as
// miekg/dns does: the same records, warnings (file:line and message),
// count, TTLs carried over and errors, on records it takes and on the
// near misses it must leave to miekg/dns.
func TestFastPathAgrees(t *testing.T) {
	long63 := strings.Repeat("a", 63)
	long64 := strings.Repeat("a", 64)
	tests := []struct{ name, records string }{
		{"A", "a A 127.0.0.1\na 60 IN A 10.0.0.255\nb in a 1.2.3.4\n" +
			"c A 01.2.3.4\nd A 1.2.3\ne A 1.2.3.4.5\nf A ::1\ng A 1.2.3.4 extra\nh A 256.1.1.1\ni A\nj A \"1.2.3.4\"\nk A 1.2.3.4 ; c\n"},
		{"AAAA", "a AAAA ::1\nb AAAA 2001:db8::1:2\nc AAAA ::ffff:1.2.3.4\nd AAAA 1.2.3.4\ne AAAA fe80::1%eth0\nf AAAA ::g\ng AAAA 2001:db8::1 x\nh AAAA 1:2:3:4:5:6:7:8:9\ni AAAA FE80::A\n"},
		{"names", "a CNAME b\nb CNAME b.example.org.\nc CNAME @\nd CNAME a..b\ne CNAME .\nf CNAME .a\ng NS " + long63 + "\nh NS " + long64 + "\n" +
			"i PTR a\\.b\nj PTR \"q\"\nk CNAME a b\nl CNAME\nm CNAME *.x\nn CNAME a/b\no CNAME a$b\np CNAME x.y.z.\nq ptr Q\n" +
			"r CNAME a\\\ns CNAME x\\065\nt CNAME a\\.\nu CNAME a\\ b\n"},
		{"names over 255 octets with the origin", "a CNAME " + strings.Repeat(long63+".", 3) + strings.Repeat("b", 50) + "\n" +
			"b CNAME " + strings.Repeat(long63+".", 3) + strings.Repeat("b", 62) + "\n" +
			"c CNAME " + strings.Repeat(long63+".", 3) + strings.Repeat("b", 61) + ".\n" +
			"d CNAME " + strings.Repeat(long63+".", 3) + strings.Repeat("b", 62) + ".\n"},
		{"owners", "* A 127.0.0.1\n*.w A 127.0.0.1\na/b A 127.0.0.1\n" + long63 + " A 127.0.0.1\n" +
			"\"q\" A 127.0.0.1\n\"$q\" A 127.0.0.1\na\\.b A 127.0.0.1\nabs.example.org. A 127.0.0.1\n@ A 127.0.0.1\n" +
			strings.Repeat(long63+".", 3) + strings.Repeat("b", 49) + " A 127.0.0.1\n"},
		// Each of these fails the zone: one per case.
		{"owner label of 64 octets", long64 + " A 127.0.0.1\n"},
		{"owner of 256 octets with the origin", strings.Repeat(long63+".", 3) + strings.Repeat("b", 50) + " A 127.0.0.1\n"},
		{"absolute owner of 256 octets", strings.Repeat(long63+".", 3) + strings.Repeat("b", 62) + ". A 127.0.0.1\n"},
		{"owner .a", ".a A 127.0.0.1\n"},
		{"owner a..b", "a..b A 127.0.0.1\n"},
		{"empty owner", "\"\" A 127.0.0.1\n"},
		{"no owner yet", " A 127.0.0.1\n"},
		{"$ORIGIN of 256 octets", "$ORIGIN " + strings.Repeat(long63+".", 4) + "\n"},
		{"MX", "a MX 10 mx\nb MX 65535 @\nc MX 65536 mx\nd MX -1 mx\ne MX +1 mx\nf MX 10\ng MX 10 mx extra\nh MX 010 mx\ni MX x mx\n"},
		{"TXT", "a TXT \"x\"\nb TXT \"a\" \"b c\"\nc TXT unquoted\nd TXT \"a\\\"b\"\ne TXT \"\"\nf TXT \"v=DKIM1; k=rsa; (p)\"\ng TXT \"tab\there\"\n" +
			"h TXT \"" + strings.Repeat("x", 300) + "\"\ni TXT\nj TXT \"é\"\nk TXT \"a\"b\nl TXT ( \"a\"\n \"b\" )\n"},
		{"SRV", "_ldap._tcp SRV 0 100 389 dc\n_ldap._tcp SRV 0 0 99999 dc\n_x._tcp SRV 0 0 389\n_x._udp SRV 1 2 3 @\n_x._tcp SRV a 0 1 dc\n" +
			"_vlmcs._tcp SRV 0 0 1688 kms\n_vlmcs._tcp.s SRV 0 0 1688 kms ; [AGE:5]\n_VLMCS._TCP.s SRV 1 0 1688 kms\n _vlmcs._tcp SRV 0 0 1688 kms2\n"},
		{"types", "a TYPE1 \\# 4 7f000001\nb type1 127.0.0.1\nc Cname x\nd HINFO \"a\" \"b\"\ne CAA 0 issue \"ca.example\"\nf FOO x\ng A6 x\n"},
		{"classes", "a CH A 127.0.0.1\nb ın A 127.0.0.1\nc CLASS1 A 127.0.0.1\nd IN 60 A 127.0.0.1\ne 60 CH TXT \"x\"\n"},
		{"TTLs", "a 1h A 127.0.0.1\nb A 127.0.0.1\nc 1x A 127.0.0.1\nd A 127.0.0.1\ne 4294967296 A 127.0.0.1\n"},
		{"blank owners", "a A 127.0.0.1\n A 127.0.0.2\n TXT \"x\"\n$ORIGIN sub.example.org.\n A 127.0.0.3\nb A 127.0.0.4\n SRV 0 0 1 t\n"},
		{"$ORIGIN", "$ORIGIN a\\.b.example.org.\nx A 127.0.0.1\nx CNAME y\n$ORIGIN .\nx. A 127.0.0.1\ny A 127.0.0.1\nz CNAME w\n"},
		{"$GENERATE", "$GENERATE 1-3 h$ A 127.0.0.$\n$GENERATE 1-2 a$ A 300.0.0.$\n$GENERATE 1-2 t$ TXT \"x$\"\n$GENERATE 1-2 _vlmcs._tcp.s$ SRV \"0 0 1688 k$\"\n"},
	}
	heads := map[string]string{
		"$TTL":          "$TTL 60\n" + soa,
		"no $TTL":       "@ IN SOA ns hm 1 1 1 1 1200\n",
		"no TTL at all": "",
	}
	for _, tc := range tests {
		for hn, head := range heads {
			t.Run(tc.name+"/"+hn, func(t *testing.T) {
				fast, slow := readBothWays(t, head+tc.records)
				if fast != slow {
					t.Errorf("fast path:\n%s\nmiekg/dns:\n%s", fast, slow)
				}
			})
		}
	}
}

// FuzzFastPath: whatever the file, the fast path and miekg/dns agree.
func FuzzFastPath(f *testing.F) {
	f.Add("$TTL 60\n" + soa + "a A 127.0.0.1\nb CNAME a\n_x._tcp SRV 0 0 1 a\nc TXT \"x\"\nd MX 1 a\ne AAAA ::1\n")
	f.Add("@ 60 IN SOA ns hm 1 1 1 1 1\n a 60 NS x.\n$ORIGIN b.example.org.\nc PTR @\n")
	f.Fuzz(func(t *testing.T, s string) {
		if fast, slow := readBothWays(t, s); fast != slow {
			t.Fatalf("fast path:\n%s\nmiekg/dns:\n%s", fast, slow)
		}
	})
}
