package lang

import (
	"fmt"
	"os"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/runbookhq/runbook/testdata/gen"
)

// quickCases are texts the quick parse takes (quick: true) or leaves to hcl.
var quickCases = []struct {
	name, src string
	quick     bool
}{
	{"empty", "", true},
	{"blank lines", "\n\n\n", true},
	{"spaces only", "   ", true},
	{"empty block", "a {}\n", true},
	{"empty block no newline", "a {}", true},
	{"empty block on lines", "a {\n}\n", true},
	{"labels", "a \"x\" y \"\" {\n}\n", true},
	{"attributes", "a {\n  s = \"str\"\n  e = \"\"\n  n = 12\n  f = 1.25\n  t = true\n  u = false\n  z = null\n  r = x.y.z\n  k = string\n}\n", true},
	{"top-level attributes", "x = 1\ny = \"z\"\n", true},
	{"attribute at the end", "x = 1", true},
	{"tuples", "a {\n  l = [a.b, \"c\", 1, [], [[x]], true]\n  m = [\n    a,\n    b,\n  ]\n  n = [ ]\n}\n", true},
	{"newlines in a tuple", "x = [\n\n a\n\n .b\n ,\n c\n]\n", true},
	{"nested blocks", "a \"b\" {\n  c {\n    d = 1\n  }\n\n  e \"f\" \"g\" {}\n}\n", true},
	{"comments", "# head\n// more\na { # open\n  x = 1 # after\n  // alone\n  y = [ # in\n    z, // z\n  ]\n} # close\n# tail", true},
	{"comment at the end", "a {}\n# end", true},
	{"comment only", "# only\n", true},
	{"comment first no newline", "# only", true},
	{"non-ASCII comment", "# \u00e9t\u00e9 \U0001F44D\u0301\nx = 1\n", true},
	{"dashes in names", "upgrade-node \"a-b\" {\n  x-y = a-b.c-d\n}\n", true},
	{"underscore", "_a { _b = _c }\n", false},
	{"one-line block", "a { x = 1 }\n", false},
	{"interpolation", "x = \"${a}\"\n", false},
	{"escape", "x = \"a\\nb\"\n", false},
	{"dollar", "x = \"$a\"\n", false},
	{"percent", "x = \"100%\"\n", false},
	{"function", "x = max(1, 2)\n", false},
	{"operator", "x = 1 + 2\n", false},
	{"minus", "x = -1\n", false},
	{"comparison", "x = a == b\n", false},
	{"conditional", "x = a ? b : c\n", false},
	{"index", "x = a[0]\n", false},
	{"splat", "x = a[*].b\n", false},
	{"number attribute", "x = a.0\n", false},
	{"object", "x = {a = 1}\n", false},
	{"for", "x = [for a in b: a]\n", false},
	{"heredoc", "x = <<EOT\nhi\nEOT\n", false},
	{"block comment", "/* c */\nx = 1\n", false},
	{"tab", "a {\n\tx = 1\n}\n", false},
	{"crlf", "a {\r\n}\r\n", false},
	{"unicode", "a \"\u00e9\" {}\n", false},
	{"unicode name", "\u00e9 = 1\n", false},
	{"ident then unicode", "ab\u00e9 = 1\n", false},
	{"exponent", "x = 1e3\n", false},
	{"number then dot", "x = 1.\n", false},
	{"number then name", "x = 10m\n", false},
	{"number then dots", "x = 1.2.3\n", false},
	{"ellipsis", "x = [a...]\n", false},
	{"duplicate attribute", "x = 1\nx = 2\n", false},
	{"duplicate in block", "a {\n  x = 1\n  x = 2\n}\n", false},
	{"missing newline", "x = 1 y = 2\n", false},
	{"block without newline", "a {} b {}\n", false},
	{"comma after attribute", "a {\n  x = 1,\n}\n", false},
	{"unclosed block", "a {\n", false},
	{"unclosed tuple", "x = [a,\n", false},
	{"unclosed string", "x = \"a\n", false},
	{"stray brace", "}\n", false},
	{"missing value", "x =\n", false},
	{"block header on two lines", "a\n{\n}\n", false},
	{"equals in header", "a = {\n}\n", false},
	{"quoted name", "\"a\" = 1\n", false},
	{"tuple without commas", "x = [a b]\n", false},
	{"trailing dot", "x = a.\n", false},
	{"literal traversal", "x = true.a\n", false},
	{"tuple traversal", "x = [a].b\n", false},
	{"string traversal", "x = \"a\".b\n", false},
	{"fat arrow", "x => 1\n", false},
	{"nul", "x = 1\x00\n", false},
	{"control in comment at end", "# a\x01", false},
	{"invalid UTF-8 in a comment", "# \xcd\nx = 1\n", false},
	{"bom", "\uFEFFx = 1\n", false},
}

// sameBody fails the test unless body is hcl's body of src, starting at
// start, and hcl parses it with no diagnostic.
func sameBody(t *testing.T, src []byte, name string, start hcl.Pos, body *hclsyntax.Body) {
	t.Helper()
	want, diags := hclsyntax.ParseConfig(src, name, start)
	if len(diags) > 0 {
		t.Fatalf("the quick parse took a text hcl reports: %v", diags)
	}
	if !reflect.DeepEqual(body, want.Body) {
		t.Fatalf("the quick parse differs from hcl's:\n%s", cmp.Diff(want.Body, body, cmp.Exporter(func(reflect.Type) bool { return true })))
	}
}

func TestQuickParse(t *testing.T) {
	for _, c := range quickCases {
		t.Run(c.name, func(t *testing.T) {
			src := []byte(c.src)
			body := quickParse(src, "x.hcl", hcl.InitialPos)
			if (body != nil) != c.quick {
				t.Fatalf("quick parse: %v, want %v", body != nil, c.quick)
			}
			if body != nil {
				sameBody(t, src, "x.hcl", hcl.InitialPos, body)
			}
			// A text that starts elsewhere in a file, as a chunk does.
			start := hcl.Pos{Line: 7, Column: 1, Byte: 1234}
			if body := quickParse(src, "x.hcl", start); body != nil {
				sameBody(t, src, "x.hcl", start, body)
			}
			got, diags := parseNativeSized(src, "x.hcl", 1<<20, 1<<20)
			sameParse(t, src, "x.hcl", got, diags)
		})
	}
	for _, c := range chunkCases {
		t.Run("chunks/"+c.name, func(t *testing.T) {
			src := []byte(c.src)
			if body := quickParse(src, "x.hcl", hcl.InitialPos); body != nil {
				sameBody(t, src, "x.hcl", hcl.InitialPos, body)
			}
		})
	}
}

// TestQuickParseRepoFiles holds the quick parse to hcl's on every runbook
// and fixture of the repository, whole and cut in chunks, and requires it
// to take the generated runbooks.
func TestQuickParseRepoFiles(t *testing.T) {
	for _, name := range repoFiles(t) {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if body := quickParse(src, name, hcl.InitialPos); body != nil {
			sameBody(t, src, name, hcl.InitialPos, body)
		}
		for i, c := range cutPoints(src, 1) {
			end := len(src)
			if cuts := cutPoints(src, 1); i+1 < len(cuts) {
				end = cuts[i+1].pos.Byte
			}
			if body := quickParse(src[c.pos.Byte:end], name, c.pos); body != nil {
				sameBody(t, src[c.pos.Byte:end], name, c.pos, body)
			}
		}
	}
	for _, n := range []int{1, 3, 50, 1000} {
		src := gen.Runbook(n)
		name := fmt.Sprintf("gen%d.hcl", n)
		body := quickParse(src, name, hcl.InitialPos)
		if body == nil {
			t.Fatalf("%s: the quick parse gave up", name)
		}
		sameBody(t, src, name, hcl.InitialPos, body)
		got, diags := parseNative(src, name)
		sameParse(t, src, name, got, diags)
		src = gen.Invalid(n)
		if body := quickParse(src, name, hcl.InitialPos); body == nil {
			t.Fatalf("invalid %s: the quick parse gave up", name)
		} else {
			sameBody(t, src, name, hcl.InitialPos, body)
		}
	}
}

// FuzzQuickParse requires the quick parse, when it takes a text, to give
// hcl's body, and parseNative to give hcl's file and diagnostics.
func FuzzQuickParse(f *testing.F) {
	for _, c := range quickCases {
		f.Add([]byte(c.src))
	}
	for _, c := range chunkCases {
		f.Add([]byte(c.src))
	}
	f.Add(gen.Runbook(3))
	f.Fuzz(func(t *testing.T, src []byte) {
		if guard(src, "fuzz.hcl").HasErrors() {
			return
		}
		if body := quickParse(src, "fuzz.hcl", hcl.InitialPos); body != nil {
			sameBody(t, src, "fuzz.hcl", hcl.InitialPos, body)
		}
		got, diags := parseNativeSized(src, "fuzz.hcl", 1, 0)
		sameParse(t, src, "fuzz.hcl", got, diags)
	})
}
