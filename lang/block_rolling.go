package lang

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/runbookhq/runbook/cluster"
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
	// blocks are the step templates in order; a nil one failed to decode
	// (its holes[i] is its block) and leaves a hole in each pass.
	var blocks []*stepBlock
	var holes []*hcl.Block
	seen := map[string]hcl.Range{}
	for _, b := range content.Blocks {
		if !p.checkStepLabels(b) {
			blocks, holes = append(blocks, nil), append(holes, b)
			continue
		}
		sb := p.prepareStep(b)
		key := sb.typ.Name() + "." + b.Labels[1]
		if prev, dup := seen[key]; dup {
			p.errorf(b.LabelRanges[1], "Duplicate step", "A step %s was already declared in rolling block %s at %s. Step addresses must be unique: rename one of them.", key, roll, prev)
			sb.detached = true
		} else {
			seen[key] = b.DefRange
		}
		blocks, holes = append(blocks, sb), append(holes, nil)
	}
	a, ok := content.Attributes["nodes"]
	if !ok {
		p.addHole(block, "", "")
		return
	}
	x, ok := p.decodeValue(a.Expr, steps.KindNodeList, nil, declScope, "nodes")
	if !ok {
		p.addHole(block, "", "")
		return
	}
	var nodes []cluster.Node
	switch x := x.(type) {
	case []cluster.Node:
		nodes = x
	case steps.Unknown:
		p.errorf(a.Expr.Range(), "Rolling node set not known",
			"The nodes of rolling block %s depend on a value that is not known until the runbook runs, so the steps cannot be laid out. Give the variables it uses a default, or list the nodes, as in [node.%s].", roll, p.example("node"))
		p.addHole(block, "", "")
		return
	}
	if !p.checkNodeSet(nodes, a.Expr, "nodes", "rolling block", roll) {
		p.addHole(block, "", "")
		return
	}
	sc := &scope{}
	for i, n := range nodes {
		d := p.nodes[n.Name]
		*sc = scope{mode: scopeStep, roll: true, nd: d, index: i}
		for j, sb := range blocks {
			if sb == nil {
				p.addHole(holes[j], roll, n.Name)
				continue
			}
			detached := p.detached
			p.detached = detached || sb.detached
			p.addStep(p.instantiate(sb, roll, d, sc))
			p.detached = detached
		}
	}
}
