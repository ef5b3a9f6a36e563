package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/runbookhq/runbook/testdata/gen"
)

// invalidDiags parses gen.Invalid(n) and returns one diagnostic per node
// block, on its version, as lang reports a bad version.
func invalidDiags(t testing.TB, n int) (map[string]*hcl.File, hcl.Diagnostics) {
	t.Helper()
	f, diags := hclsyntax.ParseConfig(gen.Invalid(n), "bad.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var out hcl.Diagnostics
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if a := b.Body.Attributes["version"]; a != nil && b.Type == "node" {
			out = append(out, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid version",
				Detail: "The value of version is not a valid version.", Subject: a.Expr.Range().Ptr()})
		}
	}
	if len(out) != n {
		t.Fatalf("%d diagnostics, want %d", len(out), n)
	}
	return map[string]*hcl.File{"bad.hcl": f}, out
}

// TestDiagnosticsLinear checks that rendering diagnostics reads source in
// proportion to their number: 3,000 diagnostics in a file ten times the
// size read at most 15 times the bytes 300 do (hcl's writer alone reads the
// whole file for each: 100 times).
func TestDiagnosticsLinear(t *testing.T) {
	read := func(n int) int {
		files, diags := invalidDiags(t, n)
		p := &diagPrinter{w: io.Discard, files: files, width: 78}
		for _, d := range diags { // every one, past the cap
			p.writeOne(d)
		}
		return p.read
	}
	small, large := read(300), read(3000)
	if small == 0 || large > 15*small {
		t.Errorf("rendering 300 diagnostics read %d bytes of source, 3000 read %d: more than 15 times", small, large)
	}
}

func BenchmarkDiagnostics(b *testing.B) {
	for _, n := range []int{300, 3000} {
		files, diags := invalidDiags(b, n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				p := &diagPrinter{w: io.Discard, files: files, width: 78}
				for _, d := range diags {
					p.writeOne(d)
				}
			}
		})
	}
}

// TestDiagnosticsWindow compares the printer's text of diagnostics with
// what hcl's writer prints over the whole file, for subjects at the edges
// of lines and of the file, across lines, with a context and with values.
func TestDiagnosticsWindow(t *testing.T) {
	src := "runbook \"r\" {\n  version = \"1.0\"\n}\n\n" +
		"node \"A\" {\n  version = \"6.0\"\n}\n" +
		"step \"approve\" \"x\" {\r\n  message = upper(var.who)\r\n}\n" +
		"rolling \"all\" {\n  nodes = [\n    node.A,\n  ]\n}"
	f, diags := hclsyntax.ParseConfig([]byte(src), "f.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	body := f.Body.(*hclsyntax.Body)
	pos := func(off int) hcl.Pos {
		line := 1 + strings.Count(src[:off], "\n")
		return hcl.Pos{Line: line, Column: off - strings.LastIndex(src[:off], "\n"), Byte: off}
	}
	rng := func(from, to int) *hcl.Range { return &hcl.Range{Filename: "f.hcl", Start: pos(from), End: pos(to)} }
	msg := body.Blocks[2].Body.Attributes["message"]
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{"who": cty.StringVal("ops")})}}
	cases := []*hcl.Diagnostic{
		{Subject: rng(0, 7)},                 // the first word
		{Subject: rng(len(src), len(src))},   // empty, at the end of the file
		{Subject: rng(len(src)-1, len(src))}, // the last byte
		{Subject: rng(13, 13)},               // empty, at a line's end
		{Subject: rng(14, 14)},               // empty, at a line's start
		{Subject: body.Blocks[1].Body.Attributes["version"].Expr.Range().Ptr()},
		{Subject: body.Blocks[3].Body.Attributes["nodes"].Expr.Range().Ptr()}, // across lines
		{Subject: body.Blocks[1].LabelRanges[0].Ptr(), Context: body.Blocks[1].Range().Ptr()},
		{Subject: msg.Expr.Range().Ptr(), Expression: msg.Expr, EvalContext: ctx}, // CRLF lines, values
		{Subject: &hcl.Range{Filename: "other.hcl", Start: hcl.InitialPos, End: hcl.InitialPos}},
	}
	files := map[string]*hcl.File{"f.hcl": f}
	for i, d := range cases {
		d.Severity, d.Summary, d.Detail = hcl.DiagError, "Something", "Fix it."
		var want bytes.Buffer
		if err := hcl.NewDiagnosticTextWriter(&want, files, 78, true).WriteDiagnostic(d); err != nil {
			t.Fatal(err)
		}
		p := &diagPrinter{w: io.Discard, files: files, width: 78}
		got, err := p.text(d)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want.String(), got); diff != "" {
			t.Errorf("case %d (%s): (-hcl +printer)\n%s", i, d.Subject, diff)
		}
	}
}

func TestDiagnosticsCap(t *testing.T) {
	files, diags := invalidDiags(t, diagLimit+3)
	diags[diagLimit+1].Severity = hcl.DiagWarning
	var out bytes.Buffer
	p := &diagPrinter{w: &out, files: files, width: 78, hint: "`runbook validate --json bad.hcl` lists them all"}
	p.write(diags)
	if got := strings.Count(out.String(), "Invalid version"); got != diagLimit {
		t.Errorf("%d diagnostics shown, want %d", got, diagLimit)
	}
	want := "And 2 more errors and 1 more warning, not shown: `runbook validate --json bad.hcl` lists them all.\n\n"
	if !strings.HasSuffix(out.String(), want) {
		t.Errorf("output ends %q, want %q", out.String()[max(0, out.Len()-200):], want)
	}
	out.Reset()
	p = &diagPrinter{w: &out, files: files, width: 78}
	p.write(diags[:diagLimit])
	if strings.Contains(out.String(), "not shown") {
		t.Errorf("%d diagnostics, all shown, yet: %s", diagLimit, out.String())
	}
}
