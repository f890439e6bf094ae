package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/kmstest"
	"github.com/kmsdns/kmsdns/internal/testserver"
)

// pubLab: zones on one BIND with a KMS RRset of TTL 600 at the apex, a
// live KMS host (kms-live, 127.0.0.71), an address with nothing listening
// (kms-dead, 127.0.0.72), TSIG updates with cliUpdKey; cliReader is known
// to the server but may not update.
type pubLab struct {
	bind    *testserver.Server
	port    int
	keyFile string
	dir     string
	live    *kmstest.Host
}

var cliReader = testserver.Key{Name: "reader", Algorithm: "hmac-sha256", Secret: "cmVhZGVyLWtleS1zZWNyZXQtZm9yLXRlc3RzMTIzNDU="}

func startPubLab(t *testing.T, zones ...string) *pubLab {
	t.Helper()
	port := testserver.FreePortOn(t, "127.0.0.71", "127.0.0.72")
	live := kmstest.Start(t, "127.0.0.71", port, kmstest.KMS)
	var zs []testserver.Zone
	for _, z := range zones {
		zs = append(zs, testserver.Zone{Name: z, Transfer: "any;", Extra: "update-policy { grant upd zonesub SRV; };",
			Content: fmt.Sprintf("$ORIGIN %s.\n$TTL 300\n@ IN SOA ns1 hm 1 3600 900 1209600 300\n IN NS ns1\nns1 IN A 127.0.0.1\n"+
				"kms-live IN A 127.0.0.71\nkms-dead IN A 127.0.0.72\nkms-a IN A 127.0.0.71\nkms-b IN A 127.0.0.71\n"+
				"_vlmcs._tcp 600 IN SRV 0 0 %d kms-live\n", z, port)})
	}
	bind := testserver.StartBIND(t, testserver.BINDConfig{Keys: []testserver.Key{cliUpdKey, cliReader}, Zones: zs})
	dir := t.TempDir()
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	return &pubLab{bind: bind, port: port, keyFile: cliUpdKey.WriteKeyFile(t, dir), dir: dir, live: live}
}

// oneJSON decodes stdout as exactly one JSON document.
func oneJSON(t *testing.T, stdout string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON document:\n%s", stdout)
	}
	var rest bytes.Buffer
	rest.ReadFrom(dec.Buffered())
	if strings.TrimSpace(rest.String()) != "" {
		t.Fatalf("text after the JSON document: %q", rest.String())
	}
}

type pubJSON struct {
	Version int  `json:"version"`
	DryRun  bool `json:"dry_run"`
	Plans   []struct {
		Zone     string       `json:"zone"`
		Action   string       `json:"action"`
		Note     string       `json:"note"`
		Update   string       `json:"update"`
		Blocked  bool         `json:"blocked"`
		Changes  []jsonChange `json:"changes"`
		Warnings []string     `json:"warnings"`
	} `json:"plans"`
	Results []struct {
		Zone         string       `json:"zone"`
		Action       string       `json:"action"`
		Verified     bool         `json:"verified"`
		AnswerSigned bool         `json:"answer_signed"`
		Error        string       `json:"error"`
		Changes      []jsonChange `json:"changes"`
		Warnings     []string     `json:"warnings"`
		Credentials  string       `json:"credentials"`
	} `json:"results"`
}

// TestPublishCLIRepeatedNamesAndHosts: every --name and --host is
// honoured, in one UPDATE per zone (the SOA serial advances by one), the
// apex set keeps its TTL, and -o json is one document, dry run included.
func TestPublishCLIRepeatedNamesAndHosts(t *testing.T) {
	zones := []string{"r1.example", "r2.example"}
	l := startPubLab(t, zones...)
	common := []string{"--server", l.bind.Addr, "--key-file", l.keyFile, "--zone", "r1.example", "--zone", "r2.example",
		"--name", "@", "--name", "emea", "--name", "apac", "--host", "kms-a.r1.example", "--host", "kms-b.r1.example", "--port", fmt.Sprint(l.port)}
	before, serials := map[string][]string{}, map[string]uint32{}
	for _, z := range zones {
		before[z], serials[z] = testserver.Records(t, l.bind.Addr, z), serial(t, l.bind.Addr, z)
	}
	unchanged := func(step string) {
		t.Helper()
		for _, z := range zones {
			if got := testserver.Records(t, l.bind.Addr, z); !slices.Equal(got, before[z]) {
				t.Fatalf("%s changed %s", step, z)
			}
		}
	}
	srv := func(z, sub string, ttl int, host string) string {
		return strings.ToLower(fmt.Sprintf("_vlmcs._tcp.%s%s.\t%d\tIN\tSRV\t0 0 %d %s.r1.example.", sub, z, ttl, l.port, host))
	}

	// Dry run, table: every record with "would add", the messages.
	out, errOut, code := run(t, append([]string{"publish", "--dry-run"}, common...)...)
	if code != exitClean || strings.Count(out, "| would add |") != 12 || strings.Count(out, ";; ADD") != 2 || !strings.Contains(out, "| _vlmcs._tcp.emea.r2.example | kms-b.r1.example | "+fmt.Sprint(l.port)+" | 0        | 0      | 3600 | would add |") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	unchanged("dry run")
	// Dry run, JSON: one document, one plan per zone with six changes.
	out, errOut, code = run(t, append([]string{"publish", "--dry-run", "-o", "json"}, common...)...)
	var dry pubJSON
	oneJSON(t, out, &dry)
	if code != exitClean || !dry.DryRun || len(dry.Plans) != 2 || len(dry.Plans[0].Changes) != 6 || dry.Plans[0].Changes[0].Planned != "would add" || dry.Plans[0].Changes[0].TTL != 600 {
		t.Fatalf("dry run json: exit %d %+v\n%s", code, dry, errOut)
	}
	unchanged("dry run json")

	out, errOut, code = run(t, append([]string{"publish", "-o", "json"}, common...)...)
	var res pubJSON
	oneJSON(t, out, &res)
	if code != exitClean || len(res.Results) != 2 {
		t.Fatalf("publish: exit %d\n%s%s", code, out, errOut)
	}
	for _, r := range res.Results {
		if r.Action != "added" || !r.Verified || !r.AnswerSigned || len(r.Changes) != 6 || r.Credentials != "signed with key `upd` (hmac-sha256) from "+l.keyFile+" (--key-file)" {
			t.Errorf("result %+v", r)
		}
	}
	for _, z := range zones {
		if got := serial(t, l.bind.Addr, z); got != serials[z]+1 {
			t.Errorf("zone %s: serial %d, want %d: one message per zone", z, got, serials[z]+1)
		}
		serials[z]++
		want := with(before[z], srv(z, "", 600, "kms-a"), srv(z, "", 600, "kms-b"), srv(z, "emea.", 3600, "kms-a"), srv(z, "emea.", 3600, "kms-b"),
			srv(z, "apac.", 3600, "kms-a"), srv(z, "apac.", 3600, "kms-b"))
		if got := testserver.Records(t, l.bind.Addr, z); !slices.Equal(got, want) {
			t.Errorf("zone %s:\n  %s\nwant\n  %s", z, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
	}

	// Unpublish both hosts from two names: one message per zone, the apex
	// untouched; JSON is one document.
	un := []string{"unpublish", "--server", l.bind.Addr, "--key-file", l.keyFile, "--zone", "r1.example", "--zone", "r2.example",
		"--name", "emea", "--name", "apac", "--host", "kms-a.r1.example", "--host", "kms-b.r1.example", "--force"}
	out, errOut, code = run(t, append(un, "--dry-run", "-o", "json")...)
	oneJSON(t, out, &dry)
	if code != exitClean || len(dry.Plans) != 2 || len(dry.Plans[1].Changes) != 4 || dry.Plans[1].Changes[0].Planned != "would remove" {
		t.Fatalf("unpublish dry run: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = run(t, append(un, "-o", "json")...)
	res = pubJSON{}
	oneJSON(t, out, &res)
	if code != exitClean || len(res.Results) != 2 || res.Results[0].Action != "removed" {
		t.Fatalf("unpublish: exit %d\n%s%s", code, out, errOut)
	}
	for _, z := range zones {
		if got := serial(t, l.bind.Addr, z); got != serials[z]+1 {
			t.Errorf("unpublish %s: serial %d, want %d", z, got, serials[z]+1)
		}
		want := with(before[z], srv(z, "", 600, "kms-a"), srv(z, "", 600, "kms-b"))
		if got := testserver.Records(t, l.bind.Addr, z); !slices.Equal(got, want) {
			t.Errorf("after unpublish %s:\n  %s\nwant\n  %s", z, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
	}

	// A --ttl that differs: the plan says it changes the other records.
	out, _, code = run(t, "publish", "--server", l.bind.Addr, "--key-file", l.keyFile, "--zone", "r1.example", "--host", "kms-a.r1.example", "--port", fmt.Sprint(l.port), "--ttl", "60", "--dry-run")
	if code != exitClean || !strings.Contains(out, "changes the TTL of 2 other record(s) of _vlmcs._tcp.r1.example. from 600 to 60") || !strings.Contains(out, "would replace") {
		t.Errorf("ttl dry run: exit %d\n%s", code, out)
	}
}

// with returns base plus extra, sorted.
func with(base []string, extra ...string) []string {
	out := append(slices.Clone(base), extra...)
	slices.Sort(out)
	return out
}

// TestPublishCLIProbe: a host that does not answer as a KMS host is a
// warning in the plan and the result (exit 0), a refusal with
// --require-live, and not probed with --no-probe.
func TestPublishCLIProbe(t *testing.T) {
	l := startPubLab(t, "h.example")
	base := []string{"publish", "--server", l.bind.Addr, "--key-file", l.keyFile, "--zone", "h.example", "--port", fmt.Sprint(l.port)}
	before := testserver.Records(t, l.bind.Addr, "h.example")
	has := func(host string) bool {
		return slices.ContainsFunc(testserver.Records(t, l.bind.Addr, "h.example"), func(r string) bool { return strings.HasSuffix(r, " "+host+".h.example.") })
	}
	deadWarning := "kms-dead.h.example (127.0.0.72) does not answer as a KMS host on port " + fmt.Sprint(l.port) + ": refused"

	out, errOut, code := run(t, append(base, "--host", "kms-dead.h.example", "--dry-run")...)
	if code != exitClean || !strings.Contains(out, "warning: "+deadWarning) {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = run(t, append(base, "--host", "kms-missing.h.example", "--require-live")...)
	if code != exitErrors || !strings.Contains(out, "kms-missing.h.example does not resolve (nxdomain") || !strings.Contains(out, "--require-live") {
		t.Fatalf("require-live, unresolvable: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = run(t, append(base, "--host", "kms-dead.h.example", "--require-live", "-o", "json")...)
	var res pubJSON
	oneJSON(t, out, &res)
	if code != exitErrors || res.Results[0].Action != "skipped" || len(res.Results[0].Warnings) != 1 {
		t.Fatalf("require-live, dead: exit %d\n%s%s", code, out, errOut)
	}
	if got := testserver.Records(t, l.bind.Addr, "h.example"); !slices.Equal(got, before) {
		t.Fatalf("--require-live changed the zone: %v", got)
	}
	// Warned, published: exit 0.
	out, errOut, code = run(t, append(base, "--host", "kms-dead.h.example", "-o", "json")...)
	res = pubJSON{}
	oneJSON(t, out, &res)
	if code != exitClean || res.Results[0].Action != "added" || len(res.Results[0].Warnings) != 1 || !strings.Contains(res.Results[0].Warnings[0], deadWarning) || !has("kms-dead") {
		t.Fatalf("warned publish: exit %d\n%s%s", code, out, errOut)
	}
	// A live host: no warning, and it was probed.
	n := l.live.Connections()
	out, errOut, code = run(t, append(base, "--host", "kms-a.h.example", "--require-live")...)
	if code != exitClean || strings.Contains(out, "warning") || l.live.Connections() == n || !has("kms-a") {
		t.Fatalf("live host: exit %d (%d probes)\n%s%s", code, l.live.Connections()-n, out, errOut)
	}
	// --no-probe: resolved, not probed.
	n = l.live.Connections()
	out, errOut, code = run(t, append(base, "--host", "kms-b.h.example", "--require-live", "--no-probe")...)
	if code != exitClean || strings.Contains(out, "warning") || l.live.Connections() != n || !has("kms-b") {
		t.Fatalf("--no-probe: exit %d (%d probes)\n%s%s", code, l.live.Connections()-n, out, errOut)
	}
}

// TestPublishCLIState: a record cleaned with --state X and published
// again with --state X is no longer reported reappeared by audit --state X.
func TestPublishCLIState(t *testing.T) {
	l := startPubLab(t, "s.example")
	state := filepath.Join(l.dir, "x-state.json")
	// kms-dead is published, then cleaned up with --state X.
	if _, errOut, code := run(t, "publish", "--server", l.bind.Addr, "--key-file", l.keyFile, "--zone", "s.example", "--host", "kms-dead.s.example", "--port", fmt.Sprint(l.port), "--no-probe"); code != exitClean {
		t.Fatalf("publish: %d %s", code, errOut)
	}
	out, errOut, code := run(t, "cleanup", "--server", l.bind.Addr, "--key-file", l.keyFile, "--zone", "s.example", "--host", "kms-dead.s.example",
		"--yes", "--state", state, "--expected-port", fmt.Sprint(l.port), "--probe-timeout", "1s", "--backup", filepath.Join(l.dir, "b.zone"))
	if code != exitClean {
		t.Fatalf("cleanup: exit %d\n%s%s", code, out, errOut)
	}
	reappeared := func() bool {
		out, _, _ := run(t, "audit", "--server", l.bind.Addr, "--zone", "s.example", "--no-probe", "--state", state, "--expected-port", fmt.Sprint(l.port), "-o", "json")
		return strings.Contains(out, `"check": "reappeared"`)
	}
	// Published again without --state: the default state file is not X,
	// so X still says it was removed.
	if _, errOut, code := run(t, "publish", "--server", l.bind.Addr, "--key-file", l.keyFile, "--zone", "s.example", "--host", "kms-dead.s.example", "--port", fmt.Sprint(l.port), "--no-probe"); code != exitClean {
		t.Fatalf("publish again: %d %s", code, errOut)
	}
	if !reappeared() {
		t.Fatal("without --state, the record should still be reported reappeared for --state X")
	}
	// Published again with --state X: forgotten.
	if _, errOut, code := run(t, "publish", "--server", l.bind.Addr, "--key-file", l.keyFile, "--zone", "s.example", "--host", "kms-dead.s.example", "--port", fmt.Sprint(l.port), "--no-probe", "--state", state); code != exitClean {
		t.Fatalf("publish with --state: %d %s", code, errOut)
	}
	if reappeared() {
		t.Error("published again with --state X, still reported reappeared")
	}
	// unpublish --state X remembers what it removed.
	if out, errOut, code := run(t, "unpublish", "--server", l.bind.Addr, "--key-file", l.keyFile, "--zone", "s.example", "--host", "kms-dead.s.example", "--state", state); code != exitClean {
		t.Fatalf("unpublish: %d %s%s", code, out, errOut)
	}
	b, _ := os.ReadFile(state)
	if !strings.Contains(string(b), `"target": "kms-dead.s.example."`) {
		t.Errorf("unpublish did not remember the removal in %s:\n%s", state, b)
	}
	// Restoring cleanup's backup with --state X forgets it too, and the
	// result shows the record.
	out, errOut, code = run(t, "publish", "--from-file", filepath.Join(l.dir, "b.zone"), "--key-file", l.keyFile, "--state", state)
	if code != exitClean || !strings.Contains(out, "| s.example | _vlmcs._tcp.s.example | kms-dead.s.example | "+fmt.Sprint(l.port)+" | 0        | 0      | 600 | added  | NOERROR |") {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
	}
	if reappeared() {
		t.Error("restored with --state X, still reported reappeared")
	}
}

// TestPublishCLICredentials: refusals start with the credentials used and
// where they came from; the secret-file and environment cases write what
// they say (read back); a readable secret file is warned about.
func TestPublishCLICredentials(t *testing.T) {
	l := startPubLab(t, "k.example")
	base := []string{"publish", "--server", l.bind.Addr, "--zone", "k.example", "--port", fmt.Sprint(l.port), "--no-probe"}
	before := testserver.Records(t, l.bind.Addr, "k.example")
	readerFile := cliReader.WriteKeyFile(t, t.TempDir())
	cfg := filepath.Join(l.dir, "kmsdns.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("zones:\n  - name: other.example\n  - name: k.example\n    update:\n      key-file: %s\n", readerFile)), 0o600)
	for _, tc := range []struct {
		name   string
		args   []string
		prefix string
	}{
		{"key file flag", []string{"--key-file", readerFile}, "k.example: signed with key `reader` (hmac-sha256) from " + readerFile + " (--key-file): " + l.bind.Addr + " REFUSED"},
		{"config", []string{"--config", cfg}, "k.example: signed with key `reader` (hmac-sha256) from " + readerFile + " (" + cfg + " zones[1].update.key-file): " + l.bind.Addr + " REFUSED"},
		{"unsigned", nil, "k.example: sent unsigned: no key was given for this zone (add --key-file, or an update section in the config): " + l.bind.Addr + " REFUSED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := run(t, append(append(base, "--host", "kms-a.k.example"), tc.args...)...)
			if code != exitErrors || !strings.Contains(out, "\n"+tc.prefix) || strings.Contains(out+errOut, cliReader.Secret) {
				t.Errorf("exit %d, want a line starting %q:\n%s%s", code, tc.prefix, out, errOut)
			}
		})
	}
	if got := testserver.Records(t, l.bind.Addr, "k.example"); !slices.Equal(got, before) {
		t.Fatalf("refused updates changed the zone: %v", got)
	}
	srv := func(host string) string {
		return fmt.Sprintf("_vlmcs._tcp.k.example.\t600\tin\tsrv\t0 0 %d %s.k.example.", l.port, host)
	}
	// --key-secret-file: written, read back; a readable file is warned about.
	secretFile := filepath.Join(l.dir, "upd.secret")
	os.WriteFile(secretFile, []byte(cliUpdKey.Secret+"\n"), 0o644)
	out, errOut, code := run(t, append(base, "--host", "kms-a.k.example", "--key-name", "upd", "--key-algorithm", "hmac-sha256", "--key-secret-file", secretFile)...)
	if code != exitClean || !strings.Contains(errOut, secretFile+" holds a secret but is readable by other users") {
		t.Fatalf("secret file: exit %d\n%s%s", code, out, errOut)
	}
	if got := testserver.Records(t, l.bind.Addr, "k.example"); !slices.Equal(got, with(before, srv("kms-a"))) {
		t.Fatalf("secret file: zone holds %v", got)
	}
	// $KMSDNS_TSIG_SECRET: written, read back.
	t.Setenv("KMSDNS_TSIG_SECRET", cliUpdKey.Secret)
	out, errOut, code = run(t, append(base, "--host", "kms-b.k.example", "--key-name", "upd", "--key-algorithm", "hmac-sha256")...)
	if code != exitClean || strings.Contains(errOut, "readable") {
		t.Fatalf("env secret: exit %d\n%s%s", code, out, errOut)
	}
	if got := testserver.Records(t, l.bind.Addr, "k.example"); !slices.Equal(got, with(before, srv("kms-a"), srv("kms-b"))) {
		t.Fatalf("env secret: zone holds %v", got)
	}
	// A wrong secret from the environment says so.
	t.Setenv("KMSDNS_TSIG_SECRET", "AAAA3F1bIYb8cQ4uXkM0m9b4o6Q2QeQfW1yq0m9oVrQ=")
	out, _, code = run(t, append(base, "--host", "kms-dead.k.example", "--key-name", "upd", "--key-algorithm", "hmac-sha256")...)
	if code != exitErrors || !strings.Contains(out, "k.example: signed with key `upd` (hmac-sha256) from $KMSDNS_TSIG_SECRET: "+l.bind.Addr+" refused the update of k.example: TSIG BADSIG") {
		t.Errorf("env secret, wrong: exit %d\n%s", code, out)
	}
}

// TestPublishCLIFindsPrimaryBySOA: without --server, publish updates the
// zone's SOA MNAME, found through --resolver (port 53, as nsupdate).
func TestPublishCLIFindsPrimaryBySOA(t *testing.T) {
	ip := fmt.Sprintf("127.0.%d.54", 100+time.Now().Nanosecond()%100)
	content := "$ORIGIN mname.example.\n$TTL 300\n@ IN SOA ns1 hm 1 3600 900 1209600 300\n IN NS ns1\nns1 IN A " + ip + "\n"
	knot := testserver.StartKnot(t, testserver.KnotConfig{IP: ip, Port: 53, Keys: []testserver.Key{cliUpdKey},
		Zones: []testserver.Zone{{Name: "mname.example", Transfer: "any", Update: "upd", Content: content}}})
	// The resolver is another server with a copy of the zone.
	resolver := testserver.StartKnot(t, testserver.KnotConfig{Zones: []testserver.Zone{{Name: "mname.example", Transfer: "any", Content: content}}})
	before := testserver.Records(t, knot.Addr, "mname.example")
	out, errOut, code := run(t, "publish", "--zone", "mname.example", "--host", "kms1.mname.example", "--resolver", resolver.Addr,
		"--key-file", cliUpdKey.WriteKeyFile(t, t.TempDir()), "--no-probe", "--ttl", "300")
	if code != exitClean || !strings.Contains(out, knot.Addr) {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	want := with(before, "_vlmcs._tcp.mname.example.\t300\tin\tsrv\t0 0 1688 kms1.mname.example.")
	if got := testserver.Records(t, knot.Addr, "mname.example"); !slices.Equal(got, want) {
		t.Errorf("zone holds %v, want %v", got, want)
	}
	if got := testserver.Records(t, resolver.Addr, "mname.example"); !slices.Equal(got, before) {
		t.Errorf("the resolver's copy changed: %v", got)
	}
}
