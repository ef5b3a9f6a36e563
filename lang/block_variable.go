package lang

import (
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Variable is a declared input variable and the value it ended up with.
type Variable struct {
	Name        string
	Description string
	// Type is the declared type constraint (cty.DynamicPseudoType for any).
	Type cty.Type
	// Sensitive values are secrets: Runbook.Secrets lists them for the
	// command line to hide, and diagnostics do not quote them.
	Sensitive bool
	// Default is the declared default, cty.NilVal if there is none.
	Default cty.Value
	// Value is the value in use: from the default, RUNBOOK_VAR_<name>, a
	// --var-file or a --var, in increasing precedence. With no value at
	// all it is an unknown of Type; with Options.RequireValues (plan and
	// run) that is also an error.
	Value cty.Value
	// DeclRange is the variable block's definition range.
	DeclRange hcl.Range

	defaults    *typeexpr.Defaults
	valueRange  hcl.Range
	validations []*variableValidation
}

type variableValidation struct {
	condition    hcl.Expression
	errorMessage string
	rng          hcl.Range
}

var variableBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"},
		{Name: "default"},
		{Name: "description"},
		{Name: "sensitive"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var variableValidationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "condition", Required: true},
		{Name: "error_message", Required: true},
	},
}

// declareVariable decodes a variable block; its value comes later, from
// resolveVariables.
func (p *parser) declareVariable(block *hcl.Block) {
	name := block.Labels[0]
	if !p.checkName(block, 0, "variable") {
		return
	}
	if prev, ok := p.variables[name]; ok {
		p.duplicate("variable", name, prev.DeclRange, block)
		return
	}
	v := &Variable{Name: name, Type: cty.DynamicPseudoType, DeclRange: block.DefRange}
	p.variables[name] = v
	p.rb.Variables = append(p.rb.Variables, v)
	content, diags := block.Body.Content(variableBlockSchema)
	p.diags = append(p.diags, diags...)
	if a, ok := content.Attributes["type"]; ok {
		ty, defaults, diags := typeexpr.TypeConstraintWithDefaults(a.Expr)
		p.diags = append(p.diags, diags...)
		if !diags.HasErrors() {
			v.Type, v.defaults = ty, defaults
		}
	}
	if a, ok := content.Attributes["description"]; ok {
		if s, ok := p.constAttr(a, cty.String); ok {
			v.Description = s.AsString()
		}
	}
	if a, ok := content.Attributes["sensitive"]; ok {
		if b, ok := p.constAttr(a, cty.Bool); ok {
			v.Sensitive = b.True()
		}
	}
	if a, ok := content.Attributes["default"]; ok {
		if val, ok := p.eval(a.Expr, constScope); ok {
			if val, ok := p.convertVar(v, val, a.Expr.Range(), "default value"); ok {
				v.Default = val
				v.Value, v.valueRange = val, a.Expr.Range()
			}
		}
	}
	for _, vb := range content.Blocks {
		vc, diags := vb.Body.Content(variableValidationSchema)
		p.diags = append(p.diags, diags...)
		if diags.HasErrors() {
			continue
		}
		val := &variableValidation{condition: vc.Attributes["condition"].Expr, rng: vb.DefRange}
		if s, ok := p.constAttr(vc.Attributes["error_message"], cty.String); ok {
			val.errorMessage = s.AsString()
		}
		v.validations = append(v.validations, val)
	}
}

// constAttr evaluates a constant attribute of exactly type ty.
func (p *parser) constAttr(a *hcl.Attribute, ty cty.Type) (cty.Value, bool) {
	v, ok := p.eval(a.Expr, constScope)
	if !ok || v.IsNull() {
		return v, false
	}
	if !v.Type().Equals(ty) {
		p.errorf(a.Expr.Range(), "Incorrect attribute value type", "The value of %s must be %s; this is %s.", a.Name, kindOf(cty.UnknownVal(ty)), kindOf(v))
		return v, false
	}
	return v, v.IsKnown()
}

// convertVar converts a value for v to its type, reporting a mismatch at rng.
func (p *parser) convertVar(v *Variable, val cty.Value, rng hcl.Range, what string) (cty.Value, bool) {
	if v.defaults != nil {
		val = v.defaults.Apply(val)
	}
	out, err := convert.Convert(val, v.Type)
	if err != nil {
		p.errorf(rng, "Invalid value for variable", "The %s for var.%s does not match its type %s: %s. Give a value of that type.",
			what, v.Name, typeexpr.TypeString(v.Type), err)
		return cty.NilVal, false
	}
	return out, true
}

// resolveVariables gives every variable its value: default <
// RUNBOOK_VAR_<name> < --var-file < --var, then checks its validations.
func (p *parser) resolveVariables() {
	const envPrefix = "RUNBOOK_VAR_"
	for _, kv := range p.opts.Env {
		if !strings.HasPrefix(kv, envPrefix) {
			continue
		}
		name, raw, _ := strings.Cut(kv[len(envPrefix):], "=")
		if v, ok := p.variables[name]; ok {
			p.setRawVar(v, raw, envPrefix+name)
		}
	}
	for _, f := range p.opts.VarFiles {
		p.readVarFile(f)
	}
	for _, kv := range p.opts.Vars {
		name, raw, ok := strings.Cut(kv, "=")
		if !ok {
			p.diags = append(p.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid --var option",
				Detail: "A --var option has no equals sign. Write --var NAME=VALUE."})
			continue
		}
		v, declared := p.variables[name]
		if !declared {
			p.diags = append(p.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Value for undeclared variable",
				Detail: fmt.Sprintf("--var sets %q, but the runbook declares no variable of that name. Declare it with a variable %q block, or fix the name.%s", name, name, didYouMean(name, p.names("var"), ""))})
			continue
		}
		p.setRawVar(v, raw, "--var")
	}
	for _, v := range p.rb.Variables {
		if v.Value == cty.NilVal {
			if p.opts.RequireValues {
				p.errorf(v.DeclRange, "No value for required variable",
					"Variable %q has no default and no value was given. Give it one with --var %s=VALUE, a --var-file, or the environment variable RUNBOOK_VAR_%s.", v.Name, v.Name, v.Name)
				v.Value = cty.UnknownVal(v.Type)
				continue
			}
			v.Value = cty.UnknownVal(v.Type)
		}
		p.validateVar(v)
	}
}

// setRawVar sets a variable from a command-line or environment string: the
// string itself for a string variable (or one of any type), else the value
// of the string parsed as an HCL expression.
func (p *parser) setRawVar(v *Variable, raw, source string) {
	rng := hcl.Range{Filename: fmt.Sprintf("<value for var.%s>", v.Name), Start: hcl.InitialPos, End: hcl.Pos{Line: 1, Column: len(raw) + 1, Byte: len(raw)}}
	if !v.Sensitive && !strings.Contains(raw, "\n") {
		// So that a diagnostic about the value can show it.
		p.rb.Files[rng.Filename] = &hcl.File{Bytes: []byte(raw)}
	}
	if v.Type == cty.String || v.Type == cty.DynamicPseudoType {
		if val, ok := p.convertVar(v, cty.StringVal(raw), rng, "value from "+source); ok {
			v.Value, v.valueRange = val, rng
		}
		return
	}
	if diags := guard([]byte(raw), rng.Filename); diags.HasErrors() {
		p.diags = append(p.diags, diags...)
		return
	}
	expr, diags := hclsyntax.ParseExpression([]byte(raw), rng.Filename, hcl.InitialPos)
	if diags.HasErrors() {
		p.errorf(rng, "Invalid value for variable", "The value from %s for var.%s is not a valid %s expression: %s.",
			source, v.Name, typeexpr.TypeString(v.Type), diags[0].Detail)
		return
	}
	if len(expr.Variables()) > 0 {
		shown := raw
		if v.Sensitive {
			shown = "(sensitive value)"
		}
		p.errorf(rng, "Invalid value for variable", "The value from %s for var.%s, %s, is not a %s. Write a constant value of that type; a string needs quotes inside a non-string value, as in [\"a\", \"b\"].",
			source, v.Name, shown, typeexpr.TypeString(v.Type))
		return
	}
	val, ok := p.eval(expr, constScope)
	if !ok {
		return
	}
	if val, ok := p.convertVar(v, val, rng, "value from "+source); ok {
		v.Value, v.valueRange = val, rng
	}
}

// readVarFile reads one --var-file: HCL attributes, or a JSON object.
func (p *parser) readVarFile(name string) {
	src, err := os.ReadFile(name)
	if err != nil {
		p.diags = append(p.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read variables file",
			Detail: fmt.Sprintf("Reading %s failed: %v.", name, err)})
		return
	}
	f, diags := parseFile(src, name)
	p.diags = append(p.diags, diags...)
	if f == nil || diags.HasErrors() {
		return
	}
	attrs, diags := f.Body.JustAttributes()
	p.diags = append(p.diags, diags...)
	secret := false
	for n := range attrs {
		if v, ok := p.variables[n]; ok && v.Sensitive {
			secret = true
		}
	}
	if !secret {
		// So that diagnostics can quote its lines; never those of a file
		// that holds a sensitive value.
		p.rb.Files[name] = f
	}
	for _, a := range sortedAttrs(attrs) {
		v, declared := p.variables[a.Name]
		if !declared {
			p.warnf(a.NameRange, "Value for undeclared variable",
				"The file sets %q, but the runbook declares no variable of that name; the value is ignored. Remove it, or fix the name.%s", a.Name, didYouMean(a.Name, p.names("var"), ""))
			continue
		}
		val, ok := p.eval(a.Expr, constScope)
		if !ok {
			continue
		}
		if val, ok := p.convertVar(v, val, a.Expr.Range(), "value in "+name); ok {
			v.Value, v.valueRange = val, a.Expr.Range()
		}
	}
}

// validateVar evaluates the variable's validation blocks: each condition
// must be a bool, and when the value is known it must hold.
func (p *parser) validateVar(v *Variable) {
	sc := &scope{mode: scopeDecl, self: v}
	for _, val := range v.validations {
		res, ok := p.eval(val.condition, sc)
		if !ok {
			continue
		}
		b, err := convert.Convert(res, cty.Bool)
		if err != nil || b.IsNull() {
			p.errorf(val.condition.Range(), "Invalid validation condition", "The condition must be a bool; it is %s. Write a comparison, such as var.%s != \"\".", kindOf(res), v.Name)
			continue
		}
		res = b
		if res.IsKnown() && res.False() {
			msg := strings.TrimSpace(val.errorMessage)
			if msg != "" && !strings.HasSuffix(msg, ".") {
				msg += "."
			}
			p.errorf(v.valueRange, "Invalid value for variable", "%s This was checked by the validation rule at %s.", msg, val.rng)
		}
	}
}

// Secrets returns the values of the sensitive variables as text: each
// string in them, and each number as written. They must not be shown or
// stored: the command line hides them in what it writes (runtime/redact).
func (rb *Runbook) Secrets() []string {
	var out []string
	var walk func(v cty.Value)
	walk = func(v cty.Value) {
		v, _ = v.Unmark()
		if !v.IsKnown() || v.IsNull() {
			return
		}
		ty := v.Type()
		switch {
		case ty == cty.String:
			out = append(out, v.AsString())
		case ty == cty.Number:
			out = append(out, v.AsBigFloat().Text('f', -1))
		case ty.IsListType() || ty.IsSetType() || ty.IsTupleType() || ty.IsMapType() || ty.IsObjectType():
			for it := v.ElementIterator(); it.Next(); {
				_, e := it.Element()
				walk(e)
			}
		}
	}
	for _, v := range rb.Variables {
		if v.Sensitive && v.Value != cty.NilVal {
			walk(v.Value)
		}
	}
	return out
}
