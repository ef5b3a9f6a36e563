package lang

import (
	"fmt"
	"strings"
	"unicode"

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
	if why := badRunbookName(p.rb.Name); why != "" {
		p.diags = append(p.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid runbook name",
			Detail:  fmt.Sprintf("The runbook's name %q %s. The name chooses the state directory (.runbook/NAME), so it must be a plain name, such as \"netware65-rolling-upgrade\": no slashes, no leading dot, no control characters, no @.", p.rb.Name, why),
			Subject: block.LabelRanges[0].Ptr()})
	}
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

// maxRunbookName bounds the runbook's name, a directory name once the
// driver suffix (@DRIVER) is added; file systems allow 255 bytes.
const maxRunbookName = 200

// badRunbookName says why name cannot name a state directory, or "".
func badRunbookName(name string) string {
	switch {
	case name == "":
		return "is empty"
	case strings.ContainsAny(name, `/\`):
		return "holds a slash, which would put the state directory elsewhere"
	case strings.HasPrefix(name, "."):
		return "starts with a dot (a hidden directory, or . and .. that leave .runbook/)"
	case strings.Contains(name, "@"):
		return "holds an @, which separates the driver of a rehearsal's state directory (.runbook/NAME@sim)"
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "holds a control character"
	case len(name) > maxRunbookName:
		return fmt.Sprintf("is longer than %d bytes", maxRunbookName)
	}
	return ""
}
