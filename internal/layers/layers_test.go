package layers

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/runbookhq/runbook/"

// layers, from the top: a package may import packages of a lower layer, and
// packages of its own family (the first element of its path: steps/builtin
// imports steps/approve). The longest prefix names a package's layer. Test
// harnesses and programs run by tests are on no layer.
var layers = []struct {
	prefix string
	layer  int
}{
	{"cmd/", 6},
	{"lang", 5},
	{"stores/", 4},
	{"runtime", 3},
	{"drivers/", 3},
	{"steps", 2},
	{"cluster", 1},
	// Leaves that anyone may use.
	{"runtime/procgroup", 0},
	{"runtime/redact", 0},
	{"internal/atomicfile", 0},
	{"internal/suggest", 0},
	{"internal/sorted", 0},
	{"internal/jsonw", 0},
}

func layerOf(pkg string) (int, bool) {
	best, layer := "", 0
	for _, l := range layers {
		if (pkg == strings.TrimSuffix(l.prefix, "/") || strings.HasPrefix(pkg, l.prefix)) && len(l.prefix) > len(best) {
			best, layer = l.prefix, l.layer
		}
	}
	return layer, best != ""
}

func family(pkg string) string {
	f, _, _ := strings.Cut(pkg, "/")
	return f
}

// TestImportsPointDown: no package imports one of a layer above its own,
// nor another family of its own layer (runtime knows no driver, a driver
// knows no runtime).
func TestImportsPointDown(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module)
		from, ok := layerOf(pkg)
		if !ok {
			continue
		}
		checked++
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			imp = strings.TrimPrefix(imp, module)
			to, ok := layerOf(imp)
			if !ok {
				t.Errorf("%s imports %s, which is on no layer (a test harness?)", pkg, imp)
				continue
			}
			if family(imp) == family(pkg) && to <= from {
				continue
			}
			if to >= from {
				t.Errorf("%s (layer %d) imports %s (layer %d): an arrow up or sideways", pkg, from, imp, to)
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d packages checked: is the table out of date?", checked)
	}
}
