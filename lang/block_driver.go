package lang

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers"
	"github.com/runbookhq/runbook/internal/sorted"
	"github.com/runbookhq/runbook/steps"
)

// driverBlockSchema is the HCL schema of a kind's block.
func driverBlockSchema(b drivers.Block) *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, st := range b.Settings {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: st.Name})
	}
	return s
}

// decodeDriverBlock decodes the block of kind k (nil if the runbook
// declares none: the schema's defaults) from the kind's schema. selected is
// true when the runbook selects the driver: its required settings must be
// set.
func (p *parser) decodeDriverBlock(k drivers.Kind, b *hcl.Block, selected bool) *drivers.Config {
	schema := k.Block()
	values := map[string]any{}
	cmds := &commands{p: p, binds: map[string][]string{}, exprs: map[string]hcl.Expression{}}
	for _, s := range schema.Settings {
		switch {
		case s.Type == drivers.Operation:
			cmds.binds[s.Name] = s.Binds
			if src, ok := s.Default.(string); ok {
				expr, diags := hclsyntax.ParseExpression([]byte(src), "<default "+k.Name()+" "+s.Name+">", hcl.InitialPos)
				if !diags.HasErrors() {
					cmds.exprs[s.Name] = expr
				}
			}
		case s.Default != nil:
			if codes, ok := s.Default.([]int); ok {
				s.Default = append([]int(nil), codes...)
			}
			values[s.Name] = s.Default
		}
	}
	if b == nil {
		return drivers.NewConfig(false, values, cmds)
	}
	content, diags := b.Body.Content(driverBlockSchema(schema))
	p.diags = append(p.diags, diags...)
	var missing []drivers.Setting
	for _, s := range schema.Settings {
		a, ok := content.Attributes[s.Name]
		if !ok {
			if s.Required && selected {
				missing = append(missing, s)
			}
			continue
		}
		switch s.Type {
		case drivers.Duration:
			x, _ := p.decodeValue(a.Expr, steps.KindDuration, nil, declScope, s.Name)
			if d, ok := x.(time.Duration); ok {
				values[s.Name] = d
			}
		case drivers.Command:
			x, _ := p.decodeValue(a.Expr, steps.KindCommand, nil, declScope, s.Name)
			if c, ok := x.(cluster.Command); ok {
				values[s.Name] = c
			}
		case drivers.ExitCodes:
			values[s.Name] = p.decodeExitCodes(a.Expr, s.Name)
		case drivers.Operation:
			cmds.exprs[s.Name] = a.Expr
		}
	}
	cmds.typeCheck()
	for _, s := range missing {
		p.errorf(b.DefRange, "Missing "+s.Name+" "+settingNoun(s.Type), "%s", s.Missing)
	}
	return drivers.NewConfig(true, values, cmds)
}

func settingNoun(t drivers.Type) string {
	if t == drivers.Command || t == drivers.Operation {
		return "command"
	}
	return "setting"
}

// commands are a driver block's operations kept as expressions, evaluated
// on demand: drivers.Commands.
type commands struct {
	p     *parser
	binds map[string][]string
	exprs map[string]hcl.Expression
}

// Declared reports whether the runbook declares the operation op (or its
// default does).
func (c *commands) Declared(op string) bool {
	_, ok := c.exprs[op]
	return ok
}

// typeCheck evaluates each operation with unknown values of the right
// types bound, so that a wrong attribute (node.adress), a reference the
// operation does not bind, or a value that is not a command is reported
// at load time.
func (c *commands) typeCheck() {
	for _, op := range sorted.Keys(c.binds) {
		expr, ok := c.exprs[op]
		if !ok {
			continue
		}
		sc := &scope{mode: scopeExec, op: op, subjects: map[string]cty.Value{}}
		for _, name := range c.binds[op] {
			sc.subjects[name] = cty.UnknownVal(subjectType(name))
		}
		c.p.decodeValue(expr, steps.KindCommand, nil, sc, op)
	}
}

func subjectType(name string) cty.Type {
	switch name {
	case "node":
		return nodeType
	case "resource":
		return resourceType
	case "license":
		return licenseType
	}
	return cty.String
}

// Command evaluates operation op with its subject bound. ok is false if the
// runbook does not declare op; err reports a subject the operation needs
// but subj lacks, or an expression that fails on these values.
func (c *commands) Command(op string, subj cluster.Subject) (cmd cluster.Command, ok bool, err error) {
	if c == nil {
		return cluster.Command{}, false, nil
	}
	expr, declared := c.exprs[op]
	if !declared {
		return cluster.Command{}, false, nil
	}
	binds, known := c.binds[op]
	if !known {
		return cluster.Command{}, false, fmt.Errorf("unknown operation %q", op)
	}
	sc := &scope{mode: scopeExec, op: op, subjects: map[string]cty.Value{}}
	for _, name := range binds {
		switch name {
		case "node":
			if subj.Node == nil {
				return cluster.Command{}, true, fmt.Errorf("operation %s needs a node", op)
			}
			sc.subjects[name] = nodeVal(subj.Node)
		case "resource":
			if subj.Resource == nil {
				return cluster.Command{}, true, fmt.Errorf("operation %s needs a resource", op)
			}
			sc.subjects[name] = resourceVal(subj.Resource, c.nodeValue)
		case "license":
			if subj.License == nil {
				return cluster.Command{}, true, fmt.Errorf("operation %s needs a license", op)
			}
			sc.subjects[name] = licenseVal(subj.License)
		case "to":
			sc.subjects[name] = cty.StringVal(subj.To)
		}
	}
	// Evaluate on a copy of the parser, so that concurrent calls and their
	// diagnostics stay apart from the Load that made it.
	q := *c.p
	q.diags, q.quiet = nil, true
	x, _ := q.decodeValue(expr, steps.KindCommand, nil, sc, op)
	if q.diags.HasErrors() {
		return cluster.Command{}, true, diagsError(op, q.diags)
	}
	cmd, isCmd := x.(cluster.Command)
	if !isCmd {
		return cluster.Command{}, true, fmt.Errorf("operation %s: the command is not known: it depends on a variable with no value", op)
	}
	return cmd, true, nil
}

func (c *commands) nodeValue(name string) cty.Value {
	if d, ok := c.p.nodes[name]; ok && d.done {
		return d.value(true)
	}
	return cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(name), "address": cty.StringVal(""), "version": cty.StringVal("")})
}

func diagsError(op string, diags hcl.Diagnostics) error {
	var msgs []string
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			msgs = append(msgs, d.Error())
		}
	}
	return errors.New("operation " + op + ": " + strings.Join(msgs, "; "))
}

// decodeExitCodes decodes a list of exit statuses (1 to 255), the setting
// called name.
func (p *parser) decodeExitCodes(expr hcl.Expression, name string) []int {
	v, ok := p.eval(expr, declScope)
	if !ok || v.IsNull() {
		return nil
	}
	bad := func() []int {
		p.errorf(expr.Range(), "Invalid exit codes", "%s must be a list of exit statuses from 1 to 255, for example [255].", name)
		return nil
	}
	if !v.IsKnown() || !(v.Type().IsListType() || v.Type().IsTupleType()) {
		return bad()
	}
	var out []int
	for it := v.ElementIterator(); it.Next(); {
		_, el := it.Element()
		if !el.IsKnown() || el.IsNull() || el.Type() != cty.Number {
			return bad()
		}
		n, acc := el.AsBigFloat().Int64()
		if acc != big.Exact || n < 1 || n > 255 {
			return bad()
		}
		out = append(out, int(n))
	}
	return out
}
