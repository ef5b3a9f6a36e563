package lang

import (
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers/sim"
	"github.com/runbookhq/runbook/steps"
)

// Drivers a cluster block may name.
var drivers = []string{"sim", "exec", "pacemaker"}

var clusterBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "driver"}},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "sim"},
		{Type: "exec"},
		{Type: "pacemaker"},
	},
}

func simBlockSchema() *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, n := range sim.TimingNames {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: n})
	}
	return s
}

// decodeCluster decodes the cluster block: its driver and the driver
// settings. Nodes, resources and licences are top-level blocks.
func (p *parser) decodeCluster() {
	p.decodeRunbookAttrs()
	if len(p.clusterBlocks) == 0 {
		return
	}
	block := p.clusterBlocks[0]
	p.rb.ClusterName = block.Labels[0]
	content, diags := block.Body.Content(clusterBlockSchema)
	p.diags = append(p.diags, diags...)
	var driverRange *hcl.Range
	if a, ok := content.Attributes["driver"]; ok {
		driverRange = a.Expr.Range().Ptr()
		if x, _ := p.decodeValue(a.Expr, steps.KindString, drivers, declScope, "driver"); x != nil {
			if s, ok := x.(string); ok {
				p.rb.Driver = s
			}
		}
	}
	seen := map[string]*hcl.Block{}
	for _, b := range content.Blocks {
		if prev, dup := seen[b.Type]; dup {
			p.errorf(b.TypeRange, "Duplicate "+b.Type+" block", "The cluster block has one %s block; one was already declared at %s. Merge them.", b.Type, prev.DefRange)
			continue
		}
		seen[b.Type] = b
		switch b.Type {
		case "sim":
			p.decodeSimBlock(b)
		case "exec":
			p.rb.Exec = p.decodeExecBlock(b)
		case "pacemaker":
			p.rb.Pacemaker = p.decodePacemakerBlock(b)
		}
	}
	switch {
	case p.rb.Driver == "exec" && seen["exec"] == nil:
		rng := block.DefRange
		if driverRange != nil {
			rng = *driverRange
		}
		p.errorf(rng, "Missing exec block", `The exec driver runs the commands of an exec block in the cluster block. Add one: exec { status = "..." leave = "..." ... }.`)
	case p.rb.Driver == "exec" && p.rb.Exec != nil && !p.rb.Exec.statusSet:
		p.errorf(seen["exec"].DefRange, "Missing status command", `The exec driver reads the cluster's state from the status command. Add status = "..." to the exec block: a command that prints the status JSON.`)
	case p.rb.Driver == "pacemaker" && seen["pacemaker"] == nil:
		p.rb.Pacemaker = p.defaultPacemaker()
	}
}

// durationAttr decodes the duration attribute name of content into dst,
// if the attribute is set and valid; a bad value is a diagnostic.
func (p *parser) durationAttr(content *hcl.BodyContent, name string, dst *time.Duration) {
	a, ok := content.Attributes[name]
	if !ok {
		return
	}
	x, _ := p.decodeValue(a.Expr, steps.KindDuration, nil, declScope, name)
	if d, ok := x.(time.Duration); ok {
		*dst = d
	}
}

func (p *parser) decodeSimBlock(b *hcl.Block) {
	content, diags := b.Body.Content(simBlockSchema())
	p.diags = append(p.diags, diags...)
	for _, a := range sortedAttrs(content.Attributes) {
		x, _ := p.decodeValue(a.Expr, steps.KindDuration, nil, declScope, a.Name)
		if d, ok := x.(time.Duration); ok {
			p.rb.Sim.Set(a.Name, d)
		}
	}
}

// buildCluster indexes the declared cluster and checks what only the whole
// cluster can tell: licence seats against the cluster size.
func (p *parser) buildCluster() {
	nodes := make([]cluster.Node, len(p.nodeList))
	for i, d := range p.nodeList {
		nodes[i] = d.node
	}
	resources := make([]cluster.Resource, len(p.resList))
	for i, d := range p.resList {
		resources[i] = d.resource
	}
	licenses := make([]cluster.License, len(p.licList))
	for i, d := range p.licList {
		licenses[i] = d.license
	}
	p.rb.Cluster = cluster.NewCluster(p.rb.ClusterName, nodes, resources, licenses)
	if len(nodes) == 0 && len(p.clusterBlocks) > 0 {
		p.errorf(p.clusterBlocks[0].DefRange, "No nodes declared", `The cluster has no nodes. Declare each with a node block, such as node "FS1" { address = "10.10.0.11" version = "6.0" }.`)
		p.clusterBroken = true
	}
	for _, d := range p.licList {
		l := &d.license
		if l.Seats > 0 && l.Seats < len(nodes) && l.AppliesTo(len(nodes)) {
			p.errorf(d.attrs["seats"].Expr.Range(), "Too few license seats",
				"License %s has %d seats, but the cluster has %d nodes, and every node needs a seat once it runs %s. Raise seats to at least %d.",
				d.name, l.Seats, len(nodes), l.Version, len(nodes))
		}
	}
}

// decodeRunbookAttrs decodes the runbook block once variables and locals
// have values; it may use them.
func (p *parser) decodeRunbookAttrs() {
	if len(p.runbookBlocks) == 0 {
		return
	}
	content, _ := p.runbookBlocks[0].Body.Content(runbookBlockSchema)
	if a, ok := content.Attributes["description"]; ok {
		p.rb.Description = p.constString(a)
	}
	if a, ok := content.Attributes["version"]; ok {
		p.rb.Version = p.constString(a)
	}
}
