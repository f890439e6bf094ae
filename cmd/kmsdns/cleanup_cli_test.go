package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/cleanup"
	"github.com/kmsdns/kmsdns/internal/testserver"
)

const pair = "_vlmcs._tcp IN SRV 0 0 PORT kms-ok\n_vlmcs._tcp IN SRV 0 0 PORT kms-old\n"

// buildKmsdns builds the command into dir and returns its path.
func buildKmsdns(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "kmsdns")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func zoneArgs(zones ...string) []string {
	var out []string
	for _, z := range zones {
		out = append(out, "--zone", z)
	}
	return out
}

// TestCleanupCLI runs cleanup against one BIND, one zone set per case.
func TestCleanupCLI(t *testing.T) {
	zones := cleanupZones()
	for z, body := range map[string]string{
		"u1.example": pair, "n1.example": pair, "j1.example": pair, "h1.example": pair + "_vlmcs._tcp.emea IN SRV 0 0 PORT kms-old\n_vlmcs._tcp.emea IN SRV 0 0 PORT kms-ok\n",
		"s1.example": pair, "s2.example": pair, "a1.example": pair + "_vlmcs._tcp.emea IN SRV 0 0 PORT kms-alias\n_vlmcs._tcp.emea IN SRV 0 0 PORT kms-ok\nkms-alias IN CNAME kms-old\nskms IN CNAME kms-old\n",
		"st1.example": pair, "x1.example": pair, "o1.example": pair + "_vlmcs._tcp IN SRV 0 0 PORT stale\n", "w1.example": pair, "dup1.example": pair, "dup2.example": pair, "rd1.example": pair, "rs7.example": pair,
	} {
		zones[z] = body
	}
	var kill, conc, term []string
	for i := range 6 {
		term = append(term, fmt.Sprintf("sg%d.example", i))
		kill = append(kill, fmt.Sprintf("k%d.example", i))
		conc = append(conc, fmt.Sprintf("cc%d.example", i))
	}
	for _, z := range slices.Concat(kill, conc, term) {
		zones[z] = pair
	}
	for z, body := range keptZones() {
		zones[z] = body
	}
	l := startCleanupLab(t, zones)
	bin := buildKmsdns(t, t.TempDir())
	oldOf := func(z string) string { return "kms-old." + z }
	hasOld := func(z string) bool {
		return slices.ContainsFunc(testserver.Records(t, l.bind.Addr, z), func(r string) bool { return strings.Contains(r, "kms-old") && strings.Contains(r, "\tsrv\t") })
	}
	state := func(t *testing.T) string { return filepath.Join(t.TempDir(), "removed.json") }

	t.Run("failed host everywhere", func(t *testing.T) { testCleanupFailedHostEverywhere(t, l) })
	t.Run("replace with, one message", func(t *testing.T) { testCleanupReplaceWithOneMessage(t, l) })
	t.Run("guards and opt-ins", func(t *testing.T) { testCleanupGuardsAndOptIns(t, l) })
	t.Run("partial failure then rerun", func(t *testing.T) { testCleanupPartialFailureThenRerun(t, l) })
	t.Run("kept records exit 1, dry run the same", func(t *testing.T) { testCleanupKept(t, l) })
	t.Run("replacement host checked", func(t *testing.T) { testCleanupReplacementChecked(t, l) })
	t.Run("interrupted during the audit", func(t *testing.T) { testCleanupInterruptedAudit(t, l) })
	t.Run("restore command with --key-name", func(t *testing.T) { testCleanupRestoreKeyName(t, l, bin) })
	t.Run("restore: TTL rule and bad lines", func(t *testing.T) { testRestoreTTLAndBadLine(t, l) })
	t.Run("restore: a second record for a host", func(t *testing.T) { testRestoreWarnsDuplicate(t, l) })
	t.Run("restore: hosts checked as publish checks them", func(t *testing.T) { testRestoreChecksHosts(t, l) })

	t.Run("neither --host nor --stale", func(t *testing.T) {
		_, errOut, code := run(t, l.args(zoneArgs("u1.example")...)...)
		if code != exitUsage || !strings.Contains(errOut, "--host") || !strings.Contains(errOut, "--stale") {
			t.Errorf("exit %d: %s", code, errOut)
		}
	})

	t.Run("--host removes only that host", func(t *testing.T) {
		before := testserver.Records(t, l.bind.Addr, "o1.example")
		out, errOut, code := run(t, l.args(append(zoneArgs("o1.example"), "--host", oldOf("o1.example"), "--yes", "--state", state(t))...)...)
		if code != exitClean {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		var want []string
		for _, r := range before {
			if !strings.Contains(r, "srv\t0 0 "+fmt.Sprint(l.port)+" kms-old") {
				want = append(want, r)
			}
		}
		if got := testserver.Records(t, l.bind.Addr, "o1.example"); len(want) != len(before)-1 || !slices.Equal(got, want) {
			t.Errorf("zone:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})

	t.Run("typo in --host", func(t *testing.T) {
		before := testserver.Records(t, l.bind.Addr, "u1.example")
		out, errOut, code := run(t, l.args(append(zoneArgs("u1.example"), "--host", "kms-odl.u1.example", "--yes", "--state", state(t))...)...)
		if code == exitClean || strings.Contains(out, "nothing to clean") || !strings.Contains(errOut, "closest targets seen: kms-old.u1.example") {
			t.Errorf("exit %d\n%s%s", code, out, errOut)
		}
		if got := testserver.Records(t, l.bind.Addr, "u1.example"); !slices.Equal(got, before) {
			t.Errorf("changed: %v", got)
		}
	})

	t.Run("dry run wording and records", func(t *testing.T) {
		out, errOut, code := run(t, l.args(append(zoneArgs("u1.example"), "--host", oldOf("u1.example"), "--replace-with", "kms-new.u1.example", "--dry-run")...)...)
		if code != exitClean || !strings.Contains(out, "would replace") || !strings.Contains(out, "would add") {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		// The record itself: owner, target, port, priority, weight, TTL.
		row := fmt.Sprintf(`_vlmcs._tcp\.u1\.example\s*[│|]\s*kms-old\.u1\.example\s*[│|]\s*%d\s*[│|]\s*0\s*[│|]\s*0\s*[│|]\s*300\s*[│|]\s*would replace`, l.port)
		if !regexpMatch(row, out) {
			t.Errorf("no full record row %q in\n%s", row, out)
		}
		// A --ttl that differs from the RRset's is said to change the others.
		out, errOut, code = run(t, l.args(append(zoneArgs("u1.example"), "--host", oldOf("u1.example"), "--replace-with", "kms-new.u1.example", "--ttl", "60", "--dry-run")...)...)
		if code != exitClean || !strings.Contains(out, "changes the TTL of 1 other records from 300 to 60") {
			t.Fatalf("ttl: exit %d\n%s%s", code, out, errOut)
		}
		out, errOut, code = run(t, l.args(append(zoneArgs("u1.example"), "--host", oldOf("u1.example"), "--dry-run")...)...)
		if code != exitClean || !strings.Contains(out, "would remove") || strings.Contains(out, "would replace") {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
	})

	t.Run("stdin /dev/null without --yes", func(t *testing.T) {
		before := testserver.Records(t, l.bind.Addr, "n1.example")
		devnull, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		defer devnull.Close()
		if isTerminal(devnull) {
			t.Fatal("/dev/null taken for a terminal")
		}
		for _, output := range []string{"table", "json"} {
			cmd := exec.Command(bin, l.args(append(zoneArgs("n1.example"), "--host", oldOf("n1.example"), "--state", state(t), "-o", output)...)...)
			cmd.Stdin = devnull
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err = cmd.Run()
			if cmd.ProcessState.ExitCode() != exitUsage || !strings.Contains(stderr.String()+stdout.String(), "run again with --yes") {
				t.Errorf("-o %s: exit %d (%v)\n%s", output, cmd.ProcessState.ExitCode(), err, stderr.String())
			}
			if output == "json" {
				// The refusal is the document's error; the plan went to stderr.
				var doc cleanupDoc
				oneJSON(t, stdout.String(), &doc)
				if !strings.Contains(doc.Error, "no terminal to confirm on") || len(doc.Changes) != 1 || doc.Changes[0].Status != "not-sent" ||
					doc.Backup != "" || doc.Planned[0].Action != "not sent" || !strings.Contains(stderr.String(), "Cleanup plan") {
					t.Errorf("-o json: %+v\nstderr:\n%s", doc, stderr.String())
				}
			}
			if got := testserver.Records(t, l.bind.Addr, "n1.example"); !slices.Equal(got, before) {
				t.Errorf("-o %s: zone changed: %v", output, got)
			}
		}
	})

	t.Run("json is one document", func(t *testing.T) { testCleanupJSON(t, l) })

	t.Run("restore hint runs as printed", func(t *testing.T) {
		before := testserver.Records(t, l.bind.Addr, "h1.example")
		st := state(t)
		out, errOut, code := run(t, l.args(append(zoneArgs("h1.example"), "--host", oldOf("h1.example"), "--yes", "--state", st)...)...)
		if code != exitClean || hasOld("h1.example") {
			t.Fatalf("cleanup: exit %d\n%s%s", code, out, errOut)
		}
		hint := restoreHint(t, errOut)
		if strings.Contains(hint, cliUpdKey.Secret) || !strings.Contains(hint, l.keyFile) {
			t.Fatalf("hint %q", hint)
		}
		runHint(t, bin, hint)
		if got := testserver.Records(t, l.bind.Addr, "h1.example"); !slices.Equal(got, before) {
			t.Errorf("after restore:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(before, "\n"))
		}
		// The restore took the records out of the run's state file: an
		// audit with it reports nothing reappeared.
		out, errOut, _ = run(t, "audit", "--server", l.bind.Addr, "--zone", "h1.example", "--state", st, "--expected-port", fmt.Sprint(l.port), "--probe-timeout", "1s")
		if strings.Contains(out+errOut, "reappeared") || !strings.Contains(hint, "--state "+st) {
			t.Errorf("restore %q, then audit --state %s:\n%s%s", hint, st, out, errOut)
		}
	})

	t.Run("two runs in the same second: two backups", func(t *testing.T) {
		// A cron job per zone: the default backup names clash (one-second
		// resolution; the tests' clock stands still); the second run takes
		// NAME-2.zone, and each restore command names its own.
		t.Chdir(t.TempDir())
		var backups []string
		for _, z := range []string{"dup1.example", "dup2.example"} {
			_, errOut, code := run(t, "cleanup", "--server", l.bind.Addr, "--key-file", l.keyFile, "--expected-port", fmt.Sprint(l.port), "--probe-timeout", "1s",
				"--zone", z, "--host", oldOf(z), "--yes", "--state", state(t))
			if code != exitClean || hasOld(z) {
				t.Fatalf("%s: exit %d\n%s", z, code, errOut)
			}
			backups = append(backups, backupPath(t, errOut))
		}
		want := []string{"kmsdns-backup-20261122-090000.zone", "kmsdns-backup-20261122-090000-2.zone"}
		for i, b := range backups {
			if filepath.Base(b) != want[i] {
				t.Errorf("backup %d: %s, want %s", i+1, b, want[i])
			}
		}
	})

	t.Run("interrupted between zones", func(t *testing.T) {
		st := state(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var o, eb bytes.Buffer
		n := 0
		app := newApp(env{stdout: &o, stderr: &eb, now: time.Now, beforeZone: func(string) {
			if n++; n == 2 {
				cancel() // as SIGTERM does through signal.NotifyContext
			}
		}})
		code := exitCode(app.RunContext(ctx, append([]string{"kmsdns"}, l.args(append(zoneArgs("s1.example", "s2.example"), "--host", oldOf("s1.example"), "--host", oldOf("s2.example"), "--yes", "--state", st)...)...)), &eb)
		if code != exitErrors || !strings.Contains(eb.String(), "interrupted") {
			t.Fatalf("exit %d\n%s%s", code, o.String(), eb.String())
		}
		if !regexpMatch(`s1\.example\s*[│|].*kms-old\.s1\.example.*[│|]\s*removed\s*[│|]\s*NOERROR\s*[│|]\s*yes`, o.String()) ||
			!regexpMatch(`s2\.example\s*[│|].*kms-old\.s2\.example.*[│|]\s*not sent\s*[│|]`, o.String()) {
			t.Errorf("account:\n%s", o.String())
		}
		if hasOld("s1.example") || !hasOld("s2.example") {
			t.Errorf("zones: s1 old %v, s2 old %v", hasOld("s1.example"), hasOld("s2.example"))
		}
		s, err := cleanup.LoadState(st)
		if err != nil || len(s.Removed) != 1 || s.Removed[0].Target != oldOf("s1.example")+"." || s.Removed[0].Pending {
			t.Errorf("state: %v %+v", err, s)
		}
	})

	t.Run("alias of a removed host", func(t *testing.T) {
		out, errOut, _ := run(t, l.args(append(zoneArgs("a1.example"), "--host", oldOf("a1.example"), "--dry-run")...)...)
		if !strings.Contains(errOut, "kms-alias.a1.example is an alias (CNAME) of kms-old.a1.example") ||
			!strings.Contains(errOut, "skms.a1.example (a CNAME in zone a1.example) leads to kms-old.a1.example") || strings.Count(errOut, "kms-alias.a1.example") != 2 {
			t.Errorf("no alias warning:\n%s%s", out, errOut)
		}
	})

	t.Run("state file from the config", func(t *testing.T) {
		// A relative state path is relative to the config file.
		cfgDir := t.TempDir()
		st := filepath.Join(cfgDir, "state", "removed.json")
		cfg := filepath.Join(cfgDir, "kmsdns.yaml")
		os.WriteFile(cfg, []byte(fmt.Sprintf("defaults:\n  server: %s\n  key-file: %s\n  state: state/removed.json\nzones:\n  - name: st1.example\n", l.bind.Addr, l.keyFile)), 0o600)
		out, errOut, code := run(t, "cleanup", "--config", cfg, "--host", oldOf("st1.example"), "--yes", "--expected-port", fmt.Sprint(l.port), "--backup", filepath.Join(t.TempDir(), "b.zone"))
		if code != exitClean {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		if s, err := cleanup.LoadState(st); err != nil || len(s.Removed) != 1 {
			t.Errorf("state %s: %v %+v", st, err, s)
		}
	})

	t.Run("corrupt state: audit warns and goes on", func(t *testing.T) {
		st := state(t)
		os.WriteFile(st, []byte("{garbage"), 0o600)
		out, errOut, code := run(t, "audit", "--server", l.bind.Addr, "--zone", "x1.example", "--no-probe", "--state", st, "-o", "json")
		if code == exitUsage || !strings.Contains(errOut, "corrupt state file") {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
		if r := decode(t, out); len(r.Findings) == 0 && r.Summary.Records == 0 {
			t.Errorf("nothing audited: %s", out)
		}
		// A writer sets it aside and says so.
		out, errOut, code = run(t, l.args(append(zoneArgs("x1.example"), "--host", oldOf("x1.example"), "--yes", "--state", st)...)...)
		if code != exitClean || !strings.Contains(errOut, "set it aside as "+st+".corrupt-") {
			t.Errorf("writer: exit %d\n%s%s", code, out, errOut)
		}
		if s, err := cleanup.LoadState(st); err != nil || len(s.Removed) != 1 {
			t.Errorf("new state: %v %+v", err, s)
		}
	})

	t.Run("state file locked by another run", func(t *testing.T) {
		st := state(t)
		os.MkdirAll(filepath.Dir(st), 0o700)
		f, err := os.OpenFile(st+".lock", os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			t.Fatal(err)
		}
		fd := int(f.Fd())
		released := time.Now().Add(700 * time.Millisecond)
		unlocked := make(chan struct{})
		go func() {
			defer close(unlocked)
			time.Sleep(700 * time.Millisecond)
			syscall.Flock(fd, syscall.LOCK_UN)
		}()
		defer func() { <-unlocked }()
		out, errOut, code := run(t, l.args(append(zoneArgs("w1.example"), "--host", oldOf("w1.example"), "--yes", "--state", st)...)...)
		if code != exitClean || time.Now().Before(released) {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		if s, err := cleanup.LoadState(st); err != nil || len(s.Removed) != 1 || s.Removed[0].Pending {
			t.Errorf("state: %v %+v", err, s)
		}
	})

	t.Run("SIGTERM mid-cleanup", func(t *testing.T) {
		st := state(t)
		args := l.args(append(zoneArgs(term...), "--yes", "--state", st)...)
		for _, z := range term {
			args = append(args, "--host", oldOf(z))
		}
		cmd := exec.Command(bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if s, err := cleanup.LoadState(st); err == nil && len(s.Removed) >= 2 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if code := cmd.ProcessState.ExitCode(); code != exitErrors || !strings.Contains(stderr.String(), "interrupted") {
			t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
		}
		s, err := cleanup.LoadState(st)
		if err != nil {
			t.Fatal(err)
		}
		changed := 0
		for _, z := range term {
			// The account says what the zone holds, and so does the state.
			row := regexp.MustCompile(regexp.QuoteMeta(z) + `\s*[│|][^\n]*kms-old\.` + regexp.QuoteMeta(z) + `\s*[│|][^\n]*[│|]\s*(removed|not sent|unknown|not changed)\s*[│|]`).FindStringSubmatch(stdout.String())
			inState := slices.ContainsFunc(s.Removed, func(r auditRemoved) bool { return r.Target == oldOf(z)+"." && !r.Pending })
			gone := !hasOld(z)
			if gone {
				changed++
			}
			switch {
			case row == nil:
				t.Errorf("%s: no row in the account", z)
			case gone && (row[1] != "removed" || !inState):
				t.Errorf("%s changed, account %q, in state %v", z, row[1], inState)
			case !gone && (row[1] != "not sent" && row[1] != "not changed" || inState):
				t.Errorf("%s not changed, account %q, in state %v", z, row[1], inState)
			}
		}
		t.Logf("SIGTERM after %d of %d zones", changed, len(term))
		if changed == 0 || changed == len(term) {
			t.Errorf("not interrupted mid-run: %d of %d zones changed\n%s", changed, len(term), stdout.String())
		}
	})

	t.Run("kill -9 mid-cleanup", func(t *testing.T) {
		st := state(t)
		args := l.args(append(zoneArgs(kill...), "--yes", "--state", st)...)
		for _, z := range kill {
			args = append(args, "--host", oldOf(z))
		}
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill mid-run: once the state file holds three entries (two
		// zones done, the third in flight).
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if s, err := cleanup.LoadState(st); err == nil && len(s.Removed) >= 3 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		s, err := cleanup.LoadState(st)
		if err != nil {
			t.Fatal(err)
		}
		changed := 0
		for _, z := range kill {
			if hasOld(z) {
				continue
			}
			changed++
			if !slices.ContainsFunc(s.Removed, func(r auditRemoved) bool { return r.Target == oldOf(z)+"." }) {
				t.Errorf("%s was changed but is not in the state file: %+v", z, s.Removed)
			}
		}
		t.Logf("killed after %d of %d zones changed; %d state entries", changed, len(kill), len(s.Removed))
		if changed == 0 || changed == len(kill) {
			t.Errorf("not killed mid-run: %d of %d zones changed", changed, len(kill))
		}
	})

	t.Run("two concurrent cleanups", func(t *testing.T) {
		st := state(t)
		var wg sync.WaitGroup
		outs := make([]string, 2)
		codes := make([]int, 2)
		for i, part := range [][]string{conc[:3], conc[3:]} {
			args := l.args(append(zoneArgs(part...), "--yes", "--state", st)...)
			for _, z := range part {
				args = append(args, "--host", oldOf(z))
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				b, _ := exec.Command(bin, args...).CombinedOutput()
				outs[i] = string(b)
			}()
			_ = codes
		}
		wg.Wait()
		s, err := cleanup.LoadState(st)
		if err != nil {
			t.Fatal(err)
		}
		for _, z := range conc {
			if hasOld(z) {
				t.Errorf("%s not cleaned:\n%s\n%s", z, outs[0], outs[1])
			}
			if !slices.ContainsFunc(s.Removed, func(r auditRemoved) bool { return r.Target == oldOf(z)+"." && !r.Pending }) {
				t.Errorf("%s missing from the state file: %+v", z, s.Removed)
			}
		}
	})
}

type auditRemoved = audit.Removed

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }
