//go:build !windows

// Command mutate measures how many deliberate bugs the tests catch. Each
// entry of a mutation list (testdata/mutations.txt) names a file, an exact
// snippet, its replacement and the packages whose tests should catch it.
// In a copy of the tree (one per mutant tested at a time, -p), mutate
// applies the entry, runs
//
//	KMSDNS_REQUIRE_SERVERS=1 go test -count=1 -timeout T [-run R] PKGS
//
// restores the file, and records the mutant as caught (the tests failed),
// survived (they passed), stale (the snippet is no longer in the file, so
// the entry needs refreshing), ambiguous (it is there more than once) or
// invalid (the mutant does not compile). It prints the score,
// caught / (caught + survived):
//
//	go run ./tools/mutate                       # every entry, 2 at a time
//	go run ./tools/mutate -p 1                  # one at a time
//	go run ./tools/mutate -only 'probe|guard'   # entries whose id matches
//	go run ./tools/mutate -check                # only check the list (a second)
//	go run ./tools/mutate -short                # go test -short
//
// An entry's run: pattern (go test -run) limits it to the tests that
// should catch it, which makes the whole list affordable; -check reports
// a pattern that matches no test (a renamed test would otherwise make the
// mutant survive silently). A survives: line explains a mutant no test can
// catch; it is still counted as survived.
//
// The working tree is never modified: everything happens in a copy under
// $TMPDIR, removed at the end. The tests' temporary files (and so the
// configuration of every server they start) live in that copy; servers a
// killed or timed-out test leaves behind are found there and stopped by
// PID. Ctrl-C stops the running test, cleans up and prints the score so far.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Outcome of one mutant.
type Outcome string

// Outcomes.
const (
	Caught    Outcome = "caught"
	Survived  Outcome = "SURVIVED"
	Stale     Outcome = "stale"
	Ambiguous Outcome = "ambiguous"
	Invalid   Outcome = "invalid"
	Skipped   Outcome = "skipped" // interrupted before it ran
)

type options struct {
	list     string
	only     string
	timeout  time.Duration
	keep     bool
	verbose  bool
	check    bool
	baseline bool
	minScore float64
	short    bool
	parallel int
}

func main() {
	var o options
	flag.StringVar(&o.list, "list", "testdata/mutations.txt", "mutation list")
	flag.StringVar(&o.only, "only", "", "run only entries whose id matches this regexp")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "go test -timeout for each mutant")
	flag.BoolVar(&o.keep, "keep", false, "keep the copy of the tree (its path is printed)")
	flag.BoolVar(&o.verbose, "v", false, "print the test output of survivors and invalid mutants")
	flag.BoolVar(&o.check, "check", false, "only check that every entry applies (stale, ambiguous); run no test")
	flag.BoolVar(&o.baseline, "baseline", true, "first run the packages' tests unmutated; they must pass")
	flag.BoolVar(&o.short, "short", false, "pass -short to go test (skips the 1,000,000-record streaming test)")
	flag.IntVar(&o.parallel, "p", 2, "mutants tested at a time, each in its own copy of the tree")
	flag.Float64Var(&o.minScore, "min-score", 0, "exit 1 when the score (0-100) is below this")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, o, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		code = 2
	}
	os.Exit(code)
}

func run(ctx context.Context, o options, w io.Writer) (int, error) {
	root, err := repoRoot()
	if err != nil {
		return 0, err
	}
	listPath := o.list
	if !filepath.IsAbs(listPath) {
		listPath = filepath.Join(root, listPath)
	}
	f, err := os.Open(listPath)
	if err != nil {
		return 0, err
	}
	muts, err := ParseList(f, o.list)
	f.Close()
	if err != nil {
		return 0, err
	}
	if o.only != "" {
		re, err := regexp.Compile(o.only)
		if err != nil {
			return 0, fmt.Errorf("-only: %w", err)
		}
		muts = slices.DeleteFunc(muts, func(m Mutation) bool { return !re.MatchString(m.ID) })
	}
	if len(muts) == 0 {
		return 0, errors.New("no mutation selected")
	}
	if o.check {
		return check(root, o.list, muts, w), nil
	}

	work, err := os.MkdirTemp("", "kmut-")
	if err != nil {
		return 0, err
	}
	workers := max(1, min(o.parallel, len(muts)))
	trees, tmps := make([]string, workers), make([]string, workers)
	defer func() {
		for _, tmp := range tmps {
			if tmp != "" {
				reap(tmp)
			}
		}
		if o.keep {
			fmt.Fprintf(w, "copies kept in %s\n", work)
			return
		}
		os.RemoveAll(work)
	}()
	for i := range workers {
		trees[i], tmps[i] = filepath.Join(work, fmt.Sprintf("c%d", i)), filepath.Join(work, fmt.Sprintf("t%d", i))
		if err := os.Mkdir(tmps[i], 0o700); err != nil {
			return 0, err
		}
		if err := copyTree(root, trees[i]); err != nil {
			return 0, fmt.Errorf("copying the tree: %w", err)
		}
	}
	fmt.Fprintf(w, "mutate: %d mutants, %d at a time, trees copied to %s\n", len(muts), workers, work)
	began := time.Now()

	if o.baseline {
		start := time.Now()
		for _, b := range baselines(muts) {
			res := goTest(ctx, trees[0], tmps[0], o.timeout*2, o.short, b.run, b.pkgs)
			if ctx.Err() != nil {
				return 1, ctx.Err()
			}
			if res.failed {
				return 0, fmt.Errorf("the unmutated tests of %s (-run %q) fail; fix them first:\n%s", strings.Join(b.pkgs, " "), b.run, tail(res.output, 60))
			}
		}
		fmt.Fprintf(w, "baseline: the selected tests pass unmutated (%.0fs)\n", time.Since(start).Seconds())
	}

	results := make([]Outcome, len(muts))
	for i := range results {
		results[i] = Skipped
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		next = make(chan int)
	)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				m := muts[j]
				start := time.Now()
				out, detail := runOne(ctx, trees[i], tmps[i], m, o)
				if ctx.Err() != nil {
					continue // interrupted: the result means nothing
				}
				mu.Lock()
				results[j] = out
				note := m.Desc
				if out == Survived && m.Survives != "" {
					note += " [explained]"
				}
				if out == Caught && m.Survives != "" {
					note += " [has a survives: line but is caught now: drop the line]"
				}
				fmt.Fprintf(w, "%-9s %-40s %5.0fs  %s\n", out, m.ID, time.Since(start).Seconds(), note)
				if o.verbose && (out == Survived || out == Invalid) {
					fmt.Fprintln(w, tail(detail, 30))
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for j := range muts {
		select {
		case next <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	fmt.Fprintf(w, "\nmutants run in %s with -p %d\n", time.Since(began).Round(time.Second), workers)
	return summary(w, muts, results, o.minScore, ctx.Err() != nil), nil
}

// baseline is one unmutated go test run.
type baseline struct {
	pkgs []string
	run  string
}

// baselines groups the tests the mutants run into as few go test runs as
// possible: per package, the union of the entries' run: patterns (the
// whole package when one entry has none). Patterns naming subtests ("/")
// cannot be joined with "|" and get a run of their own.
func baselines(muts []Mutation) []baseline {
	type set struct {
		all  bool
		runs []string
	}
	per := map[string]*set{}
	var order []string
	var out []baseline
	for _, m := range muts {
		for _, p := range m.Packages {
			s := per[p]
			if s == nil {
				s = &set{}
				per[p] = s
				order = append(order, p)
			}
			switch {
			case m.Run == "":
				s.all = true
			case strings.Contains(m.Run, "/"):
				out = append(out, baseline{pkgs: []string{p}, run: m.Run})
			default:
				s.runs = append(s.runs, m.Run)
			}
		}
	}
	var whole []string
	for _, p := range order {
		s := per[p]
		switch {
		case s.all:
			whole = append(whole, p)
		case len(s.runs) > 0:
			slices.Sort(s.runs)
			out = append(out, baseline{pkgs: []string{p}, run: "(" + strings.Join(slices.Compact(s.runs), ")|(") + ")"})
		}
	}
	if len(whole) > 0 {
		out = append([]baseline{{pkgs: whole}}, out...)
	}
	return out
}

// check reports, without running any test, every entry whose snippet is
// not found exactly once, whose file is gone, or whose run: pattern
// matches no test, benchmark, example or fuzz target in its packages
// (a renamed test would make the mutant survive silently). It returns the
// exit code.
func check(root, list string, muts []Mutation, w io.Writer) int {
	bad := 0
	tests := map[string][]string{} // package dir -> top-level test names
	for _, m := range muts {
		var problems []string
		src, err := os.ReadFile(filepath.Join(root, m.File))
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("file: %v", err))
		default:
			if _, n := Apply(string(src), m); n != 1 {
				problems = append(problems, fmt.Sprintf("snippet found %d times%s", n, where(string(src), m.From)))
			}
		}
		for _, p := range m.Packages {
			if fi, err := os.Stat(filepath.Join(root, p)); err != nil || !fi.IsDir() {
				problems = append(problems, fmt.Sprintf("pkg %s: no such directory", p))
			}
		}
		if m.Run != "" {
			top := strings.Split(m.Run, "/")[0]
			re := regexp.MustCompile(top) // ParseList compiled the whole pattern
			matched := false
			for _, p := range m.Packages {
				names, ok := tests[p]
				if !ok {
					names = testNames(filepath.Join(root, p))
					tests[p] = names
				}
				matched = matched || slices.ContainsFunc(names, re.MatchString)
			}
			if !matched {
				problems = append(problems, fmt.Sprintf("run: %q matches no test in %s", m.Run, strings.Join(m.Packages, " ")))
			}
		}
		if len(problems) > 0 {
			bad++
			fmt.Fprintf(w, "%s:%d: %s (%s): %s\n", list, m.Line, m.ID, m.File, strings.Join(problems, "; "))
		}
	}
	fmt.Fprintf(w, "%d of %d entries apply\n", len(muts)-bad, len(muts))
	return min(bad, 1)
}

// where names the lines of src holding the snippet's first line, to help
// refresh an entry (an ambiguous snippet needs more context; a stale one
// may have only been reindented or reworded nearby).
func where(src, snippet string) string {
	first := strings.TrimSpace(strings.SplitN(snippet, "\n", 2)[0])
	if first == "" {
		return ""
	}
	var lines []string
	for i, l := range strings.Split(src, "\n") {
		if strings.Contains(l, first) {
			lines = append(lines, strconv.Itoa(i+1))
		}
	}
	if len(lines) == 0 {
		return " (its first line is nowhere in the file)"
	}
	return " (its first line is on line " + strings.Join(lines, ", ") + ")"
}

var testFunc = regexp.MustCompile(`(?m)^func ((?:Test|Benchmark|Example|Fuzz)\w*)\(`)

// testNames lists the top-level tests of the package in dir, from its
// _test.go files (no build: -check stays fast).
func testNames(dir string) []string {
	files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
	var names []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, m := range testFunc.FindAllSubmatch(b, -1) {
			names = append(names, string(m[1]))
		}
	}
	return names
}

func outcomeOf(found int) Outcome {
	if found == 0 {
		return Stale
	}
	return Ambiguous
}

// runOne applies m in tree, runs its tests and restores the file, also
// when the run is interrupted.
func runOne(ctx context.Context, tree, tmp string, m Mutation, o options) (Outcome, string) {
	path := filepath.Join(tree, m.File)
	orig, err := os.ReadFile(path)
	if err != nil {
		return Stale, err.Error()
	}
	mutated, n := Apply(string(orig), m)
	if n != 1 {
		return outcomeOf(n), fmt.Sprintf("snippet found %d times", n)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return Invalid, err.Error()
	}
	defer func() {
		if err := os.WriteFile(path, orig, fi.Mode()); err != nil {
			panic(fmt.Sprintf("restoring %s in the copy: %v", path, err))
		}
	}()
	if err := os.WriteFile(path, []byte(mutated), fi.Mode()); err != nil {
		return Invalid, err.Error()
	}
	res := goTest(ctx, tree, tmp, o.timeout, o.short, m.Run, m.Packages)
	switch {
	case res.buildFailed:
		return Invalid, res.output
	case res.failed:
		return Caught, res.output
	}
	return Survived, res.output
}

type testResult struct {
	failed, buildFailed bool
	output              string
}

// goTest runs go test in tree, in its own process group, with the tests'
// temporary files under tmp; afterwards it stops any process a test left
// running there.
func goTest(ctx context.Context, tree, tmp string, timeout time.Duration, short bool, run string, pkgs []string) testResult {
	args := []string{"test", "-count=1", "-timeout", timeout.String()}
	if short {
		args = append(args, "-short")
	}
	if run != "" {
		args = append(args, "-run", run)
	}
	args = append(args, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = tree
	cmd.Env = append(os.Environ(), "KMSDNS_REQUIRE_SERVERS=1", "TMPDIR="+tmp,
		"PATH="+os.Getenv("PATH")+":/usr/sbin:/sbin")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return testResult{failed: true, buildFailed: true, output: err.Error()}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	// go test's own -timeout should fire first; this is the backstop.
	select {
	case err = <-done:
	case <-ctx.Done():
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		err = <-done
	case <-time.After(timeout + time.Minute):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		err = <-done
		fmt.Fprintf(&out, "\nmutate: killed after %v\n", timeout+time.Minute)
	}
	reap(tmp)
	s := out.String()
	return testResult{
		failed:      err != nil,
		buildFailed: err != nil && (strings.Contains(s, "[build failed]") || strings.Contains(s, "[setup failed]")),
		output:      s,
	}
}

// reap stops, by PID, every process whose working directory or command
// line is under dir: servers (testserver runs each in its t.TempDir()) that
// a killed or timed-out test binary could not stop.
func reap(dir string) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		cwd, _ := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		b, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if !strings.HasPrefix(cwd+"/", dir+"/") && !bytes.Contains(b, []byte(dir+"/")) {
			continue
		}
		syscall.Kill(pid, syscall.SIGTERM)
		for i := 0; i < 50; i++ {
			if syscall.Kill(pid, 0) != nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// copyTree copies the module at src to dst, without .git.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir() && d.Name() == ".git" && rel != ".":
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(l, target)
		case !d.Type().IsRegular():
			return nil
		}
		if d.Name() == ".git" { // a worktree's .git file
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, fi.Mode().Perm())
	})
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod in %s or above", dir)
		}
	}
}

func tail(s string, lines int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}

// summary prints the score and returns the exit code.
func summary(w io.Writer, muts []Mutation, results []Outcome, minScore float64, interrupted bool) int {
	count := map[Outcome]int{}
	for _, r := range results {
		count[r]++
	}
	fmt.Fprintln(w)
	if interrupted {
		fmt.Fprintf(w, "interrupted: %d mutants not run\n", count[Skipped])
	}
	for _, kind := range []Outcome{Survived, Stale, Ambiguous, Invalid} {
		if count[kind] == 0 {
			continue
		}
		fmt.Fprintf(w, "%s:\n", kind)
		for i, r := range results {
			if r == kind {
				fmt.Fprintf(w, "  %s (%s, list line %d): %s\n", muts[i].ID, muts[i].File, muts[i].Line, muts[i].Desc)
				if kind == Survived && muts[i].Survives != "" {
					fmt.Fprintf(w, "      explained: %s\n", muts[i].Survives)
				}
			}
		}
	}
	judged := count[Caught] + count[Survived]
	score := 0.0
	if judged > 0 {
		score = 100 * float64(count[Caught]) / float64(judged)
	}
	explained := 0
	for i, r := range results {
		if r == Survived && muts[i].Survives != "" {
			explained++
		}
	}
	fmt.Fprintf(w, "score: %d of %d mutants caught (%.1f%%); %d survived (%d explained), %d stale, %d ambiguous, %d invalid\n",
		count[Caught], judged, score, count[Survived], explained, count[Stale], count[Ambiguous], count[Invalid])
	if interrupted || (minScore > 0 && score < minScore) {
		return 1
	}
	return 0
}
