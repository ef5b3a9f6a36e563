package lang

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/runbookhq/runbook/internal/suggest"
	"github.com/runbookhq/runbook/steps"
)

// scopeMode says which references an expression may use.
type scopeMode int

const (
	// scopeConst: no references at all (variable defaults and validations
	// have their own scope).
	scopeConst scopeMode = iota
	// scopeDecl: var, local, node, resource, license.
	scopeDecl
	// scopeStep: as scopeDecl, plus each inside a rolling block.
	scopeStep
	// scopeExec: var and local, plus the operation's subjects (node,
	// resource, license, to) bound to single objects.
	scopeExec
)

// scope is where an expression is evaluated.
type scope struct {
	mode scopeMode
	// roll is set inside a rolling block, where each.node is node and
	// each.index is index.
	roll bool
	// nd is the node each.node is, node its value (built when first
	// needed: nodeVal).
	nd    *nodeDecl
	node  cty.Value
	index int
	// each is the each object, built by eachVal when first needed.
	each cty.Value
	// subjects are the names an exec operation binds, and their values.
	subjects map[string]cty.Value
	// op names the exec operation, for messages.
	op string
	// self is var.NAME's value inside the variable's own validation block.
	self *Variable
}

var (
	constScope = &scope{mode: scopeConst}
	declScope  = &scope{mode: scopeDecl}
)

// eachVal is each as expressions see it: an object of node and index.
func (sc *scope) eachVal() cty.Value {
	if sc.each == cty.NilVal {
		sc.each = cty.ObjectVal(map[string]cty.Value{"node": sc.nodeVal(), "index": cty.NumberIntVal(int64(sc.index))})
	}
	return sc.each
}

// nodeVal is each.node's value.
func (sc *scope) nodeVal() cty.Value {
	if sc.node == cty.NilVal && sc.nd != nil {
		sc.node = sc.nd.value(false)
	}
	return sc.node
}

// ref is one reference of an expression: root.name (name "" for the whole
// map node, resource or license, or for each and exec subjects).
type ref struct {
	root, name string
	rng        hcl.Range
}

// refs lists the references of expr and reports those that are not allowed
// in sc or name nothing declared. ok is false if any was reported.
func (p *parser) refs(expr hcl.Expression, sc *scope, report bool) ([]ref, bool) {
	vars := variables(expr)
	out := make([]ref, 0, len(vars))
	ok := true
	fail := func(rng hcl.Range, summary, detail string) {
		ok = false
		if report {
			p.diags = append(p.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng.Ptr(), Expression: expr})
		}
	}
	for _, t := range vars {
		root := t.RootName()
		rng := t.SourceRange()
		name, hasName := elementName(t)
		if sc.mode == scopeConst {
			fail(rng, "Invalid reference", fmt.Sprintf("%s cannot be used here: the value must be a constant. Write the value itself.", traversalString(t)))
			continue
		}
		if sc.self != nil {
			if root != "var" || !hasName || name != sc.self.Name {
				fail(rng, "Invalid reference in variable validation",
					fmt.Sprintf("The condition of a validation block of variable %q may only refer to var.%s. Remove the reference to %s.", sc.self.Name, sc.self.Name, traversalString(t)))
				continue
			}
			out = append(out, ref{root: root, name: name, rng: rng})
			continue
		}
		if sc.mode == scopeExec {
			if root == "var" || root == "local" {
				// checked below
			} else if _, bound := sc.subjects[root]; bound {
				out = append(out, ref{root: root, rng: rng})
				continue
			} else if root == "node" || root == "resource" || root == "license" || root == "to" {
				fail(rng, "Invalid reference in command", fmt.Sprintf("The %s operation binds %s; %s is not available in it. Use only those, var and local.", sc.op, listNames(sortedSubjects(sc.subjects)), root))
				continue
			}
		}
		switch root {
		case "var", "local", "node", "resource", "license":
			if !hasName {
				if root == "var" || root == "local" {
					fail(rng, "Invalid reference", fmt.Sprintf("%s must be followed by a name, as in %s.example.", root, root))
					continue
				}
				out = append(out, ref{root: root, rng: rng})
				continue
			}
			if !p.declared(root, name) {
				what := map[string]string{"var": "input variable", "local": "local value", "node": "node", "resource": "resource", "license": "license"}[root]
				block := map[string]string{"var": "a variable", "local": "a locals", "node": "a node", "resource": "a resource", "license": "a license"}[root]
				decl := fmt.Sprintf(" %q", name)
				if root == "local" {
					decl = ""
				}
				fail(rng, "Reference to undeclared "+what,
					fmt.Sprintf("No %s named %q is declared. Declare it in %s%s block, or fix the reference.%s", what, name, block, decl, didYouMean(name, p.names(root), root+".")))
				continue
			}
			out = append(out, ref{root: root, name: name, rng: rng})
		case "each":
			if sc.mode != scopeStep || !sc.roll {
				fail(rng, "Invalid each reference", "each.node and each.index are only available in the step blocks of a rolling block. Refer to a node by name here, as in node.FS1.")
				continue
			}
			if hasName && name != "node" && name != "index" {
				fail(rng, "Unsupported attribute", fmt.Sprintf("each has only the attributes node and index.%s", didYouMean(name, []string{"node", "index"}, "each.")))
				continue
			}
			out = append(out, ref{root: root, rng: rng})
		default:
			roots := []string{"var", "local", "node", "resource", "license"}
			if sc.mode == scopeStep && sc.roll {
				roots = append(roots, "each")
			}
			if sc.mode == scopeExec {
				roots = append(roots[:2], sortedSubjects(sc.subjects)...)
			}
			fail(rng, "Unknown reference", fmt.Sprintf("There is nothing named %q in a runbook. A reference starts with %s.%s", root, listNames(roots), didYouMean(root, roots, "")))
		}
	}
	return out, ok
}

// variables is expr.Variables(), found without walking the expression
// for the most common ones: a literal, a quoted string with no
// interpolation, a reference.
func variables(expr hcl.Expression) []hcl.Traversal {
	switch e := expr.(type) {
	case *hclsyntax.LiteralValueExpr:
		return nil
	case *hclsyntax.TemplateExpr:
		if len(e.Parts) == 1 {
			if _, ok := e.Parts[0].(*hclsyntax.LiteralValueExpr); ok {
				return nil
			}
		}
	case *hclsyntax.ScopeTraversalExpr:
		return []hcl.Traversal{e.Traversal}
	case *hclsyntax.TupleConsExpr:
		// A list of references, such as [node.FS1, node.FS2]: the walk
		// would find each in order.
		out := make([]hcl.Traversal, len(e.Exprs))
		for i, x := range e.Exprs {
			t, ok := x.(*hclsyntax.ScopeTraversalExpr)
			if !ok {
				return expr.Variables()
			}
			out[i] = t.Traversal
		}
		return out
	}
	return expr.Variables()
}

// elementName returns the first attribute or string index after the root.
func elementName(t hcl.Traversal) (string, bool) {
	if len(t) < 2 {
		return "", false
	}
	switch s := t[1].(type) {
	case hcl.TraverseAttr:
		return s.Name, true
	case hcl.TraverseIndex:
		if s.Key.Type() == cty.String && s.Key.IsKnown() && !s.Key.IsNull() {
			return s.Key.AsString(), true
		}
	}
	return "", false
}

func traversalString(t hcl.Traversal) string {
	var b strings.Builder
	for i, s := range t {
		switch s := s.(type) {
		case hcl.TraverseRoot:
			b.WriteString(s.Name)
		case hcl.TraverseAttr:
			b.WriteString("." + s.Name)
		case hcl.TraverseIndex:
			if s.Key.Type() == cty.String && s.Key.IsKnown() {
				fmt.Fprintf(&b, "[%q]", s.Key.AsString())
			} else {
				b.WriteString("[...]")
			}
		default:
			if i == 0 {
				b.WriteString("?")
			}
		}
	}
	return b.String()
}

func sortedSubjects(m map[string]cty.Value) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// listNames joins names as "a, b or c".
func listNames(names []string) string { return steps.JoinWith(names, "or") }

// didYouMean suggests the candidate closest to given, as a sentence.
func didYouMean(given string, candidates []string, prefix string) string {
	best := suggest.Closest(given, candidates, 3)
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %s%s?", prefix, best)
}

func (p *parser) declared(root, name string) bool {
	switch root {
	case "var":
		_, ok := p.variables[name]
		return ok
	case "local":
		_, ok := p.locals[name]
		return ok
	case "node":
		_, ok := p.nodes[name]
		return ok
	case "resource":
		_, ok := p.resources[name]
		return ok
	case "license":
		_, ok := p.licenses[name]
		return ok
	}
	return false
}

func (p *parser) names(root string) []string {
	var out []string
	switch root {
	case "var":
		for n := range p.variables {
			out = append(out, n)
		}
	case "local":
		for n := range p.locals {
			out = append(out, n)
		}
	case "node":
		for _, d := range p.nodeList {
			out = append(out, d.name)
		}
	case "resource":
		for _, d := range p.resList {
			out = append(out, d.name)
		}
	case "license":
		for _, d := range p.licList {
			out = append(out, d.name)
		}
	}
	sort.Strings(out)
	return out
}

// evalCtx builds the context for an expression holding only what its
// references name, so that evaluating one expression costs time in the
// size of its references, not of the cluster.
func (p *parser) evalCtx(refs []ref, sc *scope) *hcl.EvalContext {
	ctx := &hcl.EvalContext{Functions: p.funcs, Variables: map[string]cty.Value{}}
	elems := map[string]map[string]cty.Value{}
	whole := map[string]bool{}
	for _, r := range refs {
		switch {
		case sc.mode == scopeExec && sc.subjects[r.root] != cty.NilVal && r.root != "var" && r.root != "local":
			ctx.Variables[r.root] = sc.subjects[r.root]
		case r.root == "each":
			ctx.Variables["each"] = sc.eachVal()
		case r.name == "":
			whole[r.root] = true
		default:
			m := elems[r.root]
			if m == nil {
				m = map[string]cty.Value{}
				elems[r.root] = m
			}
			m[r.name] = p.valueOf(r.root, r.name)
		}
	}
	for root, m := range elems {
		if whole[root] {
			continue
		}
		if root == "var" || root == "local" {
			ctx.Variables[root] = cty.ObjectVal(m)
		} else {
			ctx.Variables[root] = cty.MapVal(m)
		}
	}
	for root := range whole {
		ctx.Variables[root] = p.wholeMap(root)
	}
	return ctx
}

// valueOf is the current value of a declared object.
func (p *parser) valueOf(root, name string) cty.Value {
	switch root {
	case "var":
		if v := p.variables[name]; v.Value != cty.NilVal {
			return v.Value
		}
		return cty.DynamicVal
	case "local":
		if d := p.locals[name]; d.val != cty.NilVal {
			return d.val
		}
		return cty.DynamicVal
	case "node":
		if d := p.nodes[name]; d.done {
			return d.value(p.frozen)
		}
		return cty.UnknownVal(nodeType)
	case "resource":
		if d := p.resources[name]; d.done {
			return p.resourceValue(d)
		}
		return cty.UnknownVal(resourceType)
	case "license":
		if d := p.licenses[name]; d.val != cty.NilVal {
			return d.val
		}
		return cty.UnknownVal(licenseType)
	}
	return cty.DynamicVal
}

// wholeMap is node, resource or license as a map of every declared one.
// It is built once, when first used: the dependency order guarantees that
// every element has been evaluated by then.
func (p *parser) wholeMap(root string) cty.Value {
	build := func(ty cty.Type, names []string) cty.Value {
		if len(names) == 0 {
			return cty.MapValEmpty(ty)
		}
		m := make(map[string]cty.Value, len(names))
		for _, n := range names {
			m[n] = p.valueOf(root, n)
		}
		return cty.MapVal(m)
	}
	switch root {
	case "node":
		if p.allNodes == cty.NilVal {
			names := make([]string, len(p.nodeList))
			for i, d := range p.nodeList {
				names[i] = d.name
			}
			p.allNodes = build(nodeType, names)
		}
		return p.allNodes
	case "resource":
		if p.allResources == cty.NilVal {
			names := make([]string, len(p.resList))
			for i, d := range p.resList {
				names[i] = d.name
			}
			p.allResources = build(resourceType, names)
		}
		return p.allResources
	case "license":
		if p.allLicenses == cty.NilVal {
			names := make([]string, len(p.licList))
			for i, d := range p.licList {
				names[i] = d.name
			}
			p.allLicenses = build(licenseType, names)
		}
		return p.allLicenses
	case "var":
		m := map[string]cty.Value{}
		for n := range p.variables {
			m[n] = p.valueOf("var", n)
		}
		return cty.ObjectVal(m)
	case "local":
		m := map[string]cty.Value{}
		for n := range p.locals {
			m[n] = p.valueOf("local", n)
		}
		return cty.ObjectVal(m)
	}
	return cty.DynamicVal
}

// eval evaluates expr in sc. ok is false when a diagnostic was reported.
func (p *parser) eval(expr hcl.Expression, sc *scope) (cty.Value, bool) {
	refs, ok := p.exprRefs(expr, sc)
	if !ok {
		return cty.DynamicVal, false
	}
	if v, ok := p.direct(expr, sc); ok {
		return v, true
	}
	ctx := p.constCtx
	if len(refs) > 0 {
		ctx = p.evalCtx(refs, sc)
	}
	v, diags := expr.Value(ctx)
	p.diags = append(p.diags, diags...)
	if diags.HasErrors() {
		return cty.DynamicVal, false
	}
	if mayGrow(expr) && valueSize(v, MaxValueSize) > MaxValueSize {
		// Locals that double a string or a list each would otherwise
		// exhaust memory long before the file's size cap matters.
		p.errorf(expr.Range(), "Value too large", "This expression's value is larger than %d KiB (strings, plus 16 bytes an element). A runbook needs no values this large: check for a local that grows from another.", MaxValueSize/1024)
		return cty.DynamicVal, false
	}
	return v, true
}

// exprRefs is refs of expr in sc, reported if any is not valid there. The
// references of declarations were found when their order was worked out,
// and those of a step block of a rolling block are the same on every node:
// both are looked for once.
func (p *parser) exprRefs(expr hcl.Expression, sc *scope) ([]ref, bool) {
	var cache map[hcl.Expression][]ref
	switch {
	case sc == declScope:
		if refs, ok := p.itemRefs(expr); ok {
			return refs, true
		}
	case sc.mode == scopeStep && sc.roll:
		cache = p.rollRefs
	}
	if refs, ok := cache[expr]; ok {
		return refs, true
	}
	refs, ok := p.refs(expr, sc, true)
	if ok && cache != nil {
		cache[expr] = refs
	}
	if sc == declScope && p.cur != nil && ok && len(refs) > 0 {
		p.declMisses++ // evalDeclarations found them: see TestDeclRefsFound
	}
	return refs, ok
}

// direct is the value of expr without a context, when expr is a plain
// reference to one declared value (node.FS1, var.target, each.node) or a
// list of them: the value hcl would give, found in the time of a lookup.
// Its references have been found valid in sc. ok is false for any other
// expression, which is then evaluated by hcl.
func (p *parser) direct(expr hcl.Expression, sc *scope) (cty.Value, bool) {
	if e, ok := expr.(*hclsyntax.TemplateExpr); ok {
		// A quoted string with no interpolation is its text.
		if len(e.Parts) == 1 {
			if lit, ok := e.Parts[0].(*hclsyntax.LiteralValueExpr); ok && lit.Val.Type() == cty.String && lit.Val.IsKnown() && !lit.Val.IsNull() && !lit.Val.IsMarked() {
				return lit.Val, true
			}
		}
		return cty.NilVal, false
	}
	if sc.mode != scopeDecl && sc.mode != scopeStep || sc.self != nil {
		return cty.NilVal, false
	}
	switch e := expr.(type) {
	case *hclsyntax.ScopeTraversalExpr:
		return p.directRef(e.Traversal, sc)
	case *hclsyntax.TupleConsExpr:
		if len(e.Exprs) == 0 {
			return cty.NilVal, false
		}
		vals := make([]cty.Value, len(e.Exprs))
		for i, x := range e.Exprs {
			t, ok := x.(*hclsyntax.ScopeTraversalExpr)
			if !ok {
				return cty.NilVal, false
			}
			if vals[i], ok = p.directRef(t.Traversal, sc); !ok {
				return cty.NilVal, false
			}
		}
		return cty.TupleVal(vals), true
	}
	return cty.NilVal, false
}

// directRef is the value of root.name, a reference found valid.
func (p *parser) directRef(t hcl.Traversal, sc *scope) (cty.Value, bool) {
	if len(t) != 2 {
		return cty.NilVal, false
	}
	name, ok := elementName(t)
	if !ok {
		return cty.NilVal, false
	}
	switch root := t.RootName(); root {
	case "var", "local", "node", "resource", "license":
		return p.valueOf(root, name), true
	case "each":
		if !sc.roll {
			return cty.NilVal, false
		}
		switch name {
		case "node":
			return sc.nodeVal(), true
		case "index":
			return cty.NumberIntVal(int64(sc.index)), true
		}
	}
	return cty.NilVal, false
}

// mayGrow is false for an expression whose value cannot be larger than a
// value already checked or than its own text: a literal, or a reference
// (var, local, node... are checked when they are evaluated). Only those
// that compute may grow.
func mayGrow(expr hcl.Expression) bool {
	switch expr.(type) {
	case *hclsyntax.LiteralValueExpr, *hclsyntax.ScopeTraversalExpr:
		return false
	}
	return true
}

// MaxValueSize bounds the size of any value an expression evaluates to.
const MaxValueSize = 16 << 20

// valueSize estimates v's size in bytes, and stops counting past limit.
func valueSize(v cty.Value, limit int) int {
	if !v.IsKnown() || v.IsNull() {
		return 0
	}
	v, _ = v.Unmark()
	ty := v.Type()
	switch {
	case ty == cty.String:
		return len(v.AsString())
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType() || ty.IsMapType() || ty.IsObjectType():
		n := 0
		for it := v.ElementIterator(); it.Next() && n <= limit; {
			k, e := it.Element()
			n += 16 + valueSize(e, limit-n)
			if k.Type() == cty.String {
				n += len(k.AsString())
			}
		}
		return n
	}
	return 16
}

// boundedSetProduct is setproduct, refused before it builds a product of
// more than maxProduct elements (it grows as the product of its inputs).
var boundedSetProduct = function.New(&function.Spec{
	VarParam: &function.Parameter{Name: "sets", Type: cty.DynamicPseudoType},
	Type: func(args []cty.Value) (cty.Type, error) {
		return stdlib.SetProductFunc.ReturnTypeForValues(args)
	},
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		n := 1
		for _, a := range args {
			if !a.IsKnown() || a.IsNull() || !a.CanIterateElements() {
				continue
			}
			n *= a.LengthInt()
			if n > maxProduct {
				return cty.NilVal, fmt.Errorf("the product has more than %d elements", maxProduct)
			}
		}
		return stdlib.SetProductFunc.Call(args)
	},
})

const maxProduct = 10000

// functions are the functions expressions may call: the go-cty standard
// library, under the names Terraform gives them.
func functions() map[string]function.Function {
	return map[string]function.Function{
		"abs":             stdlib.AbsoluteFunc,
		"ceil":            stdlib.CeilFunc,
		"chomp":           stdlib.ChompFunc,
		"chunklist":       stdlib.ChunklistFunc,
		"coalesce":        stdlib.CoalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"csvdecode":       stdlib.CSVDecodeFunc,
		"distinct":        stdlib.DistinctFunc,
		"element":         stdlib.ElementFunc,
		"flatten":         stdlib.FlattenFunc,
		"floor":           stdlib.FloorFunc,
		"format":          stdlib.FormatFunc,
		"formatdate":      stdlib.FormatDateFunc,
		"formatlist":      stdlib.FormatListFunc,
		"indent":          stdlib.IndentFunc,
		"index":           stdlib.IndexFunc,
		"join":            stdlib.JoinFunc,
		"jsondecode":      stdlib.JSONDecodeFunc,
		"jsonencode":      stdlib.JSONEncodeFunc,
		"keys":            stdlib.KeysFunc,
		"length":          stdlib.LengthFunc,
		"log":             stdlib.LogFunc,
		"lookup":          stdlib.LookupFunc,
		"lower":           stdlib.LowerFunc,
		"max":             stdlib.MaxFunc,
		"merge":           stdlib.MergeFunc,
		"min":             stdlib.MinFunc,
		"parseint":        stdlib.ParseIntFunc,
		"pow":             stdlib.PowFunc,
		"range":           stdlib.RangeFunc,
		"regex":           stdlib.RegexFunc,
		"regexall":        stdlib.RegexAllFunc,
		"replace":         stdlib.ReplaceFunc,
		"reverse":         stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setproduct":      boundedSetProduct,
		"setsubtract":     stdlib.SetSubtractFunc,
		"setunion":        stdlib.SetUnionFunc,
		"signum":          stdlib.SignumFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"split":           stdlib.SplitFunc,
		"strlen":          stdlib.StrlenFunc,
		"strrev":          stdlib.ReverseFunc,
		"substr":          stdlib.SubstrFunc,
		"timeadd":         stdlib.TimeAddFunc,
		"title":           stdlib.TitleFunc,
		"tobool":          stdlib.MakeToFunc(cty.Bool),
		"tolist":          stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"tomap":           stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"tonumber":        stdlib.MakeToFunc(cty.Number),
		"toset":           stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"tostring":        stdlib.MakeToFunc(cty.String),
		"trim":            stdlib.TrimFunc,
		"trimprefix":      stdlib.TrimPrefixFunc,
		"trimspace":       stdlib.TrimSpaceFunc,
		"trimsuffix":      stdlib.TrimSuffixFunc,
		"upper":           stdlib.UpperFunc,
		"values":          stdlib.ValuesFunc,
		"zipmap":          stdlib.ZipmapFunc,
		"try":             tryfunc.TryFunc,
		"can":             tryfunc.CanFunc,
		"raw":             rawFunc,
		"startswith":      startsWithFunc,
		"endswith":        endsWithFunc,
	}
}

// startsWithFunc and endsWithFunc are Terraform's, which go-cty lacks.
var (
	startsWithFunc = affixFunc(strings.HasPrefix)
	endsWithFunc   = affixFunc(strings.HasSuffix)
)

func affixFunc(f func(s, affix string) bool) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "str", Type: cty.String}, {Name: "affix", Type: cty.String}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.BoolVal(f(args[0].AsString(), args[1].AsString())), nil
		},
	})
}
