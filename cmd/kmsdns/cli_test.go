package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/internal/config"
	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/urfave/cli/v2"
)

func TestPrepareArgsMovesFlagsAheadOfArguments(t *testing.T) {
	app := newApp(env{})
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"check: flag with a value after the domain", "check contoso.com --resolver 127.0.0.1:5353", "check --resolver 127.0.0.1:5353 -- contoso.com"},
		{"check: short alias and =value", "check a.example -r=127.0.0.1 b.example -o json", "check -r=127.0.0.1 -o json -- a.example b.example"},
		{"check: bool flags take no value", "check --no-probe a.example --no-probe b.example", "check --no-probe --no-probe -- a.example b.example"},
		{"check: -- ends the flags", "check a.example -- --resolver -x", "check -- a.example --resolver -x"},
		{"check: a value that looks like a flag", "check --timeout -1s a.example", "check --timeout -1s -- a.example"},
		{"check: - is an argument", "check - -o json", "check -o json -- -"},
		{"check: flags only", "check --help", "check --help"},
		{"check: --help after the domains", "check a.example -r 127.0.0.1 b.example --help", "check --help"},
		{"audit: slice flags", "audit -f a.zone --offline -f b.zone -o json", "audit -f a.zone --offline -f b.zone -o json"},
		{"audit: an argument is kept for the command to refuse", "audit contoso.com --offline", "audit --offline -- contoso.com"},
		{"publish: int and bool flags", "publish --zone a.example --host kms1 --ttl 600 --dry-run extra", "publish --zone a.example --host kms1 --ttl 600 --dry-run -- extra"},
		{"unpublish: --force", "unpublish x --force -z a.example", "unpublish --force -z a.example -- x"},
		{"cleanup: --yes -y", "cleanup -y --host h -z a.example", "cleanup -y --host h -z a.example"},
		{"app flags before the command", "--help", "--help"},
		{"help command", "help audit", "audit --help"},
		{"help alone", "help", "--help"},
		{"version", "version", "version"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := prepareArgs(app, append([]string{"kmsdns"}, strings.Fields(tc.in)...))
			if err != nil {
				t.Fatal(err)
			}
			if g := strings.Join(got[1:], " "); g != tc.want {
				t.Errorf("got  %q\nwant %q", g, tc.want)
			}
		})
	}
}

// TestFlagsAfterArgumentsRealBIND runs check (the command that takes
// arguments) with its flags after, between and before the domains, against
// BIND as the client's resolver; every form gives the same report.
func TestFlagsAfterArgumentsRealBIND(t *testing.T) {
	zoneText := `$ORIGIN order.example.
$TTL 300
@ IN SOA ns1 hm 1 3600 900 1209600 300
  IN NS ns1
ns1 IN A 127.0.0.1
_vlmcs._tcp IN SRV 0 0 1688 kms1
kms1 IN A 127.0.0.51
`
	bind := testserver.StartBIND(t, testserver.BINDConfig{Zones: []testserver.Zone{{Name: "order.example", Content: zoneText}}})
	forms := [][]string{
		{"check", "--resolver", bind.Addr, "--no-probe", "-o", "json", "order.example"},
		{"check", "order.example", "--resolver", bind.Addr, "--no-probe", "-o", "json"},
		{"check", "order.example", "-r", bind.Addr, "--no-probe", "--output=json"},
		{"check", "--no-probe", "order.example", "--resolver=" + bind.Addr, "-o", "json"},
		{"check", "-r", bind.Addr, "--no-probe", "-o", "json", "--", "order.example"},
	}
	for _, args := range forms {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, errOut, code := run(t, args...)
			if code != exitClean {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			r := decode(t, out)
			if len(r.Zones) != 1 || r.Zones[0].Zone != "order.example." || len(r.Records) != 1 || r.Records[0].Target != "kms1.order.example." {
				t.Errorf("report %+v", r)
			}
		})
	}
	// After --, a flag is a domain (and not a valid one).
	_, errOut, code := run(t, "check", "-r", bind.Addr, "--", "--no-probe")
	if code != exitUsage || !strings.Contains(errOut, `"--no-probe" is not a domain name`) {
		t.Errorf("after --: exit %d %q", code, errOut)
	}
}

func TestDidYouMean(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"audt"}, `"audt" is not a kmsdns command: did you mean "audit"?`},
		{[]string{"chek", "contoso.com"}, `did you mean "check"?`},
		{[]string{"unpublsh"}, `did you mean "unpublish"?`},
		{[]string{"frobnicate"}, `"frobnicate" is not a kmsdns command (commands: audit, check, publish, unpublish, cleanup, plan, apply)`},
		{[]string{"publish", "--dryrun", "-z", "a.example", "--host", "kms1.a.example"}, "publish: unknown flag --dryrun: did you mean --dry-run?"},
		{[]string{"cleanup", "--dryrun"}, "cleanup: unknown flag --dryrun: did you mean --dry-run?"},
		{[]string{"unpublish", "--dry_run"}, "unpublish: unknown flag --dry_run: did you mean --dry-run?"},
		{[]string{"check", "contoso.com", "--resolvr", "127.0.0.1"}, "check: unknown flag --resolvr: did you mean --resolver?"},
		{[]string{"audit", "--zone-files=a.zone"}, "audit: unknown flag --zone-files: did you mean --zone-file?"},
		{[]string{"audit", "--findings"}, "audit: unknown flag --findings: did you mean --findings-only?"},
		{[]string{"audit", "--bogus"}, "audit: unknown flag --bogus (see kmsdns audit --help)"},
		{[]string{"--verison"}, "unknown flag --verison: did you mean --version? (see kmsdns --help)"},
		{[]string{"check", "contoso.com", "--resolver"}, "check: flag needs a value: --resolver (see kmsdns check --help)"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, code := run(t, tc.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if out != "" {
				t.Errorf("stdout not empty: %q", out)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr %q\nlacks %q", errOut, tc.want)
			}
		})
	}
}

func TestHelpCommand(t *testing.T) {
	out, errOut, code := run(t, "help", "check")
	want, _, _ := run(t, "check", "--help")
	if code != exitClean || errOut != "" || out != want || !strings.Contains(out, "kmsdns check [options] DOMAIN...") {
		t.Errorf("help check: exit %d %q %q", code, errOut, out)
	}
	_, errOut, code = run(t, "help", "chek")
	if code != exitUsage || !strings.Contains(errOut, `did you mean "check"?`) {
		t.Errorf("help chek: exit %d %q", code, errOut)
	}
}

func TestVersionCommand(t *testing.T) {
	out, errOut, code := run(t, "version")
	want, _, _ := run(t, "--version")
	if code != exitClean || errOut != "" || out != want || !strings.HasPrefix(out, "kmsdns version ") {
		t.Errorf("version: exit %d, %q, want %q", code, out, want)
	}
}

// sharedFlagCommands are the commands whose flags come from flags.go;
// writingCommands are those that send updates.
var (
	sharedFlagCommands = []string{"audit", "check", "publish", "unpublish", "cleanup"}
	writingCommands    = []string{"publish", "unpublish", "cleanup"}
)

// TestSameFlagSameMeaning checks that a flag defined in flags.go is the
// same (aliases, placeholder, default, environment) on every command that
// has it, that every writing command has every TSIG and GSS flag, and that
// help shows durations' format and environment variables.
func TestSameFlagSameMeaning(t *testing.T) {
	app := newApp(env{})
	reference := map[string]cli.Flag{}
	credentials := joinFlags(tsigFlags(tsigDest{new(string), new(string), new(string), new(string)}), gssFlags(new(config.Update)))
	for _, f := range joinFlags(
		[]cli.Flag{resolverFlag(new(string), ""), timeoutFlag(nil, ""), probeTimeoutFlag(nil), outputFlag(new(string), ""), stateFlag(nil), configFlag(nil),
			dryRunFlag(nil), verboseFlag(nil)},
		credentials) {
		reference[f.Names()[0]] = f
	}
	for _, name := range sharedFlagCommands {
		cmd := app.Command(name)
		for _, f := range cmd.Flags {
			if df, isDur := f.(*cli.DurationFlag); isDur && !strings.Contains(df.Usage, "10s or 1m30s") {
				t.Errorf("%s --%s: a duration without its format in the help", name, f.Names()[0])
			}
			ref, ok := reference[f.Names()[0]]
			if !ok {
				continue
			}
			if strings.Join(f.Names(), ",") != strings.Join(ref.Names(), ",") {
				t.Errorf("%s --%s: names %v, shared definition %v", name, f.Names()[0], f.Names(), ref.Names())
			}
			if fmt.Sprintf("%T", f) != fmt.Sprintf("%T", ref) {
				t.Errorf("%s --%s: %T, shared definition %T", name, f.Names()[0], f, ref)
			}
			if df, ok := f.(cli.DocGenerationFlag); ok && df.GetDefaultText() != ref.(cli.DocGenerationFlag).GetDefaultText() {
				t.Errorf("%s --%s: default %q, shared definition %q", name, f.Names()[0], df.GetDefaultText(), ref.(cli.DocGenerationFlag).GetDefaultText())
			}
			if df, ok := f.(cli.DocGenerationFlag); ok && ref.Names()[0] != "resolver" && ref.Names()[0] != "timeout" && ref.Names()[0] != "output" &&
				df.GetUsage() != ref.(cli.DocGenerationFlag).GetUsage() {
				t.Errorf("%s --%s: usage %q, shared definition %q", name, f.Names()[0], df.GetUsage(), ref.(cli.DocGenerationFlag).GetUsage())
			}
		}
		if f := flagNamed(cmd, "resolver"); f == nil {
			t.Errorf("%s: no --resolver", name)
		}
		// Every command that probes KMS hosts bounds the probe the same way.
		if f := flagNamed(cmd, "probe-timeout"); f == nil && name != "unpublish" {
			t.Errorf("%s: no --probe-timeout", name)
		}
		out, _, _ := run(t, name, "--help")
		for _, want := range []string{"--resolver HOST[:PORT], -r HOST[:PORT]", "$KMSDNS_RESOLVER", "--timeout DURATION", "10s or 1m30s", "Examples:"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s --help lacks %q", name, want)
			}
		}
	}
	for _, name := range writingCommands {
		cmd := app.Command(name)
		for _, ref := range credentials {
			if flagNamed(cmd, ref.Names()[0]) == nil {
				t.Errorf("%s: no --%s", name, ref.Names()[0])
			}
		}
		out, _, _ := run(t, name, "--help")
		for _, want := range []string{"$" + config.SecretEnv, "$KRB5_CONFIG", "$XDG_STATE_HOME", "--dry-run"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s --help lacks %q", name, want)
			}
		}
	}
}

func flagNamed(cmd *cli.Command, name string) cli.Flag {
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

// buildBinary builds kmsdns once per test that needs the real binary.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kmsdns")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func widest(s string) (int, string) {
	n, line := 0, ""
	for _, l := range strings.Split(s, "\n") {
		if w := textWidth(l); w > n {
			n, line = w, l
		}
	}
	return n, line
}

// TestOutputFitsTerminal runs the built binary under a pseudo-terminal of
// 80 columns (script(1), with stty setting the size) and measures the
// widest line of the sample audit; piped, the same run is not wrapped. Then
// long zone and record names go through every command that prints them
// (real BIND for those that need a server).
func TestOutputFitsTerminal(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		t.Fatal("script(1) (util-linux/bsdutils) is needed to run kmsdns under a pseudo-terminal")
	}
	bin := buildBinary(t)
	sample := bin + " audit --offline -f " + sampleContoso + " -f " + sampleFabrikam
	for _, extra := range []string{"", " --findings-only"} {
		for _, cols := range []int{80, 60} {
			t.Run(fmt.Sprintf("%d columns%s", cols, extra), func(t *testing.T) {
				cmd := exec.Command(script, "-q", "-e", "-c", fmt.Sprintf("stty cols %d rows 50; %s%s", cols, sample, extra), "/dev/null")
				cmd.Env = append(os.Environ(), "TERM=dumb")
				raw, _ := cmd.Output()
				out := strings.ReplaceAll(string(raw), "\r", "")
				if n, line := widest(out); n > cols || n < cols-10 {
					t.Errorf("widest line %d columns (want %d or a little less):\n%s", n, cols, line)
				}
				for _, want := range []string{"no-live-host", "stale-registration", "target-not-verified", "8 errors, 4 warnings, 2 info"} {
					if !strings.Contains(out, want) {
						t.Errorf("lacks %q:\n%s", want, out)
					}
				}
				// A command to run stays on one line when it fits.
				if cmd := "(kmsdns unpublish --zone contoso.com --host kms-old.contoso.com)"; cols == 80 && !strings.Contains(out, "\n          "+cmd) {
					t.Errorf("%s broken across lines:\n%s", cmd, out)
				}
			})
		}
	}
	t.Run("piped: not wrapped", func(t *testing.T) {
		cmd := exec.Command(bin, strings.Fields(sample)[1:]...)
		var out bytes.Buffer
		cmd.Stdout = &out
		cmd.Run()
		want, err := os.ReadFile("../../testdata/golden/audit-sample.txt")
		if err != nil {
			t.Fatal(err)
		}
		if out.String() != string(want) {
			t.Errorf("piped output differs from the golden file")
		}
		if n, _ := widest(out.String()); n <= 80 {
			t.Errorf("piped output was wrapped (widest line %d)", n)
		}
	})

	// Long zone and record names (a 64-character zone, owners and targets
	// several labels below it), from a file and from real BIND, through
	// every command that prints them: cells wrap, names break at dots.
	const long = "regional-datacenter-north.emea.subsidiary-holdings-group.example"
	const site = "warehouse-and-logistics-center.building-twelve"
	const primary = "kms-primary-activation-server-01.building-twelve." + long
	longFile := "../../testdata/zones/long-names.zone"
	content, err := os.ReadFile(longFile)
	if err != nil {
		t.Fatal(err)
	}
	bind := testserver.StartBIND(t, testserver.BINDConfig{Keys: []testserver.Key{cliUpdKey},
		Zones: []testserver.Zone{{Name: long, Content: strings.ReplaceAll(string(content), "192.0.2.53", "127.0.0.1"), Transfer: "any;", Extra: "update-policy { grant upd zonesub SRV; };"}}})
	keyFile := cliUpdKey.WriteKeyFile(t, t.TempDir())
	srv := " --server " + bind.Addr + " --key-file " + keyFile
	// plan: a desired state that moves the site's records to the primary.
	planCfg := filepath.Join(t.TempDir(), "kmsdns.yaml")
	if err := os.WriteFile(planCfg, []byte(fmt.Sprintf("zones:\n  - name: %s\n    server: %s\n    key-file: %s\n    desired:\n      %s: [{host: %s, priority: 10, weight: 50}]\n", long, bind.Addr, keyFile, site, primary)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, args, want string }{
		{"audit file", "audit --offline -f " + longFile, "1 zone, 5 KMS records: 3 errors, 1 warning, 1 info"},
		{"audit file findings", "audit --offline --findings-only -f " + longFile, "target-cname"},
		// more than three zones: a progress line on stderr, redrawn in place
		{"audit progress", "audit --offline -f " + longFile + " -f " + sampleContoso + " -f " + sampleFabrikam + " -f ../../testdata/zones/nottl.example.zone", "zones read"},
		{"audit server", "audit --no-probe -z " + long + " --server " + bind.Addr + " --resolver " + bind.Addr, "1 zone, 5 KMS records"},
		{"check", "check --no-probe --resolver " + bind.Addr + " " + site + "." + long, site},
		{"publish dry run", "publish --dry-run --no-probe -z " + long + " --name " + site + " --host " + primary + srv, "UPDATE"},
		{"unpublish dry run", "unpublish --dry-run -z " + long + " --name " + site + " --host kms-standby." + long + srv, "UPDATE"},
		{"usage error on stderr", "cleanup --dry-run -z " + long + srv, "nothing selected"},
		{"cleanup dry run", "cleanup --dry-run --stale --no-probe -z " + long + " --resolver " + bind.Addr + srv, "UPDATE"},
		{"plan", "plan --no-probe -c " + planCfg + " --resolver " + bind.Addr, "kms-gone-decommissioned-host"},
	} {
		t.Run("80 columns, long names, "+tc.name, func(t *testing.T) {
			cmd := exec.Command(script, "-q", "-e", "-c", "stty cols 80 rows 50; "+bin+" "+tc.args, "/dev/null")
			cmd.Env = append(os.Environ(), "TERM=dumb")
			raw, _ := cmd.Output()
			// A progress line is redrawn after a carriage return.
			out := strings.NewReplacer("\r\n", "\n", "\r", "\n", "\033[K", "").Replace(string(raw))
			if n, line := widest(out); n > 80 {
				t.Errorf("widest line %d columns (want at most 80):\n%s\n\n%s", n, line, out)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("lacks %q:\n%s", tc.want, out)
			}
		})
	}
}

func TestWrapText(t *testing.T) {
	tests := []struct {
		in    string
		width int
		want  []string
	}{
		{"short", 10, []string{"short"}},
		{"one two three four", 9, []string{"one two", "three", "four"}},
		{"_vlmcs._tcp.site1.branch.contoso.com", 14, []string{"_vlmcs._tcp.", "site1.branch.", "contoso.com"}},
		{"abcdefghijklmnop", 5, []string{"abcde", "fghij", "klmno", "p"}},
		// a label that fits is not split, however early the dot
		{"ab.cdefghijklm", 12, []string{"ab.", "cdefghijklm"}},
		// an slmgr command stays on one line (cmd.exe has no backslash)
		{"fix: turn off publishing (slmgr /cdns, or DisableDnsPublishing = 1) now", 20, []string{"fix: turn off", "publishing", "(slmgr /cdns, or", "DisableDnsPublishing", "= 1) now"}},
		{"point it at the host (slmgr /skms kms1.contoso.com:1688) and", 40, []string{"point it at the host", "(slmgr /skms kms1.contoso.com:1688) and"}},
		{"Remove it (kmsdns unpublish --zone a.example --host k.a.example) or not", 56, []string{"Remove it", "(kmsdns unpublish --zone a.example --host k.a.example)", "or not"}},
	}
	for _, tc := range tests {
		got := wrapText(tc.in, tc.width)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("wrapText(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
		for _, l := range got {
			if textWidth(l) > tc.width {
				t.Errorf("line %q wider than %d", l, tc.width)
			}
		}
	}
}

func TestTableFitsWidth(t *testing.T) {
	for _, width := range []int{50, 60, 80} {
		var b bytes.Buffer
		tb := newTable(&terminal{Writer: &b, width: width})
		tb.Header("ZONE", "SERVER", "ACTION", "ANSWER", "VERIFIED")
		tb.Append([]string{"contoso.com", "127.0.0.1:53", "removed", "_vlmcs._tcp.contoso.com. 3600 IN SRV 0 0 1688 kms1.contoso.com.", "yes"})
		tb.Append([]string{"fabrikam.com", "[2001:db8::53]:5353", "would add", "-", "-"})
		if err := tb.Render(); err != nil {
			t.Fatal(err)
		}
		if n, line := widest(b.String()); n > width {
			t.Errorf("width %d: line of %d:\n%s\n%s", width, n, line, b.String())
		}
		// The cells are wrapped, not the table's lines (which the
		// terminal would break as a last resort): every line is a row.
		for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
			if !strings.HasPrefix(l, "|") && !strings.HasPrefix(l, "+") || !strings.HasSuffix(l, "|") && !strings.HasSuffix(l, "+") {
				t.Errorf("width %d: not a table line: %q\n%s", width, l, b.String())
				break
			}
		}
		for _, want := range []string{"VERIFIED", "[2001:"} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("width %d: lacks %q:\n%s", width, want, b.String())
			}
		}
	}
}

func TestFindingsOnlyGolden(t *testing.T) {
	out, errOut, code := run(t, "audit", "--offline", "-f", sampleContoso, "-f", sampleFabrikam, "--findings-only")
	if code != exitErrors || errOut != "" {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if strings.Contains(out, "+---") || strings.Contains(out, "KMS SRV records") {
		t.Errorf("tables printed with --findings-only:\n%s", out)
	}
	if !strings.HasPrefix(out, "contoso.com\n  ERROR") || !strings.Contains(out, "\n\nfabrikam.com\n  WARNING") {
		t.Errorf("not one block per zone:\n%s", out)
	}
	assertGolden(t, "audit-sample-findings.txt", out)

	_, errOut, code = run(t, "audit", "--offline", "-f", sampleFabrikam, "--findings-only", "-o", "json")
	if code != exitUsage || !strings.Contains(errOut, "--findings-only: only with --output table") {
		t.Errorf("json: exit %d %q", code, errOut)
	}
}

func TestGoldenUpdateNeedsConfirm(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "g.txt")
	os.WriteFile(path, []byte("line one\nline two\n"), 0o644)
	got := "line one\nline 2\n"

	err := checkGolden(path, got, false, false)
	if err == nil || !strings.Contains(err.Error(), "   2 - line two\n   2 + line 2") || !strings.Contains(err.Error(), "-update -update-confirm") {
		t.Errorf("no flags: %v", err)
	}
	err = checkGolden(path, got, true, false)
	if err == nil || !strings.Contains(err.Error(), "not rewritten") || !strings.Contains(err.Error(), "2 + line 2") {
		t.Errorf("-update alone: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "line one\nline two\n" {
		t.Errorf("-update alone rewrote the file: %q", b)
	}
	if err := checkGolden(path, got, false, true); err == nil {
		t.Error("-update-confirm alone rewrote or passed")
	}
	if err := checkGolden(path, got, true, true); err != nil {
		t.Errorf("-update -update-confirm: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != got {
		t.Errorf("not rewritten: %q", b)
	}
	if err := checkGolden(path, got, true, false); err != nil {
		t.Errorf("same output with -update: %v", err)
	}
	if err := checkGolden(filepath.Join(dir, "new.txt"), got, true, true); err != nil {
		t.Errorf("creating: %v", err)
	}
}

func TestWarningPrintedOnce(t *testing.T) {
	var b bytes.Buffer
	e := env{stderr: &b, warned: map[string]bool{}}
	e.warn("k.key holds a secret")
	e.warn("k.key holds a secret")
	e.warn("other.key holds a secret")
	if got := b.String(); got != "kmsdns: warning: k.key holds a secret\nkmsdns: warning: other.key holds a secret\n" {
		t.Errorf("%q", got)
	}
}

// TestKeyFileWarningOnceRealBIND: cleanup merges the config twice (to read
// the zones, then to update them); a key file readable by others is
// warned about once.
func TestKeyFileWarningOnceRealBIND(t *testing.T) {
	key := testserver.Key{Name: "warn", Algorithm: "hmac-sha256", Secret: "c2VjcmV0LWZvci10aGUtd2FybmluZy10ZXN0LTEyMzQ="}
	bind := testserver.StartBIND(t, testserver.BINDConfig{Keys: []testserver.Key{key}, Zones: []testserver.Zone{{
		Name: "warn.example", Transfer: "any;",
		Content: "$ORIGIN warn.example.\n$TTL 300\n@ IN SOA ns1 hm 1 3600 900 1209600 300\n IN NS ns1\nns1 IN A 127.0.0.1\n" +
			"_vlmcs._tcp IN SRV 0 0 1688 kms-a\n_vlmcs._tcp IN SRV 0 0 1688 kms-b\nkms-a IN A 127.0.0.71\nkms-b IN A 127.0.0.72\n",
	}}})
	dir := t.TempDir()
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	keyFile := key.WriteKeyFile(t, dir)
	if err := os.Chmod(keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	before := testserver.Records(t, bind.Addr, "warn.example")
	out, errOut, code := run(t, "cleanup", "--server", bind.Addr, "--key-file", keyFile, "--zone", "warn.example", "--host", "kms-b.warn.example", "--no-probe", "--dry-run")
	if code != exitClean {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	if n := strings.Count(errOut, "is readable by other users"); n != 1 {
		t.Errorf("the warning printed %d times:\n%s", n, errOut)
	}
	if !strings.Contains(errOut, keyFile+" holds a secret but is readable by other users (mode 0644): chmod 600 "+keyFile) {
		t.Errorf("stderr %q", errOut)
	}
	if !strings.Contains(out, "kms-b.warn.example") {
		t.Errorf("plan lacks the record:\n%s", out)
	}
	if after := testserver.Records(t, bind.Addr, "warn.example"); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("a dry run changed the zone:\n%v\n%v", before, after)
	}
}
