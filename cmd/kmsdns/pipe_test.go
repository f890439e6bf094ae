//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/internal/testserver"
)

// TestSecretsFromProcessSubstitution: the README's `--key-secret-file
// <(pass show dns/upd)` and `--key-file <(vault read ...)` work as printed:
// the built binary, run by bash with the secret from a process
// substitution (the secret itself in the environment, never in argv),
// plans a dry run and publishes to a real BIND, read back; a writer that
// never finishes stops the command after regfile.PipeWait. The secret is in
// no output.
func TestSecretsFromProcessSubstitution(t *testing.T) {
	bashPath, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	const zoneName = "pipe.example"
	bind := testserver.StartBIND(t, testserver.BINDConfig{Keys: []testserver.Key{cliUpdKey}, Zones: []testserver.Zone{{
		Name: zoneName, Transfer: "any;", Extra: "update-policy { grant upd zonesub SRV; };",
		Content: "$ORIGIN pipe.example.\n$TTL 300\n@ IN SOA ns1 hm 1 3600 900 1209600 300\n IN NS ns1\nns1 IN A 127.0.0.1\n",
	}}})
	bin := buildBinary(t)
	bash := func(script string) (string, int, time.Duration) {
		t.Helper()
		cmd := exec.Command(bashPath, "-c", script)
		cmd.Env = append(os.Environ(), "KMSDNS="+bin, "ADDR="+bind.Addr, "UPD_SECRET="+cliUpdKey.Secret, "UPD_KEY="+cliUpdKey.BINDClause(), "KMSDNS_TSIG_SECRET=")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), cliUpdKey.Secret) {
			t.Errorf("the secret is in the output:\n%s", out.String())
		}
		return out.String(), code, time.Since(start)
	}
	pub := `"$KMSDNS" publish --server "$ADDR" --zone pipe.example `
	secretPipe := ` --key-name upd --key-algorithm hmac-sha256 --key-secret-file <(printf '%s\n' "$UPD_SECRET")`

	out, code, _ := bash(pub + "--host kms1.pipe.example" + secretPipe + " --dry-run")
	if code != exitClean || !strings.Contains(out, "_vlmcs._tcp.pipe.example.\t3600\tIN\tSRV\t0 0 1688 kms1.pipe.example.") || !strings.Contains(out, "dry run: nothing was sent") {
		t.Errorf("dry run, --key-secret-file <(...): exit %d\n%s", code, out)
	}
	if got := kmsRecords(t, bind.Addr, zoneName); len(got) != 0 {
		t.Errorf("dry run changed the zone: %v", got)
	}

	out, code, _ = bash(pub + "--host kms1.pipe.example" + secretPipe)
	if code != exitClean || !strings.Contains(out, "added") {
		t.Errorf("publish, --key-secret-file <(...): exit %d\n%s", code, out)
	}
	out, code, _ = bash(pub + `--host kms2.pipe.example --key-file <(printf '%s' "$UPD_KEY")`)
	if code != exitClean || !strings.Contains(out, "added") {
		t.Errorf("publish, --key-file <(...): exit %d\n%s", code, out)
	}
	want := []string{"_vlmcs._tcp.pipe.example. 1688 3600 kms1.pipe.example.", "_vlmcs._tcp.pipe.example. 1688 3600 kms2.pipe.example."}
	if got := kmsRecords(t, bind.Addr, zoneName); !slices.Equal(got, want) {
		t.Errorf("read back: %v, want %v", got, want)
	}

	// A writer that never finishes (it holds the pipe open for longer
	// than the wait): a usage error after 5 s, naming the flag and pipe.
	out, code, took := bash(pub + "--host kms3.pipe.example --key-name upd --key-algorithm hmac-sha256 --key-secret-file <(exec sleep 9 2>/dev/null) --dry-run")
	if code != exitUsage || !regexp.MustCompile(`--key-secret-file: timed out after 5s reading /dev/fd/\d+ \(a pipe\)`).MatchString(out) {
		t.Errorf("writer that never finishes: exit %d\n%s", code, out)
	}
	if took < 5*time.Second || took > 8*time.Second {
		t.Errorf("writer that never finishes: returned after %v, want 5 s", took)
	}
}
