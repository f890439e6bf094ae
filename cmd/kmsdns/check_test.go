package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/internal/kmstest"
	"github.com/kmsdns/kmsdns/internal/testserver"
)

func TestCheckClientView(t *testing.T) {
	port := testserver.FreePortOn(t, "127.0.0.41", "127.0.0.42")
	up := kmstest.Start(t, "127.0.0.41", port, kmstest.KMS)
	zoneText := fmt.Sprintf(`$ORIGIN client.example.
$TTL 300
@ IN SOA ns1 hm 1 3600 900 1209600 300
  IN NS ns1
ns1 IN A 127.0.0.1
_vlmcs._tcp IN SRV 0 0 %d kms-up
_vlmcs._tcp IN SRV 0 0 %d kms-down
kms-up IN A 127.0.0.41
kms-down IN A 127.0.0.42
_vlmcs._tcp.dead IN SRV 0 0 %d kms-down
`, port, port, port)
	// BIND answers for its own zone whether or not recursion is asked
	// for: as a client's resolver it gives the client's view.
	bind := testserver.StartBIND(t, testserver.BINDConfig{Zones: []testserver.Zone{{Name: "client.example", Content: zoneText}}})
	args := []string{"check", "--resolver", bind.Addr, "--expected-port", fmt.Sprint(port), "--probe-timeout", "1s"}

	out, errOut, code := run(t, append(args, "client.example", "emea.client.example", "dead.client.example")...)
	if code != exitErrors {
		t.Errorf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"client.example: a client picks one of 2 record(s) by priority and weight; 1 lead to a working KMS host: kms-up.client.example:" + fmt.Sprint(port),
		"emea.client.example: no KMS record: clients fail with 0x8007232B",
		"dead.client.example: 1 record(s), none leads to a working KMS host: clients fail with 0xC004F074",
		"host-unreachable _vlmcs._tcp.client.example -> kms-down.client.example:" + fmt.Sprint(port),
		"no-kms-record _vlmcs._tcp.emea.client.example",
		"no-live-host _vlmcs._tcp.dead.client.example",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// --no-probe: nothing is said to work, and nothing connects.
	before := up.Connections()
	out, _, _ = run(t, append(args, "--no-probe", "client.example")...)
	if strings.Contains(out, "working KMS host") || !strings.Contains(out, "2 lead to a host that resolves (not probed: --no-probe)") {
		t.Errorf("--no-probe claims a working host:\n%s", out)
	}
	if up.Connections() != before {
		t.Errorf("--no-probe connected to the KMS host")
	}

	out, _, _ = run(t, append(args, "-o", "json", "client.example")...)
	r := decode(t, out)
	if len(r.Zones) != 1 || r.Zones[0].Source != "resolver" || len(r.Records) != 2 {
		t.Errorf("json: %+v", r)
	}

	_, errOut, code = run(t, "check")
	if code != exitUsage || !strings.Contains(errOut, "give at least one DOMAIN") {
		t.Errorf("no domain: exit %d %q", code, errOut)
	}
	_, errOut, code = run(t, "check", "bad domain")
	if code != exitUsage || !strings.Contains(errOut, "not a domain name") {
		t.Errorf("bad domain: exit %d %q", code, errOut)
	}
	// Two trailing dots: one is the root's, the other leaves an empty
	// label (review 3 item 11).
	_, errOut, code = run(t, "check", "example..")
	if code != exitUsage || !strings.Contains(errOut, "label 2 is empty") {
		t.Errorf("example..: exit %d %q", code, errOut)
	}
}
