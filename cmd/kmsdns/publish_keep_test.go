package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/internal/testserver"
)

// srvAt is the KMS records of a zone under sub as "prio weight port
// target ttl".
func srvAt(t *testing.T, server, zoneName, sub string) []string {
	t.Helper()
	owner := "_vlmcs._tcp." + zoneName + "."
	if sub != "" {
		owner = "_vlmcs._tcp." + sub + "." + zoneName + "."
	}
	var out []string
	for _, line := range testserver.Records(t, server, zoneName) {
		if f := strings.Fields(line); len(f) == 8 && f[0] == owner && f[3] == "srv" {
			out = append(out, strings.Join([]string{f[4], f[5], f[6], f[7], f[1]}, " "))
		}
	}
	return out
}

// TestPublishCLIKeepsUnsetFields (review 2, item 1): publishing a host
// that already has a record at a name, without --port, --priority or
// --weight, keeps that record's values ("already present", nothing sent,
// probed on the record's own port); a flag given changes only its field;
// a host new to the name gets 1688, 0, 0.
func TestPublishCLIKeepsUnsetFields(t *testing.T) {
	l := startPubLab(t, "k.example", "m.example")
	p := fmt.Sprint(l.port)
	base := []string{"publish", "--server", l.bind.Addr, "--key-file", l.keyFile}
	host := "kms-live.k.example"
	// The standby: priority 10 on the port the live host listens on.
	if out, errOut, code := run(t, args(base, "--zone", "k.example", "--name", "sb", "--host", host, "--port", p, "--priority", "10")...); code != exitClean {
		t.Fatalf("setup: exit %d\n%s%s", code, out, errOut)
	}
	standby := []string{"10 0 " + p + " " + host + ". 3600"}
	if got := srvAt(t, l.bind.Addr, "k.example", "sb"); !slices.Equal(got, standby) {
		t.Fatalf("setup: %v", got)
	}

	// Again without the flags, and into a second zone: k is left alone
	// (and probed on its own port: no warning), m gets 1688 0 0.
	beforeK, beforeSerial := testserver.Records(t, l.bind.Addr, "k.example"), serial(t, l.bind.Addr, "k.example")
	n := l.live.Connections()
	out, errOut, code := run(t, "publish", "--server", l.bind.Addr, "--key-file", l.keyFile, "--zone", "k.example", "--zone", "m.example", "--name", "sb", "--host", host, "-o", "json")
	var res pubJSON
	oneJSON(t, out, &res)
	if code != exitClean || len(res.Results) != 2 {
		t.Fatalf("again: exit %d\n%s%s", code, out, errOut)
	}
	k, m := res.Results[0], res.Results[1]
	if k.Action != "already present" || len(k.Changes) != 1 || k.Changes[0].Port != uint16(l.port) || k.Changes[0].Priority != 10 || len(k.Warnings) != 0 {
		t.Errorf("k.example: %+v", k)
	}
	if l.live.Connections() == n {
		t.Error("the host was not probed on its record's port")
	}
	if got := testserver.Records(t, l.bind.Addr, "k.example"); !slices.Equal(got, beforeK) || serial(t, l.bind.Addr, "k.example") != beforeSerial {
		t.Errorf("k.example changed: %v", got)
	}
	if m.Action != "added" || len(m.Changes) != 1 || m.Changes[0].Port != 1688 || m.Changes[0].Priority != 0 || m.Changes[0].Weight != 0 {
		t.Errorf("m.example: %+v", m)
	}
	if got := srvAt(t, l.bind.Addr, "m.example", "sb"); !slices.Equal(got, []string{"0 0 1688 " + host + ". 3600"}) {
		t.Errorf("m.example read back: %v", got)
	}

	// --priority only: the port stays; the plan says what changes.
	out, errOut, code = run(t, args(base, "--zone", "k.example", "--name", "sb", "--host", host, "--priority", "5", "--dry-run")...)
	if code != exitClean || !strings.Contains(out, "(priority 10 -> 5)") {
		t.Errorf("dry run --priority 5: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = run(t, args(base, "--zone", "k.example", "--name", "sb", "--host", host, "--priority", "5")...)
	if got := srvAt(t, l.bind.Addr, "k.example", "sb"); code != exitClean || !slices.Equal(got, []string{"5 0 " + p + " " + host + ". 3600"}) {
		t.Errorf("--priority 5: exit %d, read back %v\n%s%s", code, got, out, errOut)
	}
	if !strings.Contains(out, "record: SRV priority 5, weight 0, port "+p+", target "+host+", TTL 3600") {
		t.Errorf("record line is not the record sent:\n%s", out)
	}

	// A host new to the name: 1688 0 0.
	out, errOut, code = run(t, args(base, "--zone", "k.example", "--name", "sb", "--host", "kms-a.k.example", "--no-probe")...)
	if got := srvAt(t, l.bind.Addr, "k.example", "sb"); code != exitClean || !slices.Contains(got, "0 0 1688 kms-a.k.example. 3600") {
		t.Errorf("new host: exit %d, read back %v\n%s%s", code, got, out, errOut)
	}
}

func args(base []string, extra ...string) []string {
	return append(slices.Clone(base), extra...)
}

// TestPublishJSONChangesOfFailedZones (review 2, item 10): in -o json
// results, a change of a zone that failed or was skipped says so
// (action "failed"/"skipped", planned the change not made), as the
// table's "failed (added)" does; a zone that succeeded says "added".
func TestPublishJSONChangesOfFailedZones(t *testing.T) {
	var zones []testserver.Zone
	for _, z := range []string{"ok.example", "no.example"} {
		zone := testserver.Zone{Name: z, Transfer: "any;",
			Content: fmt.Sprintf("$ORIGIN %s.\n$TTL 300\n@ IN SOA ns1 hm 1 3600 900 1209600 300\n IN NS ns1\nns1 IN A 127.0.0.1\n", z)}
		if z == "ok.example" {
			zone.Extra = "update-policy { grant upd zonesub SRV; };" // no.example: updates refused
		}
		zones = append(zones, zone)
	}
	bind := testserver.StartBIND(t, testserver.BINDConfig{Keys: []testserver.Key{cliUpdKey}, Zones: zones})
	base := []string{"--server", bind.Addr, "--key-file", cliUpdKey.WriteKeyFile(t, t.TempDir()), "--zone", "ok.example", "--zone", "no.example", "--host", "kms1.ok.example"}
	results := func(cmd string, extra ...string) map[string]jsonChange {
		t.Helper()
		out, errOut, code := run(t, args(append([]string{cmd}, base...), extra...)...)
		var res pubJSON
		oneJSON(t, out, &res)
		if code != exitErrors || len(res.Results) != 2 {
			t.Fatalf("%s: exit %d\n%s%s", cmd, code, out, errOut)
		}
		got := map[string]jsonChange{}
		for _, r := range res.Results {
			if len(r.Changes) != 1 {
				t.Fatalf("%s %s: %+v", cmd, r.Zone, r)
			}
			got[r.Zone+" "+r.Action] = r.Changes[0]
		}
		return got
	}
	got := results("publish", "--no-probe", "-o", "json")
	if c, ok := got["ok.example. added"]; !ok || c.Action != "added" || c.Planned != "" {
		t.Errorf("publish, zone that succeeded: %+v", got)
	}
	if c, ok := got["no.example. failed"]; !ok || c.Action != "failed" || c.Planned != "added" {
		t.Errorf("publish, refused zone: %+v", got)
	}
	if recs := srvAt(t, bind.Addr, "no.example", ""); len(recs) != 0 {
		t.Fatalf("no.example changed: %v", recs)
	}
	// unpublish: ok.example's last record is kept without --force
	// (skipped), no.example has nothing to remove.
	got = results("unpublish", "-o", "json")
	if c, ok := got["ok.example. skipped"]; !ok || c.Action != "skipped" || c.Planned != "removed" {
		t.Errorf("unpublish, skipped zone: %+v", got)
	}
	if c, ok := got["no.example. not present"]; !ok || c.Action != "not present" {
		t.Errorf("unpublish, zone without the host: %+v", got)
	}
	// The table says the same.
	out, _, _ := run(t, args(append([]string{"publish"}, base...), "--host", "kms2.ok.example", "--no-probe")...)
	if !strings.Contains(out, "failed (added)") {
		t.Errorf("table:\n%s", out)
	}
}
