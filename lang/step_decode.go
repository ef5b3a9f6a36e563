package lang

import (
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/runbookhq/runbook/steps"
)

// On-failure policies.
const (
	OnFailureAbort    = "abort"
	OnFailureContinue = "continue"
)

var onFailures = []string{OnFailureAbort, OnFailureContinue}

// stepBlock is a step block whose type is known and whose body has been
// checked against the type's schema: the template of its instances.
type stepBlock struct {
	block *hcl.Block
	typ   steps.Type
	// typAttrs are typ's attributes.
	typAttrs []steps.Attr
	attrs    hcl.Attributes
	// detached is set for a step block whose address is taken: it is
	// decoded into the abstract run alone.
	detached bool
	// same holds, by attribute, the value decoded on the first node of a
	// roll when it does not depend on each and was decoded without a
	// diagnostic: every node has the same, so the others take it.
	same map[string]decodedAttr
}

// decodedAttr is an attribute's decoded value; shared is false if it is
// to be decoded on each node.
type decodedAttr struct {
	x      any
	shared bool
}

// stepSchema is the body schema of a step block, chosen by its first label
// (as hcl-lang's DependentBody does): the type's own attributes and the
// attributes every step accepts.
func stepSchema(typ steps.Type) *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, a := range typ.Attrs() {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: a.Name, Required: a.Required})
	}
	for _, a := range steps.CommonAttrs {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: a.Name})
	}
	return s
}

// checkStepLabels requires a registered step type and a valid name.
func (p *parser) checkStepLabels(block *hcl.Block) bool {
	typeName := block.Labels[0]
	if _, ok := p.opts.Registry[typeName]; !ok {
		names := p.opts.Registry.Names()
		p.errorf(block.LabelRanges[0], "Unsupported step type", "There is no step type %q.%s The step types are %s.",
			typeName, didYouMean(typeName, names, ""), quotedList(names))
		return false
	}
	return p.checkName(block, 1, "step")
}

// prepareStep checks a step block's body against its type's schema.
func (p *parser) prepareStep(block *hcl.Block) *stepBlock {
	typ := p.opts.Registry[block.Labels[0]]
	content, diags := block.Body.Content(p.stepSchema(typ))
	p.diags = append(p.diags, diags...)
	return &stepBlock{block: block, typ: typ, typAttrs: typ.Attrs(), attrs: content.Attributes}
}

func (p *parser) stepSchema(typ steps.Type) *hcl.BodySchema {
	if p.schemas == nil {
		p.schemas = map[string]*hcl.BodySchema{}
	}
	s, ok := p.schemas[typ.Name()]
	if !ok {
		s = stepSchema(typ)
		p.schemas[typ.Name()] = s
	}
	return s
}

// instantiate decodes one instance of a step block: at the top level (roll
// "", sc nil) or in a roll on node, in sc, where each is bound to it.
func (p *parser) instantiate(sb *stepBlock, roll string, node *nodeDecl, sc *scope) *Step {
	typ := sb.typ
	st := p.newStep()
	*st = Step{When: true, Roll: roll, Range: sb.block.DefRange, attrs: sb.attrs, known: true}
	defer p.markStep(len(p.diags), st)
	st.Type, st.Name = typ.Name(), sb.block.Labels[1]
	if roll != "" {
		st.Node = node.name
		st.Address = "rolling." + roll + "[" + node.name + "]." + st.Type + "." + st.Name
	} else {
		st.Address = "step." + st.Type + "." + st.Name
		sc = declScope
	}
	st.Args = make(steps.Args, len(sb.attrs))
	for _, attr := range sb.typAttrs {
		a, ok := sb.attrs[attr.Name]
		if !ok {
			if attr.Required {
				st.known = false // reported by the schema check
			}
			continue
		}
		x, ok := p.decodeStepAttr(sb, a, attr.Kind, attr.Enum, sc, attr.Name)
		switch {
		case !ok:
			st.known = false
		case x == nil:
			if attr.Required {
				p.errorf(a.Expr.Range(), "Missing required argument", "The argument %q is required, but it is null. Give it a value.", attr.Name)
				st.known = false
			}
		default:
			if _, unknown := x.(steps.Unknown); unknown {
				st.known = false
			}
			st.Args[attr.Name] = x
		}
	}
	st.Timeout = typ.DefaultTimeout()
	if a, ok := sb.attrs["timeout"]; ok {
		x, _ := p.decodeStepAttr(sb, a, steps.KindDuration, nil, sc, "timeout")
		if d, ok := x.(time.Duration); ok {
			st.Timeout = d
		}
	}
	if a, ok := sb.attrs["when"]; ok {
		x, ok := p.decodeStepAttr(sb, a, steps.KindBool, nil, sc, "when")
		switch x := x.(type) {
		case bool:
			st.When = x
		default:
			if !ok || x != nil {
				st.known = false
			}
		}
	}
	st.OnFailure = OnFailureAbort
	if a, ok := sb.attrs["on_failure"]; ok {
		x, _ := p.decodeStepAttr(sb, a, steps.KindString, onFailures, sc, "on_failure")
		if s, ok := x.(string); ok {
			if s == OnFailureContinue && typ.Mutates() {
				p.errorf(a.Expr.Range(), "Invalid on_failure",
					"A %s step changes the cluster's state, so the run cannot go on after it fails: the next steps would act on a cluster in an unknown state. Remove on_failure, or set it to %q.",
					typ.Name(), OnFailureAbort)
			} else {
				st.OnFailure = s
			}
		}
	}
	return st
}

// newStep allocates a step instance: a rolling block has many.
func (p *parser) newStep() *Step {
	if len(p.stepSlab) == 0 {
		p.stepSlab = make([]Step, 128)
	}
	st := &p.stepSlab[0]
	p.stepSlab = p.stepSlab[1:]
	return st
}

// decodeStepAttr decodes attribute a of an instance of sb in sc. In a
// roll, an attribute that does not refer to each decodes to the same value
// on every node: when it did so without a diagnostic on the first, the
// others take that value. (The values are only read: a list is shared.)
// One that did report is decoded on each node again, so that each reports.
func (p *parser) decodeStepAttr(sb *stepBlock, a *hcl.Attribute, kind steps.Kind, enum []string, sc *scope, name string) (any, bool) {
	if !sc.roll || kind == steps.KindCommand {
		return p.decodeValue(a.Expr, kind, enum, sc, name)
	}
	d, seen := sb.same[name]
	if d.shared {
		return d.x, true
	}
	from := len(p.diags)
	x, ok := p.decodeValue(a.Expr, kind, enum, sc, name)
	if !seen {
		if sb.same == nil {
			sb.same = map[string]decodedAttr{}
		}
		sb.same[name] = decodedAttr{x: x, shared: ok && len(p.diags) == from && !refersTo(a.Expr, "each")}
	}
	return x, ok
}

// refersTo reports whether expr refers to root.
func refersTo(expr hcl.Expression, root string) bool {
	for _, t := range variables(expr) {
		if t.RootName() == root {
			return true
		}
	}
	return false
}

// markStep gives the diagnostics from the from'th on, reported while
// decoding st, the step instance they were found at.
func (p *parser) markStep(from int, st *Step) {
	for _, d := range p.diags[from:] {
		if d.Extra == nil {
			d.Extra = &DiagnosticInfo{Step: st.Address, Node: st.Node}
		}
	}
}

// decodeSteps decodes the top-level step and rolling blocks in order and
// expands each rolling block into one instance per node and step.
func (p *parser) decodeSteps() {
	seen := map[string]hcl.Range{}
	for _, block := range p.items {
		// A block whose labels are wrong (a bad name, a second rolling
		// block of the same name) but whose steps can be decoded is
		// decoded into the abstract run alone, which so follows what the
		// author wrote; a step of an unknown type is a hole.
		p.detached = p.broken[block]
		switch block.Type {
		case "step":
			if p.opts.Registry[block.Labels[0]] == nil {
				p.addHole(block, "", "")
				continue
			}
			sb := p.prepareStep(block)
			key := sb.typ.Name() + "." + block.Labels[1]
			if prev, dup := seen["step."+key]; dup && !p.detached {
				p.errorf(block.LabelRanges[1], "Duplicate step", "A step %s was already declared at %s. Step addresses must be unique: rename one of them.", key, prev)
				p.detached = true
			} else if !dup {
				seen["step."+key] = block.DefRange
			}
			p.addStep(p.instantiate(sb, "", nil, nil))
		case "rolling":
			p.decodeRolling(block)
		}
	}
	p.detached = false
}

// addStep appends a step instance to the abstract run, and to the runbook
// unless its block is detached.
func (p *parser) addStep(st *Step) {
	st.detached = p.detached
	if !p.detached {
		p.rb.Steps = append(p.rb.Steps, st)
	}
	p.seq = append(p.seq, st)
}

// addHole appends to the abstract run a step that failed to decode: block
// is the step or rolling block, in roll roll on node node if in a roll.
func (p *parser) addHole(block *hcl.Block, roll, node string) {
	st := &Step{When: true, Roll: roll, Node: node, Range: block.DefRange, hole: true}
	st.Address = block.Type + "." + strings.Join(block.Labels, ".")
	p.seq = append(p.seq, st)
}
