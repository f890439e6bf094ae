//go:build !windows

// Command kmsdns-bench measures kmsdns against kdig and nsupdate on a real
// BIND on 127.0.0.1, in one run, and prints for each performance target
// the medians, the ratio and whether it holds:
//
//	go run ./cmd/kmsdns-bench            # full: 1M-record zone, 1,000 zones, ...
//	go run ./cmd/kmsdns-bench -small     # a quick run (CI), times not judged
//	go run ./cmd/kmsdns-bench -kmsdns ./kmsdns   # measure this binary
//
// It generates the zones, starts named (and simulated KMS hosts on
// 127.0.x.y), builds kmsdns (or takes -kmsdns), runs kmsdns and the peers
// alternately, and takes CPU time and peak RSS from the kernel's
// accounting of each child (wait4 rusage). All traffic stays on loopback.
//
// A time is used only after the run it measures has been checked: every
// command must exit with the code it is expected to, kmsdns's JSON output
// must report exactly the KMS records the generator planted (every zone,
// every probe verdict), and published records must be on the server, read
// back by AXFR. Anything else stops the benchmark with exit code 1.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/kmsdns/kmsdns/internal/kmstest"
	"github.com/kmsdns/kmsdns/internal/testserver"
	"github.com/kmsdns/kmsdns/internal/zonegen"
)

// runner satisfies testserver.TB outside a test.
type runner struct {
	cleanups []func()
	failed   bool
	verbose  bool
}

type fatal struct{ msg string }

func (r *runner) Helper()           {}
func (r *runner) Fatal(args ...any) { r.failed = true; panic(fatal{fmt.Sprint(args...)}) }
func (r *runner) Fatalf(format string, args ...any) {
	r.failed = true
	panic(fatal{fmt.Sprintf(format, args...)})
}
func (r *runner) Skipf(format string, args ...any) {
	r.failed = true
	panic(fatal{fmt.Sprintf(format, args...)})
}
func (r *runner) Logf(format string, args ...any) {
	if r.verbose {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
	}
}
func (r *runner) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *runner) Failed() bool     { return r.failed }
func (r *runner) TempDir() string {
	d, err := os.MkdirTemp("", "kmsdns-bench-")
	if err != nil {
		r.Fatal(err)
	}
	r.Cleanup(func() { os.RemoveAll(d) })
	return d
}
func (r *runner) close() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

var _ testserver.TB = (*runner)(nil)

// sample is one run of a command.
type sample struct {
	wall, cpu time.Duration
	rss       int64 // bytes
}

// measure runs name with args and reads the kernel's accounting of the
// child. The command must exit with code want, or the benchmark stops:
// an unexpected exit is a failure, never a data point. Its stdout goes to
// stdout, or to /dev/null when that is nil.
//
// Whatever stdout is, it must not grow the benchmark's own memory: Linux
// counts the parent's resident memory at fork into the child's peak RSS
// (the child runs in the parent's address space until exec), so a large
// buffer here would show up as kmsdns's and kdig's peak RSS.
func measure(r *runner, want int, stdout io.Writer, name string, args ...string) sample {
	var stderr strings.Builder
	cmd := exec.Command(name, args...)
	// Nothing the benchmark runs may fall back to the machine's resolver:
	// all traffic stays on loopback.
	cmd.Env = append(os.Environ(), "KMSDNS_RESOLVER=127.0.0.1:9")
	cmd.Stderr = &stderr
	var shown *bytes.Buffer // what the failure message quotes
	if stdout == nil {
		devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			r.Fatal(err)
		}
		defer devnull.Close()
		cmd.Stdout = devnull
	} else {
		cmd.Stdout = stdout
		shown, _ = stdout.(*bytes.Buffer)
	}
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if cmd.ProcessState == nil {
		r.Fatalf("%s: %v", name, err)
	}
	if code := cmd.ProcessState.ExitCode(); code != want {
		out := ""
		if shown != nil {
			out = shown.String()
		}
		r.Fatalf("%s %s: exit code %d, want %d (%v)\nstderr:\n%s\nstdout:\n%.2000s", name, strings.Join(args, " "), code, want, err, stderr.String(), out)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return sample{wall: wall, cpu: cpu, rss: ru.Maxrss * 1024}
}

// output runs measure with stdout kept, for small outputs (kmsdns JSON).
func output(r *runner, want int, name string, args ...string) (sample, []byte) {
	var b bytes.Buffer
	s := measure(r, want, &b, name, args...)
	return s, b.Bytes()
}

// lineCounter counts the lines written to it and keeps nothing.
type lineCounter struct{ n int }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n += bytes.Count(p, []byte("\n"))
	return len(p), nil
}

func median(xs []sample, f func(sample) float64) float64 {
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = f(x)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

func wallS(s sample) float64 { return s.wall.Seconds() }
func cpuS(s sample) float64  { return s.cpu.Seconds() }
func rssM(s sample) float64  { return float64(s.rss) / (1 << 20) }

// row is one line of the result table. An info row states a fact and is
// never counted as a target, held or not.
type row struct {
	target, kmsdns, peer, ratio, bound string
	holds                              bool
	info                               bool
}

// options are the command line.
type options struct {
	small   bool
	runs    int
	only    []string
	kmsdns  string // binary to measure; built from ./cmd/kmsdns when empty
	verbose bool
}

func main() {
	var o options
	flag.BoolVar(&o.small, "small", false, "small sizes for CI: 10,000 records, 100 zones, 100 targets, 20 zones to publish")
	flag.IntVar(&o.runs, "runs", 0, "runs of each command, alternating (default 3, 1 with -small)")
	flag.BoolVar(&o.verbose, "v", false, "log what the servers say")
	flag.StringVar(&o.kmsdns, "kmsdns", "", "measure this kmsdns binary instead of building ./cmd/kmsdns")
	only := flag.String("only", "1,2,3,4,5", "which targets to measure (comma-separated numbers)")
	flag.Parse()
	o.only = strings.Split(*only, ",")
	os.Exit(run(o, os.Stderr))
}

// run runs the benchmark and returns the exit code: 0 when every run was
// verified, 1 when one failed (the reason is written to stderr).
func run(o options, stderr io.Writer) (code int) {
	r := &runner{verbose: o.verbose}
	defer func() {
		if x := recover(); x != nil {
			f, ok := x.(fatal)
			if !ok {
				panic(x)
			}
			fmt.Fprintln(stderr, "kmsdns-bench: FAILED:", f.msg)
			code = 1
		}
	}()
	defer r.close()
	return bench(r, o)
}

type sizes struct {
	big, bigSmall  int // records in the big zone, and in the zone RSS is compared with
	zones, perZone int
	targets, dead  int
	publish        int
	probeTimeout   time.Duration
	runs           int
}

func bench(r *runner, o options) int {
	sz := sizes{big: 1_000_000, bigSmall: 10_000, zones: 1000, perZone: 1000, targets: 1000, dead: 200, publish: 100, probeTimeout: time.Second, runs: 3}
	if o.small {
		sz = sizes{big: 10_000, bigSmall: 1_000, zones: 100, perZone: 1000, targets: 100, dead: 20, publish: 20, probeTimeout: 300 * time.Millisecond, runs: 1}
	}
	if o.runs > 0 {
		sz.runs = o.runs
	}
	kdig := testserver.Binary(r, "kdig", "knot-dnsutils")
	nsupdate := testserver.Binary(r, "nsupdate", "bind9-dnsutils")
	kmsdns := o.kmsdns
	if kmsdns == "" {
		kmsdns = filepath.Join(r.TempDir(), "kmsdns")
		if out, err := exec.Command("go", "build", "-o", kmsdns, "./cmd/kmsdns").CombinedOutput(); err != nil {
			r.Fatalf("building kmsdns (run from the repository root): %v\n%s", err, out)
		}
	} else if abs, err := filepath.Abs(kmsdns); err != nil {
		r.Fatal(err)
	} else {
		kmsdns = abs
	}
	fmt.Printf("kmsdns-bench: %s; %d run(s) each; big zone %d records; %d zones x %d; %d targets (%d dead); publish to %d zones\n",
		kmsdns, sz.runs, sz.big, sz.zones, sz.perZone, sz.targets, sz.dead, sz.publish)
	var rows []row
	// Each target gets its own servers, stopped before the next starts.
	section := func(n string, f func(r *runner) []row) {
		if !slices.Contains(o.only, n) {
			return
		}
		sub := &runner{verbose: r.verbose}
		defer sub.close()
		rows = append(rows, f(sub)...)
	}
	section("1", func(r *runner) []row { return benchBigZone(r, r.TempDir(), kmsdns, kdig, sz) })
	section("2", func(r *runner) []row { return benchManyZones(r, r.TempDir(), kmsdns, kdig, sz) })
	section("3", func(r *runner) []row { return benchDeadHosts(r, r.TempDir(), kmsdns, sz) })
	section("4", func(r *runner) []row { return benchPublish(r, r.TempDir(), kmsdns, nsupdate, sz) })
	section("5", func(r *runner) []row { return benchZoneFile(r, r.TempDir(), kmsdns, sz) })

	fmt.Println()
	w := len("target")
	for _, x := range rows {
		w = max(w, len(x.target))
	}
	fmt.Printf("%-*s  %-22s  %-26s  %-8s  %-14s  %s\n", w, "target", "kmsdns", "peer", "ratio", "bound", "holds")
	held, targets := 0, 0
	for _, x := range rows {
		h := "info"
		if !x.info {
			targets++
			h = "no"
			if x.holds {
				h = "yes"
				held++
			}
		}
		fmt.Printf("%-*s  %-22s  %-26s  %-8s  %-14s  %s\n", w, x.target, x.kmsdns, x.peer, x.ratio, x.bound, h)
	}
	fmt.Printf("\nevery run verified; %d of %d targets hold", held, targets)
	if o.small {
		fmt.Printf(" (small mode: sizes too small for the ratios to mean much; not judged)")
	}
	fmt.Println()
	return 0
}

// auditJSON is the part of kmsdns audit's JSON output (schema version 1)
// the benchmark checks.
type auditJSON struct {
	Version int `json:"version"`
	Zones   []struct {
		Zone    string `json:"zone"`
		Source  string `json:"source"`
		Error   string `json:"error"`
		Note    string `json:"note"`
		Records int    `json:"records"`
	} `json:"zones"`
	Records []struct {
		Zone   string `json:"zone"`
		Name   string `json:"name"`
		Port   uint16 `json:"port"`
		Target string `json:"target"`
	} `json:"records"`
	Targets []struct {
		Target string `json:"target"`
		Port   uint16 `json:"port"`
		Probe  string `json:"probe"`
	} `json:"targets"`
	Findings []struct {
		Check    string `json:"check"`
		Severity string `json:"severity"`
		Target   string `json:"target"`
		Port     uint16 `json:"port"`
	} `json:"findings"`
	Summary struct {
		Zones    int `json:"zones"`
		Records  int `json:"records"`
		Errors   int `json:"errors"`
		Warnings int `json:"warnings"`
	} `json:"summary"`
}

func decodeAudit(r *runner, what string, out []byte) auditJSON {
	var a auditJSON
	if err := json.Unmarshal(out, &a); err != nil {
		r.Fatalf("%s: kmsdns JSON output: %v\n%.2000s", what, err, out)
	}
	if a.Version != 1 {
		r.Fatalf("%s: kmsdns JSON output has version %d, want 1", what, a.Version)
	}
	return a
}

// srvKey is a record compared case-insensitively, as DNS names are.
func srvKey(name, target string, port uint16) string {
	return dns.CanonicalName(name) + " " + strconv.Itoa(int(port)) + " " + dns.CanonicalName(target)
}

// verifyRecords checks that an audit read every zone of want by transfer
// and reports exactly the KMS records planted in it, nothing more.
func verifyRecords(r *runner, what string, a auditJSON, want map[string][]zonegen.SRV) {
	verifySource(r, what, "axfr", a, want)
}

// verifySource is verifyRecords for zones read from source ("axfr",
// "file").
func verifySource(r *runner, what, source string, a auditJSON, want map[string][]zonegen.SRV) {
	if len(a.Zones) != len(want) || a.Summary.Zones != len(want) {
		r.Fatalf("%s: kmsdns reports %d zones (summary %d), want %d", what, len(a.Zones), a.Summary.Zones, len(want))
	}
	planted := map[string]int{}
	seen := map[string]bool{}
	total := 0
	for _, z := range a.Zones {
		srvs, ok := want[dns.CanonicalName(z.Zone)]
		if !ok {
			r.Fatalf("%s: kmsdns reports zone %q, which was not asked for", what, z.Zone)
		}
		if z.Error != "" || z.Source != source || z.Records != len(srvs) {
			r.Fatalf("%s: zone %s: source %q, %d records, error %q, note %q; want %s, %d records, no error", what, z.Zone, z.Source, z.Records, z.Error, z.Note, source, len(srvs))
		}
		if seen[dns.CanonicalName(z.Zone)] {
			r.Fatalf("%s: kmsdns reports zone %s twice", what, z.Zone)
		}
		seen[dns.CanonicalName(z.Zone)] = true
		for _, s := range srvs {
			planted[srvKey(s.Name, s.Target, s.Port)]++
			total++
		}
	}
	if len(a.Records) != total || a.Summary.Records != total {
		r.Fatalf("%s: kmsdns reports %d KMS records (summary %d), the zones hold %d", what, len(a.Records), a.Summary.Records, total)
	}
	for _, rec := range a.Records {
		k := srvKey(rec.Name, rec.Target, rec.Port)
		if planted[k] == 0 {
			r.Fatalf("%s: kmsdns reports %s in %s, which was not planted (or is reported twice)", what, k, rec.Zone)
		}
		planted[k]--
	}
}

// verifyClean checks an audit that must find nothing wrong.
func verifyClean(r *runner, what string, a auditJSON) {
	if a.Summary.Errors != 0 || a.Summary.Warnings != 0 {
		r.Fatalf("%s: %d errors, %d warnings, want none: %+v", what, a.Summary.Errors, a.Summary.Warnings, a.Findings)
	}
}

// plantedZones generates the zones of cs and returns their files and
// planted records by canonical zone name.
func plantedZones(r *runner, dir string, cs ...zonegen.Config) ([]string, map[string][]zonegen.SRV) {
	files := make([]string, len(cs))
	want := map[string][]zonegen.SRV{}
	for i, c := range cs {
		files[i] = writeZone(r, dir, c)
		want[dns.CanonicalName(c.Origin)] = zonegen.Planted(c)
	}
	return files, want
}

func writeZone(r *runner, dir string, c zonegen.Config) string {
	p := filepath.Join(dir, c.Origin+"zone")
	f, err := os.Create(p)
	if err != nil {
		r.Fatal(err)
	}
	if _, err := zonegen.Write(f, c); err != nil {
		r.Fatal(err)
	}
	if err := f.Close(); err != nil {
		r.Fatal(err)
	}
	return p
}

func writeFile(r *runner, path, content string) {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		r.Fatal(err)
	}
}

var benchKey = testserver.Key{Name: "bench", Algorithm: "hmac-sha256", Secret: "YmVuY2htYXJrLWtleS1mb3Ita21zZG5zLWJlbmNoMTI="}

// 1. The big zone: kmsdns audit against kdig's bare transfer.
func benchBigZone(r *runner, dir, kmsdns, kdig string, sz sizes) []row {
	files, want := plantedZones(r, dir,
		zonegen.Config{Origin: "big.example.", Records: sz.big, KMS: 20, Addresses: true},
		zonegen.Config{Origin: "ref.example.", Records: sz.bigSmall, KMS: 20, Addresses: true})
	bind := testserver.StartBIND(r, testserver.BINDConfig{Keys: []testserver.Key{benchKey}, Zones: []testserver.Zone{
		{Name: "big.example", File: files[0], Transfer: "any;"},
		{Name: "ref.example", File: files[1], Transfer: "any;"},
	}})
	keyFile := benchKey.WriteKeyFile(r, dir)
	// kdig -k takes the key as -y does (algorithm:name:secret), from a
	// file so that the secret is not in argv.
	kdigKey := filepath.Join(dir, "bench.kdig")
	writeFile(r, kdigKey, benchKey.Algorithm+":"+benchKey.Name+":"+benchKey.Secret+"\n")
	host, port := "127.0.0.1", fmt.Sprint(bind.Port)
	// Every target has an address and probing is off: a correct audit
	// reports the planted records, no error or warning, and exits 0.
	audit := func(zone string, key bool) sample {
		args := []string{"audit", "--zone", zone, "--server", bind.Addr, "--no-probe", "--output", "json", "--timeout", "30s"}
		what := "audit of " + zone
		if key {
			args = append(args, "--key-file", keyFile)
			what += " with TSIG"
		}
		s, out := output(r, 0, kmsdns, args...)
		a := decodeAudit(r, what, out)
		verifyRecords(r, what, a, map[string][]zonegen.SRV{zone + ".": want[zone+"."]})
		verifyClean(r, what, a)
		return s
	}
	// kdig's transfers are checked once, by their size, outside the timed
	// runs (whose output goes to /dev/null as before): every record came.
	for _, extra := range [][]string{nil, {"-k", kdigKey}} {
		var lines lineCounter
		measure(r, 0, &lines, kdig, append([]string{"@" + host, "-p", port, "+noall", "+answer", "AXFR", "big.example"}, extra...)...)
		// SOA, NS, ns1 A, the records, one address per KMS target, SOA.
		if n, wantN := lines.n, 3+sz.big+len(want["big.example."])+1; n != wantN {
			r.Fatalf("kdig AXFR big.example %s: %d records, want %d", strings.Join(extra, " "), n, wantN)
		}
	}
	axfr := func(args ...string) sample {
		return measure(r, 0, nil, kdig, append([]string{"@" + host, "-p", port, "AXFR", "big.example"}, args...)...)
	}
	var k, d, ks, ds, kref []sample
	for i := 0; i < sz.runs; i++ {
		d = append(d, axfr())
		k = append(k, audit("big.example", false))
		ds = append(ds, axfr("-k", kdigKey))
		ks = append(ks, audit("big.example", true))
		kref = append(kref, audit("ref.example", false))
	}
	kw, dw := median(k, wallS), median(d, wallS)
	kc, dc := median(k, cpuS), median(d, cpuS)
	ksc, dsc := median(ks, cpuS), median(ds, cpuS)
	kr, krr := median(k, rssM), median(kref, rssM)
	n := fmt.Sprintf("%dk", sz.big/1000)
	return []row{
		{target: "1 big zone (" + n + ") wall", kmsdns: fmt.Sprintf("%.2f s", kw), peer: fmt.Sprintf("kdig %.2f s", dw), ratio: fmt.Sprintf("%.2f", kw/dw), bound: "<= 1.05", holds: kw <= 1.05*dw},
		{target: "1 big zone client CPU", kmsdns: fmt.Sprintf("%.2f s", kc), peer: fmt.Sprintf("kdig %.2f s", dc), ratio: fmt.Sprintf("%.2f", kc/dc), bound: "<= 0.40", holds: kc <= 0.4*dc},
		{target: "1 big zone peak RSS", kmsdns: fmt.Sprintf("%.1f MiB", kr), peer: fmt.Sprintf("kdig %.1f MiB", median(d, rssM)), ratio: "-", bound: "<= 16 MiB", holds: kr <= 16},
		{target: "1 RSS flat: big vs " + fmt.Sprintf("%dk", sz.bigSmall/1000), kmsdns: fmt.Sprintf("%.1f MiB", kr), peer: fmt.Sprintf("kmsdns %.1f MiB", krr), ratio: fmt.Sprintf("%.2f", kr/krr), bound: "<= 1.10", holds: kr <= 1.10*krr},
		{target: "1 big zone TSIG CPU", kmsdns: fmt.Sprintf("%.2f s", ksc), peer: fmt.Sprintf("kdig -k %.2f s", dsc), ratio: fmt.Sprintf("%.2f", ksc/dsc), bound: "<= 0.50", holds: ksc <= 0.5*dsc},
	}
}

// 2. Many zones: one kmsdns audit against a shell loop of kdig.
func benchManyZones(r *runner, dir, kmsdns, kdig string, sz sizes) []row {
	zdir := filepath.Join(dir, "many")
	if err := os.MkdirAll(zdir, 0o755); err != nil {
		r.Fatal(err)
	}
	var cs []zonegen.Config
	var names []string
	for i := 0; i < sz.zones; i++ {
		name := fmt.Sprintf("z%04d.example", i)
		names = append(names, name)
		cs = append(cs, zonegen.Config{Origin: name + ".", Records: sz.perZone, KMS: 1, Addresses: true})
	}
	files, want := plantedZones(r, zdir, cs...)
	var zones []testserver.Zone
	for i, n := range names {
		zones = append(zones, testserver.Zone{Name: n, File: files[i], Transfer: "any;"})
	}
	bind := testserver.StartBIND(r, testserver.BINDConfig{Zones: zones})
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "defaults:\n  server: %s\n  concurrency: 16\n  no-probe: true\nzones:\n", bind.Addr)
	for _, n := range names {
		fmt.Fprintf(&cfg, "  - name: %s\n", n)
	}
	cfgPath := filepath.Join(dir, "many.yaml")
	writeFile(r, cfgPath, cfg.String())
	list := filepath.Join(dir, "many.list")
	writeFile(r, list, strings.Join(names, "\n")+"\n")
	loop := fmt.Sprintf(`while read z; do %s @127.0.0.1 -p %d AXFR "$z" > /dev/null || exit 1; done < %s`, kdig, bind.Port, list)
	// The loop's transfers are checked once, outside the timed runs: it
	// counts the records it received, every zone in full.
	count := fmt.Sprintf(`while read z; do %s @127.0.0.1 -p %d +noall +answer AXFR "$z" || exit 1; done < %s | wc -l`, kdig, bind.Port, list)
	perZone := 3 + sz.perZone + 1 + 1 // SOA, NS, ns1 A, records, the target's address, SOA
	if _, out := output(r, 0, "sh", "-c", count); strings.TrimSpace(string(out)) != strconv.Itoa(sz.zones*perZone) {
		r.Fatalf("kdig loop: %q records, want %d", out, sz.zones*perZone)
	}
	floor, err := newServerFloor(bind.PID())
	if err != nil {
		r.Fatalf("server floor: %v", err)
	}
	var k, d []sample
	var serverCPU []float64
	for i := 0; i < sz.runs; i++ {
		s := measure(r, 0, nil, "sh", "-c", loop)
		d = append(d, s)
		before, err := floor.cpu()
		if err != nil {
			r.Fatalf("server floor: %v", err)
		}
		s, out := output(r, 0, kmsdns, "audit", "--config", cfgPath, "--output", "json")
		after, err := floor.cpu()
		if err != nil {
			r.Fatalf("server floor: %v", err)
		}
		a := decodeAudit(r, "audit of many zones", out)
		verifyRecords(r, "audit of many zones", a, want)
		verifyClean(r, "audit of many zones", a)
		k = append(k, s)
		serverCPU = append(serverCPU, after-before)
	}
	slices.Sort(serverCPU)
	bindCPU := serverCPU[len(serverCPU)/2]
	fl := bindCPU / float64(floor.cores)
	kw, dw := median(k, wallS), median(d, wallS)
	return []row{
		{target: fmt.Sprintf("2 %d zones x %d records", sz.zones, sz.perZone), kmsdns: fmt.Sprintf("%.2f s", kw), peer: fmt.Sprintf("kdig loop %.2f s", dw),
			ratio: fmt.Sprintf("%.1fx faster", dw/kw), bound: ">= 10x faster", holds: dw >= 10*kw},
		{target: fmt.Sprintf("2 server floor (BIND CPU/%d cores)", floor.cores), kmsdns: fmt.Sprintf("%.2f s", kw), peer: fmt.Sprintf("floor %.2f s (%.2f s CPU)", fl, bindCPU),
			ratio: fmt.Sprintf("%.2f", kw/fl), bound: "best " + fmt.Sprintf("%.1fx", dw/fl), info: true},
	}
}

// 3. Dead hosts: every target probed, the dead ones in parallel waves.
func benchDeadHosts(r *runner, dir, kmsdns string, sz sizes) []row {
	ips := make([]string, sz.targets)
	for i := range ips {
		ips[i] = fmt.Sprintf("127.0.%d.%d", 1+i/250, 1+i%250)
	}
	port := testserver.FreePortOn(r, ips[0], ips[len(ips)-1])
	var z strings.Builder
	fmt.Fprintf(&z, "$ORIGIN hosts.example.\n$TTL 3600\n@ IN SOA ns1 hm 1 3600 900 1209600 300\n IN NS ns1\nns1 IN A 127.0.0.1\n")
	verdict := map[string]string{} // target:port -> the probe verdict it must get
	for i, ip := range ips {
		b, v := kmstest.KMS, "kms"
		if i < sz.dead {
			// Connects, never answers the RPC bind.
			b, v = kmstest.Silent, "not-kms"
		}
		kmstest.Start(r, ip, port, b)
		fmt.Fprintf(&z, "_vlmcs._tcp IN SRV 0 0 %d kms%d\nkms%d IN A %s\n", port, i, i, ip)
		verdict[fmt.Sprintf("kms%d.hosts.example.:%d", i, port)] = v
	}
	zf := filepath.Join(dir, "hosts.zone")
	writeFile(r, zf, z.String())
	pool := 64
	bound := time.Duration((sz.dead+pool-1)/pool+1) * sz.probeTimeout
	var k []sample
	for i := 0; i < sz.runs; i++ {
		// Dead hosts are errors: exit code 2.
		s, out := output(r, 2, kmsdns, "audit", "--zone-file", zf, "--expected-port", fmt.Sprint(port),
			"--probe-timeout", sz.probeTimeout.String(), "--output", "json")
		verifyProbes(r, decodeAudit(r, "audit with probes", out), verdict, sz.dead)
		k = append(k, s)
	}
	kw := median(k, wallS)
	return []row{{target: fmt.Sprintf("3 %d targets, %d dead", sz.targets, sz.dead), kmsdns: fmt.Sprintf("%.2f s", kw), peer: fmt.Sprintf("bound %.2f s", bound.Seconds()),
		ratio: fmt.Sprintf("%.2f", kw/bound.Seconds()), bound: fmt.Sprintf("<= (%d/%d+1)x%v", sz.dead, pool, sz.probeTimeout), holds: kw <= bound.Seconds()}}
}

// verifyProbes checks that every target was probed once and classified as
// its simulated host behaves, and that each dead one, and only those, has
// a not-kms error finding.
func verifyProbes(r *runner, a auditJSON, verdict map[string]string, dead int) {
	const what = "audit with probes"
	if len(a.Records) != len(verdict) {
		r.Fatalf("%s: %d records, want %d", what, len(a.Records), len(verdict))
	}
	seen := map[string]bool{}
	for _, t := range a.Targets {
		key := fmt.Sprintf("%s:%d", dns.CanonicalName(t.Target), t.Port)
		want, ok := verdict[key]
		if !ok || seen[key] {
			r.Fatalf("%s: target %s reported twice or not in the zone", what, key)
		}
		seen[key] = true
		if t.Probe != want {
			r.Fatalf("%s: target %s: probe %q, want %q", what, key, t.Probe, want)
		}
	}
	if len(seen) != len(verdict) {
		r.Fatalf("%s: %d targets reported, want %d", what, len(seen), len(verdict))
	}
	failing := map[string]bool{}
	for _, f := range a.Findings {
		if f.Check == "not-kms" && f.Severity == "error" {
			failing[fmt.Sprintf("%s:%d", dns.CanonicalName(f.Target), f.Port)] = true
		}
	}
	for key, v := range verdict {
		if failing[key] != (v != "kms") {
			r.Fatalf("%s: target %s (probe %s): not-kms error finding %v", what, key, v, failing[key])
		}
	}
	if a.Summary.Errors < dead {
		r.Fatalf("%s: %d errors, want at least %d", what, a.Summary.Errors, dead)
	}
}

// 4. Publish one record to many zones, verified, against nsupdate.
func benchPublish(r *runner, dir, kmsdns, nsupdate string, sz sizes) []row {
	var zones []testserver.Zone
	var names []string
	for i := 0; i < sz.publish; i++ {
		name := fmt.Sprintf("p%03d.example", i)
		names = append(names, name)
		zones = append(zones, testserver.Zone{Name: name, Transfer: "any;", Extra: "update-policy { grant bench zonesub SRV; };",
			Content: fmt.Sprintf("$ORIGIN %s.\n$TTL 3600\n@ IN SOA ns1 hm 1 3600 900 1209600 300\n IN NS ns1\nns1 IN A 127.0.0.1\n", name)})
	}
	bind := testserver.StartBIND(r, testserver.BINDConfig{Keys: []testserver.Key{benchKey}, Zones: zones})
	keyFile := benchKey.WriteKeyFile(r, dir)
	zoneArgs := []string{}
	for _, n := range names {
		zoneArgs = append(zoneArgs, "--zone", n)
	}
	script := func(add bool, only ...string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "server 127.0.0.1 %d\n", bind.Port)
		for _, n := range names {
			if len(only) > 0 && n != only[0] {
				continue
			}
			op := "add"
			if !add {
				op = "delete"
			}
			fmt.Fprintf(&b, "zone %s\nupdate %s _vlmcs._tcp.%s. 3600 IN SRV 0 0 1688 kms1.bench.example.\nsend\n", n, op, n)
		}
		return b.String()
	}
	addAll := filepath.Join(dir, "add.nsupdate")
	delAll := filepath.Join(dir, "del.nsupdate")
	writeFile(r, addAll, script(true))
	writeFile(r, delAll, script(false))
	perZone := filepath.Join(dir, "per-zone")
	if err := os.MkdirAll(perZone, 0o755); err != nil {
		r.Fatal(err)
	}
	for _, n := range names {
		writeFile(r, filepath.Join(perZone, n), script(true, n))
	}
	// nsupdate -v: over TCP, as kmsdns sends updates.
	loop := fmt.Sprintf(`for f in %s/*; do %s -v -k %s "$f" || exit 1; done`, perZone, nsupdate, keyFile)
	// Every run starts from zones without the record and must leave it in
	// every zone: read back by AXFR, not taken from the tool's word.
	reset := func() {
		measure(r, 0, nil, nsupdate, "-v", "-k", keyFile, delAll)
		verifyPublished(r, "after deleting", bind.Addr, names, false)
	}
	pub := append(append([]string{"publish", "--server", bind.Addr, "--key-file", keyFile, "--host", "kms1.bench.example"}, zoneArgs...), "--output", "json")
	var k, one, many []sample
	for i := 0; i < sz.runs; i++ {
		s, out := output(r, 0, kmsdns, pub...)
		verifyPublished(r, "after kmsdns publish", bind.Addr, names, true)
		verifyPublishJSON(r, out, names)
		k = append(k, s)
		reset()
		s = measure(r, 0, nil, nsupdate, "-v", "-k", keyFile, addAll)
		verifyPublished(r, "after nsupdate", bind.Addr, names, true)
		one = append(one, s)
		reset()
		s = measure(r, 0, nil, "sh", "-c", loop)
		verifyPublished(r, "after the nsupdate loop", bind.Addr, names, true)
		many = append(many, s)
		reset()
	}
	kw, ow, mw := median(k, wallS), median(one, wallS), median(many, wallS)
	return []row{
		{target: fmt.Sprintf("4 publish to %d zones, verified", sz.publish), kmsdns: fmt.Sprintf("%.3f s", kw), peer: fmt.Sprintf("nsupdate -v -k, 1 proc %.3f s", ow), ratio: fmt.Sprintf("%.2f", kw/ow), bound: "<= 1.00", holds: kw <= ow},
		{target: "4 publish vs nsupdate per zone", kmsdns: fmt.Sprintf("%.3f s", kw), peer: fmt.Sprintf("nsupdate loop %.3f s", mw), ratio: fmt.Sprintf("%.2f", kw/mw), bound: "<= 0.10", holds: kw <= 0.1*mw},
	}
}

// 5. A zone file: kmsdns audit of the file against named-checkzone
// loading it (BIND's own reader and checks).
func benchZoneFile(r *runner, dir, kmsdns string, sz sizes) []row {
	checkzone := testserver.Binary(r, "named-checkzone", "bind9-utils")
	files, want := plantedZones(r, dir, zonegen.Config{Origin: "big.example.", Records: sz.big, KMS: 20, Addresses: true})
	file := files[0]
	// Every target has an address in the file and probing is off: a
	// correct audit reports the planted records, no error or warning.
	audit := func() sample {
		const what = "audit of zone file big.example"
		s, out := output(r, 0, kmsdns, "audit", "--zone-file", file, "--zone", "big.example", "--no-probe", "--output", "json")
		a := decodeAudit(r, what, out)
		verifySource(r, what, "file", a, want)
		verifyClean(r, what, a)
		return s
	}
	check := func() sample {
		s, out := output(r, 0, checkzone, "big.example", file)
		if !bytes.Contains(out, []byte("zone big.example/IN: loaded serial 1\n")) || !bytes.HasSuffix(out, []byte("OK\n")) {
			r.Fatalf("named-checkzone big.example %s: %q, want the zone loaded and OK", file, out)
		}
		return s
	}
	var k, c []sample
	for i := 0; i < sz.runs; i++ {
		c = append(c, check())
		k = append(k, audit())
	}
	kw, cw := median(k, wallS), median(c, wallS)
	n := fmt.Sprintf("%dk", sz.big/1000)
	return []row{
		{target: "5 zone file (" + n + ") audit, wall", kmsdns: fmt.Sprintf("%.2f s", kw), peer: fmt.Sprintf("named-checkzone %.2f s", cw), ratio: fmt.Sprintf("%.2f", kw/cw), bound: "<= 1.00", holds: kw <= cw},
		{target: "5 zone file CPU, peak RSS", kmsdns: fmt.Sprintf("%.2f s, %.1f MiB", median(k, cpuS), median(k, rssM)), peer: fmt.Sprintf("%.2f s, %.1f MiB", median(c, cpuS), median(c, rssM)),
			ratio: fmt.Sprintf("%.2f", median(k, cpuS)/median(c, cpuS)), bound: "-", info: true},
	}
}

// verifyPublished reads every zone back by AXFR and checks that it holds
// the published record (and no other KMS record) when present is set, or
// no KMS record at all.
func verifyPublished(r *runner, what, server string, names []string, present bool) {
	for _, n := range names {
		var kms []string
		for _, line := range testserver.Records(r, server, n) {
			if strings.HasPrefix(line, "_vlmcs._tcp.") {
				kms = append(kms, line)
			}
		}
		ok := len(kms) == 0
		if present {
			ok = false
			if len(kms) == 1 {
				rr, err := dns.NewRR(kms[0])
				srv, isSRV := rr.(*dns.SRV)
				ok = err == nil && isSRV && srv.Hdr.Name == "_vlmcs._tcp."+n+"." &&
					srv.Priority == 0 && srv.Weight == 0 && srv.Port == 1688 && srv.Target == "kms1.bench.example."
			}
		}
		if !ok {
			r.Fatalf("%s: zone %s on %s holds %q, want %s", what, n, server, kms,
				map[bool]string{true: "_vlmcs._tcp SRV 0 0 1688 kms1.bench.example. only", false: "no _vlmcs._tcp record"}[present])
		}
	}
}

// verifyPublishJSON checks that kmsdns publish says it changed and
// verified every zone, each once.
func verifyPublishJSON(r *runner, out []byte, names []string) {
	var p struct {
		Version int `json:"version"`
		Results []struct {
			Zone     string `json:"zone"`
			Action   string `json:"action"`
			Verified bool   `json:"verified"`
			Error    string `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal(out, &p); err != nil || p.Version != 1 {
		r.Fatalf("kmsdns publish: JSON output (version %d): %v\n%.2000s", p.Version, err, out)
	}
	seen := map[string]bool{}
	for _, x := range p.Results {
		z := dns.CanonicalName(x.Zone)
		if seen[z] || !x.Verified || x.Error != "" {
			r.Fatalf("kmsdns publish: zone %s: action %q, verified %v, error %q (or reported twice)", x.Zone, x.Action, x.Verified, x.Error)
		}
		seen[z] = true
	}
	for _, n := range names {
		if !seen[dns.CanonicalName(n)] {
			r.Fatalf("kmsdns publish: no result for zone %s", n)
		}
	}
	if len(p.Results) != len(names) {
		r.Fatalf("kmsdns publish: %d results, want %d", len(p.Results), len(names))
	}
}

// serverFloor reads a server process's CPU time from /proc/<pid>/stat, in
// clock ticks of USER_HZ (sysconf(_SC_CLK_TCK), which getconf reports), and
// the cores it can use: the CPUs in its affinity mask, at most its worker
// threads when it was started with named's -n.
type serverFloor struct {
	pid   int
	hz    float64
	cores int
}

func newServerFloor(pid int) (*serverFloor, error) {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err != nil {
		return nil, fmt.Errorf("getconf CLK_TCK: %w", err)
	}
	hz, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil || hz <= 0 {
		return nil, fmt.Errorf("getconf CLK_TCK: %q is not a tick rate", out)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	cores := 0
	for _, line := range strings.Split(string(status), "\n") {
		if list, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			if cores, err = countCPUList(strings.TrimSpace(list)); err != nil {
				return nil, fmt.Errorf("/proc/%d/status: %w", pid, err)
			}
		}
	}
	if cores == 0 {
		return nil, fmt.Errorf("/proc/%d/status: no Cpus_allowed_list", pid)
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return nil, err
	}
	args := strings.Split(string(cmdline), "\x00")
	if i := slices.Index(args, "-n"); i >= 0 && i+1 < len(args) {
		if n, err := strconv.Atoi(args[i+1]); err == nil && n > 0 {
			cores = min(cores, n)
		}
	}
	f := &serverFloor{pid: pid, hz: hz, cores: cores}
	if _, err := f.cpu(); err != nil {
		return nil, err
	}
	return f, nil
}

// countCPUList counts the CPUs in a list such as "0-3,8,10-11".
func countCPUList(s string) (int, error) {
	n := 0
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return 0, fmt.Errorf("CPU list %q: %w", s, err)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return 0, fmt.Errorf("CPU list %q: bad range %q", s, part)
			}
		}
		n += b - a + 1
	}
	return n, nil
}

// cpu is the process's user+system CPU time so far, in seconds.
func (f *serverFloor) cpu() (float64, error) {
	p := fmt.Sprintf("/proc/%d/stat", f.pid)
	b, err := os.ReadFile(p)
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 > len(s) {
		return 0, fmt.Errorf("%s: no command name", p)
	}
	// Fields after "pid (comm) ": state is field 3, utime 14, stime 15.
	fields := strings.Fields(s[i+2:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("%s: %d fields", p, len(fields))
	}
	u, err1 := strconv.ParseUint(fields[11], 10, 64)
	st, err2 := strconv.ParseUint(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("%s: utime %q stime %q", p, fields[11], fields[12])
	}
	return float64(u+st) / f.hz, nil
}
