package zone

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/miekg/dns"
)

// Tests in this file run against real BIND 9 and Knot DNS servers started
// on 127.0.0.1 (see internal/testserver).

var (
	keySHA256 = testserver.Key{Name: "xfr-sha256", Algorithm: "hmac-sha256", Secret: "8JvDZ0ZyN8gBq1dWnfPz6sN2b7cVYyqHfN1lZ0Xw1Ks="}
	keySHA512 = testserver.Key{Name: "xfr-sha512", Algorithm: "hmac-sha512", Secret: "qU0vXyQ2kz4xJxS9m1Vf3c7y3a5Hk2Q8n7b5c3d1e9f0a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e7f9aA=="}
	keyMD5    = testserver.Key{Name: "xfr-md5", Algorithm: "hmac-md5", Secret: "c2VjcmV0LW1kNS1rZXktZm9yLXRlc3Rz"}
	keySHA1   = testserver.Key{Name: "xfr-sha1", Algorithm: "hmac-sha1", Secret: "c2VjcmV0LXNoYTEta2V5LWZvci10ZXN0cw=="}
	keySHA224 = testserver.Key{Name: "xfr-sha224", Algorithm: "hmac-sha224", Secret: "c2VjcmV0LXNoYTIyNC1rZXktZm9yLXRlc3RzLXh4eHg="}
	keySHA384 = testserver.Key{Name: "xfr-sha384", Algorithm: "hmac-sha384", Secret: "c2VjcmV0LXNoYTM4NC1rZXktZm9yLXRlc3RzLXh4eHh4eHh4eHh4eHh4eHh4eHg="}
	keyWrong  = testserver.Key{Name: "xfr-sha256", Algorithm: "hmac-sha256", Secret: "AAAAZ0ZyN8gBq1dWnfPz6sN2b7cVYyqHfN1lZ0Xw1Ks="}
)

func zoneKey(t *testing.T, k testserver.Key) Key {
	t.Helper()
	key, err := NewKey(k.Name, k.Algorithm, k.Secret)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func readSample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../testdata/zones/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sortedRecs renders records as sorted lines: servers return them in
// canonical order, files in file order.
func sortedRecs(rs []Record) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.String())
	}
	slices.Sort(out)
	return out
}

// contosoOnBIND serves the bundled contoso.com sample and small example
// zones from a real BIND.
func contosoOnBIND(t *testing.T) *testserver.Server {
	return testserver.StartBIND(t, testserver.BINDConfig{
		Keys:  []testserver.Key{keySHA256, keySHA512, keyMD5, keySHA1, keySHA224, keySHA384},
		Files: map[string]string{"contoso.com-apac.inc": readSample(t, "contoso.com-apac.inc")},
		Zones: []testserver.Zone{
			{Name: "contoso.com", Content: readSample(t, "contoso.com.zone"), Transfer: "any;"},
			{Name: "signed.example", Content: smallZone("signed.example", "127.0.0.1"), Transfer: "key xfr-sha256; key xfr-sha512; key xfr-md5; key xfr-sha1; key xfr-sha224; key xfr-sha384;"},
			{Name: "refused.example", Content: smallZone("refused.example", "127.0.0.1"), Transfer: "none;"},
		},
	})
}

func smallZone(origin, nsAddr string) string {
	return fmt.Sprintf(`$ORIGIN %s.
$TTL 300
@ IN SOA ns1 hostmaster 42 3600 900 1209600 300
  IN NS ns1
ns1 IN A %s
_vlmcs._tcp IN SRV 0 0 1688 kms1
_vlmcs._tcp.emea IN SRV 0 0 1688 kms-emea
_vlmcs._tcp.deep.apac IN SRV 0 0 1688 kms-apac
kms1 IN A 127.0.0.10
www IN A 127.0.0.80
`, origin, nsAddr)
}

func TestTransferMatchesFile(t *testing.T) {
	for _, srv := range []struct {
		name  string
		start func(t *testing.T) *testserver.Server
	}{
		{"bind", contosoOnBIND},
		{"knot", func(t *testing.T) *testserver.Server {
			// Knot has no $GENERATE and reads $INCLUDE from its own
			// directory: serve the same zone with both expanded.
			text := strings.NewReplacer(
				"$INCLUDE contoso.com-apac.inc", readSample(t, "contoso.com-apac.inc"),
				"$GENERATE 1-3 kms-br$ A 192.0.2.$", "kms-br1 A 192.0.2.1\nkms-br2 A 192.0.2.2\nkms-br3 A 192.0.2.3",
				"$GENERATE 1-3 www-br$ CNAME kms-br$", "www-br1 CNAME kms-br1\nwww-br2 CNAME kms-br2\nwww-br3 CNAME kms-br3",
			).Replace(readSample(t, "contoso.com.zone"))
			if strings.Contains(text, "\n$GENERATE") || strings.Contains(text, "\n$INCLUDE") {
				t.Fatal("sample zone changed: update the expansion for Knot")
			}
			return testserver.StartKnot(t, testserver.KnotConfig{Zones: []testserver.Zone{{Name: "contoso.com", Content: text, Transfer: "any"}}})
		}},
	} {
		t.Run(srv.name, func(t *testing.T) {
			s := srv.start(t)
			want, err := ReadFile("../testdata/zones/contoso.com.zone", "")
			if err != nil {
				t.Fatal(err)
			}
			got, err := Transfer(t.Context(), TransferConfig{Zone: "contoso.com", Server: s.Addr})
			if err != nil {
				t.Fatal(err)
			}
			if g, w := sortedRecs(got.Records), sortedRecs(want.Records); !slices.Equal(g, w) {
				t.Errorf("AXFR from %s:\n%s\nzone file:\n%s", srv.name, strings.Join(g, "\n"), strings.Join(w, "\n"))
			}
			if got.Serial != 2026112101 || !got.HasSerial || got.Source != SourceAXFR || got.Server != s.Addr {
				t.Errorf("result %+v", got)
			}
			// Knot adds nothing, BIND adds nothing: same record count as the file.
			if got.Seen != want.Seen {
				t.Errorf("seen %d records by AXFR, %d in the file", got.Seen, want.Seen)
			}
		})
	}
}

func TestTransferTSIG(t *testing.T) {
	bind := contosoOnBIND(t)
	knot := testserver.StartKnot(t, testserver.KnotConfig{
		Keys:  []testserver.Key{keySHA256, keySHA512},
		Zones: []testserver.Zone{{Name: "signed.example", Content: smallZone("signed.example", "127.0.0.1"), Transfer: "key xfr-sha512"}},
	})
	tests := []struct {
		name   string
		server string
		key    testserver.Key
	}{
		{"bind hmac-sha256", bind.Addr, keySHA256},
		{"bind hmac-sha512", bind.Addr, keySHA512},
		{"bind hmac-md5", bind.Addr, keyMD5},
		{"bind hmac-sha1", bind.Addr, keySHA1},
		{"bind hmac-sha224", bind.Addr, keySHA224},
		{"bind hmac-sha384", bind.Addr, keySHA384},
		{"knot hmac-sha512", knot.Addr, keySHA512},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Transfer(t.Context(), TransferConfig{Zone: "signed.example", Server: tc.server, Key: zoneKey(t, tc.key)})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Records) != 3 || res.Serial != 42 {
				t.Errorf("got %d records, serial %d:\n%s", len(res.Records), res.Serial, recs(res.Records))
			}
		})
	}
	t.Run("unsigned request is refused", func(t *testing.T) {
		_, err := Transfer(t.Context(), TransferConfig{Zone: "signed.example", Server: bind.Addr})
		if !errors.Is(err, ErrTransferRefused) {
			t.Fatalf("err = %v", err)
		}
		// The credentials come first, then the server's answer.
		want := "sent unsigned: no key was given for this zone (add --key-file, or key-file in the config): server answered REFUSED"
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	})
	for _, s := range []*testserver.Server{bind, knot} {
		t.Run(s.Name+" wrong secret", func(t *testing.T) {
			k := keyWrong
			if s == knot {
				k = testserver.Key{Name: keySHA512.Name, Algorithm: "hmac-sha512", Secret: keyWrong.Secret}
			}
			_, err := Transfer(t.Context(), TransferConfig{Zone: "signed.example", Server: s.Addr, Key: zoneKey(t, k), KeyOrigin: "/etc/kmsdns/xfr.key (--key-file)"})
			var te *TSIGError
			if !errors.As(err, &te) || te.Code != dns.RcodeBadSig {
				t.Fatalf("err = %v, want TSIG BADSIG", err)
			}
			creds := fmt.Sprintf("signed with key %s (%s) from /etc/kmsdns/xfr.key (--key-file): TSIG BADSIG", k.Name, k.Algorithm)
			for _, w := range []string{"signed.example.", s.Addr, creds} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if strings.Contains(err.Error(), k.Secret) {
				t.Errorf("error reveals the secret")
			}
		})
		t.Run(s.Name+" unknown key", func(t *testing.T) {
			k := testserver.Key{Name: "nobody-knows", Algorithm: "hmac-sha256", Secret: keySHA256.Secret}
			_, err := Transfer(t.Context(), TransferConfig{Zone: "signed.example", Server: s.Addr, Key: zoneKey(t, k)})
			var te *TSIGError
			if !errors.As(err, &te) || te.Code != dns.RcodeBadKey {
				t.Fatalf("err = %v, want TSIG BADKEY", err)
			}
		})
	}
}

func TestReadFallsBackToQueries(t *testing.T) {
	bind := contosoOnBIND(t)
	knot := testserver.StartKnot(t, testserver.KnotConfig{
		Zones: []testserver.Zone{{Name: "refused.example", Content: smallZone("refused.example", "127.0.0.1"), Transfer: "none"}},
	})
	for _, tc := range []struct {
		s     *testserver.Server
		rcode string
	}{{bind, "REFUSED"}, {knot, "NOTAUTH"}} {
		s := tc.s
		t.Run(s.Name, func(t *testing.T) {
			res := Read(t.Context(), Spec{Zone: "refused.example", Server: s.Addr, Names: []string{"emea", "nothing-here", "deep.apac.refused.example."}}, ReadOptions{})
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			want := []string{
				"_vlmcs._tcp.deep.apac.refused.example.\t300\tIN\tSRV\t0 0 1688 kms-apac.refused.example.",
				"_vlmcs._tcp.emea.refused.example.\t300\tIN\tSRV\t0 0 1688 kms-emea.refused.example.",
				"_vlmcs._tcp.refused.example.\t300\tIN\tSRV\t0 0 1688 kms1.refused.example.",
			}
			if got := sortedRecs(res.Records); !slices.Equal(got, want) {
				t.Errorf("records:\n%s", strings.Join(got, "\n"))
			}
			if res.Source != SourceQuery || res.Serial != 42 {
				t.Errorf("source %s serial %d", res.Source, res.Serial)
			}
			note := "AXFR not possible (sent unsigned: no key was given for this zone (add --key-file, or key-file in the config); " + s.Addr + ": " + tc.rcode + ")"
			if !strings.Contains(res.Note, note) {
				t.Errorf("note %q does not say %q", res.Note, note)
			}
		})
	}
}

func TestReadAllWrongKeyOthersStillReport(t *testing.T) {
	bind := contosoOnBIND(t)
	specs := []Spec{
		{Zone: "contoso.com", Server: bind.Addr},
		{Zone: "signed.example", Server: bind.Addr, Key: zoneKey(t, keyWrong)},
		{Zone: "refused.example", Server: bind.Addr},
		{Zone: "signed.example", Server: bind.Addr, Key: zoneKey(t, keySHA256)},
		{Zone: "signed.example", Server: bind.Addr, Key: zoneKey(t, testserver.Key{Name: "nobody-knows", Algorithm: "hmac-sha384", Secret: keySHA256.Secret}), KeyOrigin: "k.key (--key-file)"},
	}
	var calls int
	results := ReadAll(t.Context(), specs, ReadOptions{Concurrency: 2, Progress: func(done, total int, r *Snapshot) {
		calls++
		if total != 5 || done != calls {
			t.Errorf("progress %d/%d on call %d", done, total, calls)
		}
	}})
	if calls != 5 {
		t.Errorf("progress called %d times", calls)
	}
	if r := results[0]; r.Err != nil || len(r.Records) != 10 {
		t.Errorf("contoso: %v, %d records", r.Err, len(r.Records))
	}
	if r := results[1]; !errors.Is(r.Err, ErrTSIG) || !strings.Contains(r.Err.Error(), "BADSIG") {
		t.Errorf("wrong key: %v", r.Err)
	}
	if r := results[2]; r.Err != nil || r.Source != SourceQuery || len(r.Records) != 1 {
		t.Errorf("refused: %v, %s, %d records", r.Err, r.Source, len(r.Records))
	}
	if r := results[3]; r.Err != nil || r.Source != SourceAXFR || len(r.Records) != 3 {
		t.Errorf("right key: %v, %s", r.Err, r.Source)
	}
	// BADKEY is the zone's error, not a reason to read it by queries.
	if r := results[4]; !errors.Is(r.Err, ErrTSIG) || r.Source != "" ||
		!strings.Contains(r.Err.Error(), "signed with key nobody-knows (hmac-sha384) from k.key (--key-file): TSIG BADKEY") {
		t.Errorf("unknown key: %v (source %q)", r.Err, r.Source)
	}
}

func TestReadDiscoversServers(t *testing.T) {
	// The zone's primary is ns1.disc.example (127.0.0.1); BIND itself acts
	// as the resolver that tells us so.
	bind := testserver.StartBIND(t, testserver.BINDConfig{Zones: []testserver.Zone{
		{Name: "disc.example", Content: smallZone("disc.example", "127.0.0.1"), Transfer: "any;"},
	}})
	res := Read(t.Context(), Spec{Zone: "disc.example"}, ReadOptions{Resolver: bind.Addr, Port: bind.PortString()})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if res.Source != SourceAXFR || res.Server != bind.Addr || len(res.Records) != 3 {
		t.Errorf("%s from %s, %d records", res.Source, res.Server, len(res.Records))
	}
}

func TestReadUnreachableServer(t *testing.T) {
	port := testserver.FreePort(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	res := Read(ctx, Spec{Zone: "gone.example", Server: fmt.Sprintf("127.0.0.1:%d", port), Timeout: 300 * time.Millisecond}, ReadOptions{})
	if res.Err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"gone.example.", fmt.Sprint(port)} {
		if !strings.Contains(res.Err.Error(), w) {
			t.Errorf("error %q does not name %q", res.Err, w)
		}
	}
}

func TestTransferOverIPv6Loopback(t *testing.T) {
	if l, err := net.Listen("tcp", "[::1]:0"); err != nil {
		if os.Getenv(testserver.RequireEnv) != "" {
			t.Fatalf("no IPv6 loopback on this machine (%v), and %s is set", err, testserver.RequireEnv)
		}
		t.Skipf("no IPv6 loopback on this machine: %v", err)
	} else {
		l.Close()
	}
	bind := testserver.StartBIND(t, testserver.BINDConfig{IP: "::1", Zones: []testserver.Zone{
		{Name: "v6.example", Content: smallZone("v6.example", "127.0.0.1"), Transfer: "any;"},
		{Name: "v6closed.example", Content: smallZone("v6closed.example", "127.0.0.1"), Transfer: "none;"},
	}})
	if !strings.HasPrefix(bind.Addr, "[::1]:") {
		t.Fatalf("addr %s", bind.Addr)
	}
	res := Read(t.Context(), Spec{Zone: "v6.example", Server: bind.Addr}, ReadOptions{})
	if res.Err != nil || res.Source != SourceAXFR || len(res.Records) != 3 {
		t.Errorf("AXFR over ::1: %v %s %d", res.Err, res.Source, len(res.Records))
	}
	res = Read(t.Context(), Spec{Zone: "v6closed.example", Server: "::1", Names: []string{"emea"}}, ReadOptions{Port: bind.PortString()})
	if res.Err != nil || res.Source != SourceQuery || len(res.Records) != 2 {
		t.Errorf("queries over ::1: %v %s %d", res.Err, res.Source, len(res.Records))
	}
}

// TestReadDiscoveryOrder: without a server, the SOA MNAME is tried first,
// then the other NS hosts. A dead primary (127.0.0.3, where nothing
// listens on the test port) does not stop the read.
func TestReadDiscoveryOrder(t *testing.T) {
	zoneText := func(origin, mname, ns string) string {
		return fmt.Sprintf(`$ORIGIN %s.
$TTL 300
@ IN SOA %s hostmaster 42 3600 900 1209600 300
  IN NS %s
live IN A 127.0.0.1
dead IN A 127.0.0.3
_vlmcs._tcp IN SRV 0 0 1688 kms1
`, origin, mname, ns)
	}
	bind := testserver.StartBIND(t, testserver.BINDConfig{Zones: []testserver.Zone{
		{Name: "deadprimary.example", Content: zoneText("deadprimary.example", "dead", "live"), Transfer: "any;"},
		{Name: "deadns.example", Content: zoneText("deadns.example", "live", "dead"), Transfer: "any;"},
	}})
	live := "127.0.0.1:" + bind.PortString()
	dead := "127.0.0.3:" + bind.PortString()
	tests := []struct {
		zone, note string
	}{
		{"deadprimary.example", "no transfer from " + dead + ": connect: connection refused; transferred from " + live},
		{"deadns.example", ""},
	}
	for _, tc := range tests {
		t.Run(tc.zone, func(t *testing.T) {
			res := Read(t.Context(), Spec{Zone: tc.zone, Timeout: 2 * time.Second}, ReadOptions{Resolver: bind.Addr, Port: bind.PortString()})
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if res.Source != SourceAXFR || res.Server != live || len(res.Records) != 1 || res.Note != tc.note {
				t.Errorf("%s from %s, %d records, note %q; want note %q", res.Source, res.Server, len(res.Records), res.Note, tc.note)
			}
		})
	}
}
