package lang

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	driverbuiltin "github.com/runbookhq/runbook/drivers/builtin"

	"github.com/hashicorp/hcl/v2"

	"github.com/runbookhq/runbook/steps/builtin"
	storebuiltin "github.com/runbookhq/runbook/stores/builtin"
)

// FuzzValidate loads arbitrary input as a runbook file, as `runbook
// validate` does, and formats it. Its seeds are the example runbooks and
// the language's fixtures; the seed corpus runs in every `go test`.
func FuzzValidate(f *testing.F) {
	var seeds []string
	for _, pattern := range []string{"../runbooks/*.hcl", "../testdata/lang/*/*.hcl", "../testdata/lang/*/*.hcl.json"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, m...)
	}
	if len(seeds) == 0 {
		f.Fatal("no seeds")
	}
	for _, s := range seeds {
		src, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src, strings.HasSuffix(s, ".json"))
	}
	reg := builtin.Registry()
	kinds := storebuiltin.Stores().BlockSettings()
	f.Fuzz(func(t *testing.T, src []byte, json bool) {
		name := "fuzz.hcl"
		if json {
			name = "fuzz.hcl.json"
		}
		rb, diags := loadSources(name, []string{name}, [][]byte{src}, Options{Registry: reg, Drivers: driverbuiltin.Registry(), Env: []string{"RUNBOOK_VAR_x=1"}, StateKinds: kinds})
		if rb == nil || rb.Files[name] == nil {
			t.Fatalf("no runbook or file for parsed input")
		}
		for _, d := range diags {
			if d.Summary == "" || strings.HasSuffix(d.Summary, ".") {
				t.Errorf("bad summary %q", d.Summary)
			}
			if d.Subject != nil && d.Subject.Filename == "" {
				t.Errorf("%q has a subject with no file name", d.Summary)
			}
		}
		if !diags.HasErrors() {
			for _, s := range rb.Steps {
				if s.Address == "" || s.Type == "" {
					t.Errorf("step with no address: %+v", s)
				}
			}
		}
		if out, fdiags := Format(src, name); !fdiags.HasErrors() && !json {
			// Formatting is idempotent.
			again, _ := Format(out, name)
			if string(again) != string(out) {
				t.Errorf("Format is not idempotent:\n%s\n---\n%s", out, again)
			}
		}
	})
}

// deepEnv makes the test binary, run again as a subprocess, load the deep
// inputs of TestDeepNestingSubprocess.
const deepEnv = "RUNBOOK_LANG_DEEP_NESTING"

// deepInputs nest 100,000 levels deep in each way the parsers recurse.
func deepInputs() map[string]string {
	const n = 100000
	return map[string]string{
		"parens.hcl":    "locals {\n x = " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n) + "\n}\n",
		"brackets.hcl":  "locals {\n x = " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n}\n",
		"objects.hcl":   "locals {\n x = " + strings.Repeat("{a=", n) + "1" + strings.Repeat("}", n) + "\n}\n",
		"blocks.hcl":    strings.Repeat("a {\n", n) + strings.Repeat("}\n", n),
		"templates.hcl": "locals {\n x = " + strings.Repeat(`"${`, n) + "1" + strings.Repeat(`}"`, n) + "\n}\n",
		"unary.hcl":     "locals {\n x = " + strings.Repeat("!(", n) + "true" + strings.Repeat(")", n) + "\n}\n",
		"heredoc.hcl":   "locals {\n x = <<EOT\n" + strings.Repeat("${[", n) + "\nEOT\n}\n",
		"deep.hcl.json": strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n),
		"str.hcl.json":  `{"locals": {"x": "` + strings.Repeat(`${(`, n) + `"}}`,
		"unclosed.hcl":  "locals {\n x = " + strings.Repeat("(", n),
	}
}

// TestDeepNestingSubprocess loads inputs nested 100,000 levels deep in a
// subprocess: without the input guard the HCL parsers overflow the Go
// stack, a fatal error no recover can catch, which would kill the test
// binary itself. The subprocess must exit cleanly with a diagnostic.
func TestDeepNestingSubprocess(t *testing.T) {
	if dir := os.Getenv(deepEnv); dir != "" {
		for name := range deepInputs() {
			_, diags := Load(filepath.Join(dir, name), Options{Registry: builtin.Registry(), Drivers: driverbuiltin.Registry()})
			for _, d := range diags {
				os.Stdout.WriteString(name + ": " + d.Summary + "\n")
			}
		}
		os.Exit(0)
	}
	if testing.Short() {
		t.Skip("subprocess test")
	}
	dir := t.TempDir()
	for name, src := range deepInputs() {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDeepNestingSubprocess$")
	cmd.Env = append(os.Environ(), deepEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("subprocess failed: %v\n%.2000s", err, out)
	}
	for name := range deepInputs() {
		if !strings.Contains(string(out), name+": Nesting too deep\n") {
			t.Errorf("%s: no \"Nesting too deep\" diagnostic; output:\n%.2000s", name, out)
		}
	}
}

// TestNestingLimit: the limit refuses one level beyond MaxNesting and
// accepts MaxNesting, and counts nothing inside comments, strings and
// heredocs that the parser does not parse as nesting.
func TestNestingLimit(t *testing.T) {
	nest := func(n int) string {
		return "locals {\n x = " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n}\n"
	}
	tests := []struct {
		name string
		src  string
		deep bool
	}{
		{"at the limit", nest(MaxNesting - 1), false}, // the locals block is one level
		{"beyond", nest(MaxNesting), true},
		{"comment", "# " + strings.Repeat("(", 200) + "\n/* " + strings.Repeat("[", 200) + " */\n", false},
		{"string", `x = "` + strings.Repeat("(", 200) + `"` + "\n", false},
		{"escaped quote", `x = "\"` + strings.Repeat("(", 200) + `"` + "\n", false},
		{"heredoc", "x = <<EOT\n" + strings.Repeat("{", 200) + "\nEOT\n", false},
		{"literal interpolation", `x = "` + strings.Repeat("$${", 200) + `"` + "\n", false},
		{"template", `x = "` + strings.Repeat("${", 100) + `"` + "\n", true},
	}
	for _, tt := range tests {
		diags := guard([]byte(tt.src), "t.hcl")
		if got := diags.HasErrors(); got != tt.deep {
			t.Errorf("%s: too deep = %v, want %v (%v)", tt.name, got, tt.deep, diags)
		}
		if tt.deep {
			continue
		}
		// What the guard accepts, the parser parses without trouble.
		if _, pd := parseFile([]byte(tt.src), "t.hcl"); pd.HasErrors() && tt.name == "at the limit" {
			t.Errorf("%s: %v", tt.name, pd)
		}
	}
	big := make([]byte, MaxFileSize+1)
	if d := guard(big, "big.hcl"); len(d) != 1 || d[0].Summary != "File too large" {
		t.Errorf("size limit: %v", d)
	}
	_ = hcl.Diagnostics{}
}
