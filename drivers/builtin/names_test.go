package builtin_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/runbookhq/runbook/drivers/builtin"
)

// ownPackages are, besides drivers/NAME and what is under it, where a
// driver's name may stand as a string literal: the exec step type shares
// the exec driver's name ("exec" is also a step type), and the Pacemaker
// test harness names Pacemaker's own resource agent provider
// ("ocf:pacemaker:Dummy"), not the driver.
var ownPackages = map[string][]string{
	"exec":      {"steps/execstep"},
	"pacemaker": {"internal/pacemaker/harness"},
}

// TestDriverNamesOnlyInTheirPackages: outside tests, the name of a built-in
// driver stands as a Go string literal only in its own package. Everything
// else (the language, the command line) learns the names from the
// registry, so that a new driver is its package and a registry line.
func TestDriverNamesOnlyInTheirPackages(t *testing.T) {
	names := map[string]bool{}
	for _, n := range builtin.Registry().Names() {
		names[n] = true
	}
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if base := d.Name(); rel != "." && (strings.HasPrefix(base, ".") || base == "testdata" || base == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checked++
		dir := filepath.ToSlash(filepath.Dir(rel))
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || !names[s] || own(s, dir) {
				return true
			}
			t.Errorf("%s: the driver name %q as a string literal outside drivers/%s: take it from the registry or the driver's kind", fset.Position(lit.Pos()), s, s)
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("checked only %d files: is the module root %s?", checked, root)
	}
}

func own(name, dir string) bool {
	if dir == "drivers/"+name || strings.HasPrefix(dir, "drivers/"+name+"/") {
		return true
	}
	for _, p := range ownPackages[name] {
		if dir == p || strings.HasPrefix(dir, p+"/") {
			return true
		}
	}
	return false
}
