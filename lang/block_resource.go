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
	attrs    hcl.Attributes
	resource cluster.Resource
	val      cty.Value
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
	content, diags := block.Body.Content(resourceBlockSchema)
	p.diags = append(p.diags, diags...)
	if diags.HasErrors() {
		p.clusterBroken = true
	}
	d := &resourceDecl{name: name, block: block, attrs: content.Attributes,
		resource: cluster.Resource{Name: name, Failback: cluster.FailbackAuto}}
	p.resources[name] = d
	p.resList = append(p.resList, d)
}

func (p *parser) evalResource(d *resourceDecl) {
	r := &d.resource
	shared, failback, script := cty.False, cty.StringVal(cluster.FailbackAuto), cty.StringVal("")
	preferred := cty.UnknownVal(cty.List(nodeType))
	if a, ok := d.attrs["shared"]; ok {
		switch x, _ := p.decodeValue(a.Expr, steps.KindBool, nil, declScope, "shared"); x := x.(type) {
		case bool:
			r.Shared, shared = x, cty.BoolVal(x)
		case steps.Unknown:
			shared = cty.UnknownVal(cty.Bool)
			p.clusterBroken = true
		}
	}
	if a, ok := d.attrs["failback"]; ok {
		switch x, _ := p.decodeValue(a.Expr, steps.KindString, []string{cluster.FailbackAuto, cluster.FailbackManual}, declScope, "failback"); x := x.(type) {
		case string:
			r.Failback, failback = x, cty.StringVal(x)
		case steps.Unknown:
			failback = cty.UnknownVal(cty.String)
			p.clusterBroken = true
		}
	}
	if a, ok := d.attrs["load_script"]; ok {
		switch x, _ := p.decodeValue(a.Expr, steps.KindString, nil, declScope, "load_script"); x := x.(type) {
		case string:
			r.LoadScript, script = x, cty.StringVal(x)
		case steps.Unknown:
			script = cty.UnknownVal(cty.String)
		}
	}
	if a, ok := d.attrs["preferred"]; ok {
		x, ok := p.decodeValue(a.Expr, steps.KindNodeList, nil, declScope, "preferred")
		switch x := x.(type) {
		case []cluster.Node:
			if p.checkNodeSet(x, a.Expr, "preferred", "resource "+d.name) {
				vals := make([]cty.Value, len(x))
				for i, n := range x {
					r.Preferred = append(r.Preferred, n.Name)
					vals[i] = p.nodes[n.Name].val
				}
				preferred = cty.ListVal(vals)
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
	d.val = cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(d.name), "shared": shared, "preferred": preferred,
		"failback": failback, "load_script": script})
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
