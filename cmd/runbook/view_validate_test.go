package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
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
