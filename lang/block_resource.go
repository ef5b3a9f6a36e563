package lang

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/steps"
)

// resourceDecl is a resource block: a cluster resource, its preferred
// nodes (home first, then the failover order) and its failback mode.
type resourceDecl struct {
	name     string
	block    *hcl.Block
	attrs    attrList
	resource cluster.Resource
	// done is set once evaluated; val is its value as expressions see it,
	// built when first asked for (value) from resource and the values of
	// the attributes that may not be known, kept in attrVals.
	done     bool
	val      cty.Value
	attrVals resourceVals
	// item is its place among the declarations to evaluate.
	item int32
}

var resourceBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "shared"},
		{Name: "preferred", Required: true},
		{Name: "failback"},
		{Name: "load_script"},
	},
}

func (p *parser) declareResource(block *hcl.Block) {
	name := block.Labels[0]
	if !p.checkName(block, 0, "resource") {
		return
	}
	if prev, ok := p.resources[name]; ok {
		p.duplicate("resource", name, prev.block.DefRange, block)
		return
	}
	attrs, diags := p.content(block.Body, resourceBlockSchema)
	p.diags = append(p.diags, diags...)
	if diags.HasErrors() {
		p.clusterBroken = true
	}
	d := &resourceDecl{name: name, block: block, attrs: attrs,
		resource: cluster.Resource{Name: name, Failback: cluster.FailbackAuto}}
	p.resources[name] = d
	p.resList = append(p.resList, d)
}

// resourceVals are the values of a resource's attributes; preferred is
// NilVal when it is known: the list of the preferred nodes' values.
type resourceVals struct{ shared, failback, script, preferred cty.Value }

func (p *parser) evalResource(d *resourceDecl) {
	r := &d.resource
	shared, failback, script := cty.False, cty.StringVal(cluster.FailbackAuto), cty.StringVal("")
	preferred := cty.UnknownVal(cty.List(nodeType))
	if a, ok := d.attrs.get("shared"); ok {
		switch x, _ := p.decodeValue(a.Expr, steps.KindBool, nil, declScope, "shared"); x := x.(type) {
		case bool:
			r.Shared, shared = x, cty.BoolVal(x)
		case steps.Unknown:
			shared = cty.UnknownVal(cty.Bool)
			p.clusterBroken = true
		}
	}
	if a, ok := d.attrs.get("failback"); ok {
		switch x, _ := p.decodeValue(a.Expr, steps.KindString, []string{cluster.FailbackAuto, cluster.FailbackManual}, declScope, "failback"); x := x.(type) {
		case string:
			r.Failback, failback = x, cty.StringVal(x)
		case steps.Unknown:
			failback = cty.UnknownVal(cty.String)
			p.clusterBroken = true
		}
	}
	if a, ok := d.attrs.get("load_script"); ok {
		switch x, _ := p.decodeValue(a.Expr, steps.KindString, nil, declScope, "load_script"); x := x.(type) {
		case string:
			r.LoadScript, script = x, cty.StringVal(x)
		case steps.Unknown:
			script = cty.UnknownVal(cty.String)
		}
	}
	if a, ok := d.attrs.get("preferred"); ok {
		x, ok := p.decodeValue(a.Expr, steps.KindNodeList, nil, declScope, "preferred")
		switch x := x.(type) {
		case []cluster.Node:
			if p.checkNodeSet(x, a.Expr, "preferred", "resource "+d.name) {
				r.Preferred = make([]string, len(x))
				for i, n := range x {
					r.Preferred[i] = n.Name
				}
				preferred = cty.NilVal
			} else {
				p.clusterBroken = true
			}
		case nil:
			if ok {
				p.checkNodeSet(nil, a.Expr, "preferred", "resource "+d.name)
			}
			p.clusterBroken = true
		default:
			p.clusterBroken = true
		}
	}
	d.done, d.attrVals = true, resourceVals{shared: shared, failback: failback, script: script, preferred: preferred}
	if p.opts.slow {
		p.resourceValue(d)
	}
}

// resourceValue is the resource's value, NilVal until it is evaluated;
// kept once built, as a node's (nodeDecl.value).
func (p *parser) resourceValue(d *resourceDecl) cty.Value {
	if !d.done || d.val != cty.NilVal {
		return d.val
	}
	av := d.attrVals
	preferred := av.preferred
	if preferred == cty.NilVal {
		vals := make([]cty.Value, len(d.resource.Preferred))
		for i, n := range d.resource.Preferred {
			vals[i] = p.nodes[n].value(p.frozen)
		}
		preferred = cty.ListVal(vals)
	}
	v := cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(d.name), "shared": av.shared, "preferred": preferred,
		"failback": av.failback, "load_script": av.script})
	if !p.frozen {
		d.val = v
	}
	return v
}

// checkNodeSet requires a list of nodes to be non-empty and free of
// duplicates, pointing at the repeated element where it can.
func (p *parser) checkNodeSet(nodes []cluster.Node, expr hcl.Expression, attr, owner string) bool {
	if len(nodes) == 0 {
		p.errorf(expr.Range(), "Empty node list", "The %s of %s lists no nodes. List at least one, as in [node.%s].", attr, owner, p.example("node"))
		return false
	}
	elems, _ := hcl.ExprList(expr)
	if len(elems) != len(nodes) {
		elems = nil
	}
	seen := make(map[string]int, len(nodes))
	ok := true
	for i, n := range nodes {
		if j, dup := seen[n.Name]; dup {
			rng := expr.Range()
			if elems != nil {
				rng = elems[i].Range()
			}
			p.errorf(rng, "Duplicate node in list", "The %s of %s lists node %s twice (positions %d and %d). List each node once.", attr, owner, n.Name, j+1, i+1)
			ok = false
			continue
		}
		seen[n.Name] = i
	}
	return ok
}
