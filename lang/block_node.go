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
	attrs attrList
	node  cluster.Node
	// done is set once evaluated; val is its value as expressions see it,
	// built from node when first asked for (value): most runbooks only
	// refer to nodes where a node is expected, which is decoded without it.
	done bool
	val  cty.Value
	// boxed is node as an argument of a step holds it.
	boxed any
	// item is its place among the declarations to evaluate.
	item int32
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
	attrs, diags := p.content(block.Body, nodeBlockSchema)
	p.diags = append(p.diags, diags...)
	if diags.HasErrors() {
		p.clusterBroken = true
	}
	d := &p.nodeSlab[0]
	p.nodeSlab = p.nodeSlab[1:]
	*d = nodeDecl{name: name, block: block, attrs: attrs, node: cluster.Node{Name: name}}
	p.nodes[name] = d
	p.nodeList = append(p.nodeList, d)
}

func (p *parser) evalNode(d *nodeDecl) {
	var addressKnown, versionKnown bool
	if a, ok := d.attrs.get("address"); ok {
		if x, _ := p.decodeValue(a.Expr, steps.KindString, nil, declScope, "address"); x != nil {
			if s, ok := x.(string); ok {
				d.node.Address, addressKnown = s, true
			}
		}
	}
	if a, ok := d.attrs.get("version"); ok {
		x, ok := p.decodeValue(a.Expr, steps.KindVersion, nil, declScope, "version")
		switch x := x.(type) {
		case string:
			d.node.Version, versionKnown = x, true
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
	d.done, d.boxed = true, d.node
	if !addressKnown || !versionKnown || p.opts.slow {
		address, version := cty.UnknownVal(cty.String), cty.UnknownVal(cty.String)
		if addressKnown {
			address = cty.StringVal(d.node.Address)
		}
		if versionKnown {
			version = cty.StringVal(d.node.Version)
		}
		d.val = cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(d.name), "address": address, "version": version})
	}
}

// value is the node's value, NilVal until it is evaluated. It is kept
// once built, but not after Load (frozen), when the exec driver's commands
// may evaluate on several goroutines.
func (d *nodeDecl) value(frozen bool) cty.Value {
	if !d.done || d.val != cty.NilVal {
		return d.val
	}
	v := cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(d.name),
		"address": cty.StringVal(d.node.Address), "version": cty.StringVal(d.node.Version)})
	if !frozen {
		d.val = v
	}
	return v
}
