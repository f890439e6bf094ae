package publish_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/miekg/dns"
)

// soaSerial asks server for the zone's SOA serial, over TCP.
func soaSerial(t *testing.T, server, zoneName string) uint32 {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(zoneName), dns.TypeSOA)
	c := &dns.Client{Net: "tcp", Timeout: 5 * time.Second}
	a, _, err := c.Exchange(m, server)
	if err != nil {
		t.Fatalf("SOA %s at %s: %v", zoneName, server, err)
	}
	for _, rr := range a.Answer {
		if soa, ok := rr.(*dns.SOA); ok {
			return soa.Serial
		}
	}
	t.Fatalf("SOA %s at %s: no SOA in %v", zoneName, server, a)
	return 0
}

// ttlZone is baseZone with a KMS RRset of TTL 600 at the apex.
func ttlZone(origin string) string {
	return baseZone(origin) + "_vlmcs._tcp 600 IN SRV 0 0 1688 kms0\n"
}

// updatable starts the named server with zones (ttlZone content),
// updatable with updKey; noRights is known to it but may not update.
func updatable(t *testing.T, server string, zones ...string) *testserver.Server {
	t.Helper()
	var zs []testserver.Zone
	for _, z := range zones {
		zs = append(zs, testserver.Zone{Name: z, Content: ttlZone(z), Transfer: "any;", Extra: "update-policy { grant upd zonesub SRV; };", Update: "upd"})
	}
	switch server {
	case "bind":
		return testserver.StartBIND(t, testserver.BINDConfig{Keys: []testserver.Key{updKey, noRights}, Zones: zs})
	case "knot":
		for i := range zs {
			zs[i].Transfer = "any"
		}
		return testserver.StartKnot(t, testserver.KnotConfig{Keys: []testserver.Key{updKey, noRights}, Zones: zs})
	case "powerdns":
		return testserver.StartPowerDNS(t, testserver.PowerDNSConfig{Keys: []testserver.Key{updKey, noRights}, Zones: zs})
	}
	t.Fatalf("no server %s", server)
	return nil
}

// TestManyNamesAndHostsOneMessage: every --name and every --host are
// honoured, in one UPDATE per zone (the SOA serial advances by exactly
// one), and the RRset's TTL rule holds, on BIND and Knot.
func TestManyNamesAndHostsOneMessage(t *testing.T) {
	for _, server := range []string{"bind", "knot"} {
		t.Run(server, func(t *testing.T) {
			s := updatable(t, server, "m1.example", "m2.example")
			ctx := t.Context()
			cl := publish.NewClient(publish.Options{Signer: publish.TSIG{Key: zkey(t, updKey)}, Timeout: 5 * time.Second})
			defer cl.Close()
			zones := []string{"m1.example", "m2.example"}
			var targets []publish.Primary
			base, serial := map[string][]string{}, map[string]uint32{}
			for _, z := range zones {
				targets = append(targets, publish.Primary{Zone: z, Server: s.Addr})
				base[z], serial[z] = testserver.Records(t, s.Addr, z), soaSerial(t, s.Addr, z)
			}
			step := func(name string, rs []publish.Result, want publish.Action, zoneWant func(z string) []string) {
				t.Helper()
				for _, r := range rs {
					if r.Err != nil || r.Action != want || !r.Verified {
						t.Fatalf("%s: %s", name, results(t, rs))
					}
				}
				for _, z := range zones {
					if got := soaSerial(t, s.Addr, z); got != serial[z]+1 {
						t.Errorf("%s: zone %s serial %d, want %d (one message per zone)", name, z, got, serial[z]+1)
					}
					serial[z]++
					assertZone(t, s.Addr, z, zoneWant(z))
				}
			}
			srv := func(z, sub string, ttl int, target string) string {
				return srvText("_vlmcs._tcp."+sub+z+".", ttl, 1688, target+"."+z+".")
			}
			// No TTL given: the apex set keeps its 600, new names get 3600.
			hosts := func(z string, n ...string) []publish.Record {
				var out []publish.Record
				for _, h := range n {
					out = append(out, publish.Record{Target: h + "." + z, Port: 1688})
				}
				return out
			}
			for i := range targets {
				// Hosts live in their own zone: plan zone by zone.
				z := zones[i]
				plans := cl.PlanPublishAll(ctx, targets[i:i+1], []string{"", "emea", "apac"}, hosts(z, "kms1", "kms2"))
				if len(plans) != 1 || len(plans[0].Changes) != 6 || len(plans[0].Add) != 6 {
					t.Fatalf("plan %s: %+v", z, plans[0])
				}
				rs := cl.Apply(ctx, plans)
				if rs[0].Err != nil || rs[0].Action != publish.ActionAdded || !rs[0].Verified {
					t.Fatalf("publish %s: %s", z, results(t, rs))
				}
			}
			for _, z := range zones {
				if got := soaSerial(t, s.Addr, z); got != serial[z]+1 {
					t.Errorf("publish: zone %s serial %d, want %d (one message per zone)", z, got, serial[z]+1)
				}
				serial[z]++
				assertZone(t, s.Addr, z, with(base[z],
					srv(z, "", 600, "kms1"), srv(z, "", 600, "kms2"),
					srv(z, "emea.", 3600, "kms1"), srv(z, "emea.", 3600, "kms2"),
					srv(z, "apac.", 3600, "kms1"), srv(z, "apac.", 3600, "kms2")))
			}
			// Unpublish both hosts from two names, one message per zone.
			step("unpublish", cl.Apply(ctx, cl.PlanUnpublishAll(ctx, targets, []string{"emea", "apac"}, []string{"kms1.m1.example", "kms2.m1.example", "kms1.m2.example", "kms2.m2.example"}, true)), publish.ActionRemoved,
				func(z string) []string {
					return with(base[z], srv(z, "", 600, "kms1"), srv(z, "", 600, "kms2"))
				})
			// A --ttl that differs: the plan says it changes the others.
			for i, z := range zones {
				plans := cl.PlanPublishAll(ctx, targets[i:i+1], nil, []publish.Record{{Target: "kms3." + z, Port: 1688, TTL: 60}})
				if !strings.Contains(plans[0].Note, "changes the TTL of 3 other record(s) of _vlmcs._tcp."+z+". from 600 to 60") {
					t.Errorf("TTL note: %q", plans[0].Note)
				}
				if rs := cl.Apply(ctx, plans); rs[0].Err != nil || !rs[0].Verified {
					t.Fatalf("ttl 60: %s", results(t, rs))
				}
				assertZone(t, s.Addr, z, with(without(base[z], srvText("_vlmcs._tcp."+z+".", 600, 1688, "kms0."+z+".")),
					srv(z, "", 60, "kms0"), srv(z, "", 60, "kms1"), srv(z, "", 60, "kms2"), srv(z, "", 60, "kms3")))
				// The same record with another TTL is not "already present".
				plans = cl.PlanPublishAll(ctx, targets[i:i+1], nil, []publish.Record{{Target: "kms3." + z, Port: 1688, TTL: 120}})
				if plans[0].Action != publish.ActionReplaced {
					t.Errorf("TTL change planned as %s", plans[0].Action)
				}
				if rs := cl.Apply(ctx, plans); rs[0].Err != nil || rs[0].Action != publish.ActionReplaced || !rs[0].Verified {
					t.Fatalf("ttl 120: %s", results(t, rs))
				}
				assertZone(t, s.Addr, z, with(without(base[z], srvText("_vlmcs._tcp."+z+".", 600, 1688, "kms0."+z+".")),
					srv(z, "", 120, "kms0"), srv(z, "", 120, "kms1"), srv(z, "", 120, "kms2"), srv(z, "", 120, "kms3")))
				// Without a TTL, the set's TTL: already present.
				plans = cl.PlanPublishAll(ctx, targets[i:i+1], nil, []publish.Record{{Target: "kms3." + z, Port: 1688}})
				if plans[0].Action != publish.ActionAlreadyPresent || !plans[0].Empty() {
					t.Errorf("no TTL: %s %q", plans[0].Action, plans[0].Note)
				}
			}
		})
	}
}

// TestPrintedIsWhatTheServerApplies: the dry-run text of a replacement is
// the message the server applies. The zone afterwards is the zone before,
// less every DELETE line, plus every ADD line of Text, with the RRset's
// TTL taken from the ADD line (what ExamplePlanPublish shows, proven on a
// server).
func TestPrintedIsWhatTheServerApplies(t *testing.T) {
	bind := startUpdatableBIND(t, "contoso.example")
	ctx := t.Context()
	cl := publish.NewClient(publish.Options{Signer: publish.TSIG{Key: zkey(t, updKey)}})
	defer cl.Close()
	targets := []publish.Primary{{Zone: "contoso.example", Server: bind.Addr}}
	for _, r := range []publish.Record{{Target: "kms1.contoso.example", Port: 1689, TTL: 3600}, {Target: "kms2.contoso.example", Port: 1688, TTL: 3600}} {
		if rs := cl.Apply(ctx, cl.PlanPublish(ctx, targets, "", r)); rs[0].Err != nil {
			t.Fatal(results(t, rs))
		}
	}
	for _, tc := range []struct {
		name string
		rec  publish.Record
	}{
		{"port", publish.Record{Target: "kms1.contoso.example", Port: 1688, TTL: 3600}},
		{"ttl", publish.Record{Target: "kms1.contoso.example", Port: 1688, TTL: 300}},
		{"priority and weight", publish.Record{Target: "kms2.contoso.example", Port: 1688, Priority: 10, Weight: 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := testserver.Records(t, bind.Addr, "contoso.example")
			plans := cl.PlanPublish(ctx, targets, "", tc.rec)
			text := plans[0].Text()
			if plans[0].Action != publish.ActionReplaced || !strings.Contains(text, ";; PREREQUISITES") {
				t.Fatalf("plan %s:\n%s", plans[0].Action, text)
			}
			want := slices.Clone(before)
			var addTTL string
			section := ""
			for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
				if strings.HasPrefix(l, ";;") {
					section = l
					continue
				}
				f := strings.Fields(strings.ToLower(l))
				if len(f) != 8 {
					continue
				}
				rr := func(ttl string) string {
					return strings.Join([]string{f[0], ttl, "in", "srv", strings.Join(f[4:], " ")}, "\t")
				}
				switch section {
				case ";; DELETE":
					del := slices.IndexFunc(want, func(w string) bool {
						wf := strings.Fields(w)
						return len(wf) == 8 && wf[0] == f[0] && strings.Join(wf[4:], " ") == strings.Join(f[4:], " ")
					})
					if del < 0 {
						t.Fatalf("DELETE %q is not on the server", l)
					}
					want = slices.Delete(want, del, del+1)
				case ";; ADD":
					addTTL = f[1]
					want = append(want, rr(f[1]))
				}
			}
			// The set takes the added record's TTL.
			for i, w := range want {
				if wf := strings.Fields(w); len(wf) == 8 && wf[0] == "_vlmcs._tcp.contoso.example." {
					want[i] = strings.Join([]string{wf[0], addTTL, "in", "srv", strings.Join(wf[4:], " ")}, "\t")
				}
			}
			slices.Sort(want)
			if rs := cl.Apply(ctx, plans); rs[0].Err != nil || !rs[0].Verified {
				t.Fatal(results(t, rs))
			}
			assertZone(t, bind.Addr, "contoso.example", want)
		})
	}
}

// TestCredentialsInRefusals: every refusal says which credentials were
// used, first, on BIND, Knot and PowerDNS; never the secret.
func TestCredentialsInRefusals(t *testing.T) {
	for _, server := range []string{"bind", "knot", "powerdns"} {
		t.Run(server, func(t *testing.T) {
			s := updatable(t, server, "r.example")
			before := testserver.Records(t, s.Addr, "r.example")
			rec := publish.Record{Target: "kms1.r.example", Port: 1688, TTL: 3600}
			for _, tc := range []struct {
				name   string
				signer publish.Signer
				target publish.Primary
				prefix string
			}{
				{"key without rights", publish.TSIG{Key: zkey(t, noRights), Origin: "/etc/kmsdns/reader.key (--key-file)"}, publish.Primary{},
					"signed with key `reader` (hmac-sha256) from /etc/kmsdns/reader.key (--key-file): "},
				{"wrong secret", publish.TSIG{Key: zkey(t, wrongKey), Origin: "/etc/kmsdns/upd.key (/etc/kmsdns/kmsdns.yaml zones[0].update.key-file)"}, publish.Primary{},
					"signed with key `upd` (hmac-sha256) from /etc/kmsdns/upd.key (/etc/kmsdns/kmsdns.yaml zones[0].update.key-file): "},
				{"unsigned", nil, publish.Primary{}, publish.Unsigned + ": "},
				{"described by the target", publish.TSIG{Key: zkey(t, noRights)}, publish.Primary{Credentials: publish.Credentials("reader", "hmac-sha256.", "$KMSDNS_TSIG_SECRET")},
					"signed with key `reader` (hmac-sha256) from $KMSDNS_TSIG_SECRET: "},
			} {
				t.Run(tc.name, func(t *testing.T) {
					cl := publish.NewClient(publish.Options{Signer: tc.signer})
					defer cl.Close()
					tgt := tc.target
					tgt.Zone, tgt.Server = "r.example", s.Addr
					rs := cl.Apply(t.Context(), cl.PlanPublish(t.Context(), []publish.Primary{tgt}, "", rec))
					if rs[0].Err == nil || !strings.HasPrefix(rs[0].Err.Error(), tc.prefix) {
						t.Fatalf("want prefix %q:\n%s", tc.prefix, results(t, rs))
					}
					if !regexp.MustCompile(`REFUSED|NOTAUTH|BADKEY|BADSIG`).MatchString(rs[0].Err.Error()) {
						t.Errorf("no rcode: %v", rs[0].Err)
					}
					for _, k := range []testserver.Key{noRights, wrongKey, updKey} {
						if strings.Contains(rs[0].Err.Error(), k.Secret) {
							t.Error("the error shows a secret")
						}
					}
					t.Logf("%s: %v", server, rs[0].Err)
				})
			}
			assertZone(t, s.Addr, "r.example", before)
		})
	}
}

// TestLocateBySOA: without a server, the primary is the zone's SOA MNAME,
// found through the resolver (another server here), on port 53 as nsupdate
// does; the update lands there.
func TestLocateBySOA(t *testing.T) {
	ip := fmt.Sprintf("127.0.%d.53", 100+time.Now().Nanosecond()%100)
	content := strings.Replace(baseZone("soa.example"), "ns1 IN A 127.0.0.1", "ns1 IN A "+ip, 1)
	// Knot, unlike BIND, listens on any 127.0.0.0/8 address.
	primary := testserver.StartKnot(t, testserver.KnotConfig{IP: ip, Port: 53, Keys: []testserver.Key{updKey},
		Zones: []testserver.Zone{{Name: "soa.example", Content: content, Transfer: "any", Update: "upd"}}})
	// The resolver answers from a copy of the zone; it takes no updates.
	resolver := testserver.StartKnot(t, testserver.KnotConfig{Zones: []testserver.Zone{{Name: "soa.example", Content: content, Transfer: "any"}}})
	targets := []publish.Primary{{Zone: "soa.example"}}
	names, err := publish.Locate(t.Context(), targets, resolver.Addr, 5*time.Second)
	if err != nil || targets[0].Server != primary.Addr || names[primary.Addr] != "ns1.soa.example." {
		t.Fatalf("located %q (%v), err %v; want %s", targets[0].Server, names, err, primary.Addr)
	}
	before := testserver.Records(t, primary.Addr, "soa.example")
	cl := publish.NewClient(publish.Options{Signer: publish.TSIG{Key: zkey(t, updKey)}})
	defer cl.Close()
	if rs := cl.Apply(t.Context(), cl.PlanPublish(t.Context(), targets, "", publish.Record{Target: "kms1.soa.example", Port: 1688})); rs[0].Err != nil || !rs[0].Verified {
		t.Fatal(results(t, rs))
	}
	assertZone(t, primary.Addr, "soa.example", with(before, srvText("_vlmcs._tcp.soa.example.", 3600, 1688, "kms1.soa.example.")))
	assertZone(t, resolver.Addr, "soa.example", before)
}
