//go:build !windows

// Command kmsdns-bench measures kmsdns against kdig and nsupdate on a real
// BIND on 127.0.0.1, in one run, and prints for each performance target
// the medians, the ratio and whether it holds:
//
//	go run ./cmd/kmsdns-bench            # full: 1M-record zone, 1,000 zones, ...
//	go run ./cmd/kmsdns-bench -small     # a quick run (CI), times not judged
//
// It generates the zones, starts named (and simulated KMS hosts on
// 127.0.x.y), builds kmsdns, runs kmsdns and the peers alternately, and
// takes CPU time and peak RSS from the kernel's accounting of each child
// (wait4 rusage). All traffic stays on loopback.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

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

// measure runs name with args, stdout to /dev/null, and reads the kernel's
// accounting of the child. okCodes are the exit codes that count as success.
func measure(r *runner, okCodes []int, name string, args ...string) sample {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		r.Fatal(err)
	}
	defer devnull.Close()
	var stderr strings.Builder
	cmd := exec.Command(name, args...)
	// Nothing the benchmark runs may fall back to the machine's resolver:
	// all traffic stays on loopback.
	cmd.Env = append(os.Environ(), "KMSDNS_RESOLVER=127.0.0.1:9")
	cmd.Stdout, cmd.Stderr = devnull, &stderr
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	code := cmd.ProcessState.ExitCode()
	if err != nil && !slices.Contains(okCodes, code) {
		r.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return sample{wall: wall, cpu: cpu, rss: ru.Maxrss * 1024}
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

// row is one line of the result table.
type row struct {
	target, kmsdns, peer, ratio, bound string
	holds                              bool
}

func main() {
	small := flag.Bool("small", false, "small sizes for CI: 10,000 records, 100 zones, 100 targets, 20 zones to publish")
	runs := flag.Int("runs", 0, "runs of each command, alternating (default 3, 1 with -small)")
	verbose := flag.Bool("v", false, "log what the servers say")
	only := flag.String("only", "1,2,3,4", "which targets to measure (comma-separated numbers)")
	flag.Parse()
	r := &runner{verbose: *verbose}
	code := 0
	func() {
		defer func() {
			if x := recover(); x != nil {
				if f, ok := x.(fatal); ok {
					fmt.Fprintln(os.Stderr, "kmsdns-bench:", f.msg)
					code = 1
					return
				}
				panic(x)
			}
		}()
		defer r.close()
		code = bench(r, *small, *runs, strings.Split(*only, ","))
	}()
	os.Exit(code)
}

type sizes struct {
	big, bigSmall  int // records in the big zone, and in the zone RSS is compared with
	zones, perZone int
	targets, dead  int
	publish        int
	probeTimeout   time.Duration
	runs           int
}

func bench(r *runner, small bool, runs int, only []string) int {
	sz := sizes{big: 1_000_000, bigSmall: 10_000, zones: 1000, perZone: 1000, targets: 1000, dead: 200, publish: 100, probeTimeout: time.Second, runs: 3}
	if small {
		sz = sizes{big: 10_000, bigSmall: 1_000, zones: 100, perZone: 1000, targets: 100, dead: 20, publish: 20, probeTimeout: 300 * time.Millisecond, runs: 1}
	}
	if runs > 0 {
		sz.runs = runs
	}
	kdig := testserver.Binary(r, "kdig", "knot-dnsutils")
	nsupdate := testserver.Binary(r, "nsupdate", "bind9-dnsutils")
	dir := r.TempDir()
	kmsdns := filepath.Join(dir, "kmsdns")
	if out, err := exec.Command("go", "build", "-o", kmsdns, "./cmd/kmsdns").CombinedOutput(); err != nil {
		r.Fatalf("building kmsdns (run from the repository root): %v\n%s", err, out)
	}
	fmt.Printf("kmsdns-bench: %d run(s) each; big zone %d records; %d zones x %d; %d targets (%d dead); publish to %d zones\n",
		sz.runs, sz.big, sz.zones, sz.perZone, sz.targets, sz.dead, sz.publish)
	var rows []row
	// Each target gets its own servers, stopped before the next starts.
	section := func(n string, f func(r *runner) []row) {
		if !slices.Contains(only, n) {
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

	fmt.Println()
	w := max(len("target"), 0)
	for _, x := range rows {
		w = max(w, len(x.target))
	}
	fmt.Printf("%-*s  %-22s  %-26s  %-8s  %-14s  %s\n", w, "target", "kmsdns", "peer", "ratio", "bound", "holds")
	held := 0
	for _, x := range rows {
		h := "no"
		if x.holds {
			h = "yes"
			held++
		}
		fmt.Printf("%-*s  %-22s  %-26s  %-8s  %-14s  %s\n", w, x.target, x.kmsdns, x.peer, x.ratio, x.bound, h)
	}
	fmt.Printf("\n%d of %d targets hold", held, len(rows))
	if small {
		fmt.Printf(" (small mode: sizes too small for the ratios to mean much; not judged)")
	}
	fmt.Println()
	return 0
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
	f.Close()
	return p
}

var benchKey = testserver.Key{Name: "bench", Algorithm: "hmac-sha256", Secret: "YmVuY2htYXJrLWtleS1mb3Ita21zZG5zLWJlbmNoMTI="}

// 1. The big zone: kmsdns audit against kdig's bare transfer.
func benchBigZone(r *runner, dir, kmsdns, kdig string, sz sizes) []row {
	big := writeZone(r, dir, zonegen.Config{Origin: "big.example.", Records: sz.big, KMS: 20})
	ref := writeZone(r, dir, zonegen.Config{Origin: "ref.example.", Records: sz.bigSmall, KMS: 20})
	bind := testserver.StartBIND(r, testserver.BINDConfig{Keys: []testserver.Key{benchKey}, Zones: []testserver.Zone{
		{Name: "big.example", File: big, Transfer: "any;"},
		{Name: "ref.example", File: ref, Transfer: "any;"},
	}})
	keyFile := benchKey.WriteKeyFile(r, dir)
	// kdig -k takes the key as -y does (algorithm:name:secret), from a
	// file so that the secret is not in argv.
	kdigKey := filepath.Join(dir, "bench.kdig")
	os.WriteFile(kdigKey, []byte(benchKey.Algorithm+":"+benchKey.Name+":"+benchKey.Secret+"\n"), 0o600)
	host, port := "127.0.0.1", fmt.Sprint(bind.Port)
	audit := func(zone string, key bool) sample {
		args := []string{"audit", "--zone", zone, "--server", bind.Addr, "--no-probe", "--output", "json", "--timeout", "30s"}
		if key {
			args = append(args, "--key-file", keyFile)
		}
		return measure(r, []int{0, 1, 2}, kmsdns, args...)
	}
	var k, d, ks, ds, kref []sample
	for i := 0; i < sz.runs; i++ {
		d = append(d, measure(r, nil, kdig, "@"+host, "-p", port, "AXFR", "big.example"))
		k = append(k, audit("big.example", false))
		ds = append(ds, measure(r, nil, kdig, "@"+host, "-p", port, "-k", kdigKey, "AXFR", "big.example"))
		ks = append(ks, audit("big.example", true))
		kref = append(kref, audit("ref.example", false))
	}
	kw, dw := median(k, wallS), median(d, wallS)
	kc, dc := median(k, cpuS), median(d, cpuS)
	ksc, dsc := median(ks, cpuS), median(ds, cpuS)
	kr, krr := median(k, rssM), median(kref, rssM)
	n := fmt.Sprintf("%dk", sz.big/1000)
	return []row{
		{"1 big zone (" + n + ") wall", fmt.Sprintf("%.2f s", kw), fmt.Sprintf("kdig %.2f s", dw), fmt.Sprintf("%.2f", kw/dw), "<= 1.05", kw <= 1.05*dw},
		{"1 big zone client CPU", fmt.Sprintf("%.2f s", kc), fmt.Sprintf("kdig %.2f s", dc), fmt.Sprintf("%.2f", kc/dc), "<= 0.40", kc <= 0.4*dc},
		{"1 big zone peak RSS", fmt.Sprintf("%.1f MiB", kr), fmt.Sprintf("kdig %.1f MiB", median(d, rssM)), "-", "<= 16 MiB", kr <= 16},
		{"1 RSS flat: big vs " + fmt.Sprintf("%dk", sz.bigSmall/1000), fmt.Sprintf("%.1f MiB", kr), fmt.Sprintf("kmsdns %.1f MiB", krr), fmt.Sprintf("%.2f", kr/krr), "<= 1.10", kr <= 1.10*krr},
		{"1 big zone TSIG CPU", fmt.Sprintf("%.2f s", ksc), fmt.Sprintf("kdig -k %.2f s", dsc), fmt.Sprintf("%.2f", ksc/dsc), "<= 0.50", ksc <= 0.5*dsc},
	}
}

// 2. Many zones: one kmsdns audit against a shell loop of kdig.
func benchManyZones(r *runner, dir, kmsdns, kdig string, sz sizes) []row {
	zdir := filepath.Join(dir, "many")
	os.MkdirAll(zdir, 0o755)
	var zones []testserver.Zone
	var names []string
	var cfg strings.Builder
	for i := 0; i < sz.zones; i++ {
		name := fmt.Sprintf("z%04d.example", i)
		names = append(names, name)
		zones = append(zones, testserver.Zone{Name: name, File: writeZone(r, zdir, zonegen.Config{Origin: name + ".", Records: sz.perZone, KMS: 1}), Transfer: "any;"})
	}
	bind := testserver.StartBIND(r, testserver.BINDConfig{Zones: zones})
	fmt.Fprintf(&cfg, "defaults:\n  server: %s\n  concurrency: 16\n  no-probe: true\nzones:\n", bind.Addr)
	for _, n := range names {
		fmt.Fprintf(&cfg, "  - name: %s\n", n)
	}
	cfgPath := filepath.Join(dir, "many.yaml")
	os.WriteFile(cfgPath, []byte(cfg.String()), 0o600)
	list := filepath.Join(dir, "many.list")
	os.WriteFile(list, []byte(strings.Join(names, "\n")+"\n"), 0o600)
	loop := fmt.Sprintf(`while read z; do %s @127.0.0.1 -p %d AXFR "$z" > /dev/null || exit 1; done < %s`, kdig, bind.Port, list)
	var k, d []sample
	var serverCPU []float64
	for i := 0; i < sz.runs; i++ {
		d = append(d, measure(r, nil, "sh", "-c", loop))
		before := procCPU(bind.PID())
		k = append(k, measure(r, []int{0, 1, 2}, kmsdns, "audit", "--config", cfgPath, "--output", "json"))
		serverCPU = append(serverCPU, procCPU(bind.PID())-before)
	}
	slices.Sort(serverCPU)
	bindCPU := serverCPU[len(serverCPU)/2]
	floor := bindCPU / float64(runtime.NumCPU())
	kw, dw := median(k, wallS), median(d, wallS)
	return []row{
		{fmt.Sprintf("2 %d zones x %d records", sz.zones, sz.perZone), fmt.Sprintf("%.2f s", kw), fmt.Sprintf("kdig loop %.2f s", dw),
			fmt.Sprintf("%.1fx faster", dw/kw), ">= 10x faster", dw >= 10*kw},
		{"2 server floor (BIND CPU/cores)", fmt.Sprintf("%.2f s", kw), fmt.Sprintf("floor %.2f s (%.2f s CPU)", floor, bindCPU),
			fmt.Sprintf("%.2f", kw/floor), "info: best ratio " + fmt.Sprintf("%.1fx", dw/floor), true},
	}
}

// procCPU is a process's CPU time so far, in seconds, from /proc.
func procCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (u + st) / 100 // USER_HZ
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
	for i, ip := range ips {
		b := kmstest.KMS
		if i < sz.dead {
			b = kmstest.Silent
		}
		kmstest.Start(r, ip, port, b)
		fmt.Fprintf(&z, "_vlmcs._tcp IN SRV 0 0 %d kms%d\nkms%d IN A %s\n", port, i, i, ip)
	}
	zf := filepath.Join(dir, "hosts.zone")
	os.WriteFile(zf, []byte(z.String()), 0o644)
	pool := 64
	bound := time.Duration((sz.dead+pool-1)/pool+1) * sz.probeTimeout
	var k []sample
	for i := 0; i < sz.runs; i++ {
		k = append(k, measure(r, []int{0, 1, 2}, kmsdns, "audit", "--zone-file", zf, "--expected-port", fmt.Sprint(port),
			"--probe-timeout", sz.probeTimeout.String(), "--output", "json"))
	}
	kw := median(k, wallS)
	return []row{{fmt.Sprintf("3 %d targets, %d dead", sz.targets, sz.dead), fmt.Sprintf("%.2f s", kw), fmt.Sprintf("bound %.2f s", bound.Seconds()),
		fmt.Sprintf("%.2f", kw/bound.Seconds()), fmt.Sprintf("<= (%d/%d+1)x%v", sz.dead, pool, sz.probeTimeout), kw <= bound.Seconds()}}
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
	os.WriteFile(addAll, []byte(script(true)), 0o600)
	os.WriteFile(delAll, []byte(script(false)), 0o600)
	perZone := filepath.Join(dir, "per-zone")
	os.MkdirAll(perZone, 0o755)
	for _, n := range names {
		os.WriteFile(filepath.Join(perZone, n), []byte(script(true, n)), 0o600)
	}
	// nsupdate -v: over TCP, as kmsdns sends updates.
	loop := fmt.Sprintf(`for f in %s/*; do %s -v -k %s "$f" || exit 1; done`, perZone, nsupdate, keyFile)
	reset := func() { measure(r, nil, nsupdate, "-v", "-k", keyFile, delAll) }
	pub := append(append([]string{"publish", "--server", bind.Addr, "--key-file", keyFile, "--host", "kms1.bench.example"}, zoneArgs...), "--output", "json")
	var k, one, many []sample
	for i := 0; i < sz.runs; i++ {
		k = append(k, measure(r, nil, kmsdns, pub...))
		reset()
		one = append(one, measure(r, nil, nsupdate, "-v", "-k", keyFile, addAll))
		reset()
		many = append(many, measure(r, nil, "sh", "-c", loop))
		reset()
	}
	kw, ow, mw := median(k, wallS), median(one, wallS), median(many, wallS)
	return []row{
		{fmt.Sprintf("4 publish to %d zones, verified", sz.publish), fmt.Sprintf("%.3f s", kw), fmt.Sprintf("nsupdate -v -k, 1 proc %.3f s", ow), fmt.Sprintf("%.2f", kw/ow), "<= 1.00", kw <= ow},
		{"4 publish vs nsupdate per zone", fmt.Sprintf("%.3f s", kw), fmt.Sprintf("nsupdate loop %.3f s", mw), fmt.Sprintf("%.2f", kw/mw), "<= 0.10", kw <= 0.1*mw},
	}
}
