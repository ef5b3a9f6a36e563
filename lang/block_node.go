package lang

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/steps"
)

// nodeDecl is a node block: a cluster node and the version it runs before
// the runbook starts.
type nodeDecl struct {
	name  string
	block *hcl.Block
	attrs hcl.Attributes
	node  cluster.Node
	val   cty.Value
}

var nodeBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "address", Required: true},
		{Name: "version", Required: true},
	},
}

func (p *parser) declareNode(block *hcl.Block) {
	name := block.Labels[0]
	if !p.checkName(block, 0, "node") {
		return
	}
	if prev, ok := p.nodes[name]; ok {
		p.duplicate("node", name, prev.block.DefRange, block)
		return
	}
	content, diags := block.Body.Content(nodeBlockSchema)
	p.diags = append(p.diags, diags...)
	if diags.HasErrors() {
		p.clusterBroken = true
	}
	d := &nodeDecl{name: name, block: block, attrs: content.Attributes, node: cluster.Node{Name: name}}
	p.nodes[name] = d
	p.nodeList = append(p.nodeList, d)
}

func (p *parser) evalNode(d *nodeDecl) {
	address, version := cty.UnknownVal(cty.String), cty.UnknownVal(cty.String)
	if a, ok := d.attrs["address"]; ok {
		if x, _ := p.decodeValue(a.Expr, steps.KindString, nil, declScope, "address"); x != nil {
			if s, ok := x.(string); ok {
				d.node.Address, address = s, cty.StringVal(s)
			}
		}
	}
	if a, ok := d.attrs["version"]; ok {
		x, ok := p.decodeValue(a.Expr, steps.KindVersion, nil, declScope, "version")
		switch x := x.(type) {
		case string:
			d.node.Version, version = x, cty.StringVal(x)
		case nil:
			if ok {
				p.errorf(a.Expr.Range(), "Missing version", "The version of node %s is null. Give the version it runs before the runbook starts, such as \"6.0\".", d.name)
			}
			p.clusterBroken = true
		default:
			// Unknown: the abstract run cannot start from an unknown version.
			p.clusterBroken = true
		}
	}
	d.val = cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(d.name), "address": address, "version": version})
}
