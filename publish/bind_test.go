package publish_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

var (
	updKey   = testserver.Key{Name: "upd", Algorithm: "hmac-sha256", Secret: "2z1o3F1bIYb8cQ4uXkM0m9b4o6Q2QeQfW1yq0m9oVrQ="}
	noRights = testserver.Key{Name: "reader", Algorithm: "hmac-sha256", Secret: "cmVhZGVyLWtleS1zZWNyZXQtZm9yLXRlc3RzMTIzNDU="}
	wrongKey = testserver.Key{Name: "upd", Algorithm: "hmac-sha256", Secret: "AAAA3F1bIYb8cQ4uXkM0m9b4o6Q2QeQfW1yq0m9oVrQ="}
)

func zkey(t *testing.T, k testserver.Key) zone.Key {
	t.Helper()
	key, err := zone.NewKey(k.Name, k.Algorithm, k.Secret)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func baseZone(origin string) string {
	return fmt.Sprintf(`$ORIGIN %s.
$TTL 3600
@ IN SOA ns1 hostmaster 1 3600 900 1209600 300
  IN NS ns1
ns1 IN A 127.0.0.1
www IN A 127.0.0.80
_ldap._tcp IN SRV 0 100 389 www
`, origin)
}

// with returns base plus extra records, sorted, in axfr's form.
func with(base []string, extra ...string) []string {
	out := append(slices.Clone(base), extra...)
	slices.Sort(out)
	return out
}

func without(base []string, drop ...string) []string {
	var out []string
	for _, b := range base {
		if !slices.Contains(drop, b) {
			out = append(out, b)
		}
	}
	return out
}

func srvText(owner string, ttl, port int, target string) string {
	return strings.ToLower(fmt.Sprintf("%s\t%d\tIN\tSRV\t0 0 %d %s", owner, ttl, port, target))
}

func startUpdatableBIND(t *testing.T, zones ...string) *testserver.Server {
	var zs []testserver.Zone
	for _, z := range zones {
		zs = append(zs, testserver.Zone{Name: z, Content: baseZone(z), Transfer: "any;",
			Extra: "update-policy { grant upd zonesub SRV; };"})
	}
	return testserver.StartBIND(t, testserver.BINDConfig{Keys: []testserver.Key{updKey, noRights}, Zones: zs})
}

func results(t *testing.T, rs []publish.Result) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%s %s", r.Zone, r.Action)
		if r.Err != nil {
			fmt.Fprintf(&b, " (%v)", r.Err)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestPublishBIND(t *testing.T) {
	bind := startUpdatableBIND(t, "a.example", "b.example")
	ctx := t.Context()
	targets := []publish.Primary{{Zone: "a.example", Server: bind.Addr}, {Zone: "b.example", Server: bind.Addr}}
	baseA, baseB := testserver.Records(t, bind.Addr, "a.example"), testserver.Records(t, bind.Addr, "b.example")
	cl := publish.NewClient(publish.Options{Signer: publish.TSIG{Key: zkey(t, updKey)}, Timeout: 5 * time.Second})
	defer cl.Close()
	kms1 := publish.Record{Target: "kms1.a.example", Port: 1688, TTL: 3600}
	kms2 := publish.Record{Target: "kms2.a.example", Port: 1688, TTL: 3600}

	apply := func(plans []*publish.ZonePlan) []publish.Result {
		rs := cl.Apply(ctx, plans)
		for _, r := range rs {
			if r.Err != nil && !errors.Is(r.Err, publish.ErrChanged) {
				t.Logf("%s: %v", r.Zone, r.Err)
			}
		}
		return rs
	}
	expect := func(step string, rs []publish.Result, want ...publish.Action) {
		t.Helper()
		for i, r := range rs {
			if r.Action != want[i] {
				t.Errorf("%s: %s", step, results(t, rs))
				return
			}
		}
	}
	srvA := func(port int, target string) string { return srvText("_vlmcs._tcp.a.example.", 3600, port, target) }
	srvB := func(port int, target string) string { return srvText("_vlmcs._tcp.b.example.", 3600, port, target) }

	// Publish to two zones.
	rs := apply(cl.PlanPublish(ctx, targets, "", kms1))
	expect("publish", rs, publish.ActionAdded, publish.ActionAdded)
	for _, r := range rs {
		if !r.Verified {
			t.Errorf("%s not verified", r.Zone)
		}
	}
	wantA, wantB := with(baseA, srvA(1688, "kms1.a.example.")), with(baseB, srvB(1688, "kms1.a.example."))
	assertZone(t, bind.Addr, "a.example", wantA)
	assertZone(t, bind.Addr, "b.example", wantB)

	// Again: nothing is sent.
	rs = apply(cl.PlanPublish(ctx, targets, "", kms1))
	expect("republish", rs, publish.ActionAlreadyPresent, publish.ActionAlreadyPresent)
	assertZone(t, bind.Addr, "a.example", wantA)

	// Another host, then a port change for the first: one message replaces it.
	apply(cl.PlanPublish(ctx, targets, "", kms2))
	moved := kms1
	moved.Port = 1689
	plans := cl.PlanPublish(ctx, targets[:1], "", moved)
	if len(plans[0].Delete) != 1 || len(plans[0].Add) != 1 || !strings.Contains(plans[0].Text(), ";; PREREQUISITES") {
		t.Errorf("replace plan:\n%s", plans[0].Text())
	}
	rs = apply(plans)
	expect("replace", rs, publish.ActionReplaced)
	wantA = with(baseA, srvA(1689, "kms1.a.example."), srvA(1688, "kms2.a.example."))
	wantB = with(baseB, srvB(1688, "kms1.a.example."), srvB(1688, "kms2.a.example."))
	assertZone(t, bind.Addr, "a.example", wantA)
	assertZone(t, bind.Addr, "b.example", wantB)

	// Unpublish one host of two: the other stays.
	rs = apply(cl.PlanUnpublish(ctx, targets, "", "kms2.a.example.", false))
	expect("unpublish", rs, publish.ActionRemoved, publish.ActionRemoved)
	wantA = with(baseA, srvA(1689, "kms1.a.example."))
	wantB = with(baseB, srvB(1688, "kms1.a.example."))
	assertZone(t, bind.Addr, "a.example", wantA)
	assertZone(t, bind.Addr, "b.example", wantB)

	// The last record is not removed without force, and says why.
	plans = cl.PlanUnpublish(ctx, targets, "", "kms1.a.example.", false)
	if !plans[0].Blocked || !strings.Contains(plans[0].Note, "0x8007232B") {
		t.Errorf("last record plan: %+v", plans[0])
	}
	rs = apply(plans)
	expect("last record", rs, publish.ActionSkipped, publish.ActionSkipped)
	assertZone(t, bind.Addr, "a.example", wantA)

	// Unpublishing a host that is not there sends nothing.
	rs = apply(cl.PlanUnpublish(ctx, targets, "", "kms9.a.example.", false))
	expect("absent", rs, publish.ActionNotPresent, publish.ActionNotPresent)

	// A record changed behind our back between read and update is left alone.
	plans = cl.PlanUnpublish(ctx, targets[1:], "", "kms1.a.example.", true)
	behindOurBack(t, bind.Addr, "b.example", "_vlmcs._tcp.b.example. 3600 IN SRV 0 0 1688 kms1.a.example.", "_vlmcs._tcp.b.example. 3600 IN SRV 0 0 1690 kms1.a.example.")
	rs = apply(plans)
	expect("changed", rs, publish.ActionSkipped)
	if !errors.Is(rs[0].Err, publish.ErrChanged) || !strings.Contains(rs[0].Err.Error(), "changed since they were read") {
		t.Errorf("changed: %v", rs[0].Err)
	}
	wantB = with(baseB, srvB(1690, "kms1.a.example."))
	assertZone(t, bind.Addr, "b.example", wantB)

	// With force, the last record goes.
	rs = apply(cl.PlanUnpublish(ctx, targets[1:], "", "kms1.a.example.", true))
	expect("force", rs, publish.ActionRemoved)
	assertZone(t, bind.Addr, "b.example", baseB)

	// A sub-domain name.
	rs = apply(cl.PlanPublish(ctx, targets[:1], "emea", kms2))
	expect("sub-domain", rs, publish.ActionAdded)
	assertZone(t, bind.Addr, "a.example", with(wantA, srvText("_vlmcs._tcp.emea.a.example.", 3600, 1688, "kms2.a.example.")))
}

// behindOurBack replaces a record with another update, as another admin
// or the KMS host itself would.
func behindOurBack(t *testing.T, server, zoneName, oldRR, newRR string) {
	t.Helper()
	key := zkey(t, updKey)
	m := new(dns.Msg)
	m.SetUpdate(dns.Fqdn(zoneName))
	o, _ := dns.NewRR(oldRR)
	n, _ := dns.NewRR(newRR)
	m.Remove([]dns.RR{o})
	m.Insert([]dns.RR{n})
	m.SetTsig(key.Name, key.Algorithm, 300, time.Now().Unix())
	c := &dns.Client{Net: "tcp", TsigProvider: key.Provider()}
	r, _, err := c.Exchange(m, server)
	if err != nil || r.Rcode != dns.RcodeSuccess {
		t.Fatalf("update behind our back: %v %v", r, err)
	}
}

func assertZone(t *testing.T, server, zoneName string, want []string) {
	t.Helper()
	got := testserver.Records(t, server, zoneName)
	if !slices.Equal(got, want) {
		t.Errorf("zone %s holds:\n  %s\nwant:\n  %s", zoneName, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestWrongKeyRefusedZoneUnchanged(t *testing.T) {
	bind := startUpdatableBIND(t, "a.example")
	before := testserver.Records(t, bind.Addr, "a.example")
	for _, tc := range []struct {
		name string
		key  testserver.Key
		want string
	}{
		{"wrong secret", wrongKey, "BADSIG"},
		{"unknown key", testserver.Key{Name: "nobody", Algorithm: "hmac-sha256", Secret: updKey.Secret}, "BADKEY"},
		{"wrong algorithm", testserver.Key{Name: "upd", Algorithm: "hmac-sha512", Secret: updKey.Secret}, "BADKEY"},
		{"key without rights", noRights, "REFUSED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := publish.NewClient(publish.Options{Signer: publish.TSIG{Key: zkey(t, tc.key)}})
			defer cl.Close()
			rs := cl.Apply(t.Context(), cl.PlanPublish(t.Context(), []publish.Primary{{Zone: "a.example", Server: bind.Addr}}, "", publish.Record{Target: "kms1.a.example.", Port: 1688, TTL: 3600}))
			if rs[0].Action != publish.ActionFailed || rs[0].Err == nil || !strings.Contains(rs[0].Err.Error(), tc.want) || !strings.Contains(rs[0].Err.Error(), bind.Addr) {
				t.Errorf("%s", results(t, rs))
			}
			if strings.Contains(rs[0].Err.Error(), tc.key.Secret) {
				t.Error("error reveals the secret")
			}
		})
	}
	t.Run("unsigned is refused", func(t *testing.T) {
		cl := publish.NewClient(publish.Options{})
		defer cl.Close()
		rs := cl.Apply(t.Context(), cl.PlanPublish(t.Context(), []publish.Primary{{Zone: "a.example", Server: bind.Addr}}, "", publish.Record{Target: "kms1.a.example.", Port: 1688, TTL: 3600}))
		if rs[0].Err == nil || !strings.Contains(rs[0].Err.Error(), "REFUSED") || !strings.Contains(rs[0].Err.Error(), "update-policy") {
			t.Errorf("%s", results(t, rs))
		}
	})
	assertZone(t, bind.Addr, "a.example", before)
}

// TestManySignedUpdatesOneConnection: five signed updates travel on one
// connection, each answer verified. miekg/dns v1.1.73's dns.Conn, kept
// across requests, signs the second with the first one's MAC
// (Conn.WriteMsg chains MACs, as a transfer's messages are), and BIND
// answers BADSIG; a fresh dns.Conn per request on the same connection, as
// the Client uses, signs each correctly.
func TestManySignedUpdatesOneConnection(t *testing.T) {
	zones := []string{"c1.example", "c2.example", "c3.example", "c4.example", "c5.example"}
	bind := startUpdatableBIND(t, zones...)
	proxy, updateConns := updateCounter(t, bind.Addr)
	var targets []publish.Primary
	for _, z := range zones {
		targets = append(targets, publish.Primary{Zone: z, Server: proxy})
	}
	cl := publish.NewClient(publish.Options{Signer: publish.TSIG{Key: zkey(t, updKey)}})
	defer cl.Close()
	rs := cl.Apply(t.Context(), cl.PlanPublish(t.Context(), targets, "", publish.Record{Target: "kms1.c1.example", Port: 1688, TTL: 600}))
	for _, r := range rs {
		if r.Err != nil || r.Action != publish.ActionAdded || !r.Verified || !r.AnswerSigned {
			t.Errorf("%s", results(t, rs))
			break
		}
	}
	if n := updateConns(); n != 1 {
		t.Errorf("%d connections carried the 5 updates, want 1", n)
	}
	for _, z := range zones {
		if got := kmsOnly(testserver.Records(t, bind.Addr, z)); !slices.Equal(got, []string{srvText("_vlmcs._tcp."+z+".", 600, 1688, "kms1.c1.example.")}) {
			t.Errorf("zone %s: %v", z, got)
		}
	}
	// Why a fresh dns.Conn per request: one dns.Conn kept for two signed
	// messages fails the second; fresh ones on the same connection do not.
	key := zkey(t, updKey)
	nc, err := net.DialTimeout("tcp", bind.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ask := func(co *dns.Conn) string {
		m := new(dns.Msg)
		m.SetQuestion("c1.example.", dns.TypeSOA)
		m.SetTsig(key.Name, key.Algorithm, 300, time.Now().Unix())
		if err := co.WriteMsg(m); err != nil {
			t.Fatal(err)
		}
		r, err := co.ReadMsg()
		rc := "error " + fmt.Sprint(err)
		if r != nil {
			rc = dns.RcodeToString[r.Rcode]
			if ts := r.IsTsig(); ts != nil && ts.Error != 0 {
				rc += "/" + dns.RcodeToString[int(ts.Error)]
			} else if err != nil {
				rc += " (" + err.Error() + ")"
			}
		}
		return rc
	}
	kept := &dns.Conn{Conn: nc, TsigProvider: key.Provider()}
	if got := []string{ask(kept), ask(kept)}; got[0] != "NOERROR" || got[1] == "NOERROR" {
		t.Errorf("one dns.Conn, two signed queries: %v; want NOERROR then a TSIG error. If miekg/dns stopped chaining MACs, say so in conn's comment", got)
	}
	for i := 0; i < 3; i++ {
		if got := ask(&dns.Conn{Conn: nc, TsigProvider: key.Provider()}); got != "NOERROR" {
			t.Errorf("fresh dns.Conn %d on the same connection: %s, want NOERROR", i+1, got)
		}
	}
}

// kmsOnly keeps the _vlmcs lines of a zone listing.
func kmsOnly(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, "_vlmcs.") {
			out = append(out, l)
		}
	}
	return out
}

// updateCounter is a TCP proxy to server that counts the connections whose
// first message is an UPDATE.
func updateCounter(t *testing.T, server string) (string, func() int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				up, err := net.Dial("tcp", server)
				if err != nil {
					return
				}
				defer up.Close()
				// The first message: 2 bytes of length, then the header,
				// whose opcode is bits 11-14 of the flags.
				first := make([]byte, 6)
				if _, err := io.ReadFull(c, first); err != nil {
					return
				}
				if (first[4]>>3)&0xF == dns.OpcodeUpdate {
					n.Add(1)
				}
				if _, err := up.Write(first); err != nil {
					return
				}
				go func() { io.Copy(up, c); up.Close() }()
				io.Copy(c, up)
			}()
		}
	}()
	return l.Addr().String(), func() int { return int(n.Load()) }
}

func TestBackupRoundTrip(t *testing.T) {
	b := &publish.Backup{Created: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), Zones: []publish.BackupZone{
		{Zone: "a.example.", Server: "127.0.0.1:53", Records: []zone.Record{{Zone: "a.example.", Name: "_vlmcs._tcp.a.example.", TTL: 3600, Priority: 1, Weight: 2, Port: 1688, Target: "kms.a.example."}}},
		{Zone: "b.example.", Server: "[::1]:5353", Records: []zone.Record{{Zone: "b.example.", Name: "_vlmcs._tcp.emea.b.example.", TTL: 60, Port: 1689, Target: "kms.a.example."}}},
	}}
	var buf strings.Builder
	if err := b.Write(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := publish.ReadBackup(strings.NewReader(buf.String()), "b.zone")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Zones) != 2 || got.Zones[1].Server != "[::1]:5353" || !slices.Equal(got.Zones[0].Records, b.Zones[0].Records) || !slices.Equal(got.Zones[1].Records, b.Zones[1].Records) {
		t.Errorf("round trip:\n%s\n%+v", buf.String(), got)
	}
	for _, bad := range []string{"", "_vlmcs._tcp.a.example. 60 IN SRV 0 0 1688 k.\n", "; zone a.example. server x\nwww.a.example. 60 IN A 127.0.0.1\n", "; zone a.example. server x\n_vlmcs._tcp.b.example. 60 IN SRV 0 0 1688 k.\n"} {
		if _, err := publish.ReadBackup(strings.NewReader(bad), "bad.zone"); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
