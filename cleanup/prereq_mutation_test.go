//go:build !windows

package cleanup_test

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/kmsdns/kmsdns/publish"
	"github.com/miekg/dns"
)

// TestCleanupRefusedWhenRRsetGrew: the prerequisite guards the whole KMS
// RRset as read (RFC 2136 2.4.2), not only the records to delete. A host
// added under the name between the plan and the update makes the server
// refuse the message: the zone is unchanged (read back by AXFR), the
// result says the records changed, and the state remembers nothing.
func TestCleanupRefusedWhenRRsetGrew(t *testing.T) {
	const z = "g1.example"
	bind := testserver.StartBIND(t, testserver.BINDConfig{Keys: []testserver.Key{updKey}, Zones: []testserver.Zone{
		{Name: z, Content: zoneText(z), Transfer: "any;", Extra: "update-policy { grant upd zonesub SRV; };"},
	}})
	ctx := t.Context()
	cl := publish.NewClient(publish.Options{Signer: signer(t)})
	defer cl.Close()
	plan := planFor(t, ctx, cl, bind.Addr, nil, z)

	// Someone publishes a third host meanwhile; kms-old is untouched.
	m := new(dns.Msg)
	m.SetUpdate(z + ".")
	added, _ := dns.NewRR("_vlmcs._tcp." + z + ". 600 IN SRV 0 0 1688 kms-new." + z + ".")
	m.Insert([]dns.RR{added})
	m.SetTsig("upd.", dns.HmacSHA256, 300, time.Now().Unix())
	c := &dns.Client{Net: "tcp", TsigSecret: map[string]string{"upd.": updKey.Secret}}
	if r, _, err := c.Exchange(m, bind.Addr); err != nil || r.Rcode != dns.RcodeSuccess {
		t.Fatalf("adding kms-new: %v %v", r, err)
	}
	before := testserver.Records(t, bind.Addr, z)

	dir := t.TempDir()
	state := filepath.Join(dir, "s.json")
	out, err := cleanup.Apply(ctx, cl, plan, cleanup.ApplyOptions{BackupPath: filepath.Join(dir, "b.zone"), State: &cleanup.StateStore{Path: state}})
	if err != nil {
		t.Fatal(err)
	}
	if zr := out.Zones[0]; zr.Status != cleanup.StatusNotChanged || !errors.Is(zr.Err, publish.ErrChanged) {
		t.Errorf("status %s, err %v; want not changed, ErrChanged", zr.Status, zr.Err)
	}
	if got := testserver.Records(t, bind.Addr, z); !slices.Equal(got, before) {
		t.Errorf("zone changed although the RRset grew since it was read:\n%v\nwant\n%v", got, before)
	}
	if !hasOld(t, bind.Addr, z) {
		t.Error("kms-old removed")
	}
	if s, err := cleanup.LoadState(state); err != nil || len(s.Removed) != 0 {
		t.Errorf("state remembers a record not removed: %+v (%v)", s, err)
	}
}
