package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/runbookhq/runbook/lang"
)

func TestGitHubAnnotation(t *testing.T) {
	rng := &hcl.Range{Filename: "dir,x/a:b.hcl", Start: hcl.Pos{Line: 3, Column: 5}, End: hcl.Pos{Line: 4, Column: 1}}
	for _, tc := range []struct {
		diag *hcl.Diagnostic
		want string
	}{
		{&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Bad", Detail: "Fix it.", Subject: rng},
			"::error file=dir%2Cx/a%3Ab.hcl,line=3,col=5,endLine=4,endColumn=1,title=Bad::Fix it."},
		{&hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "50%: a, b", Detail: "Line one\r\nline two: 100%"},
			"::warning title=50%25%3A a%2C b::Line one%0D%0Aline two: 100%25"},
		{&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No detail"},
			"::error title=No detail::No detail"},
	} {
		if diff := cmp.Diff(tc.want, githubAnnotation(tc.diag)); diff != "" {
			t.Errorf("githubAnnotation(%q) (-want +got):\n%s", tc.diag.Summary, diff)
		}
	}
}

func TestCaretLine(t *testing.T) {
	for _, tc := range []struct{ before, hl, want string }{
		{"  12:   on = ", `"FS1"`, "             ^^^^^"},
		{"  12: \ton = ", "x", "      \t     ^"},
		{"   1: ", "", "      ^"},
		{"   1: é = ", "ünï", "          ^^^"},
	} {
		if diff := cmp.Diff(tc.want, caretLine(tc.before, tc.hl)); diff != "" {
			t.Errorf("caretLine(%q, %q) (-want +got):\n%s", tc.before, tc.hl, diff)
		}
	}
}

func TestClosestName(t *testing.T) {
	names := []string{"approve", "await-failback", "exec", "install-license", "media-upgrade", "upgrade-node"}
	for _, tc := range []struct{ in, want string }{
		{"upgrade-nod", "upgrade-node"},
		{"media-upgarde", "media-upgrade"},
		{"upgrade", "upgrade-node"},
		{"license", "install-license"},
		{"frobnicate", ""},
		{"ex", ""},
	} {
		if got := closestName(tc.in, names); got != tc.want {
			t.Errorf("closestName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestJSONDiagnosticInfo: a diagnostic about a step carries its rule, step
// and node(s) as fields; one without lang.DiagnosticInfo has none.
func TestJSONDiagnosticInfo(t *testing.T) {
	rng := &hcl.Range{Filename: "a.hcl", Start: hcl.Pos{Line: 3, Column: 5}, End: hcl.Pos{Line: 3, Column: 9}}
	diags := hcl.Diagnostics{
		{Severity: hcl.DiagError, Summary: "Upgrade not above current version", Detail: "D.", Subject: rng,
			Extra: &lang.DiagnosticInfo{Rule: "R2", Step: "rolling.r[A1].upgrade-node.u", Node: "A1", Nodes: []string{"A1", "A2"}}},
		{Severity: hcl.DiagWarning, Summary: "License not needed", Detail: "D.", Subject: rng,
			Extra: &lang.DiagnosticInfo{Rule: "R1", Step: "step.install-license.l"}},
		{Severity: hcl.DiagError, Summary: "Invalid version", Detail: "D.",
			Extra: &lang.DiagnosticInfo{Step: "step.upgrade-node.u"}},
		{Severity: hcl.DiagError, Summary: "Cannot read runbook", Detail: "D."},
	}
	jr := &jsonRange{Filename: "a.hcl", Start: jsonPos{3, 5}, End: jsonPos{3, 9}}
	want := []jsonDiagnostic{
		{Severity: "error", Summary: "Upgrade not above current version", Detail: "D.", Range: jr,
			Rule: "R2", Step: "rolling.r[A1].upgrade-node.u", Node: "A1", Nodes: []string{"A1", "A2"}},
		{Severity: "warning", Summary: "License not needed", Detail: "D.", Range: jr, Rule: "R1", Step: "step.install-license.l"},
		{Severity: "error", Summary: "Invalid version", Detail: "D.", Step: "step.upgrade-node.u"},
		{Severity: "error", Summary: "Cannot read runbook", Detail: "D."},
	}
	if diff := cmp.Diff(want, newJSONDiagnostics(diags)); diff != "" {
		t.Errorf("newJSONDiagnostics (-want +got):\n%s", diff)
	}
}
