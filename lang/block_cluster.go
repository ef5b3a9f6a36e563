package lang

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/lang/abstract"
	"github.com/runbookhq/runbook/steps"
)

// clusterBlockSchema is the cluster block's schema: the driver attribute,
// and a block for each registered kind of driver.
func (p *parser) clusterBlockSchema() *hcl.BodySchema {
	s := &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "driver"}}}
	for _, name := range p.opts.Drivers.Names() {
		s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: name})
	}
	return s
}

// decodeCluster decodes the cluster block: its driver and the driver
// blocks, each from its kind's schema. Every registered kind gets a
// decoded block (its defaults if the runbook declares none): the
// simulator's rehearses any runbook. Nodes, resources and licences are
// top-level blocks.
func (p *parser) decodeCluster() {
	p.decodeRunbookAttrs()
	if len(p.clusterBlocks) == 0 {
		return
	}
	block := p.clusterBlocks[0]
	p.rb.ClusterName = block.Labels[0]
	content, diags := block.Body.Content(p.clusterBlockSchema())
	p.diags = append(p.diags, diags...)
	var driverRange *hcl.Range
	if a, ok := content.Attributes["driver"]; ok {
		driverRange = a.Expr.Range().Ptr()
		if x, _ := p.decodeValue(a.Expr, steps.KindString, p.opts.Drivers.Names(), declScope, "driver"); x != nil {
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
	}
	for _, k := range p.opts.Drivers.Kinds() {
		name := k.Name()
		selected := name == p.rb.Driver
		p.rb.blocks[name] = p.decodeDriverBlock(k, seen[name], selected)
		if selected && seen[name] == nil && k.Block().Required {
			rng := block.DefRange
			if driverRange != nil {
				rng = *driverRange
			}
			p.errorf(rng, "Missing "+name+" block", "%s", k.Block().Missing)
		}
	}
}

// buildCluster indexes the declared cluster and checks what only the whole
// cluster can tell: licence seats against the cluster size. The index, and
// the model the abstract run follows if it is to run, depend on the
// declarations alone: they are made on another goroutine while the steps
// are decoded, and awaitCluster waits for them.
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
	name, timings := p.rb.ClusterName, p.rb.Timings()
	model := len(nodes) > 0 && !p.clusterBroken
	build := func() {
		p.built = cluster.NewCluster(name, nodes, resources, licenses)
		if model {
			p.model = abstract.Model(p.built, timings)
		}
	}
	if p.opts.slow {
		build()
	} else {
		done := make(chan struct{})
		p.clusterDone = done
		go func() {
			defer close(done)
			build()
		}()
	}
	if len(nodes) == 0 && len(p.clusterBlocks) > 0 {
		p.errorf(p.clusterBlocks[0].DefRange, "No nodes declared", `The cluster has no nodes. Declare each with a node block, such as node "FS1" { address = "10.10.0.11" version = "6.0" }.`)
		p.clusterBroken = true
	}
	for _, d := range p.licList {
		l := &d.license
		if l.Seats > 0 && l.Seats < len(nodes) && l.AppliesTo(len(nodes)) {
			seats, _ := d.attrs.get("seats")
			p.errorf(seats.Expr.Range(), "Too few license seats",
				"License %s has %d seats, but the cluster has %d nodes, and every node needs a seat once it runs %s. Raise seats to at least %d.",
				d.name, l.Seats, len(nodes), l.Version, len(nodes))
		}
	}
}

// awaitCluster waits for what buildCluster made, and sets the runbook's
// cluster.
func (p *parser) awaitCluster() {
	if p.clusterDone != nil {
		<-p.clusterDone
		p.clusterDone = nil
	}
	p.rb.Cluster = p.built
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
