package lang

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	driverbuiltin "github.com/runbookhq/runbook/drivers/builtin"
	"github.com/runbookhq/runbook/steps/builtin"
	storebuiltin "github.com/runbookhq/runbook/stores/builtin"
	"github.com/runbookhq/runbook/testdata/gen"
)

// chunkCases are hand-written files with what can hide a brace or a
// newline from a scanner, each with the number of cuts a one-byte chunk
// size must find: every top-level block's end but the last, unless the
// line goes on after the brace.
var chunkCases = []struct {
	name, src string
	cuts      int
}{
	{"plain", "a {\n}\nb \"x\" {\n  y = 1\n}\n\nc {}\n", 2},
	{"braces in strings", "a {\n  x = \"}\"\n  y = \"{\"\n}\nb {\n  z = \"\\\"}\\\\\"\n}\nc {}\n", 2},
	{"nested blocks", "a {\n  b {\n    c {\n    }\n  }\n}\nd {\n  e {}\n}\n", 1},
	{"object values", "a {\n  x = {\n    y = {\n    }\n  }\n  z = [\n    {},\n  ]\n}\nb {}\n", 1},
	{"heredoc", "a {\n  x = <<EOT\n}\n{\nEOT\n}\nb {}\n", 1},
	{"heredoc indented marker", "a {\n  x = <<-EOT\n    }\n    not EOT\n    EOT\n}\nb {}\n", 1},
	{"heredoc marker with spaces", "a {\n  x = <<EOT\n}\n  EOT  \n}\nb {}\n", 1},
	{"heredoc with template", "a {\n  x = <<EOT\n${ {a = \"}\"}.a }\n%{ if true }}%{ endif }\nEOT\n}\nb {}\n", 1},
	{"heredoc marker after template", "a {\n  x = <<EOT\n${\"x\"}EOT\nEOT\n}\nb {}\n", 1},
	{"heredoc escapes", "a {\n  x = <<EOT\n$${ }\n%%{ }\n$$${x}\nEOT\n}\nb {}\n", 1},
	{"heredoc in template", "a {\n  x = \"${<<EOT\n}\nEOT\n}\"\n}\nb {}\n", 1},
	{"two heredocs", "a {\n  x = <<A\n}\nA\n  y = <<B\nA\n}\nB\n}\nb {}\n", 1},
	{"comments", "# }\na { # {\n  // }\n  /* }\n}\n */\n}\n/* { */\nb {\n}\n// }\nc {\n}\n", 2},
	{"comment after brace", "a {\n} # end of a\nb {\n} // end of b\nc {\n} /* c */\nd {}\n", 0},
	{"templates", "a {\n  x = \"${ {a = \"}\"}[\"a\"] }\"\n  y = \"%{ if true }}%{ endif }\"\n  z = \"$${ %%{ $$${x}\"\n}\nb {}\n", 1},
	{"template strip", "a {\n  x = \"${ \"}\" ~}\"\n}\nb {}\n", 1},
	{"crlf", "a {\r\n  x = \"}\"\r\n}\r\nb {\r\n  y = <<EOT\r\n}\r\nEOT\r\n}\r\nc {}\r\n", 2},
	{"no final newline", "a {\n}\nb {\n}", 1},
	{"trailing spaces and tabs", "a {\n} \t \nb {\n}\t\nc {}\n", 2},
	{"blank lines and indentation", "\n\n  a {\n  }\n\n\n\tb {\n\t}\n\n", 2},
	{"unicode", "a \"Ñoño\" {\n  x = \"日本語 }\"\n  y = \"e\u0301\"\n}\n\"bad\" {\n}\n", 1},
	{"unicode labels", "a \"Ñoño\" {\n  x = \"日本語 }\"\n  y = \"e\u0301👍🏽\"\n}\nb \"ü\" {\n}\nc {}\n", 2},
	{"one-line blocks", "a { x = 1 }\nb { y = \"}\" }\nc {}\n", 2},
	{"bom", "\uFEFFa {\n}\nb {\n}\n", 1},
	{"bom after a block", "a {\n}\n\uFEFFb {\n}\n", 0},
	{"top-level attributes", "x = 1\na {\n}\ny = {\n}\nb {\n}\nz = 2\n", 3},
	{"duplicate top-level attribute", "x = 1\na {\n}\nx = 2\n", 1},
	{"error in the first chunk", "a {\n  x = \n}\nb {\n}\n", 1},
	{"error in the last chunk", "a {\n}\nb {\n  x = = 1\n}\n", 1},
	{"unclosed block", "a {\n}\nb {\n", 1},
	{"unclosed string", "a {\n}\nb {\n  x = \"}\n}\nc {\n}\n", 1},
	{"unclosed heredoc", "a {\n}\nb {\n  x = <<EOT\n}\n", 1},
	{"unclosed comment", "a {\n}\n/* b {\n}\n", 1},
	{"stray brace", "a {\n}\n}\nb {\n}\n", 1},
	{"attribute redefined in a block", "a {\n  x = 1\n  x = 2\n}\nb {\n}\n", 1},
	{"block header on two lines", "a\n{\n}\nb {\n}\n", 1},
	{"newline in expression", "a {\n}\nx = 1 +\n2\nb {\n}\n", 1},
	{"empty", "", 0},
	{"invalid UTF-8 before a newline", "a\xcd\n{ }\nb {\n}\nc {}\n", 0},
}

// wholeParse is the reference: hcl's parse of the whole file.
func wholeParse(src []byte, name string) (*hcl.File, hcl.Diagnostics) {
	return hclsyntax.ParseConfig(src, name, hcl.InitialPos)
}

// sameParse fails the test unless the file and diagnostics are deeply
// equal to the whole-file parse's, down to every range, and the file's
// navigation names the same block at every offset.
func sameParse(t *testing.T, src []byte, name string, got *hcl.File, gotDiags hcl.Diagnostics) {
	t.Helper()
	want, wantDiags := wholeParse(src, name)
	if !reflect.DeepEqual(gotDiags, wantDiags) {
		t.Fatalf("diagnostics differ:\n%s", cmp.Diff(wantDiags, gotDiags))
	}
	if !reflect.DeepEqual(got.Body, want.Body) {
		t.Fatalf("body differs from the whole-file parse:\n%s", cmp.Diff(want.Body, got.Body, cmp.Exporter(func(reflect.Type) bool { return true })))
	}
	if !bytes.Equal(got.Bytes, want.Bytes) {
		t.Fatalf("bytes differ")
	}
	gn, ok1 := got.Nav.(interface{ ContextString(int) string })
	wn, ok2 := want.Nav.(interface{ ContextString(int) string })
	if ok1 != ok2 {
		t.Fatalf("navigation: %T, want %T", got.Nav, want.Nav)
	}
	if ok1 {
		step := max(1, len(src)/2000)
		for off := 0; off <= len(src); off += step {
			if g, w := gn.ContextString(off), wn.ContextString(off); g != w {
				t.Fatalf("context at %d: %q, want %q", off, g, w)
			}
		}
	}
}

// chunked parses src cut at every top-level block end it can: the fast
// path at its finest. It returns nil when the fast path falls back.
func chunked(src []byte, name string) (*hcl.File, []cut) {
	cuts := cutPoints(src, 1)
	if len(cuts) == 0 {
		return nil, nil
	}
	return parseChunks(src, name, cuts), cuts
}

// checkCuts fails the test unless every cut is right after the closing
// brace of a top-level block (or attribute), where the whole-file parse
// puts one.
func checkCuts(t *testing.T, src []byte, cuts []cut) {
	t.Helper()
	want, _ := wholeParse(src, "x.hcl")
	ends := map[int]bool{}
	body := want.Body.(*hclsyntax.Body)
	for _, b := range body.Blocks {
		ends[b.CloseBraceRange.Start.Byte] = true
	}
	for _, a := range body.Attributes {
		ends[a.Expr.Range().End.Byte-1] = true
	}
	for i, c := range cuts {
		if !ends[c.brace] {
			t.Errorf("cut %d at byte %d: not after a top-level block's end", i, c.brace)
		}
		if c.pos.Byte == 0 || src[c.pos.Byte-1] != '\n' || c.pos.Column != 1 {
			t.Errorf("cut %d at %#v: not at a line start", i, c.pos)
		}
		if c.pos.Line != 1+bytes.Count(src[:c.pos.Byte], []byte{'\n'}) {
			t.Errorf("cut %d at %#v: line %d", i, c.pos, 1+bytes.Count(src[:c.pos.Byte], []byte{'\n'}))
		}
	}
}

func TestChunkCases(t *testing.T) {
	for _, c := range chunkCases {
		t.Run(c.name, func(t *testing.T) {
			src := []byte(c.src)
			cuts := cutPoints(src, 1)
			if len(cuts) != c.cuts {
				t.Errorf("%d cuts, want %d: %+v", len(cuts), c.cuts, cuts)
			}
			_, wantDiags := wholeParse(src, "x.hcl")
			if !wantDiags.HasErrors() {
				checkCuts(t, src, cuts)
			}
			f, _ := chunked(src, "x.hcl")
			if f != nil {
				if len(wantDiags) > 0 {
					t.Fatalf("the chunked parse was kept, but the whole-file parse has diagnostics: %v", wantDiags)
				}
				sameParse(t, src, "x.hcl", f, nil)
			} else if len(wantDiags) == 0 && len(cuts) > 0 && !strings.Contains(c.name, "attribute") {
				t.Errorf("the chunked parse fell back on a file with no diagnostics")
			}
			got, gotDiags := parseNativeSized(src, "x.hcl", 1, 0)
			sameParse(t, src, "x.hcl", got, gotDiags)
		})
	}
}

// repoFiles are the runbooks of the repository and the language's
// fixtures.
func repoFiles(t testing.TB) []string {
	var files []string
	for _, pattern := range []string{"../runbooks/*.hcl", "../testdata/lang/*/*.hcl", "../testdata/lang/*/*/*.hcl"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 20 {
		t.Fatalf("only %d files", len(files))
	}
	return files
}

// TestChunkedParseRepoFiles parses every runbook, fixture and generated
// runbook cut at every block end, and requires the whole-file parse's file.
func TestChunkedParseRepoFiles(t *testing.T) {
	type input struct {
		name string
		src  []byte
	}
	var inputs []input
	for _, name := range repoFiles(t) {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, input{name, src})
	}
	for _, n := range []int{1, 2, 50, 200} {
		inputs = append(inputs, input{fmt.Sprintf("gen%d.hcl", n), gen.Runbook(n)}, input{fmt.Sprintf("invalid%d.hcl", n), gen.Invalid(n)})
	}
	kept := 0
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			f, cuts := chunked(in.src, in.name)
			_, wantDiags := wholeParse(in.src, in.name)
			if !wantDiags.HasErrors() {
				checkCuts(t, in.src, cuts)
			}
			if f != nil {
				kept++
				sameParse(t, in.src, in.name, f, nil)
			} else if len(wantDiags) == 0 && len(cuts) > 0 {
				t.Errorf("the chunked parse fell back on a file with no diagnostics")
			}
			got, gotDiags := parseNativeSized(in.src, in.name, 1, 0)
			sameParse(t, in.src, in.name, got, gotDiags)
		})
	}
	if kept < len(inputs)/2 {
		t.Errorf("the chunked parse was kept for %d of %d files", kept, len(inputs))
	}
}

// TestChunkedLoad loads every runbook and fixture with the chunked parse
// forced and with the whole-file parse, and compares what Load gives.
func TestChunkedLoad(t *testing.T) {
	opts := Options{Registry: builtin.Registry(), Drivers: driverbuiltin.Registry(), StateKinds: storebuiltin.Stores().BlockSettings()}
	load := func(name string, src []byte, size, min int) string {
		defer func(s, m int) { chunkSize, chunkMin = s, m }(chunkSize, chunkMin)
		chunkSize, chunkMin = size, min
		rb, diags := loadSources(name, []string{name}, [][]byte{src}, opts)
		return loadSummary(t, rb, diags)
	}
	names := repoFiles(t)
	for _, name := range names {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		whole, chunks := load(name, src, 1, len(src)+1), load(name, src, 1, 0)
		if whole != chunks {
			t.Errorf("%s: Load differs with the chunked parse:\n%s", name, cmp.Diff(whole, chunks))
		}
	}
	src := gen.Runbook(300)
	if whole, chunks := load("gen.hcl", src, 1<<10, len(src)+1), load("gen.hcl", src, 1<<10, 0); whole != chunks {
		t.Errorf("generated runbook: Load differs with the chunked parse:\n%s", cmp.Diff(whole, chunks))
	}
}

// loadSummary prints what Load gives: the diagnostics as the CLI renders
// them (with the files' lines and navigation), the steps with their
// ranges and arguments' ranges, the cluster and the variables.
func loadSummary(t *testing.T, rb *Runbook, diags hcl.Diagnostics) string {
	var b strings.Builder
	if err := hcl.NewDiagnosticTextWriter(&b, rb.Files, 100, false).WriteDiagnostics(diags); err != nil {
		t.Fatal(err)
	}
	for _, d := range diags {
		fmt.Fprintf(&b, "%#v %#v\n", d.Subject, d.Context)
	}
	fmt.Fprintf(&b, "%s %s %s %s %s\n", rb.Name, rb.Version, rb.Description, rb.ClusterName, rb.Driver)
	for _, s := range rb.Steps {
		fmt.Fprintf(&b, "%s %s %s %s %v %#v\n", s.Address, s.Type, s.Roll, s.Node, s.When, s.Range)
		for _, a := range sortedAttrs(s.attrs) {
			fmt.Fprintf(&b, "  %s %#v %#v\n", a.Name, a.NameRange, a.Expr.Range())
		}
	}
	if rb.Cluster != nil {
		fmt.Fprintf(&b, "%+v\n", rb.Cluster.Nodes)
	}
	for _, v := range rb.Variables {
		fmt.Fprintf(&b, "%s %#v\n", v.Name, v.Value)
	}
	return b.String()
}

// FuzzParseChunks requires the chunked parse (cut at every block end) to
// give the whole-file parse's file and diagnostics on any input.
func FuzzParseChunks(f *testing.F) {
	for _, c := range chunkCases {
		f.Add([]byte(c.src))
	}
	for _, name := range repoFiles(f) {
		src, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Add(gen.Runbook(3))
	f.Fuzz(func(t *testing.T, src []byte) {
		if guard(src, "fuzz.hcl").HasErrors() {
			return // parseFile never parses it
		}
		got, diags := parseNativeSized(src, "fuzz.hcl", 1, 0)
		sameParse(t, src, "fuzz.hcl", got, diags)
	})
}

// BenchmarkParse compares the parse of generated runbooks: hcl's parse of
// the whole file, and parseNative's of its chunks.
func BenchmarkParse(b *testing.B) {
	for _, n := range benchSizes {
		src := genRunbook(n)
		for _, way := range []string{"whole", "chunks"} {
			b.Run(fmt.Sprintf("%s/%d", way, n), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(src)))
				for b.Loop() {
					var diags hcl.Diagnostics
					if way == "whole" {
						_, diags = wholeParse(src, "bench.hcl")
					} else {
						_, diags = parseNative(src, "bench.hcl")
					}
					if len(diags) > 0 {
						b.Fatal(diags)
					}
				}
			})
		}
	}
}
