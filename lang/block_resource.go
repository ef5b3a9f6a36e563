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
	done bool
	val  cty.Value
	// unknown says which attributes' values are not known.
	unknown resourceUnknown
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
	d := &p.resSlab[0]
	p.resSlab = p.resSlab[1:]
	*d = resourceDecl{name: name, block: block, attrs: attrs,
		resource: cluster.Resource{Name: name, Failback: cluster.FailbackAuto}}
	p.resources[name] = d
	p.resList = append(p.resList, d)
}

// resourceUnknown says which attributes of a resource are not known: the
// others' values are those of its cluster.Resource.
type resourceUnknown struct{ shared, failback, script, preferred bool }

func (p *parser) evalResource(d *resourceDecl) {
	r := &d.resource
	unknown := &d.unknown
	unknown.preferred = true
	if a, ok := d.attrs.get("shared"); ok {
		switch x, _ := p.decodeValue(a.Expr, steps.KindBool, nil, declScope, "shared"); x := x.(type) {
		case bool:
			r.Shared = x
		case steps.Unknown:
			unknown.shared = true
			p.clusterBroken = true
		}
	}
	if a, ok := d.attrs.get("failback"); ok {
		switch x, _ := p.decodeValue(a.Expr, steps.KindString, []string{cluster.FailbackAuto, cluster.FailbackManual}, declScope, "failback"); x := x.(type) {
		case string:
			r.Failback = x
		case steps.Unknown:
			unknown.failback = true
			p.clusterBroken = true
		}
	}
	if a, ok := d.attrs.get("load_script"); ok {
		switch x, _ := p.decodeValue(a.Expr, steps.KindString, nil, declScope, "load_script"); x := x.(type) {
		case string:
			r.LoadScript = x
		case steps.Unknown:
			unknown.script = true
		}
	}
	if a, ok := d.attrs.get("preferred"); ok {
		x, ok := p.decodeValue(a.Expr, steps.KindNodeList, nil, declScope, "preferred")
		switch x := x.(type) {
		case []cluster.Node:
			if p.checkNodeSet(x, a.Expr, "preferred", "resource", d.name) {
				r.Preferred = make([]string, len(x))
				for i, n := range x {
					r.Preferred[i] = n.Name
				}
				unknown.preferred = false
			} else {
				p.clusterBroken = true
			}
		case nil:
			if ok {
				p.checkNodeSet(nil, a.Expr, "preferred", "resource", d.name)
			}
			p.clusterBroken = true
		default:
			p.clusterBroken = true
		}
	}
	d.done = true
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
	r, unknown := &d.resource, d.unknown
	shared, failback, script := cty.BoolVal(r.Shared), cty.StringVal(r.Failback), cty.StringVal(r.LoadScript)
	if unknown.shared {
		shared = cty.UnknownVal(cty.Bool)
	}
	if unknown.failback {
		failback = cty.UnknownVal(cty.String)
	}
	if unknown.script {
		script = cty.UnknownVal(cty.String)
	}
	preferred := cty.UnknownVal(cty.List(nodeType))
	if !unknown.preferred {
		vals := make([]cty.Value, len(r.Preferred))
		for i, n := range r.Preferred {
			vals[i] = p.nodes[n].value(p.frozen)
		}
		preferred = cty.ListVal(vals)
	}
	v := cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(d.name), "shared": shared, "preferred": preferred,
		"failback": failback, "load_script": script})
	if !p.frozen {
		d.val = v
	}
	return v
}

// checkNodeSet requires a list of nodes to be non-empty and free of
// duplicates, pointing at the repeated element where it can. owner is
// ownerKind and ownerName, as in "resource R1".
func (p *parser) checkNodeSet(nodes []cluster.Node, expr hcl.Expression, attr, ownerKind, ownerName string) bool {
	if len(nodes) == 0 {
		p.errorf(expr.Range(), "Empty node list", "The %s of %s %s lists no nodes. List at least one, as in [node.%s].", attr, ownerKind, ownerName, p.example("node"))
		return false
	}
	// first is the position of the first node of n's name: a scan for
	// the short lists of a resource, a map for the long ones of a roll.
	var seen map[string]int
	if len(nodes) > 8 {
		seen = make(map[string]int, len(nodes))
	}
	first := func(i int, n cluster.Node) int {
		if seen == nil {
			for j := range i {
				if nodes[j].Name == n.Name {
					return j
				}
			}
			return i
		}
		j, dup := seen[n.Name]
		if !dup {
			seen[n.Name] = i
			return i
		}
		return j
	}
	var elems []hcl.Expression
	ok := true
	for i, n := range nodes {
		j := first(i, n)
		if j == i {
			continue
		}
		if ok {
			elems, _ = hcl.ExprList(expr)
			if len(elems) != len(nodes) {
				elems = nil
			}
		}
		rng := expr.Range()
		if elems != nil {
			rng = elems[i].Range()
		}
		p.errorf(rng, "Duplicate node in list", "The %s of %s %s lists node %s twice (positions %d and %d). List each node once.", attr, ownerKind, ownerName, n.Name, j+1, i+1)
		ok = false
	}
	return ok
}
