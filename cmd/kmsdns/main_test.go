package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/config"
	"github.com/kmsdns/kmsdns/internal/testserver"
)

var (
	update        = flag.Bool("update", false, "show how the output differs from the golden files under testdata/golden; with -update-confirm, rewrite them")
	updateConfirm = flag.Bool("update-confirm", false, "with -update: rewrite the golden files that differ")
)

var fixedNow = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// run runs kmsdns with args and returns stdout, stderr and the exit code.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	app := newApp(env{stdout: &out, stderr: &errb, now: func() time.Time { return fixedNow }, warned: map[string]bool{}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := execute(ctx, app, append([]string{"kmsdns"}, args...))
	code := exitCode(err, app.ErrWriter)
	return out.String(), errb.String(), code
}

func assertGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "golden", name)
	if err := checkGolden(path, got, *update, *updateConfirm); err != nil {
		t.Error(err)
	}
}

// checkGolden compares got with the golden file at path. With update it
// still fails on a difference, showing it, unless confirm is set too: then
// the file is rewritten. A regression cannot be baked in by one flag.
func checkGolden(path, got string, update, confirm bool) error {
	want, err := os.ReadFile(path)
	if err != nil && !(update && confirm && errors.Is(err, fs.ErrNotExist)) {
		return fmt.Errorf("%w (go test ./cmd/kmsdns -update -update-confirm creates it)", err)
	}
	if got == string(want) {
		return nil
	}
	if update && confirm {
		return os.WriteFile(path, []byte(got), 0o644)
	}
	how := "if the new output is right: go test ./cmd/kmsdns -update -update-confirm"
	if update {
		how = "not rewritten: -update only shows the difference; add -update-confirm to rewrite the file"
	}
	return fmt.Errorf("output differs from %s (%s):\n%s", path, how, lineDiff(string(want), got))
}

// lineDiff shows the lines of want and got that differ, as - and + lines
// with their line numbers (a plain positional comparison: enough to see a
// regression in a golden file).
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(wl), len(gl)) && shown < 40; i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w == g {
			continue
		}
		shown++
		if i < len(wl) {
			fmt.Fprintf(&b, "%4d - %s\n", i+1, w)
		}
		if i < len(gl) {
			fmt.Fprintf(&b, "%4d + %s\n", i+1, g)
		}
	}
	if shown == 40 {
		b.WriteString("     ... (more lines differ)\n")
	}
	return b.String()
}

const (
	sampleContoso  = "../../testdata/zones/contoso.com.zone"
	sampleFabrikam = "../../testdata/zones/fabrikam.com.dns"
)

func TestAuditSampleGolden(t *testing.T) {
	for _, format := range []string{"table", "json"} {
		t.Run(format, func(t *testing.T) {
			out, errOut, code := run(t, "audit", "--offline", "--zone-file", sampleContoso, "--zone-file", sampleFabrikam, "--output", format)
			if code != exitErrors { // the sample has stale records on purpose
				t.Errorf("exit %d, stderr %q", code, errOut)
			}
			if errOut != "" {
				t.Errorf("stderr not empty: %q", errOut)
			}
			ext := map[string]string{"table": "txt", "json": "json"}[format]
			assertGolden(t, "audit-sample."+ext, out)
		})
	}
}

// jsonReport mirrors the documented JSON schema, field by field.
type jsonReport struct {
	Version     int       `json:"version"`
	GeneratedAt time.Time `json:"generated_at"`
	Zones       []struct {
		Zone    string  `json:"zone"`
		Source  string  `json:"source"`
		Server  string  `json:"server"`
		Serial  *uint32 `json:"serial"`
		Records int     `json:"records"`
		Note    string  `json:"note"`
		Error   string  `json:"error"`
	} `json:"zones"`
	Records []struct {
		Zone     string `json:"zone"`
		Name     string `json:"name"`
		TTL      uint32 `json:"ttl"`
		Priority uint16 `json:"priority"`
		Weight   uint16 `json:"weight"`
		Port     uint16 `json:"port"`
		Target   string `json:"target"`
	} `json:"records"`
	Findings []struct {
		Check    string `json:"check"`
		Severity string `json:"severity"`
		Zone     string `json:"zone"`
		Name     string `json:"name"`
	} `json:"findings"`
	Summary struct {
		Zones, Records, Errors, Warnings, Info int
	} `json:"summary"`
}

func decode(t *testing.T, out string) jsonReport {
	t.Helper()
	var r jsonReport
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("stdout is not a JSON report: %v\n%s", err, out)
	}
	return r
}

func TestAuditRealBIND(t *testing.T) {
	key := testserver.Key{Name: "xfr", Algorithm: "hmac-sha256", Secret: "8JvDZ0ZyN8gBq1dWnfPz6sN2b7cVYyqHfN1lZ0Xw1Ks="}
	bad := testserver.Key{Name: "xfr", Algorithm: "hmac-sha256", Secret: "AAAAZ0ZyN8gBq1dWnfPz6sN2b7cVYyqHfN1lZ0Xw1Ks="}
	small := func(origin string) string {
		return fmt.Sprintf("$ORIGIN %s.\n$TTL 300\n@ IN SOA ns1 hm 7 1 1 1 1\n IN NS ns1\nns1 IN A 127.0.0.1\n_vlmcs._tcp IN SRV 0 0 1688 kms1\n_vlmcs._tcp.emea IN SRV 0 0 1688 kms1\nkms1 IN A 127.0.0.10\n", origin)
	}
	bind := testserver.StartBIND(t, testserver.BINDConfig{
		Keys: []testserver.Key{key},
		Zones: []testserver.Zone{
			{Name: "open.example", Content: small("open.example"), Transfer: "any;"},
			{Name: "signed.example", Content: small("signed.example"), Transfer: "key xfr;"},
			{Name: "closed.example", Content: small("closed.example"), Transfer: "none;"},
		},
	})
	dir := t.TempDir()
	keyFile := key.WriteKeyFile(t, dir)
	badDir := t.TempDir()
	badFile := bad.WriteKeyFile(t, badDir)

	t.Run("flags, transfer and fallback", func(t *testing.T) {
		out, errOut, code := run(t, "audit", "--no-probe", "--server", bind.Addr, "--zone", "open.example", "--zone", "closed.example", "--output", "json")
		if code != exitClean {
			t.Fatalf("exit %d: %s\n%s", code, errOut, out)
		}
		r := decode(t, out)
		if r.Version != 1 || !r.GeneratedAt.Equal(fixedNow) || len(r.Zones) != 2 || len(r.Records) != 3 {
			t.Fatalf("report: %+v", r)
		}
		if z := r.Zones[0]; z.Source != "axfr" || z.Server != bind.Addr || z.Serial == nil || *z.Serial != 7 || z.Records != 2 {
			t.Errorf("open.example: %+v", z)
		}
		if z := r.Zones[1]; z.Source != "query" || !strings.Contains(z.Note, "REFUSED") || z.Records != 1 {
			t.Errorf("closed.example: %+v", z)
		}
		if r.Summary.Info != 1 || r.Findings[0].Check != "transfer-refused" {
			t.Errorf("findings %+v", r.Findings)
		}
	})

	t.Run("key without a key file: secret from the environment or a file", func(t *testing.T) {
		base := []string{"audit", "--no-probe", "--server", bind.Addr, "--zone", "signed.example", "-o", "json", "--key-name", "xfr", "--key-algorithm", "hmac-sha256"}
		secretFile := filepath.Join(dir, "xfr.secret")
		os.WriteFile(secretFile, []byte(key.Secret+"\n"), 0o600)
		badSecret := filepath.Join(badDir, "bad.secret")
		os.WriteFile(badSecret, []byte(bad.Secret+"\n"), 0o600)
		for _, tc := range []struct {
			name, env string
			extra     []string
			bad       bool
		}{
			{"environment", key.Secret, nil, false},
			{"secret file", "", []string{"--key-secret-file", secretFile}, false},
			{"wrong secret file", key.Secret, []string{"--key-secret-file", badSecret}, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Setenv(config.SecretEnv, tc.env)
				out, errOut, code := run(t, append(base, tc.extra...)...)
				r := decode(t, out)
				z := r.Zones[0]
				if tc.bad {
					if code != exitErrors || !strings.Contains(z.Error, "BADSIG") {
						t.Errorf("wrong secret: exit %d, %+v", code, z)
					}
					return
				}
				if code != exitClean || z.Source != "axfr" || z.Error != "" || z.Records != 2 {
					t.Errorf("exit %d %s: %+v", code, errOut, z)
				}
			})
		}
		t.Setenv(config.SecretEnv, "")
		_, errOut, code := run(t, base...)
		if code != exitUsage || !strings.Contains(errOut, "--key-secret-file or the "+config.SecretEnv+" environment variable") {
			t.Errorf("no secret: exit %d %q", code, errOut)
		}
	})

	t.Run("config file with keys, a wrong key fails only its zone", func(t *testing.T) {
		cfg := filepath.Join(dir, "kmsdns.yaml")
		os.WriteFile(cfg, []byte(fmt.Sprintf(`defaults:
  server: %s
  timeout: 5s
zones:
  - name: open.example
  - name: signed.example
    key-file: %s
  - name: signed.example.
    key-file: %s
`, bind.Addr, keyFile, badFile)), 0o600)
		_, errOut, code := run(t, "audit", "--config", cfg)
		if code != exitUsage || !strings.Contains(errOut, "zones[2].name: zone signed.example. is already configured in zones[1]") {
			t.Fatalf("duplicate zone: exit %d %q", code, errOut)
		}
		os.WriteFile(cfg, []byte(fmt.Sprintf(`defaults:
  server: %s
zones:
  - name: open.example
  - name: signed.example
    key-file: %s
    names: [emea, nowhere]
`, bind.Addr, badFile)), 0o600)
		out, _, code := run(t, "audit", "--no-probe", "--config", cfg, "-o", "json")
		r := decode(t, out)
		if code != exitErrors || r.Zones[1].Error == "" || !strings.Contains(r.Zones[1].Error, "BADSIG") || r.Zones[0].Records != 2 {
			t.Fatalf("exit %d, zones %+v", code, r.Zones)
		}
		// The right key, given on the command line, overrides the file.
		out, _, code = run(t, "audit", "--no-probe", "--config", cfg, "-o", "json", "--key-file", keyFile)
		r = decode(t, out)
		if r.Zones[1].Error != "" || r.Zones[1].Source != "axfr" {
			t.Fatalf("override: %+v", r.Zones)
		}
		// nowhere.signed.example has no KMS record: an error.
		if code != exitErrors || r.Summary.Errors != 1 || r.Findings[0].Check != "no-kms-record" || r.Findings[0].Name != "_vlmcs._tcp.nowhere.signed.example." {
			t.Errorf("exit %d findings %+v", code, r.Findings)
		}
	})
}

func TestAuditUsageErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o600)
		return p
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"audit", "--bogus"}, "audit: unknown flag --bogus (see kmsdns audit --help)"},
		{"no zones", []string{"audit"}, "no zones to audit"},
		{"bad output", []string{"audit", "-z", "a.example", "-o", "xml"}, `--output: "xml" is not table, json or nagios`},
		{"offline needs files", []string{"audit", "--offline", "-z", "a.example"}, "--offline: zone a.example would need the network"},
		{"bad server", []string{"audit", "-z", "a.example", "-s", "1.2.3.4:99999"}, `--server: "1.2.3.4:99999": port "99999" is not between 1 and 65535`},
		{"files and zones differ", []string{"audit", "-f", "a", "-f", "b", "-z", "x.example"}, "2 files but 1 --zone"},
		{"missing key file", []string{"audit", "-z", "a.example", "-k", filepath.Join(dir, "none.key")}, "none.key: no such file"},
		{"bad key file", []string{"audit", "-z", "a.example", "-k", write("bad.key", "key x {\n algorithm hmac-sha3;\n secret \"c2VjcmV0\";\n};\n")}, `bad.key:1: key clause of line 1: unsupported algorithm`},
		{"config unknown field", []string{"audit", "-c", write("c1.yaml", "zones:\n  - name: a.example\n    serverr: x\n")}, `c1.yaml: line 3: zones[0]: unknown field "serverr": did you mean "server"?`},
		{"config bad zone", []string{"audit", "-c", write("c2.yaml", "zones:\n  - name: a.example\n  - name: \"bad name\"\n")}, `c2.yaml: zones[1].name: "bad name" is not a domain name`},
		{"config bad timeout", []string{"audit", "-c", write("c3.yaml", "defaults:\n  timeout: soon\nzones:\n  - name: a.example\n")}, `c3.yaml: line 2: defaults.timeout: expected a duration like 10s or 1m30s, found the text "soon"`},
		{"config bad port", []string{"audit", "-c", write("c4.yaml", "zones:\n  - name: a.example\n    server: 127.0.0.1:0\n")}, `zones[0].server: "127.0.0.1:0": port "0"`},
		{"config missing", []string{"audit", "-c", filepath.Join(dir, "nope.yaml")}, "nope.yaml: no such file"},
		{"argument", []string{"audit", "contoso.com"}, `unexpected argument "contoso.com"`},
		{"zone not in config", []string{"audit", "-c", write("c5.yaml", "zones:\n  - name: contoso.com\n  - name: fabrikam.com\n"), "--zone", "contoso.org"},
			"--zone contoso.org: zone not in the configuration " + filepath.Join(dir, "c5.yaml") + " (it configures contoso.com, fabrikam.com); did you mean contoso.com?"},
		{"config type mistake", []string{"audit", "-c", write("c6.yaml", "zones:\n  - name: a.example\n    names: emea\n")},
			`c6.yaml: line 3: zones[0].names: expected a list, like [a, b] or lines starting with "- ", found the text "emea"`},
		{"config is /dev/zero", []string{"audit", "-c", "/dev/zero"}, "config: open /dev/zero: not a regular file (a character device)"},
		{"key file of a config zone missing", []string{"audit", "-c", write("c7.yaml", "zones:\n  - name: a.example\n    key-file: gone.key\n")},
			"zone a.example: key file: open " + filepath.Join(dir, "gone.key") + ": no such file or directory (from " + filepath.Join(dir, "c7.yaml") + " zones[0].key-file)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := run(t, tc.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if out != "" {
				t.Errorf("stdout not empty on a usage error: %q", out)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr %q does not say %q", errOut, tc.want)
			}
		})
	}
}

func TestAuditBrokenZoneFileIsAnError(t *testing.T) {
	p := filepath.Join(t.TempDir(), "broken.zone")
	os.WriteFile(p, []byte("$ORIGIN b.example.\n@ 60 IN SOA ns hm 1 1 1 1 1\n_vlmcs._tcp 60 IN SRV 0 0 1688\n"), 0o644)
	out, _, code := run(t, "audit", "-f", p, "-f", sampleFabrikam, "-o", "json")
	r := decode(t, out)
	if code != exitErrors {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(r.Zones[0].Error, "broken.zone:3: ") {
		t.Errorf("error %q does not name file and line", r.Zones[0].Error)
	}
	if r.Zones[0].Zone != "b.example." {
		t.Errorf("the zone that failed lost its name: %+v", r.Zones[0])
	}
	if r.Zones[1].Records != 3 || r.Zones[1].Error != "" {
		t.Errorf("the other zone was not read: %+v", r.Zones[1])
	}
}

func TestAuditIncludeDirAndNotes(t *testing.T) {
	dir := t.TempDir()
	zdir, common := filepath.Join(dir, "zones"), filepath.Join(dir, "common")
	os.Mkdir(zdir, 0o755)
	os.Mkdir(common, 0o755)
	os.WriteFile(filepath.Join(common, "kms.inc"), []byte("_vlmcs._tcp SRV 0 0 1688 kms1\n"), 0o644)
	p := filepath.Join(zdir, "i.zone")
	os.WriteFile(p, []byte("$ORIGIN i.example.\n$TTL 60\n@ SOA ns hm 1 1 1 1 1\nw WKS 192.0.2.1 tcp smtp\n$INCLUDE ../common/kms.inc\nkms1 A 192.0.2.1\n_vlmcs._tcp.evil.test. SRV 0 0 1688 kms1.evil.test.\n"), 0o644)

	out, _, code := run(t, "audit", "--offline", "-f", p, "-o", "json")
	r := decode(t, out)
	if code != exitErrors || len(r.Zones) != 1 || r.Zones[0].Zone != "i.example." || !strings.Contains(r.Zones[0].Error, "i.zone:5: $INCLUDE") {
		t.Fatalf("exit %d, zones %+v", code, r.Zones)
	}
	out, _, code = run(t, "audit", "--offline", "-f", p, "--include-dir", common, "-o", "json")
	r = decode(t, out)
	if code != exitWarnings || r.Zones[0].Records != 1 {
		t.Fatalf("exit %d, zones %+v", code, r.Zones)
	}
	var msgs struct {
		Findings []struct{ Check, Severity, Message string }
	}
	if err := json.Unmarshal([]byte(out), &msgs); err != nil {
		t.Fatal(err)
	}
	var notes []string
	for _, f := range msgs.Findings {
		if f.Check == "zone-file-note" {
			notes = append(notes, f.Severity+" "+f.Message)
		}
	}
	for _, f := range msgs.Findings {
		if f.Check == "out-of-zone-record" {
			notes = append(notes, f.Severity+" "+f.Message)
		}
	}
	if len(notes) != 2 || !strings.HasPrefix(notes[0], "info "+p+`:4: skipped a record: unknown type "WKS"`) ||
		notes[1] != "warning "+p+":7: owner _vlmcs._tcp.evil.test. is outside zone i.example.: ignored, as named does" {
		t.Errorf("notes %q", notes)
	}
}

func TestProgressOnlyOnTerminal(t *testing.T) {
	var errb bytes.Buffer
	files := []string{"audit", "--offline", "-o", "json"}
	for i := 0; i < 4; i++ {
		files = append(files, "-f", sampleFabrikam)
	}
	app := newApp(env{stdout: &bytes.Buffer{}, stderr: &errb, now: time.Now, stderrTTY: true})
	exitCode(app.Run(append([]string{"kmsdns"}, files...)), &errb)
	if !strings.Contains(errb.String(), "4/4 zones read") {
		t.Errorf("no progress on a terminal: %q", errb.String())
	}
	out, errOut, _ := run(t, files...)
	if errOut != "" || !strings.HasPrefix(out, "{") {
		t.Errorf("progress written when stderr is not a terminal: %q", errOut)
	}
}
