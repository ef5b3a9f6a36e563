package lang

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/runbookhq/runbook/steps"
)

var runbookBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "description"},
		{Name: "version"},
	},
}

// decodeRunbook decodes the runbook "NAME" block: exactly one.
func (p *parser) decodeRunbook() {
	if len(p.runbookBlocks) == 0 {
		p.diags = append(p.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing runbook block",
			Detail:  `A runbook names itself in exactly one runbook block, such as runbook "netware65-rolling-upgrade" { description = "..." }. Add one.`,
			Subject: p.fileStart()})
		return
	}
	for _, b := range p.runbookBlocks[1:] {
		p.diags = append(p.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate runbook block",
			Detail:  fmt.Sprintf("A runbook has exactly one runbook block; one was already declared at %s. Remove this one.", p.runbookBlocks[0].DefRange),
			Subject: b.DefRange.Ptr()})
	}
	block := p.runbookBlocks[0]
	p.rb.Name = block.Labels[0]
	// Its attributes may use variables: decodeRunbookAttrs evaluates them.
	_, diags := block.Body.Content(runbookBlockSchema)
	p.diags = append(p.diags, diags...)
}

// constString evaluates a string attribute of the runbook block.
func (p *parser) constString(a *hcl.Attribute) string {
	v, ok := p.decodeValue(a.Expr, steps.KindString, nil, declScope, a.Name)
	if !ok {
		return ""
	}
	s, _ := v.(string)
	return s
}
