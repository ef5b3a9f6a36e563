package lang

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	driverbuiltin "github.com/runbookhq/runbook/drivers/builtin"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/runbookhq/runbook/steps/builtin"
	storebuiltin "github.com/runbookhq/runbook/stores/builtin"
)

// markerRE finds the inline markers of a fixture: a line that should carry
// a diagnostic says so with # ERROR: <Summary> or # WARNING: <Summary>.
var markerRE = regexp.MustCompile(`#\s*(ERROR|WARNING):\s*([^#]*[^#\s])`)

// finding is a diagnostic reduced to what a fixture declares.
type finding struct {
	File     string
	Line     int
	Severity string
	Summary  string
}

func (f finding) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", f.File, f.Line, f.Severity, f.Summary)
}

// wantedFindings reads the markers of the fixture files.
func wantedFindings(t *testing.T, files ...string) []finding {
	t.Helper()
	var out []finding
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(src))
		sc.Buffer(nil, 1<<20)
		for line := 1; sc.Scan(); line++ {
			for _, m := range markerRE.FindAllStringSubmatch(sc.Text(), -1) {
				out = append(out, finding{filepath.Base(file), line, strings.ToLower(m[1]), m[2]})
			}
		}
	}
	return sortFindings(out)
}

func foundFindings(diags hcl.Diagnostics) []finding {
	var out []finding
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		f := finding{Severity: sev, Summary: d.Summary}
		if d.Subject != nil {
			f.File, f.Line = filepath.Base(d.Subject.Filename), d.Subject.Start.Line
		}
		out = append(out, f)
	}
	return sortFindings(out)
}

// sortFindings sorts. Repeats are kept: each finding is reported once (the
// same finding on several nodes of a roll is one diagnostic), so a line
// declares each diagnostic it carries, twice if it carries two of the same
// summary.
func sortFindings(fs []finding) []finding {
	sort.Slice(fs, func(i, j int) bool { return fs[i].String() < fs[j].String() })
	return fs
}

// fixtureOptions reads "# OPTION: --var k=v" style lines of a fixture.
func fixtureOptions(t *testing.T, file string) Options {
	opts := Options{Registry: builtin.Registry(), Drivers: driverbuiltin.Registry(), StateKinds: storebuiltin.Stores().BlockSettings()}
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(src), "\n") {
		rest, ok := strings.CutPrefix(line, "# OPTION: ")
		if !ok {
			continue
		}
		switch flag, val, _ := strings.Cut(rest, " "); flag {
		case "--var":
			opts.Vars = append(opts.Vars, val)
		case "--require-values":
			opts.RequireValues = true
		default:
			t.Fatalf("%s: unknown option %q", file, flag)
		}
	}
	return opts
}

func TestFixtures(t *testing.T) {
	for _, dir := range []string{"valid", "invalid"} {
		files, err := filepath.Glob(filepath.Join("..", "testdata", "lang", dir, "*.hcl*"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Fatalf("no fixtures in testdata/lang/%s", dir)
		}
		for _, file := range files {
			t.Run(dir+"/"+filepath.Base(file), func(t *testing.T) {
				rb, diags := Load(file, fixtureOptions(t, file))
				if rb == nil {
					t.Fatalf("Load returned no runbook: %v", diags)
				}
				want := wantedFindings(t, file)
				got := foundFindings(diags)
				if dir == "invalid" && len(want) == 0 {
					t.Fatalf("an invalid fixture declares no finding")
				}
				if diff := cmp.Diff(want, got); diff != "" {
					var buf bytes.Buffer
					hcl.NewDiagnosticTextWriter(&buf, rb.Files, 120, false).WriteDiagnostics(diags)
					t.Errorf("findings (-want +got):\n%s\ndiagnostics:\n%s", diff, buf.String())
				}
				if dir == "valid" && diags.HasErrors() {
					t.Errorf("a valid fixture has errors")
				}
			})
		}
	}
}
