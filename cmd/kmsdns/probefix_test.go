package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/audit/probe"
	"github.com/kmsdns/kmsdns/internal/kmstest"
	"github.com/kmsdns/kmsdns/internal/testserver"
)

// probeZone is a zone for BIND whose apex _vlmcs._tcp record points at
// host (with address ip) on port.
func probeZone(origin, host, ip string, port int) testserver.Zone {
	return testserver.Zone{Name: origin, Transfer: "any;", Extra: "update-policy { grant upd zonesub SRV; };",
		Content: fmt.Sprintf("$ORIGIN %s.\n$TTL 300\n@ IN SOA ns1 hm 1 3600 900 1209600 300\n IN NS ns1\nns1 IN A 127.0.0.1\n"+
			"_vlmcs._tcp IN SRV 0 0 %d %s\n%s IN A %s\n", origin, port, host, host, ip)}
}

// reportOf decodes a JSON report.
func reportOf(t *testing.T, out string) audit.Report {
	t.Helper()
	var rep audit.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not a JSON report: %v\n%s", err, out)
	}
	return rep
}

// TestPortMismatchKeepsWorkingRecords (review N1): against real BIND and
// simulated KMS hosts, a record whose own port answers as a KMS host is
// never reported failing and no command moves it; a record whose port
// fails gets the publish-on-1688 command only when a KMS host answers on
// 1688. Every printed command, run with --dry-run, plans records only on
// ports where a KMS host answers (probed here, independently).
func TestPortMismatchKeepsWorkingRecords(t *testing.T) {
	const (
		ipOK   = "127.0.0.91" // KMS on P, nothing on 1688: the review's d.example
		ipMove = "127.0.0.92" // nothing on P, KMS on 1688
		ipDead = "127.0.0.93" // nothing anywhere
	)
	P := testserver.FreePortOn(t, ipOK, ipMove, ipDead)
	kmstest.Start(t, ipOK, P, kmstest.KMS)
	kmstest.Start(t, ipMove, audit.DefaultPort, kmstest.KMS)
	bind := testserver.StartBIND(t, testserver.BINDConfig{Keys: []testserver.Key{cliUpdKey}, Zones: []testserver.Zone{
		probeZone("d.example", "kms-ok", ipOK, P),
		probeZone("m.example", "kms-mv", ipMove, P),
		probeZone("x.example", "kms-dead", ipDead, P),
	}})
	keyFile := cliUpdKey.WriteKeyFile(t, t.TempDir())
	addrOf := map[string]string{"kms-ok.d.example.": ipOK, "kms-mv.m.example.": ipMove, "kms-dead.x.example.": ipDead}
	answers := func(host string, port uint16) bool {
		ip, ok := addrOf[host]
		if !ok {
			t.Errorf("a command names %s, not a host of the test", host)
			return false
		}
		return probe.Prober{Timeout: time.Second}.Probe(t.Context(), netip.AddrPortFrom(netip.MustParseAddr(ip), port)).Status == probe.StatusKMS
	}

	runs := map[string][]string{
		"audit": {"audit", "--server", bind.Addr, "--resolver", bind.Addr, "--zone", "d.example", "--zone", "m.example", "--zone", "x.example", "--probe-timeout", "1s"},
		"check": {"check", "--resolver", bind.Addr, "--probe-timeout", "1s", "d.example", "m.example", "x.example"},
	}
	for name, args := range runs {
		t.Run(name, func(t *testing.T) {
			out, errOut, _ := run(t, append(args, "-o", "json")...)
			rep := reportOf(t, out)
			byZone := map[string][]audit.Finding{}
			for _, f := range rep.Findings {
				z := strings.TrimPrefix(f.Name, "_vlmcs._tcp.")
				byZone[z] = append(byZone[z], f)
			}
			// d.example: the record works; the mismatch is a note.
			for _, f := range byZone["d.example."] {
				if f.Severity != audit.SeverityInfo || f.Command != nil {
					t.Errorf("d.example: %s %s: %s (command %s)", f.Severity, f.Check, f.Message, f.Command)
				}
			}
			if !slices.ContainsFunc(byZone["d.example."], func(f audit.Finding) bool {
				return f.Check == audit.CheckPortMismatch && strings.Contains(f.Fix, "--expected-port "+strconv.Itoa(P))
			}) {
				t.Errorf("d.example: no port-mismatch note naming --expected-port %d: %+v\n%s", P, byZone["d.example."], errOut)
			}
			// m.example: moving to 1688 is offered; x.example: not.
			var moved bool
			for _, f := range rep.Findings {
				if f.Check == audit.CheckPortMismatch && f.Command != nil {
					moved = moved || strings.Contains(f.Name, "m.example")
					if !strings.Contains(f.Name, "m.example") {
						t.Errorf("%s: port-mismatch command %s", f.Name, f.Command)
					}
				}
			}
			if !moved {
				t.Errorf("m.example: no command to publish on 1688, where a KMS host answers\n%s", out)
			}
			// Every printed command, run as printed: no record on a dead port.
			for _, f := range rep.Findings {
				if f.Command == nil || f.Command[1] != "publish" {
					continue
				}
				argv := append(slices.Clone([]string(f.Command[1:])), "--dry-run", "--server", bind.Addr, "--key-file", keyFile, "-o", "json", "--no-probe")
				pout, perr, code := run(t, argv...)
				if code != exitClean {
					t.Errorf("%s: exit %d\n%s%s", f.Command, code, pout, perr)
					continue
				}
				var res struct{ Plans []struct{ Update string } }
				if err := json.Unmarshal([]byte(pout), &res); err != nil {
					t.Fatalf("%s: %v\n%s", f.Command, err, pout)
				}
				for _, p := range res.Plans {
					_, add := planned(t, p.Update)
					for _, a := range add {
						if !answers(a.target, a.port) {
							t.Errorf("%s %s: %s plans %s on port %d, where no KMS host answers", f.Check, f.Name, f.Command, a.target, a.port)
						}
					}
				}
			}
		})
	}

	// The review's command: check d.example alone is clean, and says the
	// record leads to a working host.
	out, errOut, code := run(t, "check", "--resolver", bind.Addr, "--probe-timeout", "1s", "d.example")
	if code != exitClean || !strings.Contains(out, "1 lead to a working KMS host") || strings.Contains(out, "0xC004F074") {
		t.Errorf("check d.example: exit %d\n%s%s", code, out, errOut)
	}
}

// TestInterruptedProbeIsNoFinding (review N2): SIGINT to the built binary
// while it probes a silent simulated KMS host (5 s probe timeout) ends it
// at once with "interrupted: the report is incomplete", exit 2, JSON
// interrupted: true, and no not-kms (or any) finding from the probe cut
// short; --output nagios says UNKNOWN (exit 3), not CRITICAL. The same
// host, left to a short probe timeout, is a real not-kms finding.
func TestInterruptedProbeIsNoFinding(t *testing.T) {
	const ip = "127.0.0.94"
	silent := kmstest.Start(t, ip, 0, kmstest.Silent)
	_, portStr, _ := strings.Cut(silent.Addr, ":")
	port, _ := strconv.Atoi(portStr)
	bind := testserver.StartBIND(t, testserver.BINDConfig{Keys: []testserver.Key{cliUpdKey}, Zones: []testserver.Zone{probeZone("f.example", "silent", ip, port)}})
	keyFile := cliUpdKey.WriteKeyFile(t, t.TempDir())
	bin := buildBinary(t)

	// interrupt runs bin, sends SIGINT once the silent host has the
	// probe's connection, and returns stdout, stderr, the exit code and
	// how long the run took after the signal.
	interrupt := func(args ...string) (string, string, int, time.Duration) {
		before := silent.Connections()
		cmd := exec.Command(bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for silent.Connections() == before && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
		sent := time.Now()
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
		return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode(), time.Since(sent)
	}
	const incomplete = "interrupted: the report is incomplete"
	audits := map[string][]string{
		"audit": {"audit", "--server", bind.Addr, "--resolver", bind.Addr, "--zone", "f.example", "--probe-timeout", "5s"},
		"check": {"check", "--resolver", bind.Addr, "--probe-timeout", "5s", "f.example"},
	}
	for name, args := range audits {
		t.Run(name, func(t *testing.T) {
			out, errOut, code, took := interrupt(append(args, "-o", "json")...)
			if code != exitErrors || !strings.Contains(errOut, incomplete) || took > 3*time.Second {
				t.Errorf("json: exit %d after %v\n%s%s", code, took, out, errOut)
			}
			rep := reportOf(t, out)
			if !rep.Interrupted {
				t.Errorf("JSON report not interrupted:\n%s", out)
			}
			for _, f := range rep.Findings {
				if f.Check == audit.CheckNotKMS || f.Check == audit.CheckHostUnreachable || f.Check == audit.CheckNoLiveHost {
					t.Errorf("finding from the interrupted probe: %s: %s", f.Check, f.Message)
				}
			}
			if len(rep.Targets) != 1 || rep.Targets[0].Probe != string(probe.StatusCancelled) {
				t.Errorf("targets %+v", rep.Targets)
			}

			out, errOut, code, _ = interrupt(args...)
			if code != exitErrors || !strings.Contains(errOut, incomplete) || strings.Contains(out, "not-kms") || strings.Contains(out, "within 5s") {
				t.Errorf("table: exit %d\n%s%s", code, out, errOut)
			}
		})
	}
	out, errOut, code, _ := interrupt(append(audits["audit"], "-o", "nagios")...)
	if code != exitUsage || out != "KMSDNS UNKNOWN - "+incomplete+"\n" {
		t.Errorf("nagios: exit %d\n%s%s", code, out, errOut)
	}
	// An incomplete report is no baseline for the next run.
	history := t.TempDir()
	if _, errOut, code, _ := interrupt(append(audits["audit"], "-o", "json", "--history", history)...); code != exitErrors {
		t.Errorf("--history: exit %d\n%s", code, errOut)
	}
	if kept, _ := os.ReadDir(history); len(kept) != 0 {
		t.Errorf("--history kept %d files of an interrupted run", len(kept))
	}

	// publish checks the host before planning: interrupted there, it
	// sends nothing and claims nothing about the host.
	for _, dry := range [][]string{{"--dry-run"}, nil} {
		out, errOut, code, _ = interrupt(append([]string{"publish", "--server", bind.Addr, "--key-file", keyFile, "--zone", "f.example", "--name", "new",
			"--host", "silent.f.example", "--port", strconv.Itoa(port), "--probe-timeout", "5s"}, dry...)...)
		if code != exitErrors || !strings.Contains(errOut, "interrupted before anything was sent: nothing changed") || strings.Contains(out+errOut, "does not answer") {
			t.Errorf("publish %s: exit %d\n%s%s", dry, code, out, errOut)
		}
	}
	// With -o json, stdout is one document that says it was interrupted.
	out, errOut, code, _ = interrupt("publish", "--server", bind.Addr, "--key-file", keyFile, "--zone", "f.example", "--name", "new",
		"--host", "silent.f.example", "--port", strconv.Itoa(port), "--probe-timeout", "5s", "--dry-run", "-o", "json")
	var doc struct {
		Interrupted bool `json:"interrupted"`
		ExitCode    int  `json:"exit_code"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != exitErrors || !doc.Interrupted || doc.ExitCode != exitErrors {
		t.Errorf("publish -o json interrupted: exit %d, %+v (%v)\n%s%s", code, doc, err, out, errOut)
	}
	if got := kmsRecords(t, bind.Addr, "f.example"); len(got) != 1 {
		t.Errorf("f.example holds %q after the interrupted publish", got)
	}

	// Not interrupted, the silent host is a finding.
	out, errOut, code = run(t, "check", "--resolver", bind.Addr, "--probe-timeout", "300ms", "-o", "json", "f.example")
	rep := reportOf(t, out)
	if code != exitErrors || rep.Interrupted || !slices.ContainsFunc(rep.Findings, func(f audit.Finding) bool { return f.Check == audit.CheckNotKMS }) {
		t.Errorf("own timeout: exit %d\n%s%s", code, out, errOut)
	}
}
