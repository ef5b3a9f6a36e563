package lang

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/steps"
)

// decodeValue evaluates expr in sc and decodes it as kind, strictly: a
// value's type must be the kind's, never converted to it (timeout = 45 is an
// error, not "45"), and a node, a resource and a licence are told apart by
// their exact object types. It returns nil for null, steps.Unknown{} for a
// value not known yet, and ok false after reporting a diagnostic.
func (p *parser) decodeValue(expr hcl.Expression, kind steps.Kind, enum []string, sc *scope, name string) (any, bool) {
	eval := p.eval
	if kind == steps.KindCommand {
		eval = p.evalCommand
	} else if x, ok := p.decodeDirect(expr, kind, sc); ok {
		return x, true
	}
	v, ok := eval(expr, sc)
	if !ok {
		return nil, false
	}
	return p.decodeCty(v, expr, kind, enum, name)
}

func (p *parser) decodeCty(v cty.Value, expr hcl.Expression, kind steps.Kind, enum []string, name string) (any, bool) {
	rng := expr.Range()
	if v.IsNull() {
		return nil, true
	}
	ty := v.Type()
	if ty == cty.DynamicPseudoType {
		return steps.Unknown{}, true
	}
	v, _ = v.Unmark()
	switch kind {
	case steps.KindString, steps.KindVersion, steps.KindDuration:
		if ty != cty.String {
			if kind == steps.KindString {
				p.wrongKind(rng, kind, name, v)
			} else if rng, name, ok := p.valueOrigin(expr, v, name); ok {
				p.wrongKind(rng, kind, name, v)
			}
			return nil, false
		}
		if !v.IsKnown() {
			return steps.Unknown{}, true
		}
		s := v.AsString()
		switch kind {
		case steps.KindVersion:
			if cluster.ValidVersion(s) {
				break
			}
			if _, err := cluster.ParseVersion(s); err != nil {
				if rng, name, ok := p.valueOrigin(expr, v, name); ok {
					p.errorf(rng, "Invalid version", "The value of %s is not a valid version: %v.", name, err)
				}
				return nil, false
			}
		case steps.KindDuration:
			d, err := time.ParseDuration(s)
			if err != nil {
				if rng, name, ok := p.valueOrigin(expr, v, name); ok {
					p.errorf(rng, "Invalid duration", "The value of %s, %q, is not a duration. Write a Go duration such as \"45m\", \"1h30m\" or \"90s\".", name, s)
				}
				return nil, false
			}
			if d <= 0 {
				if rng, name, ok := p.valueOrigin(expr, v, name); ok {
					p.errorf(rng, "Invalid duration", "The value of %s, %q, is not positive. Write a duration above zero, such as \"45m\".", name, s)
				}
				return nil, false
			}
			return d, true
		}
		if len(enum) > 0 && !slices.Contains(enum, s) {
			if rng, name, ok := p.valueOrigin(expr, v, name); ok {
				p.errorf(rng, "Unsupported value", "The value of %s must be %s; %q is not one of them.%s", name, quotedList(enum), s, didYouMean(s, enum, ""))
			}
			return nil, false
		}
		return s, true
	case steps.KindBool:
		if ty != cty.Bool {
			p.wrongKind(rng, kind, name, v)
			return nil, false
		}
		if !v.IsKnown() {
			return steps.Unknown{}, true
		}
		return v.True(), true
	case steps.KindNumber:
		if ty != cty.Number {
			p.wrongKind(rng, kind, name, v)
			return nil, false
		}
		if !v.IsKnown() {
			return steps.Unknown{}, true
		}
		bf := v.AsBigFloat()
		i, acc := bf.Int64()
		if !bf.IsInt() || acc != big.Exact || i > 1<<31 || i < -(1<<31) {
			p.errorf(rng, "Invalid number", "The value of %s must be a whole number; %s is not.", name, bf.Text('g', 10))
			return nil, false
		}
		return int(i), true
	case steps.KindNode, steps.KindResource, steps.KindLicense:
		return p.decodeRef(v, rng, kind, name)
	case steps.KindNodeList, steps.KindResourceList, steps.KindStringList:
		elemKind := steps.KindString
		switch kind {
		case steps.KindNodeList:
			elemKind = steps.KindNode
		case steps.KindResourceList:
			elemKind = steps.KindResource
		}
		if !(ty.IsListType() || ty.IsTupleType() || ty.IsSetType()) {
			p.wrongKind(rng, kind, name, v)
			return nil, false
		}
		if !v.IsKnown() {
			if ty.IsListType() || ty.IsSetType() {
				if et := ty.ElementType(); et != cty.DynamicPseudoType {
					if _, ok := p.decodeCty(cty.UnknownVal(et), expr, elemKind, nil, name); !ok {
						return nil, false
					}
				}
			}
			return steps.Unknown{}, true
		}
		elemExprs, _ := hcl.ExprList(expr)
		if len(elemExprs) != v.LengthInt() {
			elemExprs = nil
		}
		var nodes []cluster.Node
		var resources []cluster.Resource
		var strs []string
		switch elemKind {
		case steps.KindNode:
			nodes = make([]cluster.Node, 0, len(elemExprs))
		case steps.KindResource:
			resources = make([]cluster.Resource, 0, len(elemExprs))
		}
		ok, unknown := true, false
		for i, ev := range elements(v) {
			ee := expr
			if elemExprs != nil {
				ee = elemExprs[i]
			}
			elemName := name + "[" + strconv.Itoa(i) + "]"
			if ev.IsNull() {
				p.errorf(ee.Range(), "Invalid "+kind.String(), "%s is null. Remove it from the list.", elemName)
				ok = false
				continue
			}
			x, eok := p.decodeCty(ev, ee, elemKind, nil, elemName)
			if !eok {
				ok = false
				continue
			}
			switch x := x.(type) {
			case steps.Unknown:
				unknown = true
			case cluster.Node:
				nodes = append(nodes, x)
			case cluster.Resource:
				resources = append(resources, x)
			case string:
				strs = append(strs, x)
			}
		}
		switch {
		case !ok:
			return nil, false
		case unknown:
			return steps.Unknown{}, true
		case kind == steps.KindNodeList:
			return nodes, true
		case kind == steps.KindResourceList:
			return resources, true
		}
		if strs == nil {
			strs = []string{}
		}
		return strs, true
	case steps.KindCommand:
		if ty == cty.String {
			if !v.IsKnown() {
				return steps.Unknown{}, true
			}
			if strings.TrimSpace(v.AsString()) == "" {
				p.errorf(rng, "Invalid command", "The value of %s is an empty command. Write the command to run.", name)
				return nil, false
			}
			return cluster.Command{Shell: v.AsString()}, true
		}
		if !(ty.IsListType() || ty.IsTupleType()) {
			p.wrongKind(rng, kind, name, v)
			return nil, false
		}
		if v.IsKnown() {
			i := 0
			for it := v.ElementIterator(); it.Next(); i++ {
				if _, ev := it.Element(); ev.Type() != cty.String && ev.Type() != cty.DynamicPseudoType {
					p.errorf(rng, "Invalid command", "%s[%d] is %s; every element of a command list must be a string, such as node.address or resource.name.", name, i, kindOf(ev))
					return nil, false
				}
			}
		}
		x, ok := p.decodeCty(v, expr, steps.KindStringList, nil, name)
		if !ok {
			return nil, false
		}
		argv, isList := x.([]string)
		if !isList {
			return x, true
		}
		if len(argv) == 0 || argv[0] == "" {
			p.errorf(rng, "Invalid command", "The value of %s is an empty argv list. Write the program to run first, as in [\"ncs-admin\", \"status\"].", name)
			return nil, false
		}
		return cluster.Command{Argv: argv}, true
	}
	p.errorf(rng, "Unsupported attribute kind", "The attribute %s has a kind the language does not know (%v). This is a bug in its step type.", name, kind)
	return nil, false
}

// decodeDirect is decodeValue of a reference to a declared node, resource
// or licence where one is expected (node.FS1, each.node), or of a list of
// references to nodes or resources where a list of them is expected: what
// decodeValue would find through the object's value, found without it. ok
// is false for any other expression, or one decodeValue would report on,
// which decodeValue then evaluates.
func (p *parser) decodeDirect(expr hcl.Expression, kind steps.Kind, sc *scope) (any, bool) {
	if p.opts.slow || sc.mode != scopeDecl && sc.mode != scopeStep || sc.self != nil {
		return nil, false
	}
	switch kind {
	case steps.KindNode, steps.KindResource, steps.KindLicense:
		t, ok := expr.(*hclsyntax.ScopeTraversalExpr)
		if !ok {
			return nil, false
		}
		return p.directObject(t.Traversal, kind, sc)
	case steps.KindNodeList, steps.KindResourceList:
		e, ok := expr.(*hclsyntax.TupleConsExpr)
		if !ok || len(e.Exprs) == 0 {
			return nil, false
		}
		elemKind := steps.KindNode
		if kind == steps.KindResourceList {
			elemKind = steps.KindResource
		}
		var nodes []cluster.Node
		var resources []cluster.Resource
		if kind == steps.KindNodeList {
			nodes = make([]cluster.Node, 0, len(e.Exprs))
		} else {
			resources = make([]cluster.Resource, 0, len(e.Exprs))
		}
		// As decodeValue, an unknown element makes the list unknown.
		unknown := false
		for _, x := range e.Exprs {
			t, ok := x.(*hclsyntax.ScopeTraversalExpr)
			if !ok {
				return nil, false
			}
			v, ok := p.directObject(t.Traversal, elemKind, sc)
			if !ok {
				return nil, false
			}
			switch v := v.(type) {
			case steps.Unknown:
				unknown = true
			case cluster.Node:
				nodes = append(nodes, v)
			case cluster.Resource:
				resources = append(resources, v)
			}
		}
		switch {
		case unknown:
			return steps.Unknown{}, true
		case kind == steps.KindNodeList:
			return nodes, true
		}
		return resources, true
	}
	return nil, false
}

// directObject is decodeDirect of one reference, t: node.NAME,
// resource.NAME or license.NAME of a declared one, or each.node in a roll,
// where kind is expected. Its value is the object's until it is evaluated
// (a cycle), when it is not known.
func (p *parser) directObject(t hcl.Traversal, kind steps.Kind, sc *scope) (any, bool) {
	if len(t) != 2 {
		return nil, false
	}
	name, ok := elementName(t)
	if !ok {
		return nil, false
	}
	switch t.RootName() {
	case "node":
		d := p.nodes[name]
		if kind != steps.KindNode || d == nil {
			return nil, false
		}
		if !d.done {
			return steps.Unknown{}, true
		}
		return d.boxed, true
	case "each":
		if kind != steps.KindNode || sc.mode != scopeStep || !sc.roll || sc.nd == nil || name != "node" || !sc.nd.done {
			return nil, false
		}
		return sc.nd.boxed, true
	case "resource":
		d := p.resources[name]
		if kind != steps.KindResource || d == nil {
			return nil, false
		}
		if !d.done {
			return steps.Unknown{}, true
		}
		return d.resource, true
	case "license":
		d := p.licenses[name]
		if kind != steps.KindLicense || d == nil {
			return nil, false
		}
		if d.val == cty.NilVal {
			return steps.Unknown{}, true
		}
		return d.license, true
	}
	return nil, false
}

// elements are the elements of a known list, tuple or set, in order.
func elements(v cty.Value) []cty.Value {
	if ty := v.Type(); ty.IsListType() || ty.IsTupleType() {
		return v.AsValueSlice()
	}
	var out []cty.Value
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		out = append(out, e)
	}
	return out
}

// valueOrigin is where a mistake in v, the value of expr (the attribute
// name), is reported: at expr itself, or, when expr only passes on the
// value of a variable or a local (var.NAME, "${local.NAME}", in either
// syntax: one reference, and the value unchanged), where that value was
// written (the variable's default, its --var, a local's expression),
// which is where it is to be fixed. The returned name says which value it
// is and where it is used. ok is false when that origin was already
// reported: a value used by many steps is reported once.
func (p *parser) valueOrigin(expr hcl.Expression, v cty.Value, name string) (rng hcl.Range, label string, ok bool) {
	use := expr.Range()
	label, at := "", expr
	for depth := 0; depth < 64 && at != nil; depth++ {
		refs := at.Variables()
		if len(refs) != 1 || len(refs[0]) != 2 {
			break
		}
		attr, isAttr := refs[0][1].(hcl.TraverseAttr)
		if !isAttr {
			break
		}
		switch refs[0].RootName() {
		case "var":
			if vd := p.variables[attr.Name]; vd != nil && vd.valueRange.Filename != "" && sameValue(vd.Value, v) {
				label, at, rng = "var."+attr.Name, nil, vd.valueRange
				continue
			}
		case "local":
			if l := p.locals[attr.Name]; l != nil && l.attr != nil && sameValue(l.val, v) {
				label, at = "local."+attr.Name, l.attr.Expr
				continue
			}
		}
		break
	}
	if label == "" {
		return use, name, true
	}
	if at != nil {
		rng = at.Range()
	}
	key := rng.String()
	if p.originReported[key] {
		return rng, "", false
	}
	if p.originReported == nil {
		p.originReported = map[string]bool{}
	}
	p.originReported[key] = true
	return rng, fmt.Sprintf("%s (used for %s at %s)", label, name, use), true
}

// sameValue reports whether a and b are the same value, marks aside.
func sameValue(a, b cty.Value) bool {
	if a == cty.NilVal || b == cty.NilVal {
		return false
	}
	a, _ = a.Unmark()
	b, _ = b.Unmark()
	return a.RawEquals(b)
}

// decodeRef decodes a node, resource or licence reference by its exact
// type, and looks the object up by name among the declared ones.
func (p *parser) decodeRef(v cty.Value, rng hcl.Range, kind steps.Kind, name string) (any, bool) {
	want := licenseType
	switch kind {
	case steps.KindNode:
		want = nodeType
	case steps.KindResource:
		want = resourceType
	}
	if !v.Type().Equals(want) {
		p.wrongKind(rng, kind, name, v)
		return nil, false
	}
	if !v.IsKnown() {
		return steps.Unknown{}, true
	}
	nv := v.GetAttr("name")
	if !nv.IsKnown() || nv.IsNull() {
		return steps.Unknown{}, true
	}
	n := nv.AsString()
	switch kind {
	case steps.KindNode:
		if d, ok := p.nodes[n]; ok {
			return d.node, true
		}
	case steps.KindResource:
		if d, ok := p.resources[n]; ok {
			return d.resource, true
		}
	case steps.KindLicense:
		if d, ok := p.licenses[n]; ok {
			return d.license, true
		}
	}
	root := map[steps.Kind]string{steps.KindNode: "node", steps.KindResource: "resource", steps.KindLicense: "license"}[kind]
	p.errorf(rng, "Invalid "+refKindName(kind)+" reference", "The value of %s is an object named %q, but no %s of that name is declared. Refer to a declared %s, as in %s.%s.", name, n, kindNoun(kind), kindNoun(kind), root, p.example(root))
	return nil, false
}

func refKindName(k steps.Kind) string {
	switch k {
	case steps.KindNode, steps.KindNodeList:
		return "node"
	case steps.KindResource, steps.KindResourceList:
		return "resource"
	case steps.KindLicense:
		return "license"
	}
	return k.String()
}

func kindNoun(k steps.Kind) string { return refKindName(k) }

// example names a declared object to use in a message.
func (p *parser) example(root string) string {
	switch root {
	case "node":
		if len(p.nodeList) > 0 {
			return p.nodeList[0].name
		}
		return "FS1"
	case "resource":
		if len(p.resList) > 0 {
			return p.resList[0].name
		}
		return "POOL1_SERVER"
	case "license":
		if len(p.licList) > 0 {
			return p.licList[0].name
		}
		return "ncs65"
	}
	return "example"
}

// wrongKind reports a value whose type does not fit the kind.
func (p *parser) wrongKind(rng hcl.Range, kind steps.Kind, name string, v cty.Value) {
	got := fmt.Sprintf("The value of %s is %s", name, kindOf(v))
	if r := refOf(v); r != kindOf(v) {
		got = fmt.Sprintf("The value of %s, %s, is %s", name, r, kindOf(v))
	}
	switch kind {
	case steps.KindNode, steps.KindResource, steps.KindLicense:
		root := map[steps.Kind]string{steps.KindNode: "node", steps.KindResource: "resource", steps.KindLicense: "license"}[kind]
		p.errorf(rng, "Invalid "+refKindName(kind)+" reference", "%s; a %s is expected, for example %s.%s.", got, kindNoun(kind), root, p.example(root))
	case steps.KindNodeList, steps.KindResourceList:
		root := map[steps.Kind]string{steps.KindNodeList: "node", steps.KindResourceList: "resource"}[kind]
		p.errorf(rng, "Invalid "+refKindName(kind)+" list", "%s; a list of %ss is expected, for example [%s.%s].", got, root, root, p.example(root))
	case steps.KindVersion:
		p.errorf(rng, "Invalid version", "%s; a version string is expected. Write it in quotes, such as \"6.5\".", got)
	case steps.KindDuration:
		p.errorf(rng, "Invalid duration", "%s; a duration string is expected. Write it in quotes with a unit, such as \"45m\".", got)
	case steps.KindCommand:
		p.errorf(rng, "Invalid command", "%s; a command is expected: a string run by /bin/sh -c, or a list of strings run as argv.", got)
	default:
		p.errorf(rng, "Incorrect attribute value type", "%s; %s is expected.", got, withArticle(kind.String()))
	}
}

func withArticle(s string) string {
	if strings.HasPrefix(s, "list") {
		return "a " + s
	}
	switch s[0] {
	case 'a', 'e', 'i', 'o', 'u':
		return "an " + s
	}
	return "a " + s
}

func quotedList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = fmt.Sprintf("%q", s)
	}
	return listNames(q)
}

// sortedAttrs returns attributes in source order.
func sortedAttrs(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y *hcl.Attribute) int {
		a, b := x.Range, y.Range
		if c := strings.Compare(a.Filename, b.Filename); c != 0 {
			return c
		}
		return a.Start.Byte - b.Start.Byte
	})
	return out
}
