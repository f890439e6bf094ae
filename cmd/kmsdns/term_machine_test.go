package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/internal/testserver"
)

// longNamesLab is a real BIND serving the long-names zone (a 64-character
// zone, long owners and targets), the flags that reach it, and a plan
// config that moves a site's records to another host.
type longNamesLab struct {
	zone, site, primary, file, srv, resolver, planCfg string
}

func startLongNamesLab(t *testing.T) longNamesLab {
	t.Helper()
	const long = "regional-datacenter-north.emea.subsidiary-holdings-group.example"
	l := longNamesLab{zone: long, site: "warehouse-and-logistics-center.building-twelve",
		primary: "kms-primary-activation-server-01.building-twelve." + long,
		file:    "../../testdata/zones/long-names.zone"}
	l.file, _ = filepath.Abs(l.file)
	content, err := os.ReadFile(l.file)
	if err != nil {
		t.Fatal(err)
	}
	bind := testserver.StartBIND(t, testserver.BINDConfig{Keys: []testserver.Key{cliUpdKey},
		Zones: []testserver.Zone{{Name: long, Content: strings.ReplaceAll(string(content), "192.0.2.53", "127.0.0.1"), Transfer: "any;", Extra: "update-policy { grant upd zonesub SRV; };"}}})
	keyFile := cliUpdKey.WriteKeyFile(t, t.TempDir())
	l.srv = " --server " + bind.Addr + " --key-file " + keyFile
	l.resolver = " --resolver " + bind.Addr
	l.planCfg = filepath.Join(t.TempDir(), "kmsdns.yaml")
	if err := os.WriteFile(l.planCfg, []byte(fmt.Sprintf("zones:\n  - name: %s\n    server: %s\n    key-file: %s\n    desired:\n      %s: [{host: %s, priority: 10, weight: 50}]\n", long, bind.Addr, keyFile, l.site, l.primary)), 0o600); err != nil {
		t.Fatal(err)
	}
	return l
}

// underPTY runs bin with args under a pseudo-terminal of cols columns and
// returns stdout (stderr is dropped) with the terminal's \r removed.
func underPTY(t *testing.T, cols int, bin, args string) string {
	t.Helper()
	cmd := exec.Command("script", "-q", "-e", "-c", fmt.Sprintf("stty cols %d rows 50; %s %s 2>/dev/null", cols, bin, args), "/dev/null")
	// A state file of the test's own: cleanup records what it removed.
	// and backups (cleanup, apply) in a directory of its own.
	cmd.Env = append(os.Environ(), "TERM=dumb", "XDG_STATE_HOME="+t.TempDir())
	cmd.Dir = t.TempDir()
	raw, _ := cmd.Output()
	return strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(string(raw))
}

// TestMachineOutputNotWrapped: on an 80-column terminal, -o json of every
// command is one JSON document that parses, -o nagios is one line, plan
// --write-desired prints what it prints piped, and the reg add commands of
// plan --publish-list are whole lines (review 2 item 4).
func TestMachineOutputNotWrapped(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Fatal("script(1) (util-linux/bsdutils) is needed to run kmsdns under a pseudo-terminal")
	}
	bin := buildBinary(t)
	l := startLongNamesLab(t)
	for _, tc := range []struct{ name, args string }{
		{"audit file", "audit --offline -f " + l.file},
		{"audit server", "audit --no-probe -z " + l.zone + " --server " + strings.Fields(l.srv)[1] + l.resolver},
		{"check", "check --no-probe" + l.resolver + " " + l.site + "." + l.zone},
		{"publish", "publish --dry-run --no-probe -z " + l.zone + " --name " + l.site + " --host " + l.primary + l.srv},
		{"unpublish", "unpublish --dry-run -z " + l.zone + " --name " + l.site + " --host kms-standby." + l.zone + l.srv},
		{"cleanup", "cleanup --dry-run --stale --no-probe -z " + l.zone + l.resolver + l.srv},
		{"plan", "plan --no-probe -c " + l.planCfg + l.resolver},
		{"apply", "apply --no-probe --yes -c " + l.planCfg + l.resolver},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := underPTY(t, 80, bin, tc.args+" -o json")
			var doc map[string]any
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("-o json on an 80-column terminal: %v\n%s", err, out)
			}
			if n, _ := widest(out); n <= 80 {
				t.Errorf("no line wider than 80: the sample does not show wrapping (widest %d)", n)
			}
		})
	}
	t.Run("nagios", func(t *testing.T) {
		out := underPTY(t, 60, bin, "audit --offline -f "+l.file+" -o nagios")
		if n := strings.Count(out, "\n"); n != 1 || !strings.Contains(out, "|") {
			t.Errorf("-o nagios: want one line with perfdata, got %d:\n%s", n, out)
		}
	})
	t.Run("write-desired and publish-list", func(t *testing.T) {
		args := "plan --no-probe -c " + l.planCfg + l.resolver + " --write-desired"
		pout, _ := piped(t, bin, args, t.TempDir())
		if out := underPTY(t, 60, bin, args); out != string(pout) || len(pout) == 0 {
			t.Errorf("--write-desired on a terminal differs from piped:\n%s\n---\n%s", out, pout)
		}
		args = "plan --no-probe -c " + l.planCfg + l.resolver + " --publish-list"
		pout, _ = piped(t, bin, args, t.TempDir())
		out := underPTY(t, 60, bin, args)
		n := 0
		for _, line := range strings.Split(string(pout), "\n") {
			if strings.Contains(line, "reg add") {
				n++
				if !strings.Contains(out, line+"\n") {
					t.Errorf("reg add command broken on a terminal: %q\n%s", line, out)
				}
			}
		}
		if n == 0 {
			t.Errorf("no reg add command printed:\n%s", pout)
		}
	})
}

// TestJSONUsageError: with -o json, a usage error (a bad flag value, an
// unknown flag, a missing argument) still prints one JSON document on
// stdout, of the same shape for every command: version, command, error,
// exit_code (review 2 item 11, issue 10).
func TestJSONUsageError(t *testing.T) {
	bin := buildBinary(t)
	cfg := filepath.Join(t.TempDir(), "kmsdns.yaml")
	if err := os.WriteFile(cfg, []byte("zones:\n  - name: contoso.com\n    server: 127.0.0.1:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ command, args, want string }{
		{"audit", "audit -c " + cfg + " --zone contoso.org -o json", ""},
		{"audit", "audit --offline -o json --probe-timeout 1x", ""},
		{"check", "check contoso.com -o json --probe-timeout 1x", ""},
		{"check", "check -o json", ""},
		{"publish", "publish --from-file /nonexistent -o json --dry-run", ""},
		{"publish", "publish -o json --no-such-flag", ""},
		{"unpublish", "unpublish -o json --dry-run", ""},
		{"cleanup", "cleanup -c " + cfg + " -o json --dry-run", ""},
		{"plan", "plan -c /nonexistent/kmsdns.yaml -o json", ""},
		{"plan", "plan --output=json --dryrun", ""},
		{"apply", "apply -c /nonexistent/kmsdns.yaml -o json", ""},
		// -o itself wrong, json among its values (review 3 item 11)
		{"check", "check -o json -o text sub.example", "given more than once (json, text)"},
		{"check", "check -o json -o table sub.example", "given more than once (json, table)"},
		{"check", "check -o JSON sub.example", `"JSON" is not table or json`},
	} {
		t.Run(tc.args, func(t *testing.T) {
			cmd := exec.Command(bin, strings.Fields(tc.args)...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := -1
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != exitUsage {
				t.Errorf("exit %d, want 3; stderr: %s", code, stderr.String())
			}
			var doc struct {
				Version  int    `json:"version"`
				Command  string `json:"command"`
				Error    string `json:"error"`
				ExitCode *int   `json:"exit_code"`
			}
			dec := json.NewDecoder(&stdout)
			if err := dec.Decode(&doc); err != nil {
				t.Fatalf("stdout is not a JSON document: %v\n%s", err, stdout.String())
			}
			if dec.More() {
				t.Errorf("more than one document on stdout")
			}
			if doc.Version != 1 || doc.Command != tc.command || doc.Error == "" || doc.ExitCode == nil || *doc.ExitCode != exitUsage {
				t.Errorf("document %+v, want version 1, command %q, an error and exit_code 3", doc, tc.command)
			}
			if !strings.Contains(doc.Error, tc.want) {
				t.Errorf("error %q, want %q", doc.Error, tc.want)
			}
			if !strings.Contains(stderr.String(), "kmsdns:") {
				t.Errorf("the error is not on stderr too: %q", stderr.String())
			}
		})
	}
}

// piped runs bin with args, stdout a pipe, in a directory of its own with a
// state file of its own under state.
func piped(t *testing.T, bin, args, state string) ([]byte, error) {
	cmd := exec.Command("sh", "-c", bin+" "+args+" 2>/dev/null")
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state)
	cmd.Dir = t.TempDir()
	return cmd.Output()
}
