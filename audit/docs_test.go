package audit_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kmsdns/kmsdns/audit"
	"github.com/kmsdns/kmsdns/zone"
)

// checkIDs are the values of the package's Check* constants, read from
// its source so that a new check cannot be left out.
func checkIDs(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	var ids []string
	for _, f := range []string{"checks.go", "removed.go", "delegated.go"} {
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok || len(vs.Names) != 1 || !strings.HasPrefix(vs.Names[0].Name, "Check") || len(vs.Values) != 1 {
				return true
			}
			if lit, ok := vs.Values[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, _ := strconv.Unquote(lit.Value)
				ids = append(ids, s)
			}
			return true
		})
	}
	slices.Sort(ids)
	return ids
}

// TestChecksTablesMatch: the README's checks table and the package doc
// list every check id, and only those, with the same severity.
func TestChecksTablesMatch(t *testing.T) {
	ids := checkIDs(t)
	if len(ids) < 20 {
		t.Fatalf("found only %d check ids: %v", len(ids), ids)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]map[string]string{"README.md": {}, "doc.go": {}}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z-]+)` \\| (error|warning|info) \\|").FindAllStringSubmatch(string(readme), -1) {
		tables["README.md"][m[1]] = m[2]
	}
	for _, m := range regexp.MustCompile(`(?m)^//\t([a-z-]+) +(error|warning|info) `).FindAllStringSubmatch(string(doc), -1) {
		tables["doc.go"][m[1]] = m[2]
	}
	for name, tab := range tables {
		var got []string
		for id := range tab {
			got = append(got, id)
		}
		slices.Sort(got)
		if !slices.Equal(got, ids) {
			t.Errorf("%s checks table lists\n  %v\nthe code has\n  %v", name, got, ids)
		}
	}
	// Issue 9: clients honour priority and weight; nothing may say otherwise.
	ignore := regexp.MustCompile(`(?i)ignores? (the )?(srv )?(priority|weight)`)
	files, _ := filepath.Glob("*.go")
	for _, f := range append(files, "../README.md", "../cmd/kmsdns/audit.go", "../cmd/kmsdns/flags.go") {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if m := ignore.Find(b); m != nil && !strings.HasSuffix(f, "_test.go") {
			t.Errorf("%s says %q: clients (Windows 7 and later) honour priority and weight", f, m)
		}
	}
	for id, sev := range tables["README.md"] {
		if d := tables["doc.go"][id]; d != "" && d != sev {
			t.Errorf("%s: README says %s, doc.go says %s", id, sev, d)
		}
	}
}

// TestPartialPublishNeverSuggestsUnfitHosts: in a publish group, a host
// that is decommissioned, unapproved, an alias, unresolvable or failing
// its probe is never suggested for the other zone; a fit one is.
func TestPartialPublishNeverSuggestsUnfitHosts(t *testing.T) {
	a := &zone.Snapshot{Zone: tz, Source: zone.SourceAXFR}
	for _, s := range []string{"@ 3600 0 0 1688 up", "@ 3600 0 0 1688 up2", "@ 3600 0 0 1688 gone", "@ 3600 0 0 1688 noaddr",
		"@ 3600 0 0 1688 cname", "@ 3600 0 0 1688 down", "@ 3600 0 0 1688 decom", "@ 3600 0 0 1688 rogue"} {
		a.Records = append(a.Records, mustRec(t, s))
	}
	const other = "o.example."
	b := &zone.Snapshot{Zone: other, Source: zone.SourceAXFR, Records: []zone.Record{{Zone: other, Name: "_vlmcs._tcp." + other, TTL: 3600, Port: 1688, Target: "up." + tz}}}
	auth, prober := fakeWorld()
	auth["decom."+tz], auth["rogue."+tz] = at("127.0.0.2"), at("127.0.0.2")
	rep := audit.Run(t.Context(), []*zone.Snapshot{a, b}, audit.Options{
		Policy: audit.Policy{
			Decommissioned: []string{"decom." + tz},
			Approved:       []string{"up." + tz, "up2." + tz, "gone." + tz, "noaddr." + tz, "cname." + tz, "down." + tz, "decom." + tz},
			PublishGroups:  [][]string{{tz, other}},
		},
		Resolver: fakeResolver{auth: auth}, Prober: prober,
	})
	var suggested []string
	for _, f := range rep.Findings {
		if f.Check == audit.CheckPartialPublish {
			suggested = append(suggested, f.Target)
		}
		if len(f.Command) > 1 && f.Command[1] == "publish" {
			for i, arg := range f.Command {
				if arg == "--host" && !slices.Contains([]string{"up.t.example", "up2.t.example"}, f.Command[i+1]) {
					t.Errorf("%s suggests publishing %s: %s", f.Check, f.Command[i+1], f.Fix)
				}
			}
		}
	}
	if !slices.Equal(suggested, []string{"up2." + tz}) {
		t.Errorf("partial-publish suggests %v, want only up2", suggested)
	}
}
