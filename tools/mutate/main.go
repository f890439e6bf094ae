//go:build !windows

// Command mutate measures how many deliberate bugs the tests catch. Each
// entry of a mutation list (testdata/mutations.txt) names a file, an exact
// snippet, its replacement and the packages whose tests should catch it.
// One at a time, in a copy of the tree, mutate applies the entry, runs
//
//	KMSDNS_REQUIRE_SERVERS=1 go test -count=1 -timeout T [-run R] PKGS
//
// restores the file, and records the mutant as caught (the tests failed),
// survived (they passed), stale (the snippet is no longer in the file, so
// the entry needs refreshing), ambiguous (it is there more than once) or
// invalid (the mutant does not compile). It prints the score,
// caught / (caught + survived):
//
//	go run ./tools/mutate                       # every entry (slow: an hour)
//	go run ./tools/mutate -only 'probe|guard'   # entries whose id matches
//	go run ./tools/mutate -check                # only report stale entries
//	go run ./tools/mutate -short                # go test -short (minutes less)
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
		bad := 0
		for _, m := range muts {
			src, err := os.ReadFile(filepath.Join(root, m.File))
			n := 0
			if err == nil {
				_, n = Apply(string(src), m)
			}
			if n != 1 {
				bad++
				fmt.Fprintf(w, "%-9s %s (%s, list line %d): snippet found %d times\n", outcomeOf(n), m.ID, m.File, m.Line, n)
			}
		}
		fmt.Fprintf(w, "%d of %d entries apply\n", len(muts)-bad, len(muts))
		return min(bad, 1), nil
	}

	work, err := os.MkdirTemp("", "kmsdns-mutate-")
	if err != nil {
		return 0, err
	}
	tree, tmp := filepath.Join(work, "tree"), filepath.Join(work, "tmp")
	defer func() {
		reap(tmp)
		if o.keep {
			fmt.Fprintf(w, "copy kept in %s\n", tree)
			return
		}
		os.RemoveAll(work)
	}()
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return 0, err
	}
	if err := copyTree(root, tree); err != nil {
		return 0, fmt.Errorf("copying the tree: %w", err)
	}
	fmt.Fprintf(w, "mutate: %d mutants, tree copied to %s\n", len(muts), tree)

	if o.baseline {
		var pkgs []string
		for _, m := range muts {
			pkgs = append(pkgs, m.Packages...)
		}
		slices.Sort(pkgs)
		pkgs = slices.Compact(pkgs)
		start := time.Now()
		res := goTest(ctx, tree, tmp, o.timeout*2, o.short, "", pkgs)
		if ctx.Err() != nil {
			return 1, ctx.Err()
		}
		if res.failed {
			return 0, fmt.Errorf("the unmutated tests of %s fail; fix them first:\n%s", strings.Join(pkgs, " "), tail(res.output, 60))
		}
		fmt.Fprintf(w, "baseline: %s pass unmutated (%.0fs)\n", strings.Join(pkgs, " "), time.Since(start).Seconds())
	}

	results := make([]Outcome, len(muts))
	for i := range results {
		results[i] = Skipped
	}
	for i, m := range muts {
		if ctx.Err() != nil {
			break
		}
		start := time.Now()
		out, detail := runOne(ctx, tree, tmp, m, o)
		if ctx.Err() != nil {
			break // interrupted: the result means nothing
		}
		results[i] = out
		fmt.Fprintf(w, "%-9s %-34s %5.0fs  %s\n", out, m.ID, time.Since(start).Seconds(), m.Desc)
		if o.verbose && (out == Survived || out == Invalid) {
			fmt.Fprintln(w, tail(detail, 30))
		}
	}
	return summary(w, muts, results, o.minScore, ctx.Err() != nil), nil
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
			}
		}
	}
	judged := count[Caught] + count[Survived]
	score := 0.0
	if judged > 0 {
		score = 100 * float64(count[Caught]) / float64(judged)
	}
	fmt.Fprintf(w, "score: %d of %d mutants caught (%.0f%%); %d stale, %d ambiguous, %d invalid\n",
		count[Caught], judged, score, count[Stale], count[Ambiguous], count[Invalid])
	if interrupted || (minScore > 0 && score < minScore) {
		return 1
	}
	return 0
}
