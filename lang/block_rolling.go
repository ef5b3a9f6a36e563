package lang

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/runbookhq/runbook/steps"
)

var rollingBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "nodes", Required: true}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "step", LabelNames: []string{"type", "name"}}},
}

// declareRolling records a rolling block: its steps run once per node of
// nodes, in order, with each.node and each.index bound.
func (p *parser) declareRolling(block *hcl.Block) bool {
	name := block.Labels[0]
	if !p.checkName(block, 0, "rolling") {
		return false
	}
	if prev, ok := p.rollings[name]; ok {
		p.duplicate("rolling block", name, prev.DefRange, block)
		return false
	}
	p.rollings[name] = block
	return true
}

func (p *parser) decodeRolling(block *hcl.Block) {
	roll := block.Labels[0]
	content, diags := block.Body.Content(rollingBlockSchema)
	p.diags = append(p.diags, diags...)
	var blocks []*stepBlock
	seen := map[string]hcl.Range{}
	for _, b := range content.Blocks {
		if !p.checkStepLabels(b) {
			continue
		}
		sb := p.prepareStep(b)
		key := sb.typ.Name() + "." + b.Labels[1]
		if prev, dup := seen[key]; dup {
			p.errorf(b.LabelRanges[1], "Duplicate step", "A step %s was already declared in rolling block %s at %s. Step addresses must be unique: rename one of them.", key, roll, prev)
			continue
		}
		seen[key] = b.DefRange
		blocks = append(blocks, sb)
	}
	a, ok := content.Attributes["nodes"]
	if !ok {
		return
	}
	x, ok := p.decodeValue(a.Expr, steps.KindNodeList, nil, declScope, "nodes")
	if !ok {
		return
	}
	var nodes []steps.Node
	switch x := x.(type) {
	case []steps.Node:
		nodes = x
	case steps.Unknown:
		p.errorf(a.Expr.Range(), "Rolling node set not known",
			"The nodes of rolling block %s depend on a value that is not known until the runbook runs, so the steps cannot be laid out. Give the variables it uses a default, or list the nodes, as in [node.%s].", roll, p.example("node"))
		return
	}
	if !p.checkNodeSet(nodes, a.Expr, "nodes", "rolling block "+roll) {
		return
	}
	for i, n := range nodes {
		d := p.nodes[n.Name]
		for _, sb := range blocks {
			p.rb.Steps = append(p.rb.Steps, p.instantiate(sb, roll, d, i))
		}
	}
}
