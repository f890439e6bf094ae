package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/kmstest"
	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/miekg/dns"
)

// convergeLab: the zones of every plan/apply test on one server, live KMS
// hosts kms1, kms2, kms3 and a dead one (kms-dead: nothing listens at its
// address), TSIG updates with cliUpdKey.
type convergeLab struct {
	server  *testserver.Server
	port    int
	keyFile string
	dir     string
	bin     string
}

// kmsdns builds the kmsdns binary once per lab.
func (l *convergeLab) kmsdns(t *testing.T) string {
	t.Helper()
	if l.bin == "" {
		l.bin = buildKmsdns(t, l.dir)
	}
	return l.bin
}

// convergeZones are the zones of the plan/apply tests, by name: their KMS
// records (PORT is the KMS hosts' port).
var convergeZones = map[string]string{
	// additions, removals, priority/weight/port and TTL changes, a new
	// name, and an unmanaged name that must stay as it is.
	"cv": "_vlmcs._tcp IN SRV 0 0 PORT kms1\n_vlmcs._tcp IN SRV 0 0 PORT kms-dead\n_vlmcs._tcp.emea IN SRV 0 0 PORT kms2\n" +
		"_vlmcs._tcp.branch IN SRV 0 0 PORT kms-dead\n_vlmcs._tcp.lab IN SRV 0 0 PORT kms1\n_vlmcs._tcp.lab IN SRV 0 0 PORT kms2\n" +
		"_vlmcs._tcp.port IN SRV 0 0 PORT kms1\n_vlmcs._tcp.port IN SRV 0 0 PORT kms2\n",
	"grp":    "_vlmcs._tcp IN SRV 0 0 PORT kms-dead.cv.example.\n", // takes cv's desired through a publish group
	"unsafe": "_vlmcs._tcp IN SRV 0 0 PORT kms1\n",
	"race":   "_vlmcs._tcp IN SRV 0 0 PORT kms1\n_vlmcs._tcp IN SRV 0 0 PORT kms-dead\n",
	"grow":   "_vlmcs._tcp IN SRV 0 0 PORT kms1\n", // only gains records
	"empty":  "",                                   // gains its first record
	"rst":    "_vlmcs._tcp IN SRV 0 0 PORT kms1\n_vlmcs._tcp IN SRV 0 0 PORT kms-dead\n_vlmcs._tcp.emea IN SRV 5 10 PORT kms2\n",
	"adopt": "_vlmcs._tcp 600 IN SRV 0 0 PORT kms1\n_vlmcs._tcp 600 IN SRV 10 50 PORT kms2\n_vlmcs._tcp.emea IN SRV 0 0 1688 kms3\n" +
		"_vlmcs._tcp.site.branch IN SRV 0 0 PORT kms-dead\n",
	"json": "_vlmcs._tcp IN SRV 0 0 PORT kms1\n",
	"tty":  "_vlmcs._tcp IN SRV 0 0 PORT kms1\n_vlmcs._tcp IN SRV 0 0 PORT kms-dead\n",
	// a host twice at one name: desired: can hold it once
	"twice": "_vlmcs._tcp IN SRV 0 0 PORT kms1\n_vlmcs._tcp IN SRV 0 0 1688 kms1\n",
	// plan's apply command, run as printed: only the planned zone changes
	"hinta": "_vlmcs._tcp IN SRV 0 0 PORT kms1\n_vlmcs._tcp IN SRV 0 0 PORT kms-dead\n",
	"hintb": "_vlmcs._tcp IN SRV 0 0 PORT kms1\n_vlmcs._tcp IN SRV 0 0 PORT kms-dead\n",
	// a "." record (no KMS here), as in the sample zone: --write-desired leaves it out
	"dot": "_vlmcs._tcp IN SRV 0 0 PORT kms1\n_vlmcs._tcp.lab IN SRV 0 0 0 .\n",
	// the README's workflow commands, run as printed
	"readme": "_vlmcs._tcp IN SRV 0 0 PORT kms1\n_vlmcs._tcp IN SRV 0 0 PORT kms-dead\n_vlmcs._tcp.emea IN SRV 0 0 PORT kms2\n",
}

func convergeZone(name, body string, port int) string {
	return fmt.Sprintf("$ORIGIN %s.\n$TTL 300\n@ IN SOA ns1 hm 1 3600 900 1209600 300\n IN NS ns1\nns1 IN A 127.0.0.1\n"+
		"kms1 IN A 127.0.0.71\nkms2 IN A 127.0.0.72\nkms3 IN A 127.0.0.74\nkms-dead IN A 127.0.0.73\n%s",
		name, strings.ReplaceAll(body, "PORT", fmt.Sprint(port)))
}

// kmsHosts starts the live KMS hosts once per test binary run.
func kmsHosts(t *testing.T) int {
	port := testserver.FreePortOn(t, "127.0.0.71", "127.0.0.72", "127.0.0.73", "127.0.0.74")
	for _, ip := range []string{"127.0.0.71", "127.0.0.72", "127.0.0.74"} {
		kmstest.Start(t, ip, port, kmstest.KMS)
	}
	return port
}

// srvSet is the zone's SRV records as lower-cased zone-file lines, sorted.
func srvSet(t *testing.T, server, zoneName string) []string {
	t.Helper()
	var out []string
	for _, l := range testserver.Records(t, server, zoneName) {
		if strings.Contains(l, "\tsrv\t") {
			out = append(out, l)
		}
	}
	return out
}

// writeConfig writes a config with the lab's server and key for each
// zone, extra appended to each zone entry (its desired: section), and
// top (policy:) first.
func (l *convergeLab) writeConfig(t *testing.T, top string, zones map[string]string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "# plan/apply test\n%sdefaults:\n  server: %s\n  update: {key-file: %s}\n  probe-timeout: 1s\nzones:\n", top, l.server.Addr, l.keyFile)
	var names []string
	for z := range zones {
		names = append(names, z)
	}
	slices.Sort(names)
	for _, z := range names {
		fmt.Fprintf(&b, "  - name: %s\n", z)
		if zones[z] != "" {
			fmt.Fprintf(&b, "    desired:\n%s", zones[z])
		}
	}
	p := filepath.Join(l.dir, fmt.Sprintf("kmsdns-%d.yaml", time.Now().UnixNano()))
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// runEnv runs kmsdns in-process with e (stdout/stderr buffers are set).
func runEnv(t *testing.T, e env, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	e.stdout, e.stderr, e.now, e.warned = &out, &errb, func() time.Time { return fixedNow }, map[string]bool{}
	if e.stdin == nil {
		e.stdin = strings.NewReader("")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := exitCode(execute(ctx, newApp(e), append([]string{"kmsdns"}, args...)), &errb)
	return out.String(), errb.String(), code
}

// TestPlanApplyBIND and TestPlanApplyKnot run every plan/apply case
// against one server each.
func TestPlanApplyBIND(t *testing.T) {
	port := kmsHosts(t)
	var zs []testserver.Zone
	for name, body := range convergeZones {
		z := name + ".example"
		zs = append(zs, testserver.Zone{Name: z, Transfer: "any;", Extra: "update-policy { grant upd zonesub SRV; };", Content: convergeZone(z, body, port)})
	}
	srv := testserver.StartBIND(t, testserver.BINDConfig{Keys: []testserver.Key{cliUpdKey}, Zones: zs})
	testPlanApply(t, srv, port)
}

func TestPlanApplyKnot(t *testing.T) {
	port := kmsHosts(t)
	var zs []testserver.Zone
	for name, body := range convergeZones {
		z := name + ".example"
		zs = append(zs, testserver.Zone{Name: z, Transfer: "any", Update: cliUpdKey.Name, Content: convergeZone(z, body, port)})
	}
	srv := testserver.StartKnot(t, testserver.KnotConfig{Keys: []testserver.Key{cliUpdKey}, Zones: zs})
	testPlanApply(t, srv, port)
}

func testPlanApply(t *testing.T, srv *testserver.Server, port int) {
	dir := t.TempDir()
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	l := &convergeLab{server: srv, port: port, keyFile: cliUpdKey.WriteKeyFile(t, dir), dir: dir}
	p := fmt.Sprint(port)
	backup := func() string { return filepath.Join(dir, fmt.Sprintf("backup-%d.zone", time.Now().UnixNano())) }

	t.Run("converges and verifies", func(t *testing.T) {
		cfg := l.writeConfig(t, "policy:\n  publish-groups: [[cv.example, grp.example]]\n", map[string]string{
			"cv.example": `      "@": [{host: kms1.cv.example, port: ` + p + `}, {host: kms2.cv.example, port: ` + p + `, priority: 10}]
      emea: [{host: kms2.cv.example, port: ` + p + `, priority: 5, weight: 50, ttl: 600}]
      apac: [{host: kms3.cv.example, port: ` + p + `}]
      lab: [{host: kms1.cv.example, port: ` + p + `, ttl: 900}, {host: kms2.cv.example, port: 1688}]
      port: [{host: kms1.cv.example, port: ` + p + `}, {host: kms2.cv.example, port: 1688}]
`,
			"grp.example": "",
		})
		zones := []string{"cv.example", "grp.example"}
		before := map[string][]string{}
		serials := map[string]uint32{}
		for _, z := range zones {
			before[z], serials[z] = testserver.Records(t, srv.Addr, z), serial(t, srv.Addr, z)
		}

		// plan: the drift, exit 1, nothing changed.
		out, errOut, code := run(t, "plan", "--config", cfg)
		if code != exitWarnings {
			t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
		}
		for _, want := range []string{"would remove", "would add", "would replace", "kms-dead.cv.example", "clients see now:", "clients see after:",
			"-> 50% of first tries reach a dead host", "every first try reaches a live host", ";; PREREQUISITES", "TTL 300 to 600", "TTL 300 to 900"} {
			if !strings.Contains(out, want) {
				t.Errorf("plan output lacks %q:\n%s", want, out)
			}
		}
		for _, z := range zones {
			if got := testserver.Records(t, srv.Addr, z); !slices.Equal(got, before[z]) || serial(t, srv.Addr, z) != serials[z] {
				t.Fatalf("plan changed %s", z)
			}
		}

		// apply: converged, verified; the unmanaged name untouched.
		out, errOut, code = run(t, "apply", "--config", cfg, "--yes", "--backup", backup())
		if code != exitClean || !strings.Contains(out, "verified: every managed name holds exactly its desired records") {
			t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
		}
		want := map[string][]string{
			"cv.example": {
				"_vlmcs._tcp.apac.cv.example.\t3600\tin\tsrv\t0 0 " + p + " kms3.cv.example.",
				"_vlmcs._tcp.branch.cv.example.\t300\tin\tsrv\t0 0 " + p + " kms-dead.cv.example.",
				"_vlmcs._tcp.cv.example.\t300\tin\tsrv\t0 0 " + p + " kms1.cv.example.",
				"_vlmcs._tcp.cv.example.\t300\tin\tsrv\t10 0 " + p + " kms2.cv.example.",
				"_vlmcs._tcp.emea.cv.example.\t600\tin\tsrv\t5 50 " + p + " kms2.cv.example.",
				"_vlmcs._tcp.lab.cv.example.\t900\tin\tsrv\t0 0 " + p + " kms1.cv.example.",
				"_vlmcs._tcp.lab.cv.example.\t900\tin\tsrv\t0 0 1688 kms2.cv.example.", // port and TTL changed
				"_vlmcs._tcp.port.cv.example.\t300\tin\tsrv\t0 0 " + p + " kms1.cv.example.",
				"_vlmcs._tcp.port.cv.example.\t300\tin\tsrv\t0 0 1688 kms2.cv.example.", // only the port changed
			},
			"grp.example": {
				"_vlmcs._tcp.apac.grp.example.\t3600\tin\tsrv\t0 0 " + p + " kms3.cv.example.",
				"_vlmcs._tcp.emea.grp.example.\t600\tin\tsrv\t5 50 " + p + " kms2.cv.example.",
				"_vlmcs._tcp.grp.example.\t300\tin\tsrv\t0 0 " + p + " kms1.cv.example.",
				"_vlmcs._tcp.grp.example.\t300\tin\tsrv\t10 0 " + p + " kms2.cv.example.",
				"_vlmcs._tcp.lab.grp.example.\t900\tin\tsrv\t0 0 " + p + " kms1.cv.example.",
				"_vlmcs._tcp.lab.grp.example.\t900\tin\tsrv\t0 0 1688 kms2.cv.example.",
				"_vlmcs._tcp.port.grp.example.\t3600\tin\tsrv\t0 0 " + p + " kms1.cv.example.",
				"_vlmcs._tcp.port.grp.example.\t3600\tin\tsrv\t0 0 1688 kms2.cv.example.",
			},
		}
		for _, z := range zones {
			// One UPDATE per zone: the serial moved by one.
			if s := serial(t, srv.Addr, z); s != serials[z]+1 {
				t.Errorf("%s: serial %d -> %d, want one update", z, serials[z], s)
			}
			slices.Sort(want[z])
			if got := srvSet(t, srv.Addr, z); !slices.Equal(got, want[z]) {
				t.Errorf("%s holds\n%s\nwant\n%s", z, strings.Join(got, "\n"), strings.Join(want[z], "\n"))
			}
			// Everything but the SRV records is as it was.
			var other, otherBefore []string
			for _, r := range testserver.Records(t, srv.Addr, z) {
				if !strings.Contains(r, "\tsrv\t") {
					other = append(other, r)
				}
			}
			for _, r := range before[z] {
				if !strings.Contains(r, "\tsrv\t") {
					otherBefore = append(otherBefore, r)
				}
			}
			if !slices.Equal(other, otherBefore) {
				t.Errorf("%s: other records changed", z)
			}
		}

		// A second plan is in sync (exit 0), a second apply sends nothing.
		out, errOut, code = run(t, "plan", "--config", cfg)
		if code != exitClean || !strings.Contains(out, "in sync: every managed name holds exactly its desired records") {
			t.Fatalf("second plan: exit %d\n%s%s", code, out, errOut)
		}
		for _, z := range zones {
			serials[z] = serial(t, srv.Addr, z)
		}
		out, errOut, code = run(t, "apply", "--config", cfg, "--yes", "--backup", backup())
		if code != exitClean || !strings.Contains(out, "apply: nothing to send, every managed name is in sync") || strings.Contains(errOut, "backup of the records") {
			t.Fatalf("second apply: exit %d\n%s%s", code, out, errOut)
		}
		for _, z := range zones {
			if s := serial(t, srv.Addr, z); s != serials[z] {
				t.Errorf("second apply changed the serial of %s: %d -> %d", z, serials[z], s)
			}
		}

		// The DnsDomainPublishList value per host.
		out, _, _ = run(t, "plan", "--config", cfg, "--publish-list")
		for _, want := range []string{
			"kms1.cv.example: cv.example,0,0 lab.cv.example,0,0 port.cv.example,0,0 grp.example,0,0 lab.grp.example,0,0 port.grp.example,0,0",
			"kms2.cv.example: cv.example,10,0 emea.cv.example,5,50 lab.cv.example,0,0 port.cv.example,0,0 grp.example,10,0 emea.grp.example,5,50 lab.grp.example,0,0 port.grp.example,0,0",
			`/v DnsDomainPublishList /t REG_MULTI_SZ /d "apac.cv.example,0,0\0apac.grp.example,0,0" /f`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("publish list lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("unsafe plan refused unless --force", func(t *testing.T) {
		cfg := l.writeConfig(t, "", map[string]string{"unsafe.example": `      "@": [{host: kms-dead.unsafe.example, port: ` + p + `}]` + "\n"})
		before := testserver.Records(t, srv.Addr, "unsafe.example")
		out, errOut, code := run(t, "plan", "--config", cfg)
		if code != exitErrors || !strings.Contains(out, "none of its desired hosts is live") || !strings.Contains(out, "kmsdns apply refuses this plan unless --force") {
			t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
		}
		// --no-probe: a host that resolves counts as live, so the plan is
		// not unsafe (exit 1), and says so.
		out, errOut, code = run(t, "plan", "--config", cfg, "--no-probe")
		if code != exitWarnings || strings.Contains(out, "none of its desired hosts is live") || !strings.Contains(out, "Hosts were not probed (--no-probe)") {
			t.Fatalf("plan --no-probe: exit %d\n%s%s", code, out, errOut)
		}
		// apply -o json refuses with one document too.
		out, errOut, code = run(t, "apply", "--config", cfg, "--yes", "--backup", backup(), "-o", "json")
		var doc convergeDoc
		dec := json.NewDecoder(strings.NewReader(out))
		if err := dec.Decode(&doc); err != nil || dec.More() || code != exitErrors || len(doc.Unsafe) != 1 {
			t.Fatalf("apply -o json: exit %d (%v)\n%s%s", code, err, out, errOut)
		}
		out, errOut, code = run(t, "apply", "--config", cfg, "--yes", "--backup", backup())
		if code != exitErrors || !strings.Contains(errOut, "refused, nothing was changed") || !strings.Contains(errOut, "kms-dead.unsafe.example (127.0.0.73) does not answer as a KMS host") {
			t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
		}
		if got := testserver.Records(t, srv.Addr, "unsafe.example"); !slices.Equal(got, before) {
			t.Fatalf("refused apply changed the zone")
		}
		out, errOut, code = run(t, "apply", "--config", cfg, "--yes", "--force", "--backup", backup())
		if code != exitClean || !strings.Contains(out, "--force: applied anyway") {
			t.Fatalf("apply --force: exit %d\n%s%s", code, out, errOut)
		}
		if got := srvSet(t, srv.Addr, "unsafe.example"); !slices.Equal(got, []string{"_vlmcs._tcp.unsafe.example.\t300\tin\tsrv\t0 0 " + p + " kms-dead.unsafe.example."}) {
			t.Errorf("after --force: %v", got)
		}
	})

	// Someone adds a record between plan and apply: to a name with a
	// removal (race), to a name that only gains records (grow), to a name
	// that had none (empty). The prerequisite makes the server refuse the
	// zone's whole message: it is skipped and reported, and the zone holds
	// what it held plus the intruder's record.
	for _, c := range []struct{ zone, desired, intruder string }{
		{"race", `      "@": [{host: kms1.race.example, port: PORT}]`, "_vlmcs._tcp.race.example.\t300\tin\tsrv\t0 0 PORT kms2.race.example."},
		{"grow", `      "@": [{host: kms1.grow.example, port: PORT}, {host: kms2.grow.example, port: PORT}]` + "\n" +
			`      second: [{host: kms1.grow.example, port: PORT}]`, "_vlmcs._tcp.grow.example.\t300\tin\tsrv\t0 0 PORT kms3.grow.example."},
		{"empty", `      "@": [{host: kms1.empty.example, port: PORT}]` + "\n" +
			`      second: [{host: kms2.empty.example, port: PORT}]`, "_vlmcs._tcp.empty.example.\t3600\tin\tsrv\t0 0 PORT kms3.empty.example."},
	} {
		t.Run("record added between plan and apply: "+c.zone, func(t *testing.T) {
			z := c.zone + ".example"
			cfg := l.writeConfig(t, "", map[string]string{z: strings.ReplaceAll(c.desired, "PORT", p) + "\n"})
			before := srvSet(t, srv.Addr, z)
			intruder := strings.ReplaceAll(c.intruder, "PORT", p)
			e := env{beforeZone: func(zn string) { nsupdate(t, srv.Addr, zn, intruder) }}
			out, errOut, code := runEnv(t, e, "apply", "--config", cfg, "--yes", "--backup", backup())
			if code != exitErrors || !strings.Contains(out, "not changed") || !strings.Contains(out, "skipped (the records changed since the plan") ||
				!strings.Contains(out, "the records changed since they were read") || !strings.Contains(out, "not converged; still different:") {
				t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
			}
			want := append(slices.Clone(before), intruder)
			slices.Sort(want)
			if got := srvSet(t, srv.Addr, z); !slices.Equal(got, want) {
				t.Errorf("zone:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}

	t.Run("backup restores exactly", func(t *testing.T) {
		cfg := l.writeConfig(t, "", map[string]string{"rst.example": `      "@": [{host: kms1.rst.example, port: ` + p + `}]` + "\n" +
			`      emea: [{host: kms2.rst.example, port: ` + p + `, priority: 5, weight: 10}]` + "\n"})
		before := testserver.Records(t, srv.Addr, "rst.example")
		out, errOut, code := run(t, "apply", "--config", cfg, "--yes", "--backup", backup())
		if code != exitClean {
			t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
		}
		i := strings.Index(errOut, "(restore: ")
		if i < 0 {
			t.Fatalf("no restore hint: %s", errOut)
		}
		hint := errOut[i+len("(restore: "):]
		hint = hint[:strings.Index(hint, ")\n")]
		if strings.Contains(hint, cliUpdKey.Secret) || !strings.Contains(hint, "--config") {
			t.Fatalf("hint %q", hint)
		}
		bin := l.kmsdns(t)
		sh := exec.Command("sh", "-c", hint)
		sh.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
		if b, err := sh.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", hint, err, b)
		}
		// The records removed are back, as they were.
		if got := testserver.Records(t, srv.Addr, "rst.example"); !slices.Equal(got, before) {
			t.Errorf("after restore:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(before, "\n"))
		}
	})

	t.Run("write-desired round-trips", func(t *testing.T) {
		cfg := l.writeConfig(t, "", map[string]string{"adopt.example": ""})
		out, errOut, code := run(t, "plan", "--config", cfg, "--write-desired")
		if code != exitClean || !strings.Contains(out, "# plan/apply test") || !strings.Contains(out, "desired:") {
			t.Fatalf("write-desired: exit %d\n%s%s", code, out, errOut)
		}
		adopted := filepath.Join(l.dir, "adopted.yaml")
		if err := os.WriteFile(adopted, []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
		before := testserver.Records(t, srv.Addr, "adopt.example")
		out, errOut, code = run(t, "plan", "--config", adopted)
		if code != exitClean || !strings.Contains(out, "in sync") {
			t.Fatalf("plan of the adopted config: exit %d\n%s%s", code, out, errOut)
		}
		// Every name with KMS records is managed in the adopted config.
		for _, name := range []string{"_vlmcs._tcp.adopt.example: in sync", "_vlmcs._tcp.emea.adopt.example: in sync", "_vlmcs._tcp.site.branch.adopt.example: in sync"} {
			if !strings.Contains(out, name) {
				t.Errorf("the adopted config does not manage %s:\n%s", name, out)
			}
		}
		out, errOut, code = run(t, "apply", "--config", adopted, "--yes", "--force", "--backup", backup())
		if code != exitClean || !strings.Contains(out, "apply: nothing to send, every managed name is in sync") {
			t.Fatalf("apply of the adopted config: exit %d\n%s%s", code, out, errOut)
		}
		if got := testserver.Records(t, srv.Addr, "adopt.example"); !slices.Equal(got, before) {
			t.Errorf("changed")
		}
	})

	t.Run("write-desired says what it cannot round-trip", func(t *testing.T) {
		cfg := l.writeConfig(t, "", map[string]string{"twice.example": ""})
		out, errOut, code := run(t, "plan", "--config", cfg, "--write-desired")
		warning := "kmsdns: warning: _vlmcs._tcp.twice.example holds kms1.twice.example on ports "
		if code != exitClean || !strings.Contains(errOut, warning) || !strings.Contains(errOut, "so kmsdns plan on the printed config would remove the other") {
			t.Fatalf("write-desired: exit %d\n%s%s", code, out, errOut)
		}
		adopted := filepath.Join(l.dir, "twice.yaml")
		if err := os.WriteFile(adopted, []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
		// --no-probe: the port kept may be the one nothing listens on.
		out, errOut, code = run(t, "plan", "--config", adopted, "--no-probe")
		if code != exitWarnings || strings.Count(out, "would replace") != 1 || !strings.Contains(out, "_vlmcs._tcp.twice.example.\t300\tIN\tSRV\t0 0 1688 kms1.twice.example.") {
			t.Fatalf("plan of the adopted config: exit %d\n%s%s", code, out, errOut)
		}
	})

	t.Run("json is one document", func(t *testing.T) {
		cfg := l.writeConfig(t, "", map[string]string{"json.example": `      "@": [{host: kms1.json.example, port: ` + p + `}, {host: kms2.json.example, port: ` + p + `}]` + "\n"})
		for _, c := range []struct {
			args   []string
			code   int
			inSync bool
		}{
			{[]string{"plan"}, exitWarnings, false},
			{[]string{"apply", "--yes", "--backup", backup()}, exitClean, false},
			{[]string{"plan"}, exitClean, true},
		} {
			out, errOut, code := run(t, append(c.args, "--config", cfg, "-o", "json")...)
			var doc convergeDoc
			dec := json.NewDecoder(strings.NewReader(out))
			if err := dec.Decode(&doc); err != nil || dec.More() {
				t.Fatalf("%v: stdout is not one JSON document (%v):\n%s\nstderr:\n%s", c.args, err, out, errOut)
			}
			if code != c.code || doc.InSync != c.inSync || doc.Version != 1 || len(doc.Zones) != 1 || len(doc.Hosts) != 2 || len(doc.PublishList) != 2 {
				t.Errorf("%v: exit %d: %+v", c.args, code, doc)
			}
			if c.args[0] == "apply" && (!doc.Verified || len(doc.Results) != 1 || doc.Results[0].Status != "changed") {
				t.Errorf("apply: %+v", doc)
			}
		}
	})

	t.Run("confirmation", func(t *testing.T) {
		cfg := l.writeConfig(t, "", map[string]string{"tty.example": `      "@": [{host: kms1.tty.example, port: ` + p + `}]` + "\n"})
		before := testserver.Records(t, srv.Addr, "tty.example")
		_, errOut, code := run(t, "apply", "--config", cfg, "--backup", backup())
		if code != exitUsage || !strings.Contains(errOut, "run again with --yes") {
			t.Fatalf("no terminal: exit %d\n%s", code, errOut)
		}
		if got := testserver.Records(t, srv.Addr, "tty.example"); !slices.Equal(got, before) {
			t.Fatalf("zone changed unattended without --yes")
		}
		_, errOut, code = runEnv(t, env{stdin: strings.NewReader("n\n"), stdinTTY: true, stderrTTY: true}, "apply", "--config", cfg, "--backup", backup())
		if code != exitErrors || !strings.Contains(errOut, "[y/N]") || !strings.Contains(errOut, "nothing was changed") {
			t.Fatalf("answered no: exit %d\n%s", code, errOut)
		}
		if got := testserver.Records(t, srv.Addr, "tty.example"); !slices.Equal(got, before) {
			t.Fatalf("zone changed without confirmation")
		}
		// The command plan prints, run as printed at a terminal, answered yes.
		out, _, code := run(t, "plan", "--config", cfg)
		i := strings.Index(out, "kmsdns apply ")
		if code != exitWarnings || i < 0 {
			t.Fatalf("plan: exit %d, no apply command:\n%s", code, out)
		}
		hint := strings.Fields(out[i : strings.Index(out[i:], " sends them")+i])
		if len(hint) != 4 || hint[2] != "--config" {
			t.Fatalf("hint %q", hint)
		}
		t.Chdir(t.TempDir()) // the default backup file goes here
		out, errOut, code = runEnv(t, env{stdin: strings.NewReader("y\n"), stdinTTY: true, stderrTTY: true}, hint[1:]...)
		if code != exitClean || len(srvSet(t, srv.Addr, "tty.example")) != 1 || !strings.Contains(errOut, "kmsdns-backup-20261122-090000.zone") {
			t.Fatalf("answered yes: exit %d\n%s%s", code, out, errOut)
		}
	})

	t.Run("plan's apply command as printed", func(t *testing.T) { testPlanHint(t, l, p) })
	t.Run("write-desired leaves out a name holding .", func(t *testing.T) { testWriteDesiredDot(t, l) })

	t.Run("README workflow commands as printed", func(t *testing.T) {
		work := t.TempDir()
		cfg := fmt.Sprintf("defaults:\n  server: %s\n  update: {key-file: %s}\n  probe-timeout: 1s\nzones:\n  - name: readme.example\n    desired:\n"+
			"      \"@\": [{host: kms1.readme.example, port: %s}, {host: kms2.readme.example, port: %s, priority: 10}]\n", srv.Addr, l.keyFile, p, p)
		if err := os.WriteFile(filepath.Join(work, "kmsdns.yaml"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		bin := l.kmsdns(t)
		before := testserver.Records(t, srv.Addr, "readme.example")
		// Each command line of the section's sh blocks, in order, and the
		// exit code sh gives it here (no terminal: apply without --yes
		// refuses, exit 3).
		want := map[string]int{
			"kmsdns plan  --config kmsdns.yaml":                                                                                    exitWarnings,
			"kmsdns apply --config kmsdns.yaml":                                                                                    exitUsage,
			"kmsdns plan  --config kmsdns.yaml --write-desired > kmsdns.new.yaml":                                                  exitClean,
			"kmsdns plan  --config kmsdns.yaml --publish-list":                                                                     exitWarnings,
			"kmsdns plan --config kmsdns.yaml -o json > plan.json; rc=$?; [ $rc -le 1 ] || exit $rc":                               exitClean,
			`mkdir -p backups && kmsdns apply --config kmsdns.yaml --yes --backup "backups/apply-$(date -u +%Y%m%dT%H%M%SZ).zone"`: exitClean,
		}
		lines := readmeCommands(t, "## Declarative publishing (plan/apply)")
		if len(lines) != len(want) {
			t.Errorf("the README section's commands changed (%d, want %d): %q", len(lines), len(want), lines)
		}
		for _, line := range lines {
			code, ok := want[line]
			if !ok {
				t.Errorf("README command not tested: %s", line)
				continue
			}
			if strings.Contains(line, "kmsdns apply --config kmsdns.yaml --yes") {
				// Run after review: the zone is as it was until now.
				if got := testserver.Records(t, srv.Addr, "readme.example"); !slices.Equal(got, before) {
					t.Fatalf("the zone changed before apply --yes")
				}
			}
			sh := exec.Command("sh", "-c", line)
			sh.Dir = work
			sh.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
			b, _ := sh.CombinedOutput()
			if got := sh.ProcessState.ExitCode(); got != code {
				t.Errorf("%s: exit %d, want %d\n%s", line, got, code, b)
			}
		}
		// CI runs the apply line after every merge: run again after a
		// change by hand, it converges again into a backup of its own (a
		// fixed --backup name works once: backups are never overwritten).
		// The help's CI example is the same command.
		ci := lines[slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "--yes --backup") })]
		help, _, _ := run(t, "apply", "--help")
		if i := strings.Index(help, "kmsdns apply --config kmsdns.yaml --yes --backup "); i < 0 || !strings.HasSuffix(ci, strings.TrimSpace(help[i:i+strings.Index(help[i:], "#")])) {
			t.Errorf("apply --help's CI example is not the README's %q:\n%s", ci, help)
		}
		nsupdate(t, srv.Addr, "readme.example", "_vlmcs._tcp.readme.example. 300 IN SRV 0 0 "+p+" kms-dead.readme.example.")
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second))) // the name's clock moves on
		sh := exec.Command("sh", "-c", ci)
		sh.Dir = work
		sh.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
		if b, _ := sh.CombinedOutput(); sh.ProcessState.ExitCode() != exitClean {
			t.Errorf("%s, run again after a change: exit %d\n%s", ci, sh.ProcessState.ExitCode(), b)
		}
		// What the commands left: the plan as one JSON document, the
		// adopted config in sync with what was there, the backup, and the
		// zone converged (a plan now exits 0).
		if b, err := os.ReadFile(filepath.Join(work, "plan.json")); err != nil || !json.Valid(b) {
			t.Errorf("plan.json: %v\n%s", err, b)
		}
		if bs, _ := filepath.Glob(filepath.Join(work, "backups", "apply-*.zone")); len(bs) != 2 {
			t.Errorf("backups: %v", bs)
		}
		want2 := []string{
			"_vlmcs._tcp.emea.readme.example.\t300\tin\tsrv\t0 0 " + p + " kms2.readme.example.",
			"_vlmcs._tcp.readme.example.\t300\tin\tsrv\t0 0 " + p + " kms1.readme.example.",
			"_vlmcs._tcp.readme.example.\t300\tin\tsrv\t10 0 " + p + " kms2.readme.example.",
		}
		if got := srvSet(t, srv.Addr, "readme.example"); !slices.Equal(got, want2) {
			t.Errorf("zone:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want2, "\n"))
		}
		for _, c := range []string{"kmsdns.yaml", "kmsdns.new.yaml"} {
			sh := exec.Command("sh", "-c", "kmsdns plan --config "+c)
			sh.Dir = work
			sh.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
			b, _ := sh.CombinedOutput()
			code := exitWarnings // the adopted config holds the zone as it was
			if c == "kmsdns.yaml" {
				code = exitClean
			}
			if sh.ProcessState.ExitCode() != code {
				t.Errorf("plan --config %s: exit %d, want %d\n%s", c, sh.ProcessState.ExitCode(), code, b)
			}
		}
	})

	t.Run("a zone that cannot be read exits 2", func(t *testing.T) {
		cfg := l.writeConfig(t, "", map[string]string{"absent.example": `      "@": [{host: kms1.cv.example, port: ` + p + `}]` + "\n"})
		out, errOut, code := run(t, "plan", "--config", cfg, "-o", "json")
		var doc convergeDoc
		dec := json.NewDecoder(strings.NewReader(out))
		if err := dec.Decode(&doc); err != nil || dec.More() || code != exitErrors || len(doc.Zones) != 1 || !strings.Contains(doc.Zones[0].Error, "absent.example") || doc.Error == "" {
			t.Fatalf("plan: exit %d (%v)\n%s%s", code, err, out, errOut)
		}
		if _, errOut, code = run(t, "apply", "--config", cfg, "--yes", "--backup", backup()); code != exitErrors || !strings.Contains(errOut, "could not be read") {
			t.Fatalf("apply: exit %d\n%s", code, errOut)
		}
	})

	t.Run("usage and config errors exit 3", func(t *testing.T) {
		noDesired := l.writeConfig(t, "", map[string]string{"json.example": ""})
		bad := filepath.Join(l.dir, "bad.yaml")
		os.WriteFile(bad, []byte("zones:\n  - name: json.example\n    desired:\n      \"@\": [kms1]\n"), 0o600)
		for _, args := range [][]string{
			{"plan"},
			{"plan", "--config", noDesired},
			{"plan", "--config", bad},
			{"apply", "--config", noDesired, "--yes"},
			{"plan", "--config", noDesired, "--zone", "nowhere.example"},
			{"plan", "--config", noDesired, "-o", "xml"},
		} {
			if _, errOut, code := run(t, args...); code != exitUsage {
				t.Errorf("%v: exit %d\n%s", args, code, errOut)
			}
		}
		if _, errOut, _ := run(t, "plan", "--config", noDesired); !strings.Contains(errOut, "--write-desired") {
			t.Errorf("no hint to --write-desired: %s", errOut)
		}
	})
}

// readmeCommands are the command lines of the sh blocks of the README
// section whose heading is heading, comments and blank lines left out.
func readmeCommands(t *testing.T, heading string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README has no %q", heading)
	}
	if i := strings.Index(sec, "\n## "); i >= 0 {
		sec = sec[:i]
	}
	var out []string
	in := false
	for _, l := range strings.Split(sec, "\n") {
		switch {
		case l == "```sh":
			in = true
		case l == "```":
			in = false
		case in && strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "#"):
			if i := strings.Index(l, "  #"); i >= 0 {
				l = l[:i] // a trailing comment
			}
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

// nsupdate adds rr to zone z on server, signed with cliUpdKey: someone
// else's change.
func nsupdate(t *testing.T, server, z, rr string) {
	t.Helper()
	r, err := dns.NewRR(rr)
	if err != nil {
		t.Fatal(err)
	}
	m := new(dns.Msg)
	m.SetUpdate(dns.Fqdn(z))
	m.Insert([]dns.RR{r})
	m.SetTsig(cliUpdKey.Name+".", dns.HmacSHA256, 300, time.Now().Unix())
	c := &dns.Client{Net: "tcp", TsigSecret: map[string]string{cliUpdKey.Name + ".": cliUpdKey.Secret}}
	a, _, err := c.Exchange(m, server)
	if err != nil || a.Rcode != dns.RcodeSuccess {
		t.Fatalf("update %s: %v %v", z, err, a)
	}
}

// TestPlanApplySamba converges names of the package's Samba AD DC zone
// (GSS-TSIG as administrator; the AD zone refuses AXFR, so plan reads
// each managed name by query).
func TestPlanApplySamba(t *testing.T) {
	s := dc.Get(t)
	dir := t.TempDir()
	pw := filepath.Join(dir, "admin.pw")
	if err := os.WriteFile(pw, []byte(s.AdminPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	host := s.Host + "."
	write := func(desired string) string {
		p := filepath.Join(dir, fmt.Sprintf("kmsdns-%d.yaml", time.Now().UnixNano()))
		cfg := fmt.Sprintf("defaults:\n  no-probe: true\nzones:\n  - name: %s\n    server: %s\n    update: {principal: administrator, password-file: %s, krb5-conf: %s}\n    desired:\n%s",
			s.Zone, s.IP, pw, s.Krb5Conf, desired)
		if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg := write(fmt.Sprintf("      conv1: [{host: %s, priority: 10, weight: 20}]\n      conv2: [%s]\n", s.Host, s.Host))
	out, errOut, code := run(t, "plan", "--config", cfg)
	if code != exitWarnings || strings.Count(out, "would add") != 2 {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	assertTargets(t, s, "_vlmcs._tcp.conv1."+s.Zone)
	out, errOut, code = run(t, "apply", "--config", cfg, "--yes", "--backup", filepath.Join(dir, "b1.zone"))
	if code != exitClean || !strings.Contains(out, "verified: every managed name holds exactly its desired records") {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	assertTargets(t, s, "_vlmcs._tcp.conv1."+s.Zone, host)
	assertTargets(t, s, "_vlmcs._tcp.conv2."+s.Zone, host)
	if out, errOut, code = run(t, "plan", "--config", cfg); code != exitClean {
		t.Fatalf("second plan: exit %d\n%s%s", code, out, errOut)
	}
	// A second apply sends nothing (Samba does not move the SOA serial on
	// an update, so nothing shows on the wire: no backup is written and
	// apply says so).
	out, errOut, code = run(t, "apply", "--config", cfg, "--yes", "--backup", filepath.Join(dir, "b1b.zone"))
	if _, err := os.Stat(filepath.Join(dir, "b1b.zone")); code != exitClean || !strings.Contains(out, "apply: nothing to send, every managed name is in sync") || err == nil {
		t.Fatalf("second apply: exit %d (backup: %v)\n%s%s", code, err, out, errOut)
	}
	// Priority changed, conv2 emptied: one UPDATE, refused as unsafe
	// without --force (an empty list leaves conv2's clients nothing).
	cfg = write(fmt.Sprintf("      conv1: [{host: %s, priority: 0}]\n      conv2: []\n", s.Host))
	if out, errOut, code = run(t, "apply", "--config", cfg, "--yes", "--backup", filepath.Join(dir, "b2.zone")); code != exitErrors || !strings.Contains(errOut, "its desired list is empty") {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	assertTargets(t, s, "_vlmcs._tcp.conv2."+s.Zone, host)
	out, errOut, code = run(t, "apply", "--config", cfg, "--yes", "--force", "--backup", filepath.Join(dir, "b3.zone"))
	if code != exitClean {
		t.Fatalf("apply --force: exit %d\n%s%s", code, out, errOut)
	}
	assertTargets(t, s, "_vlmcs._tcp.conv2."+s.Zone)
	for _, rr := range s.Query(t, "_vlmcs._tcp.conv1."+s.Zone, dns.TypeSRV) {
		if srv, ok := rr.(*dns.SRV); !ok || srv.Priority != 0 || srv.Weight != 0 {
			t.Errorf("conv1: %v", rr)
		}
	}
	// Someone publishes a record between plan and apply at a name that had
	// none (conv3): the DC refuses the message by its "RRset does not
	// exist" prerequisite, nothing else changes. At a name that only gains
	// records (conv1) it does not: Samba checks a value-dependent
	// prerequisite record by record, not as the whole RRset RFC 2136 2.4.2
	// asks, so the addition lands next to the intruder's record; the
	// read-back and the verification report it (exit 2) and show the
	// intruder's record, and the next plan would remove it.
	intruder := "kms-intruder." + s.Zone + "."
	for _, c := range []struct {
		name, desired string
		refused       bool
	}{
		{"conv3", fmt.Sprintf("      conv3: [%s]\n", s.Host), true},
		{"conv1", fmt.Sprintf("      conv1: [%s, kms-other.%s]\n", s.Host, s.Zone), false},
	} {
		owner := "_vlmcs._tcp." + c.name + "." + s.Zone
		want := append(sambaTargets(t, s, owner), intruder)
		e := env{beforeZone: func(string) {
			if out, errOut, code := run(t, "publish", "--zone", s.Zone, "--server", s.IP, "--krb5-conf", s.Krb5Conf, "--principal", "administrator",
				"--password-file", pw, "--name", c.name, "--host", intruder); code != exitClean {
				t.Fatalf("intruder: exit %d\n%s%s", code, out, errOut)
			}
		}}
		out, errOut, code := runEnv(t, e, "apply", "--config", write(c.desired), "--yes", "--backup", filepath.Join(dir, c.name+".zone"))
		if c.refused && (code != exitErrors || !strings.Contains(out, "skipped (the records changed since the plan")) {
			t.Fatalf("%s: apply: exit %d\n%s%s", c.name, code, out, errOut)
		}
		if !c.refused {
			if code != exitErrors || !strings.Contains(out, "not converged; still different:\n  _vlmcs._tcp.conv1."+s.Zone+": would remove") || !strings.Contains(out, intruder) {
				t.Fatalf("%s: apply: exit %d\n%s%s", c.name, code, out, errOut)
			}
			want = append(want, "kms-other."+s.Zone+".")
		}
		slices.Sort(want)
		assertTargets(t, s, owner, want...)
	}
}
