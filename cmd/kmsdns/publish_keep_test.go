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
