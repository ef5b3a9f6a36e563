package lang

import (
	"fmt"
	"path/filepath"
	"testing"

	driverbuiltin "github.com/runbookhq/runbook/drivers/builtin"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/runbookhq/runbook/steps/builtin"
)

func TestWithoutName(t *testing.T) {
	for _, tc := range []struct{ s, name, want string }{
		{"Node A1 runs 6.0", "A1", "Node \x00 runs 6.0"},
		{"Node A10 runs 6.0", "A1", "Node A10 runs 6.0"},
		{"step rolling.r[A1].u on A1-b and A1", "A1", "step rolling.r[\x00].u on A1-b and \x00"},
		{"A1", "A1", "\x00"},
		{"nothing", "", "nothing"},
	} {
		if got := withoutName(tc.s, tc.name); got != tc.want {
			t.Errorf("withoutName(%q, %q) = %q, want %q", tc.s, tc.name, got, tc.want)
		}
	}
}

// TestDiagnosticInfo checks the structured fields of the abstract run's
// diagnostics: the rule, the step and the nodes of a merged finding.
func TestDiagnosticInfo(t *testing.T) {
	type info struct {
		Summary string
		DiagnosticInfo
	}
	for _, tc := range []struct {
		file string
		want []info
	}{
		{"roll_same_finding.hcl", []info{
			{"Upgrade not above current version", DiagnosticInfo{Rule: "R2", Step: "rolling.down[A1].upgrade-node.u", Node: "A1", Nodes: []string{"A1", "A2", "A3"}}},
			{"No failback awaited", DiagnosticInfo{Rule: "R5", Step: "rolling.up[B1].upgrade-node.u", Node: "B1", Nodes: []string{"B1", "B2"}}},
		}},
		{"r1_license_moved.hcl", []info{
			{"License not installed", DiagnosticInfo{Rule: "R1", Step: "rolling.roll[A1].upgrade-node.u", Node: "A1"}},
		}},
		{"missing_step_args.hcl", nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, diags := Load(filepath.Join("..", "testdata", "lang", "invalid", tc.file), Options{Registry: builtin.Registry(), Drivers: driverbuiltin.Registry()})
			var got []info
			for _, d := range diags {
				if di, ok := hcl.DiagnosticExtra[*DiagnosticInfo](d); ok && di.Rule != "" {
					got = append(got, info{d.Summary, *di})
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("diagnostic info (-want +got):\n%s", diff)
			}
		})
	}
}

// TestValueOrigin: a bad value that a step takes from a variable or a local
// unchanged is reported where it is written, once, in either syntax; one
// that the expression changes is reported at the expression.
func TestValueOrigin(t *testing.T) {
	const cluster = `runbook "r" {}
cluster "c" {}
node "A1" {
  address = "10.0.0.1"
  version = "6.0"
}
`
	for _, tc := range []struct {
		name, src string
		want      []string // file:line of each "Invalid version"
	}{
		{"r.hcl", cluster + `variable "v" { default = "6.x" }
step "upgrade-node" "u" {
  node = node.A1
  to   = "${var.v}"
}
step "upgrade-node" "w" {
  node = node.A1
  to   = var.v
}
`, []string{"r.hcl:7"}},
		{"r.hcl", cluster + `variable "v" { default = "6" }
step "upgrade-node" "u" {
  node = node.A1
  to   = "${var.v}.x"
}
`, []string{"r.hcl:10"}},
		{"r.hcl", cluster + `locals {
  a = "6.x"
  b = local.a
}
step "upgrade-node" "u" {
  node = node.A1
  to   = local.b
}
`, []string{"r.hcl:8"}},
		{"r.hcl.json", `{"runbook": {"r": {}}, "cluster": {"c": {}},
"node": {"A1": {"address": "10.0.0.1", "version": "6.0"}},
"variable": {"v": {"default": "6.x"}},
"step": {"upgrade-node": {"u": {"node": "${node.A1}", "to": "${var.v}"}}}}
`, []string{"r.hcl.json:3"}},
	} {
		_, diags := loadSources(tc.name, []string{tc.name}, [][]byte{[]byte(tc.src)}, Options{Registry: builtin.Registry(), Drivers: driverbuiltin.Registry()})
		var got []string
		for _, d := range diags {
			if d.Summary == "Invalid version" {
				got = append(got, fmt.Sprintf("%s:%d", d.Subject.Filename, d.Subject.Start.Line))
			}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s\n%s", tc.name, diff, diags)
		}
	}
}
