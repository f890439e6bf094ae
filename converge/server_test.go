package converge_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/audit/probe"
	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/converge"
	"github.com/kmsdns/kmsdns/internal/kmstest"
	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

var updKey = testserver.Key{Name: "upd", Algorithm: "hmac-sha256", Secret: "c2VjcmV0LWZvci1jb252ZXJnZS10ZXN0cy0wMTIzNDU="}

const zoneBody = "$ORIGIN %s.\n$TTL 300\n@ IN SOA ns1 hm 1 3600 900 1209600 300\n IN NS ns1\nns1 IN A 127.0.0.1\n" +
	"kms1 IN A 127.0.0.81\nkms2 IN A 127.0.0.82\nkms-dead IN A 127.0.0.83\n" +
	"_vlmcs._tcp IN SRV 0 0 PORT kms1\n_vlmcs._tcp IN SRV 0 0 PORT kms-dead\n_vlmcs._tcp.emea IN SRV 0 0 PORT kms2\n_vlmcs._tcp.other IN SRV 0 0 PORT kms-dead\n"

// srvs is the zone's SRV records as lower-cased zone-file lines, sorted.
func srvs(t *testing.T, server, z string) []string {
	var out []string
	for _, l := range testserver.Records(t, server, z) {
		if strings.Contains(l, "\tsrv\t") {
			out = append(out, l)
		}
	}
	return out
}

func serialOf(t *testing.T, server, z string) uint32 {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(z), dns.TypeSOA)
	r, err := dns.Exchange(m, server)
	if err != nil || len(r.Answer) == 0 {
		t.Fatalf("SOA %s: %v", z, err)
	}
	return r.Answer[0].(*dns.SOA).Serial
}

// TestConvergeRealServers converges zones on one BIND and one Knot: the
// package's whole flow, New, Check, Guard, Apply and a second New.
func TestConvergeRealServers(t *testing.T) {
	port := testserver.FreePortOn(t, "127.0.0.81", "127.0.0.82", "127.0.0.83")
	kmstest.Start(t, "127.0.0.81", port, kmstest.KMS)
	kmstest.Start(t, "127.0.0.82", port, kmstest.KMS)
	body := func(z string) string {
		return fmt.Sprintf(strings.ReplaceAll(zoneBody, "PORT", fmt.Sprint(port)), z)
	}
	zones := []string{"a.example", "b.example"}
	var bz, kz []testserver.Zone
	for _, z := range zones {
		bz = append(bz, testserver.Zone{Name: z, Transfer: "any;", Extra: "update-policy { grant upd zonesub SRV; };", Content: body(z)})
		kz = append(kz, testserver.Zone{Name: z, Transfer: "any", Update: updKey.Name, Content: body(z)})
	}
	servers := map[string]*testserver.Server{
		"bind": testserver.StartBIND(t, testserver.BINDConfig{Keys: []testserver.Key{updKey}, Zones: bz}),
		"knot": testserver.StartKnot(t, testserver.KnotConfig{Keys: []testserver.Key{updKey}, Zones: kz}),
	}
	key, err := zone.NewKey(updKey.Name, updKey.Algorithm, updKey.Secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"bind", "knot"} {
		srv := servers[kind]
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			cl := publish.NewClient(publish.Options{Signer: publish.TSIG{Key: key}, Timeout: 5 * time.Second})
			defer cl.Close()
			p := uint16(port)
			desired := func(z string) converge.Zone {
				return converge.Zone{Target: publish.Primary{Zone: z, Server: srv.Addr}, Names: []converge.Name{
					{Owner: "_vlmcs._tcp." + z + ".", Records: []publish.Record{{Target: "kms1." + z, Port: p}, {Target: "kms2." + z, Port: p, Priority: 10}}},
					{Owner: "_vlmcs._tcp.emea." + z + ".", Records: []publish.Record{{Target: "kms2." + z, Port: p, Weight: 5, TTL: 60}}},
				}}
			}
			targets := []publish.Primary{{Zone: "a.example", Server: srv.Addr}}

			t.Run("apply converges, second plan sends nothing", func(t *testing.T) {
				zs := []converge.Zone{desired("a.example")}
				plan := converge.New(ctx, cl, zs)
				plan.Check(ctx, targets, &resolve.TargetResolver{Timeout: time.Second}, probe.Prober{Timeout: time.Second})
				if err := plan.Guard(false); err != nil || plan.InSync() || plan.Sends() != 1 {
					t.Fatalf("guard %v, in sync %v, sends %d", err, plan.InSync(), plan.Sends())
				}
				backup := filepath.Join(t.TempDir(), "backup.zone")
				out, err := converge.Apply(ctx, cl, plan, cleanup.ApplyOptions{BackupPath: backup})
				if err != nil || out.Zones[0].Status != cleanup.StatusChanged {
					t.Fatalf("apply: %v %+v", err, out)
				}
				ps := fmt.Sprint(port)
				want := []string{
					"_vlmcs._tcp.a.example.\t300\tin\tsrv\t0 0 " + ps + " kms1.a.example.",
					"_vlmcs._tcp.a.example.\t300\tin\tsrv\t10 0 " + ps + " kms2.a.example.",
					"_vlmcs._tcp.emea.a.example.\t60\tin\tsrv\t0 5 " + ps + " kms2.a.example.",
					"_vlmcs._tcp.other.a.example.\t300\tin\tsrv\t0 0 " + ps + " kms-dead.a.example.", // not managed
				}
				if got := srvs(t, srv.Addr, "a.example"); !slices.Equal(got, want) {
					t.Errorf("zone:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
				// The backup holds exactly what was removed or replaced.
				f, err := os.Open(backup)
				if err != nil {
					t.Fatal(err)
				}
				b, err := publish.ReadBackup(f, backup)
				f.Close()
				if err != nil || len(b.Zones) != 1 || len(b.Zones[0].Records) != 2 {
					t.Fatalf("backup: %v %+v", err, b)
				}
				serial := serialOf(t, srv.Addr, "a.example")
				again := converge.New(ctx, cl, zs)
				if !again.InSync() || again.Sends() != 0 || len(converge.Drift(again)) != 0 {
					t.Errorf("second plan: %v", converge.Drift(again))
				}
				if _, err := converge.Apply(ctx, cl, again, cleanup.ApplyOptions{BackupPath: filepath.Join(t.TempDir(), "b2.zone")}); err != nil {
					t.Fatal(err)
				}
				if s := serialOf(t, srv.Addr, "a.example"); s != serial {
					t.Errorf("second apply changed the serial %d -> %d", serial, s)
				}
			})

			t.Run("every desired host dead is refused", func(t *testing.T) {
				z := converge.Zone{Target: publish.Primary{Zone: "b.example", Server: srv.Addr}, Names: []converge.Name{
					{Owner: "_vlmcs._tcp.b.example.", Records: []publish.Record{{Target: "kms-dead.b.example", Port: uint16(port)}}}}}
				before := testserver.Records(t, srv.Addr, "b.example")
				plan := converge.New(ctx, cl, []converge.Zone{z})
				plan.Check(ctx, []publish.Primary{z.Target}, &resolve.TargetResolver{Timeout: time.Second}, probe.Prober{Timeout: time.Second})
				err := plan.Guard(false)
				if err == nil || !strings.Contains(err.Error(), "kms-dead.b.example (127.0.0.83) does not answer as a KMS host") || plan.Sends() != 0 {
					t.Fatalf("guard: %v, sends %d", err, plan.Sends())
				}
				if _, err := converge.Apply(ctx, cl, plan, cleanup.ApplyOptions{BackupPath: filepath.Join(t.TempDir(), "b.zone")}); err != nil {
					t.Fatal(err)
				}
				if got := testserver.Records(t, srv.Addr, "b.example"); !slices.Equal(got, before) {
					t.Errorf("a refused plan changed the zone")
				}
			})
		})
	}
}
