package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/internal/kmstest"
	"github.com/kmsdns/kmsdns/internal/testserver"
)

// fixFinding is a finding as the JSON report gives it.
type fixFinding struct {
	Check   string   `json:"check"`
	Zone    string   `json:"zone"`
	Name    string   `json:"name"`
	Target  string   `json:"target"`
	Port    uint16   `json:"port"`
	Fix     string   `json:"fix"`
	Command []string `json:"command"`
	// Commands: every command of a fix that takes more than one.
	Commands [][]string `json:"commands"`
}

func fixFindings(t *testing.T, out string) []fixFinding {
	t.Helper()
	var r struct {
		Records []struct {
			Name, Target   string
			Port, Priority uint16
			Weight         uint16
			TTL            uint32
		} `json:"records"`
		Findings []fixFinding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not a JSON report: %v\n%s", err, out)
	}
	return r.Findings
}

// srvLine is one SRV line of a planned UPDATE.
type srvLine struct {
	name               string
	ttl                uint32
	prio, weight, port uint16
	target             string
}

func parseSRVLine(t *testing.T, line string) srvLine {
	t.Helper()
	f := strings.Fields(line)
	if len(f) != 8 || f[3] != "SRV" {
		t.Fatalf("not an SRV line: %q", line)
	}
	n := func(s string) uint64 {
		v, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			t.Fatalf("%q in %q: %v", s, line, err)
		}
		return v
	}
	return srvLine{name: strings.ToLower(f[0]), ttl: uint32(n(f[1])), prio: uint16(n(f[4])), weight: uint16(n(f[5])), port: uint16(n(f[6])), target: strings.ToLower(f[7])}
}

// planned splits a dry-run UPDATE text into its deletions and additions.
func planned(t *testing.T, update string) (del, add []srvLine) {
	t.Helper()
	section := ""
	for _, l := range strings.Split(update, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "":
		case strings.HasPrefix(l, ";;"):
			section = strings.TrimSpace(strings.TrimPrefix(l, ";;"))
		case strings.HasPrefix(l, ";"):
		case strings.HasPrefix(section, "DELETE"):
			del = append(del, parseSRVLine(t, l))
		case strings.HasPrefix(section, "ADD"):
			add = append(add, parseSRVLine(t, l))
		}
	}
	return del, add
}

// flagValue is the value of --flag in argv.
func flagValue(argv []string, flag string) string {
	if i := slices.Index(argv, flag); i >= 0 && i+1 < len(argv) {
		return argv[i+1]
	}
	return ""
}

// fixEnv is where suggested commands run: the server that holds the
// zones and an update key (the flags a person adds to a printed command).
type fixEnv struct {
	server, keyFile string
	// all are every finding of the audits the command comes from: an
	// unpublish that empties a name must not be suggested for a record
	// another finding has a fix for that keeps it working.
	all []fixFinding
}

// rrset is what the server holds under owner in zoneName: its SRV
// records, read back by transfer.
func (e fixEnv) rrset(t *testing.T, zoneName, owner string) []srvLine {
	t.Helper()
	var out []srvLine
	for _, l := range testserver.Records(t, e.server, zoneName) {
		if f := strings.Fields(l); len(f) == 8 && f[3] == "srv" && f[0] == owner {
			out = append(out, parseSRVLine(t, strings.Join([]string{f[0], f[1], f[2], "SRV", f[4], f[5], f[6], f[7]}, " ")))
		}
	}
	return out
}

// runFix runs f's command with --dry-run against the real server and
// checks that the planned UPDATE touches exactly f's owner name and
// record: publish adds the named host under the owner (replacing only that
// host's other records there), unpublish removes the named host's records
// under the owner and nothing else. A publish changes no TTL of the
// RRset it joins (only long-ttl's may), and gives a new name publish's
// default TTL; an unpublish that empties the name is never suggested for
// a record another finding can keep working.
func (e fixEnv) runFix(t *testing.T, f fixFinding) {
	t.Helper()
	argv := f.Command
	what := fmt.Sprintf("%s %s -> %s:%d: %s", f.Check, f.Name, f.Target, f.Port, audit.Command(argv))
	if len(argv) < 2 || argv[0] != "kmsdns" {
		t.Errorf("%s: not a kmsdns command", what)
		return
	}
	if !strings.Contains(f.Fix, audit.Command(argv).String()) {
		t.Errorf("%s: the fix does not print the command it carries: %q", what, f.Fix)
	}
	// What the server holds under the owner before: the RRset the
	// command changes.
	before := e.rrset(t, flagValue(argv, "--zone"), strings.ToLower(f.Name))
	args := append(slices.Clone(argv[1:]), "--dry-run", "--server", e.server, "--key-file", e.keyFile, "--output", "json")
	out, errOut, code := run(t, args...)
	if code != exitClean {
		t.Errorf("%s: exit %d\n%s%s", what, code, out, errOut)
		return
	}
	var res struct {
		Plans []struct {
			Zone, Action, Update, Error, Note string
			Blocked                           bool
		} `json:"plans"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, out)
	}
	if len(res.Plans) != 1 {
		t.Fatalf("%s: %d plans, want one zone\n%s", what, len(res.Plans), out)
	}
	p := res.Plans[0]
	if p.Blocked || p.Error != "" || p.Update == "" {
		t.Errorf("%s: plan %s (blocked %v, error %q) changes nothing\n%s", what, p.Action, p.Blocked, p.Error, out)
		return
	}
	del, add := planned(t, p.Update)
	host := strings.ToLower(strings.TrimSuffix(flagValue(argv, "--host"), ".") + ".")
	for _, l := range append(slices.Clone(del), add...) {
		if l.name != f.Name {
			t.Errorf("%s: the UPDATE touches %s, not the finding's owner %s\n%s", what, l.name, f.Name, p.Update)
		}
		if l.target != host {
			t.Errorf("%s: the UPDATE touches %s's record, not %s's\n%s", what, l.target, host, p.Update)
		}
	}
	// The finding's own record is the one changed.
	hasOwn := func(ls []srvLine) bool {
		return slices.ContainsFunc(ls, func(l srvLine) bool { return l.target == f.Target && l.port == f.Port })
	}
	switch argv[1] {
	case "unpublish":
		if len(add) != 0 || len(del) == 0 {
			t.Errorf("%s: unpublish plans %d additions, %d deletions\n%s", what, len(add), len(del), p.Update)
		}
		if f.Target != "" && !hasOwn(del) {
			t.Errorf("%s: the finding's record is not deleted\n%s", what, p.Update)
		}
		// Emptying the name: only when no finding on the same record has
		// a fix that keeps it working (republishing its host).
		if len(del) >= len(before) {
			for _, o := range e.all {
				if o.Name == f.Name && o.Target == f.Target && o.Port == f.Port && len(o.Command) > 1 && o.Command[1] == "publish" &&
					strings.EqualFold(flagValue(o.Command, "--host")+".", f.Target) {
					t.Errorf("%s: empties %s, though %s on the same record keeps it working: %s", what, f.Name, o.Check, audit.Command(o.Command))
				}
			}
		}
	case "publish":
		if len(add) != 1 {
			t.Errorf("%s: publish plans %d additions\n%s", what, len(add), p.Update)
			return
		}
		a := add[0]
		want := srvLine{name: f.Name, target: host}
		for _, fl := range []struct {
			flag string
			dst  *uint16
		}{{"--port", &want.port}, {"--priority", &want.prio}, {"--weight", &want.weight}} {
			v, _ := strconv.Atoi(flagValue(argv, fl.flag))
			*fl.dst = uint16(v)
		}
		// The TTL: the RRset's own (publish gives the whole set the added
		// record's), publish's default for a new name; only long-ttl's
		// fix is about the TTL. Without --ttl publish keeps the RRset's.
		wantTTL := uint32(3600)
		if len(before) > 0 {
			wantTTL = before[0].ttl
		}
		want.ttl = wantTTL
		if slices.Contains(argv, "--ttl") {
			ttl, _ := strconv.Atoi(flagValue(argv, "--ttl"))
			want.ttl = uint32(ttl)
		}
		if a != want {
			t.Errorf("%s: adds %+v, the command says %+v", what, a, want)
		}
		if f.Check != audit.CheckLongTTL && (a.ttl != wantTTL || strings.Contains(p.Note, "changes the TTL")) {
			t.Errorf("%s: adds TTL %d to an RRset with TTL %d (%d records): %s", what, a.ttl, wantTTL, len(before), p.Note)
		}
		switch f.Check {
		case audit.CheckPortMismatch, audit.CheckLongTTL:
			if !hasOwn(del) {
				t.Errorf("%s: the record with the problem is not replaced\n%s", what, p.Update)
			}
		case audit.CheckDuplicateTarget:
			if !slices.ContainsFunc(del, func(l srvLine) bool { return l.port != a.port || l.prio != a.prio || l.weight != a.weight }) {
				t.Errorf("%s: the duplicate is not removed\n%s", what, p.Update)
			}
		}
	default:
		t.Errorf("%s: unexpected command %s", what, argv[1])
	}
}

// bindZoneFromDnscmd turns a "dnscmd /ZoneExport" file into one BIND
// loads: the same records without aging stamps and the WINS record.
func bindZoneFromDnscmd(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	age := regexp.MustCompile(`\[AGE:\d+\]`)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "WINS") {
			continue
		}
		out = append(out, age.ReplaceAllString(l, ""))
	}
	return strings.Join(out, "\n")
}

// loopbackNS moves the sample zones' name servers to 127.0.0.1: the
// audit asks every NS server, and tests talk to loopback only.
func loopbackNS(zone string) string {
	return strings.NewReplacer("192.0.2.53", "127.0.0.1", "192.0.2.54", "127.0.0.1", "192.0.2.110", "127.0.0.1").Replace(zone)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFixCommandsDoWhatTheySay: every kmsdns command a finding suggests,
// for the sample zones and a zone with every problem, run as printed
// (plus --dry-run and the server and key a person adds) against real BIND
// serving the same zones, plans an UPDATE of exactly the finding's owner
// name and record.
func TestFixCommandsDoWhatTheySay(t *testing.T) {
	const (
		ipGood1  = "127.0.0.51"
		ipGood2  = "127.0.0.52"
		ipClosed = "127.0.0.53"
	)
	port := testserver.FreePortOn(t, ipGood1, ipGood2, ipClosed)
	kmstest.Start(t, ipGood1, port, kmstest.KMS)
	kmstest.Start(t, ipGood2, port, kmstest.KMS)
	P, Q := port, port+1
	head := func(origin string) string {
		return fmt.Sprintf("$ORIGIN %s.\n$TTL 3600\n@ IN SOA ns1 hm 1 3600 900 1209600 300\n IN NS ns1\nns1 IN A 127.0.0.1\n", origin)
	}
	// TTLs differ by name (apex 600, dead 900, the rest 3600): a fix
	// that publishes a host from one name into another must keep the
	// TTL of the RRset it joins (review 2 item 3). wrongport is a live
	// host published on the wrong port, its name's only record
	// (review 2 item 2).
	fixZone := head("fix.example") + fmt.Sprintf(`_vlmcs._tcp 600 IN SRV 0 0 %[1]d good1
_vlmcs._tcp 600 IN SRV 0 0 %[1]d gone
_vlmcs._tcp 600 IN SRV 0 0 %[1]d decom
_vlmcs._tcp.wrongport 900 IN SRV 5 7 %[2]d good1
_vlmcs._tcp.emea IN SRV 10 50 %[2]d good2
_vlmcs._tcp.alias IN SRV 0 0 %[1]d alias
_vlmcs._tcp.dup IN SRV 0 0 %[1]d good2
_vlmcs._tcp.dup IN SRV 5 0 %[2]d good2
_vlmcs._tcp.dup1 IN SRV 0 0 %[1]d good2
_vlmcs._tcp.dup1 IN SRV 5 0 %[1]d good2
_vlmcs._tcp.y$home IN SRV 0 0 %[1]d good1
_vlmcs._tcp.y$home IN SRV 0 0 %[1]d gone
_vlmcs._tcp.x%[6]sid%[6]s IN SRV 0 0 %[1]d good1
_vlmcs._tcp.x%[6]sid%[6]s IN SRV 0 0 %[1]d gone
_vlmcs._tcp.ttl 172800 IN SRV 5 20 %[1]d good1
_vlmcs._tcp.standby IN SRV 0 0 %[1]d closed
_vlmcs._tcp.standby IN SRV 10 0 %[1]d good1
_vlmcs._tcp.dead 900 IN SRV 0 0 %[1]d closed
_vlmcs._tcp.primary IN SRV 0 0 %[2]d good2
_vlmcs._tcp.primary IN SRV 10 0 %[1]d good1
_vlmcs._tcp.apexless.sub IN SRV 0 0 %[1]d gone
good1 IN A %[3]s
good2 IN A %[4]s
decom IN A %[4]s
closed IN A %[5]s
alias IN CNAME good1
`, P, Q, ipGood1, ipGood2, ipClosed, "`")
	fix2Zone := head("fix2.example") + fmt.Sprintf("_vlmcs._tcp IN SRV 0 0 %d good1.fix.example.\n_vlmcs._tcp IN SRV 0 0 %d kms3\nkms3 IN A %s\n", P, P, ipGood2)

	update := "update-policy { grant upd zonesub SRV; };"
	bind := testserver.StartBIND(t, testserver.BINDConfig{
		Keys:  []testserver.Key{cliUpdKey},
		Files: map[string]string{"contoso.com-apac.inc": readFile(t, "../../testdata/zones/contoso.com-apac.inc")},
		Zones: []testserver.Zone{
			{Name: "contoso.com", Content: loopbackNS(readFile(t, sampleContoso)), Transfer: "any;", Extra: update},
			{Name: "fabrikam.com", Content: loopbackNS(bindZoneFromDnscmd(t, sampleFabrikam)), Transfer: "any;", Extra: update},
			{Name: "fix.example", Content: fixZone, Transfer: "any;", Extra: update},
			{Name: "fix2.example", Content: fix2Zone, Transfer: "any;", Extra: update},
		},
	})
	dir := t.TempDir()
	env := fixEnv{server: bind.Addr, keyFile: cliUpdKey.WriteKeyFile(t, dir)}
	cfg := filepath.Join(dir, "kmsdns.yaml")
	if err := os.WriteFile(cfg, []byte("policy:\n  publish-groups: [[fix.example, fix2.example]]\nzones:\n  - name: fix.example\n    names: [missing]\n  - name: fix2.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	var all []fixFinding
	audits := [][]string{
		// the sample zones as files, the golden report's findings
		{"audit", "--offline", "--zone-file", sampleContoso, "--zone-file", sampleFabrikam},
		// the same zones from the server (their hosts are documentation
		// addresses: not probed)
		{"audit", "--zone", "contoso.com", "--zone", "fabrikam.com", "--server", bind.Addr, "--resolver", bind.Addr, "--no-probe"},
		// every problem, probed
		{"audit", "-c", cfg, "--server", bind.Addr, "--resolver", bind.Addr,
			"--expected-port", strconv.Itoa(P), "--probe-timeout", "1s", "--decommissioned", "decom.fix.example"},
		// a client's view: the zone comes from the SOA of the name
		{"check", "--resolver", bind.Addr, "--expected-port", strconv.Itoa(P), "--probe-timeout", "1s", "emea.fix.example", "dead.fix.example", "apac.contoso.com"},
	}
	for _, args := range audits {
		start := time.Now()
		out, errOut, _ := run(t, append([]string{args[0], "--output", "json"}, args[1:]...)...)
		t.Logf("%s: %v", args[0], time.Since(start).Round(time.Millisecond))
		if out == "" {
			t.Fatalf("%v: no report\n%s", args, errOut)
		}
		fs := fixFindings(t, out)
		if len(fs) == 0 {
			t.Fatalf("%v: no findings\n%s", args, errOut)
		}
		all = append(all, fs...)
	}

	env.all = all
	covered := map[string]bool{}
	n := 0
	for _, f := range all {
		if f.Command == nil {
			if strings.Contains(f.Fix, "kmsdns ") {
				t.Errorf("%s %s: the fix names a kmsdns command but carries none: %s", f.Check, f.Name, f.Fix)
			}
			continue
		}
		n++
		covered[f.Check] = true
		env.runFix(t, f)
	}
	t.Logf("%d suggested commands run", n)
	for _, c := range []string{audit.CheckTargetUnresolv, audit.CheckDecommissioned, audit.CheckPortMismatch, audit.CheckTargetCNAME,
		audit.CheckDuplicateTarget, audit.CheckLongTTL, audit.CheckLowestPrioDead, audit.CheckNoLiveHost, audit.CheckNoKMSRecord,
		audit.CheckPartialPublish, audit.CheckHostUnreachable, audit.CheckStale} {
		if !covered[c] {
			t.Errorf("no %s finding with a command was run", c)
		}
	}

	// Never suggest publishing a host that is itself unfit.
	for _, f := range all {
		if len(f.Command) > 1 && f.Command[1] == "publish" {
			h := flagValue(f.Command, "--host")
			for _, bad := range []string{"gone.fix.example", "decom.fix.example", "alias.fix.example", "closed.fix.example", "kms-apac.contoso.com", "kms-old.contoso.com", "kms-alias.branch.contoso.com"} {
				if h == bad {
					t.Errorf("%s %s suggests publishing %s: %s", f.Check, f.Name, bad, f.Fix)
				}
			}
		}
	}
	// One story per record (review 2 item 2): the live host on the wrong
	// port gets port-mismatch's command, which no-live-host repeats; no
	// finding says it is unreachable or suggests removing it.
	wrong := "_vlmcs._tcp.wrongport.fix.example."
	wantCmd := fmt.Sprintf("kmsdns publish --zone fix.example --name wrongport --host good1.fix.example --port %d --priority 5 --weight 7 --ttl 900", P)
	seen := map[string]bool{}
	for _, f := range all {
		if f.Name != wrong {
			continue
		}
		seen[f.Check] = true
		switch f.Check {
		case audit.CheckPortMismatch, audit.CheckNoLiveHost:
			if got := audit.Command(f.Command).String(); got != wantCmd {
				t.Errorf("%s at wrongport: %q, want %q (%s)", f.Check, got, wantCmd, f.Fix)
			}
		case audit.CheckHostUnreachable, audit.CheckNotKMS:
			t.Errorf("%s at wrongport, though port-mismatch moves it: %s", f.Check, f.Fix)
		}
		if len(f.Command) > 1 && f.Command[1] == "unpublish" {
			t.Errorf("%s suggests removing wrongport's record: %s", f.Check, audit.Command(f.Command))
		}
	}
	if !seen[audit.CheckPortMismatch] || !seen[audit.CheckNoLiveHost] {
		t.Errorf("wrongport findings: %v", seen)
	}
	// The same for a primary on the wrong port beside a working standby:
	// lowest-priority-dead gives port-mismatch's command.
	var lpd []string
	for _, f := range all {
		if f.Name == "_vlmcs._tcp.primary.fix.example." && (f.Check == audit.CheckLowestPrioDead || f.Check == audit.CheckPortMismatch) {
			lpd = append(lpd, f.Check+": "+audit.Command(f.Command).String())
		}
	}
	slices.Sort(lpd)
	primaryCmd := fmt.Sprintf("kmsdns publish --zone fix.example --name primary --host good2.fix.example --port %d --priority 0 --weight 0 --ttl 3600", P)
	if !slices.Equal(lpd, []string{"lowest-priority-dead: " + primaryCmd, "port-mismatch: " + primaryCmd}) {
		t.Errorf("primary on the wrong port: %q", lpd)
	}
	// A working record at priority 0 beside the host's record on the
	// wrong port (REVIEW3 item 8): port-mismatch and duplicate-target say
	// the same, keep the working record as it is and remove the other by
	// hand; no command moves the working record to priority 5. Publishing
	// the host on its port, as the old command did, now finds it present
	// and sends nothing: the port-Q record is not deleted (item 7).
	dupName := "_vlmcs._tcp.dup.fix.example."
	var dupFixes []string
	for _, f := range all {
		if f.Name != dupName {
			continue
		}
		if f.Command != nil {
			t.Errorf("%s at dup carries a command: %s", f.Check, audit.Command(f.Command))
		}
		if f.Check == audit.CheckPortMismatch || f.Check == audit.CheckDuplicateTarget {
			dupFixes = append(dupFixes, f.Fix)
		}
	}
	if len(dupFixes) != 2 || dupFixes[0] != dupFixes[1] || !strings.Contains(dupFixes[0], fmt.Sprintf("record on port %d (priority 0, weight 0) as it is and remove the port-%d record", P, Q)) {
		t.Errorf("dup: port-mismatch and duplicate-target fixes: %q", dupFixes)
	}
	out, errOut, code := run(t, "publish", "--zone", "fix.example", "--name", "dup", "--host", "good2.fix.example", "--port", strconv.Itoa(P),
		"--no-probe", "--dry-run", "--server", bind.Addr, "--key-file", env.keyFile, "--output", "json")
	if code != exitClean || !strings.Contains(out, `"action": "already present"`) || strings.Contains(out, "DELETE") {
		t.Errorf("publish --port %d at dup: exit %d\n%s%s", P, code, out, errOut)
	}
	// Names publish and unpublish refuse (REVIEW3 item 6): no command,
	// the fix says to edit by hand.
	for _, name := range []string{"_vlmcs._tcp.y$home.fix.example.", "_vlmcs._tcp.x`id`.fix.example."} {
		byHand := false
		for _, f := range all {
			if f.Name != name {
				continue
			}
			if f.Command != nil {
				t.Errorf("%s at %s carries a command publish/unpublish refuse: %s", f.Check, name, audit.Command(f.Command))
			}
			byHand = byHand || f.Check == audit.CheckTargetUnresolv && strings.Contains(f.Fix, "make the change by hand")
		}
		if !byHand {
			t.Errorf("%s: no target-unresolvable finding that says to edit by hand", name)
		}
	}
	// cleanup --stale --include-unreachable leaves that record alone
	// (following its hint would empty the name).
	out, errOut, _ = run(t, "cleanup", "-c", cfg, "--server", bind.Addr, "--resolver", bind.Addr, "--key-file", env.keyFile,
		"--expected-port", strconv.Itoa(P), "--probe-timeout", "1s", "--stale", "--include-unreachable", "--dry-run", "-o", "json")
	var doc struct {
		Planned, Blocked []struct{ Owner, Target string }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("cleanup: %v\n%s%s", err, out, errOut)
	}
	if len(doc.Planned) == 0 {
		t.Errorf("cleanup --stale --include-unreachable planned nothing: the test does not test\n%s%s", out, errOut)
	}
	for _, r := range append(doc.Planned, doc.Blocked...) {
		if strings.EqualFold(r.Owner, wrong) {
			t.Errorf("cleanup --stale --include-unreachable selects wrongport's %s\n%s", r.Target, out)
		}
	}
	// The zone of a client view comes from the SOA: emea.fix.example is
	// in fix.example, not a zone of its own.
	for _, f := range all {
		if f.Zone == "emea.fix.example." && f.Check == audit.CheckPortMismatch {
			if flagValue(f.Command, "--zone") != "fix.example" || flagValue(f.Command, "--name") != "emea" {
				t.Errorf("check's port-mismatch command: %v", f.Command)
			}
			// A resolver's TTL is what its cache has left: check gives
			// no --ttl, and publish keeps the RRset's (runFix saw it).
			if slices.Contains(f.Command, "--ttl") {
				t.Errorf("check's port-mismatch command sets a TTL from a resolver's answer: %v", f.Command)
			}
		}
	}
}

// TestPublishPriorityWeight: --priority and --weight reach the record
// (read back from the server), and the dry run and result show them.
func TestPublishPriorityWeight(t *testing.T) {
	bind := testserver.StartBIND(t, testserver.BINDConfig{Keys: []testserver.Key{cliUpdKey}, Zones: []testserver.Zone{{
		Name: "pw.example", Transfer: "any;", Extra: "update-policy { grant upd zonesub SRV; };",
		Content: "$ORIGIN pw.example.\n$TTL 300\n@ IN SOA ns1 hm 1 3600 900 1209600 300\n IN NS ns1\nns1 IN A 127.0.0.1\n",
	}}})
	keyFile := cliUpdKey.WriteKeyFile(t, t.TempDir())
	args := []string{"publish", "--zone", "pw.example", "--name", "emea", "--host", "kms-standby.pw.example", "--priority", "10", "--weight", "5",
		"--server", bind.Addr, "--key-file", keyFile}
	out, errOut, code := run(t, append(args, "--dry-run")...)
	if code != exitClean || !strings.Contains(out, "SRV\t10 5 1688 kms-standby.pw.example.") {
		t.Errorf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = run(t, args...)
	if code != exitClean || !strings.Contains(out, "record: SRV priority 10, weight 5, port 1688, target kms-standby.pw.example, TTL 3600") {
		t.Errorf("publish: exit %d\n%s%s", code, out, errOut)
	}
	var got []string
	for _, l := range testserver.Records(t, bind.Addr, "pw.example") {
		if strings.Contains(strings.ToLower(l), "_vlmcs") {
			got = append(got, strings.Join(strings.Fields(l)[4:], " "))
		}
	}
	if !slices.Equal(got, []string{"10 5 1688 kms-standby.pw.example."}) {
		t.Errorf("the server holds %q", got)
	}
}

// TestTargetCNAMEFixConverges: the target-cname fix, run as printed
// (--dry-run, then for real) against real BIND, makes the finding go away
// on a new audit. When the alias's host already has its own record in the
// RRset, the fix only removes the alias record; otherwise it publishes the
// host's own name, then removes the alias record, and only for a host fit
// to publish (a host failing its probe, or decommissioned, gets no
// command).
func TestTargetCNAMEFixConverges(t *testing.T) {
	const (
		ipGood1  = "127.0.0.54"
		ipGood2  = "127.0.0.55"
		ipClosed = "127.0.0.56"
	)
	port := testserver.FreePortOn(t, ipGood1, ipGood2, ipClosed)
	kmstest.Start(t, ipGood1, port, kmstest.KMS)
	kmstest.Start(t, ipGood2, port, kmstest.KMS)
	content := fmt.Sprintf(`$ORIGIN cn.example.
$TTL 3600
@ IN SOA ns1 hm 1 3600 900 1209600 300
 IN NS ns1
ns1 IN A 127.0.0.1
_vlmcs._tcp IN SRV 0 0 %[1]d alias
_vlmcs._tcp.both IN SRV 0 0 %[1]d alias
_vlmcs._tcp.both IN SRV 0 0 %[1]d good1
_vlmcs._tcp.dead IN SRV 0 0 %[1]d deadalias
_vlmcs._tcp.dead IN SRV 0 0 %[1]d good1
_vlmcs._tcp.old IN SRV 0 0 %[1]d decomalias
_vlmcs._tcp.old IN SRV 0 0 %[1]d good2
good1 IN A %[2]s
good2 IN A %[3]s
closed IN A %[4]s
decom IN A %[3]s
alias IN CNAME good1
deadalias IN CNAME closed
decomalias IN CNAME decom
`, port, ipGood1, ipGood2, ipClosed)
	bind := testserver.StartBIND(t, testserver.BINDConfig{Keys: []testserver.Key{cliUpdKey},
		Zones: []testserver.Zone{{Name: "cn.example", Content: content, Transfer: "any;", Extra: "update-policy { grant upd zonesub SRV; };"}}})
	env := fixEnv{server: bind.Addr, keyFile: cliUpdKey.WriteKeyFile(t, t.TempDir())}
	auditCNAME := func() map[string]fixFinding {
		out, errOut, _ := run(t, "audit", "-o", "json", "-z", "cn.example", "--server", bind.Addr, "--resolver", bind.Addr,
			"--expected-port", strconv.Itoa(port), "--probe-timeout", "1s", "--decommissioned", "decom.cn.example")
		if out == "" {
			t.Fatalf("no report\n%s", errOut)
		}
		got := map[string]fixFinding{}
		for _, f := range fixFindings(t, out) {
			if f.Check == audit.CheckTargetCNAME {
				got[f.Name] = f
			}
		}
		return got
	}
	before := auditCNAME()
	want := map[string][]string{ // owner -> the commands' verbs and hosts
		"_vlmcs._tcp.cn.example.":      {"publish good1.cn.example", "unpublish alias.cn.example"},
		"_vlmcs._tcp.both.cn.example.": {"unpublish alias.cn.example"},
		"_vlmcs._tcp.dead.cn.example.": nil, // closed fails its probe
		"_vlmcs._tcp.old.cn.example.":  nil, // decom is decommissioned
	}
	for owner, w := range want {
		f, ok := before[owner]
		if !ok {
			t.Fatalf("no target-cname finding at %s: %v", owner, before)
		}
		cmds := f.Commands
		if cmds == nil && f.Command != nil {
			cmds = [][]string{f.Command}
		}
		var got []string
		for _, c := range cmds {
			got = append(got, c[1]+" "+flagValue(c, "--host"))
			if !strings.Contains(f.Fix, audit.Command(c).String()) {
				t.Errorf("%s: the fix does not print %s: %s", owner, audit.Command(c), f.Fix)
			}
		}
		if !slices.Equal(got, w) {
			t.Errorf("%s: commands %q, want %q (fix: %s)", owner, got, w, f.Fix)
		}
		if len(cmds) > 0 && !slices.Equal(f.Command, cmds[0]) {
			t.Errorf("%s: command %v is not the first of commands %v", owner, f.Command, cmds)
		}
		// Run them in order as printed: --dry-run (checked to touch only
		// the finding's owner and the named host), then for real.
		for _, c := range cmds {
			one := f
			one.Command = c
			env.runFix(t, one)
			args := append(slices.Clone(c[1:]), "--server", env.server, "--key-file", env.keyFile)
			if out, errOut, code := run(t, args...); code != exitClean {
				t.Fatalf("%s: %v: exit %d\n%s%s", owner, c, code, out, errOut)
			}
		}
	}
	after := auditCNAME()
	for owner, w := range want {
		if _, still := after[owner]; still != (w == nil) {
			t.Errorf("%s: target-cname after the fix: %v, want %v", owner, still, w == nil)
		}
	}
	// What the server holds (read back by transfer): the alias records are
	// gone where a fix ran, the host's own name is published once.
	recs := kmsRecords(t, bind.Addr, "cn.example")
	for _, r := range []string{
		fmt.Sprintf("_vlmcs._tcp.cn.example. %d 3600 good1.cn.example.", port),
		fmt.Sprintf("_vlmcs._tcp.both.cn.example. %d 3600 good1.cn.example.", port),
		fmt.Sprintf("_vlmcs._tcp.dead.cn.example. %d 3600 deadalias.cn.example.", port),
	} {
		if !slices.Contains(recs, r) {
			t.Errorf("the zone lacks %q: %q", r, recs)
		}
	}
	for _, r := range recs {
		if strings.HasSuffix(r, " alias.cn.example.") {
			t.Errorf("an alias record is left: %q", r)
		}
	}
}
