package main

import (
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
