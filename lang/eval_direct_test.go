package lang

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/runbookhq/runbook/steps/builtin"
)

// TestDirectIsHCL checks that the values eval finds without hcl (direct)
// are those hcl gives for the same expressions in the context evalCtx
// builds.
func TestDirectIsHCL(t *testing.T) {
	src := header + `
variable "target" {
  default = "6.5"
}
variable "empty" {
  type    = string
  default = null
}
locals {
  pair = [node.FS1, node.FS2]
}
license "l" {
  product = "NCS"
  version = "6.5"
}
`
	rb := &Runbook{Files: map[string]*hcl.File{}}
	f, diags := parseFile([]byte(src), "t.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p := newParser(rb, Options{Registry: builtin.Registry()})
	p.load([]hcl.Body{f.Body})
	if p.diags.HasErrors() {
		t.Fatal(p.diags)
	}
	roll := &scope{mode: scopeStep, roll: true, nd: p.nodes["FS2"], index: 1}
	for _, tc := range []struct {
		src    string
		sc     *scope
		direct bool
	}{
		{`node.FS1`, declScope, true},
		{`node["FS3"]`, declScope, true},
		{`resource.R1`, declScope, true},
		{`license.l`, declScope, true},
		{`var.target`, declScope, true},
		{`var.empty`, declScope, true},
		{`local.pair`, declScope, true},
		{`[node.FS1, node.FS2, resource.R2]`, declScope, true},
		{`"10.0.0.9"`, declScope, true},
		{`""`, declScope, true},
		{`each.node`, roll, true},
		{`each.index`, roll, true},
		{`[each.node, node.FS1]`, roll, true},
		{`node.FS1.address`, declScope, false},
		{`"${var.target}"`, declScope, false},
		{`"v${var.target}"`, declScope, false},
		{`[]`, declScope, false},
		{`[node.FS1, "x"]`, declScope, false},
		{`node`, declScope, false},
		{`each`, roll, false},
	} {
		expr, diags := hclsyntax.ParseExpression([]byte(tc.src), "x.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		refs, ok := p.refs(expr, tc.sc, true)
		if !ok {
			t.Fatalf("%s: %v", tc.src, p.diags)
		}
		want, diags := expr.Value(p.evalCtx(refs, tc.sc))
		if diags.HasErrors() {
			t.Fatalf("%s: %v", tc.src, diags)
		}
		got, direct := p.direct(expr, tc.sc)
		if direct != tc.direct {
			t.Errorf("%s: direct %v, want %v", tc.src, direct, tc.direct)
			continue
		}
		if direct && !got.RawEquals(want) {
			t.Errorf("%s: direct %#v, hcl %#v", tc.src, got, want)
		}
		if v, ok := p.eval(expr, tc.sc); !ok || !v.RawEquals(want) {
			t.Errorf("%s: eval %#v, hcl %#v", tc.src, v, want)
		}
	}
}

func TestASCIIIdentifier(t *testing.T) {
	for _, s := range []string{"", "a", "A1", "_x", "x-y", "FS1", "1a", "-a", "a.b", "a b", "é", "aé", "true", "a_", "Z9-_"} {
		if got, want := asciiIdentifier(s), hclsyntax.ValidIdentifier(s); got && !want {
			t.Errorf("asciiIdentifier(%q) = true, hcl says %v", s, want)
		} else if !got && want && isASCII(s) {
			t.Errorf("asciiIdentifier(%q) = false, hcl says true", s)
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
