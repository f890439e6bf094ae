package config

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigIsPlainData: the package turns files and flags into settings
// and never talks to servers or builds signers (publish.OpenPrimaries does,
// from the settings). Every name it uses from the library packages and
// from net is on this list of data types and pure functions.
func TestConfigIsPlainData(t *testing.T) {
	allowed := map[string]bool{
		"audit.Policy": true, "net.ParseIP": true, "net.SplitHostPort": true,
		"publish.Settings": true, "publish.PrimarySettings": true, "publish.GSSSettings": true,
		"zone.Key": true, "zone.Spec": true, "zone.ReadOptions": true, "zone.CheckNames": true,
		"zone.ReadKeyFile": true, "zone.FindKey": true, "zone.NewKey": true,
	}
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			switch pkg.Name {
			case "audit", "net", "publish", "zone":
				if q := pkg.Name + "." + sel.Sel.Name; !allowed[q] {
					t.Errorf("%s: config uses %s: it must stay plain data", fset.Position(sel.Pos()), q)
				}
			}
			return true
		})
	}
}
