package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sampleList = "# a comment\n" +
	"=== first\n" +
	"desc: a guard removed\n" +
	"file: a/a.go\n" +
	"pkg: ./a ./b\n" +
	"run: ^TestA$\n" +
	"--- from\n" +
	"\tif n > 10 {\n" +
	"\n" +
	"\t\treturn err\n" +
	"--- to\n" +
	"\tif n > 11 {\n" +
	"\n" +
	"\t\treturn err\n" +
	"\n" +
	"=== second\n" +
	"file: b/b.go\n" +
	"pkg: ./b\n" +
	"--- from\n" +
	"x := 1\n" +
	"# not a comment inside a snippet\n" +
	"y := 2\n" +
	"--- to\n" +
	"\n" +
	"# a comment after the last entry\n"

func TestParseList(t *testing.T) {
	muts, err := ParseList(strings.NewReader(sampleList), "list")
	if err != nil {
		t.Fatal(err)
	}
	if len(muts) != 2 {
		t.Fatalf("%d entries, want 2", len(muts))
	}
	m := muts[0]
	if m.ID != "first" || m.Desc != "a guard removed" || m.File != "a/a.go" || strings.Join(m.Packages, ",") != "./a,./b" || m.Run != "^TestA$" || m.Line != 2 {
		t.Errorf("entry 1: %+v", m)
	}
	if m.From != "\tif n > 10 {\n\n\t\treturn err" || m.To != "\tif n > 11 {\n\n\t\treturn err" {
		t.Errorf("entry 1 snippets: %q -> %q", m.From, m.To)
	}
	if muts[1].From != "x := 1\n# not a comment inside a snippet\ny := 2" || muts[1].To != "" {
		t.Errorf("entry 2 snippets: %q -> %q", muts[1].From, muts[1].To)
	}
}

func TestParseListErrors(t *testing.T) {
	for name, list := range map[string]string{
		"duplicate id":  "=== a\nfile: f\npkg: ./p\n--- from\nx\n--- to\ny\n=== a\nfile: f\npkg: ./p\n--- from\nx\n--- to\ny\n",
		"no file":       "=== a\npkg: ./p\n--- from\nx\n--- to\ny\n",
		"no pkg":        "=== a\nfile: f\n--- from\nx\n--- to\ny\n",
		"empty from":    "=== a\nfile: f\npkg: ./p\n--- from\n--- to\ny\n",
		"no change":     "=== a\nfile: f\npkg: ./p\n--- from\nx\n--- to\nx\n",
		"unknown key":   "=== a\nfile: f\npkg: ./p\nfoo: bar\n--- from\nx\n--- to\ny\n",
		"before entry":  "file: f\n",
		"id with space": "=== a b\nfile: f\npkg: ./p\n--- from\nx\n--- to\ny\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseList(strings.NewReader(list), "list"); err == nil {
				t.Errorf("no error for %q", list)
			}
		})
	}
}

func TestApply(t *testing.T) {
	m := Mutation{From: "a < b", To: "a <= b"}
	for _, tc := range []struct {
		src, want string
		found     int
	}{
		{"if a < b {", "if a <= b {", 1},
		{"if a > b {", "if a > b {", 0},
		{"a < b && a < b", "a < b && a < b", 2},
	} {
		got, n := Apply(tc.src, m)
		if got != tc.want || n != tc.found {
			t.Errorf("Apply(%q) = %q, %d; want %q, %d", tc.src, got, n, tc.want, tc.found)
		}
	}
}

func TestBaselines(t *testing.T) {
	muts := []Mutation{
		{Packages: []string{"./a"}, Run: "^TestA$"},
		{Packages: []string{"./a"}, Run: "^TestB"},
		{Packages: []string{"./b"}},
		{Packages: []string{"./b", "./c"}, Run: "^TestC"},
		{Packages: []string{"./c"}, Run: "^TestD/sub"},
	}
	got := baselines(muts)
	var s []string
	for _, b := range got {
		s = append(s, strings.Join(b.pkgs, ",")+" "+b.run)
	}
	want := []string{"./b ", "./c ^TestD/sub", "./a (^TestA$)|(^TestB)", "./c (^TestC)"}
	if strings.Join(s, "; ") != strings.Join(want, "; ") {
		t.Errorf("baselines:\n%q\nwant\n%q", s, want)
	}
}

func TestCheck(t *testing.T) {
	root := t.TempDir()
	mustWrite := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite("a/a.go", "package a\n\nfunc f(n int) bool {\n\treturn n > 1 && n > 1\n}\n")
	mustWrite("a/a_test.go", "package a\n\nfunc TestF(t *testing.T) {}\n")
	muts := []Mutation{
		{ID: "ok", File: "a/a.go", Packages: []string{"./a"}, Run: "^TestF$", From: "func f(", To: "func g("},
		{ID: "stale", File: "a/a.go", Packages: []string{"./a"}, From: "n < 1", To: "n < 2"},
		{ID: "ambiguous", File: "a/a.go", Packages: []string{"./a"}, From: "n > 1", To: "n > 2"},
		{ID: "gone", File: "b/b.go", Packages: []string{"./b"}, From: "x", To: "y"},
		{ID: "renamed-test", File: "a/a.go", Packages: []string{"./a"}, Run: "^TestG$", From: "func f(", To: "func g("},
	}
	var out strings.Builder
	if code := check(root, "list", muts, &out); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{
		"stale (a/a.go): snippet found 0 times (its first line is nowhere in the file)",
		"ambiguous (a/a.go): snippet found 2 times (its first line is on line 4)",
		"gone (b/b.go): file: open",
		"pkg ./b: no such directory",
		`renamed-test (a/a.go): run: "^TestG$" matches no test in ./a`,
		"1 of 5 entries apply",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), " ok (") {
		t.Errorf("a good entry reported:\n%s", out.String())
	}
}
