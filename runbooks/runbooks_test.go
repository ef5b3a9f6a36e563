// Package runbooks holds the example runbooks. Its test validates each of
// them as `runbook validate` does: they are the seed of the fuzz corpus, the
// examples of the README and the subjects of the CLI transcripts, and must
// stay clean.
package runbooks

import (
	"path/filepath"
	"slices"
	"testing"

	driverbuiltin "github.com/runbookhq/runbook/drivers/builtin"

	"github.com/hashicorp/hcl/v2"

	"github.com/runbookhq/runbook/lang"
	"github.com/runbookhq/runbook/steps/builtin"
)

// expectedWarnings lists, by file, the summaries of the warnings a runbook
// has on purpose (each explained by a comment in the runbook). Any other
// warning fails the test.
var expectedWarnings = map[string][]string{}

func TestExamplesValidate(t *testing.T) {
	files, err := filepath.Glob("*.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("found %d example runbooks, want at least 3: %v", len(files), files)
	}
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			rb, diags := lang.Load(name, lang.Options{Registry: builtin.Registry(), Drivers: driverbuiltin.Registry()})
			want := expectedWarnings[name]
			var got []string
			for _, d := range diags {
				if d.Severity == hcl.DiagWarning {
					got = append(got, d.Summary)
					if slices.Contains(want, d.Summary) {
						continue
					}
				}
				t.Errorf("%s", describe(d))
			}
			for _, w := range want {
				if !slices.Contains(got, w) {
					t.Errorf("expected warning %q, not reported", w)
				}
			}
			if rb == nil && !diags.HasErrors() {
				t.Fatal("lang.Load returned no runbook and no error")
			}
			if rb != nil && len(rb.Steps) == 0 {
				t.Error("the runbook has no steps")
			}
		})
	}
}

func describe(d *hcl.Diagnostic) string {
	sev := "error"
	if d.Severity == hcl.DiagWarning {
		sev = "unexpected warning"
	}
	at := ""
	if d.Subject != nil {
		at = d.Subject.String() + ": "
	}
	return at + sev + ": " + d.Summary + ": " + d.Detail
}
