package report_test

import (
	"bytes"
	"context"
	"html"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/audit/report"
)

// richReport is the sample with probe results, a baseline comparison and
// four earlier runs for the chart.
func richReport(t *testing.T) (*audit.Report, report.Options) {
	rep := probedReport(t)
	base := loadSample(t)
	base.Findings = append(base.Findings[2:], audit.Finding{Check: "not-kms", Severity: audit.SeverityError, Zone: "contoso.com.",
		Name: "_vlmcs._tcp.contoso.com.", Target: "kms9.contoso.com.", Port: 1688, Message: "kms9 answered but is not a KMS host", Fix: "x"})
	report.Mark(rep, base)
	var pts []report.Point
	for i := range 4 {
		pts = append(pts, report.Point{Time: rep.GeneratedAt.Add(time.Duration(i-4) * 7 * 24 * time.Hour), Errors: 10 - i, Warnings: 2 + i%2})
	}
	return rep, report.Options{History: pts}
}

// externalRef finds anything in a page that could make a browser fetch
// something: a URL scheme, a scheme-relative or absolute reference, a
// src, an href that is not a fragment, a CSS url() or @import, a script.
var externalRef = regexp.MustCompile(`(?i)https?:|ftp:|file:|//|\bsrc\s*=|srcset|url\s*\(|@import|<script|<link|<iframe|<img|<object|<embed|<base|\baction\s*=|\bhref\s*=\s*"?[^"#]|xlink:href`)

func TestHTMLSelfContained(t *testing.T) {
	rep, opts := richReport(t)
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, rep, opts); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if m := externalRef.FindAllString(page, -1); m != nil {
		t.Errorf("page references outside itself: %q", m)
	}
	for _, want := range []string{"<style>", "<svg", "<polyline", "NEW", "PERSISTING", "Resolved since the baseline (1)", "kms9.contoso.com", "12ms", "timeout", "transfer refused"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// The scan itself catches a reference.
	for _, bad := range []string{`<img src="x.png">`, `<a href="https://example.com/">`, `background:url(x.png)`, `<a href="//h/x">`, `<script>`} {
		if !externalRef.MatchString(bad) {
			t.Errorf("scan misses %s", bad)
		}
	}
	if externalRef.MatchString(`<a href="#f-1">`) {
		t.Error("scan rejects a fragment link")
	}
	// Hostile text from a zone is text, not markup.
	rep.Findings[0].Message = `<img src=x onerror=alert(1)> https://evil.example/`
	buf.Reset()
	if err := report.WriteHTML(&buf, rep, opts); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "<img") {
		t.Error("markup in a message is not escaped")
	}
}

// chromium is Debian's chromium, or a skip (a failure with
// KMSDNS_REQUIRE_SERVERS=1).
func chromium(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("KMSDNS_REQUIRE_SERVERS") == "1" {
			t.Fatalf("chromium not installed (apt-get install chromium) and KMSDNS_REQUIRE_SERVERS=1: %v", err)
		}
		t.Skipf("chromium not installed (apt-get install chromium): %v", err)
	}
	return path
}

// runChromium runs headless chromium on file with args, kept off the
// network: no proxy, every host name unresolvable, no background
// fetches, a profile of its own.
func runChromium(t *testing.T, bin, file string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	home := t.TempDir()
	all := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--no-proxy-server",
		"--host-resolver-rules=MAP * ~NOTFOUND", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-extensions", "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
		"--user-data-dir=" + filepath.Join(home, "profile")}, args...)
	all = append(all, "file://"+file)
	cmd := exec.CommandContext(ctx, bin, all...)
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home, "XDG_CACHE_HOME="+home)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

func TestHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	rep, opts := richReport(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "audit.html")
	if err := report.WriteFile(file, rep, opts); err != nil {
		t.Fatal(err)
	}
	dom := string(runChromium(t, bin, file, "--dump-dom"))
	text := html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(dom, " "))
	text = strings.Join(strings.Fields(text), " ")
	for _, f := range rep.Findings {
		if !strings.Contains(dom, `id="f-`+f.ID+`"`) {
			t.Errorf("finding %s (%s) not in the page", f.ID, f.Check)
		}
		for _, s := range append([]string{f.Message, "Fix: " + f.Fix}, f.ClientErrors...) {
			if !strings.Contains(text, strings.Join(strings.Fields(s), " ")) {
				t.Errorf("page text lacks %q", s)
			}
		}
	}
	for _, want := range []string{"contoso.com ERROR", "fabrikam.com WARNING", "Resolved since the baseline (1)", "kms9.contoso.com", "Errors and warnings over 5 runs"} {
		if !strings.Contains(text, want) {
			t.Errorf("page text lacks %q", want)
		}
	}

	shots := os.Getenv("KMSDNS_ARTIFACTS")
	if shots == "" {
		shots = dir
	}
	shot := filepath.Join(shots, "audit-report.png")
	runChromium(t, bin, file, "--screenshot="+shot, "--window-size=1280,2000")
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", shot, err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 2000 {
		t.Errorf("screenshot %s is %v", shot, b)
	}
	// Something was drawn: more than a handful of colours.
	colours := map[uint32]bool{}
	for y := 0; y < 600; y += 3 {
		for x := 0; x < 1280; x += 3 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[r>>8<<16|g>>8<<8|b>>8] = true
		}
	}
	if len(colours) < 20 {
		t.Errorf("screenshot %s has %d colours: blank?", shot, len(colours))
	}
	t.Logf("screenshot: %s", shot)
}
