package lang

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// localDecl is one attribute of a locals block: a named value.
type localDecl struct {
	name string
	attr *hcl.Attribute
	val  cty.Value
	// item is its place among the declarations to evaluate.
	item int32
}

// declareLocals records the attributes of a locals block; they are evaluated
// with the other declarations, in dependency order.
func (p *parser) declareLocals(block *hcl.Block) {
	attrs, diags := block.Body.JustAttributes()
	p.diags = append(p.diags, diags...)
	for _, a := range sortedAttrs(attrs) {
		if !hclsyntax.ValidIdentifier(a.Name) {
			p.errorf(a.NameRange, "Invalid name", "%q is not a valid local value name. A name starts with a letter or underscore and contains only letters, digits, underscores and dashes.", a.Name)
			continue
		}
		if prev, ok := p.locals[a.Name]; ok {
			p.diags = append(p.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate local value",
				Detail:  fmt.Sprintf("A local value named %q was already declared at %s. Each local value name must be unique: rename or remove one of them.", a.Name, prev.attr.NameRange),
				Subject: a.NameRange.Ptr()})
			continue
		}
		d := &localDecl{name: a.Name, attr: a}
		p.locals[a.Name] = d
		p.localList = append(p.localList, d)
	}
}

func (p *parser) evalLocal(d *localDecl) {
	v, ok := p.eval(d.attr.Expr, declScope)
	if !ok {
		v = cty.DynamicVal
	}
	d.val = v
}
