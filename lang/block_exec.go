package lang

import (
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/steps"
)

// ExecConfig is the exec driver's configuration: cluster { exec { ... } }.
// Its operations stay expressions until they run: Command evaluates one
// with node, resource, license and to bound to the operation's subject.
type ExecConfig struct {
	// Poll is how often status is read while waiting (default 2s).
	Poll time.Duration
	// Status prints the status JSON.
	Status cluster.Command
	// CommandTimeout bounds each command, on top of its step's timeout
	// (0: only the step's timeout).
	CommandTimeout time.Duration
	// InDoubtExitCodes are the exit statuses that leave an operation's
	// outcome unknown (default [255]: ssh's when the connection drops).
	InDoubtExitCodes []int

	statusSet bool
	commands
}

// ExecOps are the exec driver's operations (cluster.Operations), with the
// names each binds.
var ExecOps = func() map[string][]string {
	m := map[string][]string{}
	for _, op := range cluster.Operations {
		m[op.Name] = op.Binds
	}
	return m
}()

// defaultPoll is how often drivers read status while waiting.
const defaultPoll = 2 * time.Second

func execBlockSchema() *hcl.BodySchema {
	s := &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "poll"}, {Name: "status"}, {Name: "command_timeout"}, {Name: "in_doubt_exit_codes"}}}
	for _, op := range sortedOps(ExecOps) {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: op})
	}
	return s
}

func sortedOps(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (p *parser) decodeExecBlock(b *hcl.Block) *ExecConfig {
	content, diags := b.Body.Content(execBlockSchema())
	p.diags = append(p.diags, diags...)
	e := &ExecConfig{Poll: defaultPoll, InDoubtExitCodes: []int{255}, commands: commands{p: p, binds: ExecOps, exprs: map[string]hcl.Expression{}}}
	p.durationAttr(content, "poll", &e.Poll)
	p.durationAttr(content, "command_timeout", &e.CommandTimeout)
	if a, ok := content.Attributes["in_doubt_exit_codes"]; ok {
		e.InDoubtExitCodes = p.decodeExitCodes(a.Expr)
	}
	if a, ok := content.Attributes["status"]; ok {
		e.statusSet = true
		x, _ := p.decodeValue(a.Expr, steps.KindCommand, nil, declScope, "status")
		if c, ok := x.(cluster.Command); ok {
			e.Status = c
		}
	}
	for name, a := range content.Attributes {
		if _, isOp := ExecOps[name]; isOp {
			e.exprs[name] = a.Expr
		}
	}
	e.typeCheck()
	return e
}

// commands are operations kept as expressions, evaluated on demand.
type commands struct {
	p     *parser
	binds map[string][]string
	exprs map[string]hcl.Expression
}

// Declared reports whether the runbook declares the operation op.
func (c *commands) Declared(op string) bool {
	_, ok := c.exprs[op]
	return ok
}

// typeCheck evaluates each operation with unknown values of the right
// types bound, so that a wrong attribute (node.adress), a reference the
// operation does not bind, or a value that is not a command is reported
// at load time.
func (c *commands) typeCheck() {
	for _, op := range sortedOps(c.binds) {
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
	if d, ok := c.p.nodes[name]; ok && d.val != cty.NilVal {
		return d.val
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

// decodeExitCodes decodes a list of exit statuses (0 to 255).
func (p *parser) decodeExitCodes(expr hcl.Expression) []int {
	v, ok := p.eval(expr, declScope)
	if !ok || v.IsNull() {
		return nil
	}
	bad := func() []int {
		p.errorf(expr.Range(), "Invalid exit codes", "in_doubt_exit_codes must be a list of exit statuses from 1 to 255, for example [255].")
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
