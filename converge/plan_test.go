package converge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/audit/resolve"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/kmsdns/kmsdns/zone"
	"github.com/miekg/dns"
)

// mustRec parses a zone-file SRV line of zone z.
func mustRec(t *testing.T, z, s string) zone.Record {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	srv := rr.(*dns.SRV)
	return zone.Record{Zone: z, Name: dns.CanonicalName(srv.Hdr.Name), TTL: srv.Hdr.Ttl, Priority: srv.Priority, Weight: srv.Weight, Port: srv.Port, Target: dns.CanonicalName(srv.Target)}
}

func TestDiff(t *testing.T) {
	const z = "contoso.com."
	const apex = "_vlmcs._tcp.contoso.com."
	rec := func(host string, port, prio, weight uint16, ttl uint32) publish.Record {
		return publish.Record{Target: host, Port: port, Priority: prio, Weight: weight, TTL: ttl}
	}
	tests := []struct {
		name    string
		current []string
		want    []publish.Record
		// actions per target, in change order; del/add the UPDATE's records
		actions  []string
		del, add []string
		action   publish.Action
	}{
		{"in sync", []string{apex + " 300 IN SRV 0 0 1688 kms1.contoso.com."}, []publish.Record{rec("kms1.contoso.com", 1688, 0, 0, 0)},
			[]string{"kms1.contoso.com.:already present"}, nil, nil, publish.ActionAlreadyPresent},
		{"new name gets 3600", nil, []publish.Record{rec("kms1.contoso.com", 1688, 0, 0, 0)},
			[]string{"kms1.contoso.com.:added"}, nil, []string{apex + "\t3600\tIN\tSRV\t0 0 1688 kms1.contoso.com."}, publish.ActionAdded},
		{"addition joins the RRset's TTL", []string{apex + " 300 IN SRV 0 0 1688 kms1.contoso.com."}, []publish.Record{rec("kms1.contoso.com", 1688, 0, 0, 0), rec("kms2.contoso.com", 1688, 10, 0, 0)},
			[]string{"kms1.contoso.com.:already present", "kms2.contoso.com.:added"}, nil, []string{apex + "\t300\tIN\tSRV\t10 0 1688 kms2.contoso.com."}, publish.ActionAdded},
		{"removal", []string{apex + " 300 IN SRV 0 0 1688 kms1.contoso.com.", apex + " 300 IN SRV 0 0 1688 kms-old.contoso.com."}, []publish.Record{rec("kms1.contoso.com", 1688, 0, 0, 0)},
			[]string{"kms1.contoso.com.:already present", "kms-old.contoso.com.:removed"}, []string{apex + "\t300\tIN\tSRV\t0 0 1688 kms-old.contoso.com."}, nil, publish.ActionRemoved},
		{"priority, weight and port", []string{apex + " 300 IN SRV 0 0 1688 kms1.contoso.com."}, []publish.Record{rec("kms1.contoso.com", 1689, 5, 7, 0)},
			[]string{"kms1.contoso.com.:replaced"}, []string{apex + "\t300\tIN\tSRV\t0 0 1688 kms1.contoso.com."}, []string{apex + "\t300\tIN\tSRV\t5 7 1689 kms1.contoso.com."}, publish.ActionReplaced},
		{"port only", []string{apex + " 300 IN SRV 0 0 1688 kms1.contoso.com."}, []publish.Record{rec("kms1.contoso.com", 1689, 0, 0, 0)},
			[]string{"kms1.contoso.com.:replaced"}, []string{apex + "\t300\tIN\tSRV\t0 0 1688 kms1.contoso.com."}, []string{apex + "\t300\tIN\tSRV\t0 0 1689 kms1.contoso.com."}, publish.ActionReplaced},
		{"TTL replaces every record", []string{apex + " 300 IN SRV 0 0 1688 kms1.contoso.com.", apex + " 300 IN SRV 0 0 1688 kms2.contoso.com."}, []publish.Record{rec("kms1.contoso.com", 1688, 0, 0, 60), rec("kms2.contoso.com", 1688, 0, 0, 0)},
			[]string{"kms1.contoso.com.:replaced", "kms2.contoso.com.:replaced"},
			[]string{apex + "\t300\tIN\tSRV\t0 0 1688 kms1.contoso.com.", apex + "\t300\tIN\tSRV\t0 0 1688 kms2.contoso.com."},
			[]string{apex + "\t60\tIN\tSRV\t0 0 1688 kms1.contoso.com.", apex + "\t60\tIN\tSRV\t0 0 1688 kms2.contoso.com."}, publish.ActionReplaced},
		{"empty list removes all", []string{apex + " 300 IN SRV 0 0 1688 kms1.contoso.com."}, nil,
			[]string{"kms1.contoso.com.:removed"}, []string{apex + "\t300\tIN\tSRV\t0 0 1688 kms1.contoso.com."}, nil, publish.ActionRemoved},
		{"same host twice becomes one", []string{apex + " 300 IN SRV 0 0 1688 kms1.contoso.com.", apex + " 300 IN SRV 0 0 1689 kms1.contoso.com."}, []publish.Record{rec("kms1.contoso.com", 1688, 0, 0, 0)},
			[]string{"kms1.contoso.com.:replaced"}, []string{apex + "\t300\tIN\tSRV\t0 0 1688 kms1.contoso.com.", apex + "\t300\tIN\tSRV\t0 0 1689 kms1.contoso.com."}, []string{apex + "\t300\tIN\tSRV\t0 0 1688 kms1.contoso.com."}, publish.ActionReplaced},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cur := map[string][]zone.Record{}
			for _, s := range tc.current {
				cur[apex] = append(cur[apex], mustRec(t, z, s))
			}
			zp := Diff(z, "127.0.0.1:53", []Name{{Owner: apex, Records: tc.want}}, cur)
			var actions []string
			for _, c := range zp.Names[0].Changes {
				actions = append(actions, c.Record.Target+":"+string(c.Action))
			}
			strs := func(rs []zone.Record) []string {
				var out []string
				for _, r := range rs {
					out = append(out, r.String())
				}
				return out
			}
			if !slices.Equal(actions, tc.actions) || !slices.Equal(strs(zp.Delete), tc.del) || !slices.Equal(strs(zp.Add), tc.add) || zp.Action != tc.action {
				t.Errorf("actions %v (want %v)\ndelete %q (want %q)\nadd %q (want %q)\naction %s (want %s)", actions, tc.actions, strs(zp.Delete), tc.del, strs(zp.Add), tc.add, zp.Action, tc.action)
			}
			// Applying the plan's Expected gives the desired records: a
			// second Diff over it is in sync.
			again := Diff(z, "127.0.0.1:53", []Name{{Owner: apex, Records: tc.want}}, zp.Expected())
			if !again.InSync() || !again.Empty() {
				t.Errorf("not in sync after the plan: %+v", again.Names)
			}
			if tc.action == publish.ActionAlreadyPresent != zp.InSync() {
				t.Errorf("InSync %v", zp.InSync())
			}
		})
	}
}

// fakeReader serves records by owner; err fails every read.
type fakeReader struct {
	recs map[string][]zone.Record
	err  error
}

func (f fakeReader) Current(_ context.Context, _, _, name string) ([]zone.Record, error) {
	return f.recs[name], f.err
}

func TestNewUnreadableZoneSendsNothing(t *testing.T) {
	p := New(context.Background(), fakeReader{err: errors.New("refused")}, []Zone{{Target: publish.Primary{Zone: "a.example", Server: "127.0.0.1:9"},
		Names: []Name{{Owner: "_vlmcs._tcp.a.example.", Records: []publish.Record{{Target: "kms.a.example.", Port: 1688}}}}}})
	if !p.Failed() || p.Sends() != 0 || p.InSync() || !p.Zones[0].Empty() {
		t.Errorf("%+v", p.Zones[0])
	}
}

func TestGuard(t *testing.T) {
	const z = "a.example."
	mk := func() *Plan {
		return New(context.Background(), fakeReader{recs: map[string][]zone.Record{}}, []Zone{{Target: publish.Primary{Zone: z, Server: "127.0.0.1:9"},
			Names: []Name{{Owner: "_vlmcs._tcp.a.example.", Records: []publish.Record{{Target: "dead.a.example.", Port: 1688}, {Target: "live.a.example.", Port: 1688}}}}}})
	}
	tests := []struct {
		name   string
		live   []string
		force  bool
		unsafe bool
	}{
		{"one live host is enough", []string{"live.a.example."}, false, false},
		{"every host dead", nil, false, true},
		{"every host dead, forced", nil, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mk()
			for _, n := range p.Zones[0].Names {
				for _, a := range n.After {
					hc := publish.HostCheck{Host: a.Target, Port: a.Port, Resolution: resolve.Resolution{Status: resolve.NXDomain}}
					if slices.Contains(tc.live, a.Target) {
						hc.Resolution.Status = resolve.Resolved
					}
					p.Hosts = append(p.Hosts, hc)
				}
			}
			p.Checked = true
			p.markUnsafe()
			err := p.Guard(tc.force)
			if (err != nil) != tc.unsafe || errors.Is(err, ErrUnsafe) != tc.unsafe || p.Zones[0].Blocked != tc.unsafe || (p.Sends() == 0) != tc.unsafe {
				t.Fatalf("err %v blocked %v sends %d", err, p.Zones[0].Blocked, p.Sends())
			}
			if tc.unsafe && !strings.Contains(err.Error(), "dead.a.example does not resolve") {
				t.Errorf("reason: %v", err)
			}
			if tc.force != p.Forced {
				t.Errorf("forced %v", p.Forced)
			}
		})
	}
}

func TestClientView(t *testing.T) {
	const z = "a.example."
	r := func(s string) zone.Record { return mustRec(t, z, "_vlmcs._tcp.a.example. 300 IN SRV "+s) }
	live := func(host string, _ uint16) Liveness {
		switch {
		case strings.HasPrefix(host, "live"):
			return Live
		case strings.HasPrefix(host, "dead"):
			return Dead
		}
		return Unchecked
	}
	tests := []struct {
		name string
		recs []zone.Record
		want string
	}{
		{"none", nil, "no KMS record: clients fail with 0x8007232B"},
		{"equal shares", []zone.Record{r("0 0 1688 live1.a.example."), r("0 0 1688 dead1.a.example.")},
			"first priority 0: dead1.a.example (dead, 50%), live1.a.example (live, 50%) -> 50% of first tries reach a dead host"},
		{"standby", []zone.Record{r("10 0 1688 dead2.a.example."), r("0 0 1688 live1.a.example.")},
			"first priority 0: live1.a.example (live, 100%); then priority 10: dead2.a.example (dead, 100%) -> every first try reaches a live host"},
		{"weights and a port", []zone.Record{r("0 75 1688 live1.a.example."), r("0 25 1700 live2.a.example.")},
			"first priority 0: live1.a.example (live, 75%), live2.a.example:1700 (live, 25%) -> every first try reaches a live host"},
		{"all dead", []zone.Record{r("0 0 1688 dead1.a.example.")}, "-> no live host: clients fail with 0xC004F074"},
		{"unchecked says nothing of liveness", []zone.Record{r("0 0 1688 other.a.example.")}, "first priority 0: other.a.example (100%)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ClientView(tc.recs, live)
			if !strings.Contains(got, tc.want) || (tc.name == "unchecked says nothing of liveness" && strings.Contains(got, "->")) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestPublishList(t *testing.T) {
	zones := []Zone{
		{Target: publish.Primary{Zone: "contoso.com"}, Names: []Name{
			{Owner: "_vlmcs._tcp.contoso.com.", Records: []publish.Record{{Target: "kms1.contoso.com.", Port: 1688}, {Target: "kms2.contoso.com.", Port: 1688, Priority: 10}}},
			{Owner: "_vlmcs._tcp.emea.contoso.com.", Records: []publish.Record{{Target: "kms1.contoso.com.", Port: 1700, Weight: 100, TTL: 60}}},
		}},
		{Target: publish.Primary{Zone: "fabrikam.com"}, Names: []Name{
			{Owner: "_vlmcs._tcp.fabrikam.com.", Records: []publish.Record{{Target: "kms1.contoso.com.", Port: 1688}}},
		}},
	}
	got := PublishList(zones)
	if len(got) != 2 || got[0].Host != "kms1.contoso.com" || got[1].Host != "kms2.contoso.com" {
		t.Fatalf("%+v", got)
	}
	if v := got[0].Value(); v != `contoso.com,0,0\0emea.contoso.com,0,100\0fabrikam.com,0,0` {
		t.Errorf("value %q", v)
	}
	if v := got[1].Value(); v != "contoso.com,10,0" {
		t.Errorf("value %q", v)
	}
	if len(got[0].Notes) != 2 || !strings.Contains(got[0].Notes[0], "port 1700") || !strings.Contains(got[0].Notes[1], "TTL 60") {
		t.Errorf("notes %q", got[0].Notes)
	}
	if c := got[1].Command(); !strings.Contains(c, `/v DnsDomainPublishList /t REG_MULTI_SZ /d "contoso.com,10,0" /f`) {
		t.Errorf("command %q", c)
	}
}

// TestEveryChangedNameIsGuarded: the UPDATE guards every name it changes,
// including names that only gain records (the whole RRset as read, or
// "RRset does not exist" for a name read with none); names it leaves
// alone carry no prerequisite.
func TestEveryChangedNameIsGuarded(t *testing.T) {
	const z = "a.example."
	r := func(owner, rdata string) zone.Record { return mustRec(t, z, owner+" 300 IN SRV "+rdata) }
	cur := map[string][]zone.Record{
		"_vlmcs._tcp.a.example.":      {r("_vlmcs._tcp.a.example.", "0 0 1688 kms1.a.example."), r("_vlmcs._tcp.a.example.", "0 0 1688 kms3.a.example.")},
		"_vlmcs._tcp.grow.a.example.": {r("_vlmcs._tcp.grow.a.example.", "0 0 1688 kms1.a.example.")},
		"_vlmcs._tcp.same.a.example.": {r("_vlmcs._tcp.same.a.example.", "0 0 1688 kms1.a.example.")},
	}
	kms := func(hosts ...string) []publish.Record {
		var out []publish.Record
		for _, h := range hosts {
			out = append(out, publish.Record{Target: h, Port: 1688})
		}
		return out
	}
	zp := Diff(z, "127.0.0.1:53", []Name{
		{Owner: "_vlmcs._tcp.a.example.", Records: kms("kms1.a.example.")},                         // a removal
		{Owner: "_vlmcs._tcp.grow.a.example.", Records: kms("kms1.a.example.", "kms2.a.example.")}, // only gains
		{Owner: "_vlmcs._tcp.new.a.example.", Records: kms("kms1.a.example.")},                     // had none
		{Owner: "_vlmcs._tcp.same.a.example.", Records: kms("kms1.a.example.")},                    // in sync
	}, cur)
	var got []string
	for _, rr := range zp.Msg().Answer {
		got = append(got, strings.ReplaceAll(rr.String(), "\t", " "))
	}
	want := []string{
		"_vlmcs._tcp.a.example. 0 IN SRV 0 0 1688 kms1.a.example.",
		"_vlmcs._tcp.a.example. 0 IN SRV 0 0 1688 kms3.a.example.",
		"_vlmcs._tcp.grow.a.example. 0 IN SRV 0 0 1688 kms1.a.example.",
		"_vlmcs._tcp.new.a.example. 0 NONE SRV ",
	}
	if !slices.Equal(got, want) {
		t.Errorf("prerequisites:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if txt := zp.Text(); !strings.Contains(txt, "_vlmcs._tcp.new.a.example.\t0\tNONE\tSRV") {
		t.Errorf("the dry-run text lacks the NXRRSET prerequisite:\n%s", txt)
	}
}

// TestDiffTooLargeRefusedAtPlanning: a desired list whose UPDATE would not
// fit one DNS message is refused when planned (publish.ErrUpdateTooLarge),
// so apply sends nothing for that zone; a list that fits is planned.
func TestDiffTooLargeRefusedAtPlanning(t *testing.T) {
	const z = "contoso.com."
	for _, tc := range []struct {
		hosts   int
		refused bool
	}{{100, false}, {1500, true}} {
		var recs []publish.Record
		for i := range tc.hosts {
			recs = append(recs, publish.Record{Target: fmt.Sprintf("kms-%04d.contoso.com.", i), Port: 1688})
		}
		zp := Diff(z, "127.0.0.1:53", []Name{{Owner: "_vlmcs._tcp." + z, Records: recs}}, map[string][]zone.Record{})
		refused := errors.Is(zp.Err, publish.ErrUpdateTooLarge)
		if refused != tc.refused || refused != (zp.Action == publish.ActionFailed) || refused != zp.Empty() {
			t.Errorf("%d hosts: err %v, action %v, empty %v; want refused %v", tc.hosts, zp.Err, zp.Action, zp.Empty(), tc.refused)
		}
	}
}
