package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/internal/testserver"
)

// testPlanHint: the apply command plan prints, run as printed, plans
// exactly what plan showed: with --zone only that zone changes, and the
// key (--key-name of a file with two keys), the resolver, the timeouts
// and --no-probe are those of the plan.
func testPlanHint(t *testing.T, l *convergeLab, p string) {
	dir := t.TempDir()
	multi := filepath.Join(dir, "multi.key")
	other := testserver.Key{Name: "other", Algorithm: "hmac-sha256", Secret: "c2VjcmV0LW9mLWFub3RoZXIta2V5LW5vdC11c2VkLTAxMjM="}
	if err := os.WriteFile(multi, []byte(other.BINDClause()+cliUpdKey.BINDClause()), 0o600); err != nil {
		t.Fatal(err)
	}
	ml := *l
	ml.keyFile = multi
	cfg := ml.writeConfig(t, "", map[string]string{
		"hinta.example": `      "@": [{host: kms1.hinta.example, port: ` + p + `}]` + "\n",
		"hintb.example": `      "@": [{host: kms1.hintb.example, port: ` + p + `}]` + "\n",
	})
	beforeB := srvSet(t, l.server.Addr, "hintb.example")
	out, errOut, code := run(t, "plan", "--config", cfg, "--zone", "hinta.example", "--key-name", cliUpdKey.Name, "--no-probe",
		"--resolver", l.server.Addr, "--timeout", "7s", "--probe-timeout", "2s")
	i := strings.Index(out, "kmsdns apply ")
	if code != exitWarnings || i < 0 || !strings.Contains(out[i:], " sends them") {
		t.Fatalf("plan: exit %d, no apply command:\n%s%s", code, out, errOut)
	}
	hint := out[i : i+strings.Index(out[i:], " sends them")]
	for _, f := range []string{"--config " + cfg, "--zone hinta.example", "--key-name " + cliUpdKey.Name, "--no-probe", "--resolver " + l.server.Addr, "--timeout 7s", "--probe-timeout 2s"} {
		if !strings.Contains(hint, f) {
			t.Errorf("the apply command %q lacks %s", hint, f)
		}
	}
	if strings.Contains(hint, "hintb") {
		t.Errorf("the apply command %q names the zone the plan left out", hint)
	}
	bin := l.kmsdns(t)
	sh := exec.Command("sh", "-c", hint+" --yes </dev/null")
	sh.Dir = dir // the default backup goes here
	sh.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
	b, _ := sh.CombinedOutput()
	if got := sh.ProcessState.ExitCode(); got != exitClean {
		t.Fatalf("%s --yes: exit %d\n%s", hint, got, b)
	}
	if got := srvSet(t, l.server.Addr, "hinta.example"); len(got) != 1 {
		t.Errorf("hinta.example, planned, not converged:\n%s", strings.Join(got, "\n"))
	}
	if got := srvSet(t, l.server.Addr, "hintb.example"); !slices.Equal(got, beforeB) {
		t.Errorf("hintb.example, not in the plan, changed:\n%s\nwas\n%s", strings.Join(got, "\n"), strings.Join(beforeB, "\n"))
	}
}

// testWriteDesiredDot: a name holding "." (no KMS service here, as in the
// sample zone) cannot be listed in desired:; --write-desired leaves it
// out with a comment and a warning, and plan accepts the printed config
// and plans nothing.
func testWriteDesiredDot(t *testing.T, l *convergeLab) {
	cfg := l.writeConfig(t, "", map[string]string{"dot.example": ""})
	before := srvSet(t, l.server.Addr, "dot.example")
	out, errOut, code := run(t, "plan", "--config", cfg, "--write-desired")
	note := `_vlmcs._tcp.lab.dot.example holds "." (no KMS service here), which desired: cannot list: left out, not managed`
	if code != exitClean || !strings.Contains(out, "# "+note) || !strings.Contains(errOut, note) || strings.Contains(out, `host: ""`) {
		t.Fatalf("write-desired: exit %d\n%s%s", code, out, errOut)
	}
	adopted := filepath.Join(t.TempDir(), "adopted.yaml")
	if err := os.WriteFile(adopted, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = run(t, "plan", "--config", adopted)
	if code != exitClean || !strings.Contains(out, "_vlmcs._tcp.dot.example: in sync") || strings.Contains(out, "lab.dot") {
		t.Fatalf("plan of the printed config: exit %d\n%s%s", code, out, errOut)
	}
	if got := srvSet(t, l.server.Addr, "dot.example"); !slices.Equal(got, before) {
		t.Errorf("changed")
	}
}
