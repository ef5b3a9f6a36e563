package lang

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/runbookhq/runbook/internal/suggest"
	"github.com/runbookhq/runbook/runtime"
)

// StateBlock is a runbook's state "KIND" { ... } block: where its runs keep
// their journal, lock and simulator when neither --state nor RUNBOOK_STATE
// says otherwise.
type StateBlock struct {
	// Kind is the block's label: a kind of store (Options.StateKinds).
	Kind string
	// Settings are the block's attributes by name, each a list of one
	// value unless the setting is a list. Relative file paths are already
	// resolved against the runbook's directory.
	Settings map[string][]string
	// Range is the block's definition range.
	Range hcl.Range
}

// secretWords mark an attribute name that would hold a secret: a state
// block is committed with the runbook, so it never holds one.
var secretWords = []string{"password", "passwd", "secret", "token", "user", "credential"}

// decodeState decodes the state block, if any: at most one, of a kind the
// command line knows, with constant settings (the store is chosen before
// any variable is needed).
func (p *parser) decodeState() {
	if len(p.stateBlocks) == 0 {
		return
	}
	for _, b := range p.stateBlocks[1:] {
		p.errorf(b.DefRange, "Duplicate state block",
			"A runbook has at most one state block; one was already declared at %s. Remove this one.", p.stateBlocks[0].DefRange)
	}
	block := p.stateBlocks[0]
	kind := block.Labels[0]
	settings, ok := p.opts.StateKinds[kind]
	if !ok {
		known := slices.Sorted(func(yield func(string) bool) {
			for k := range p.opts.StateKinds {
				if !yield(k) {
					return
				}
			}
		})
		hint := ""
		if best := suggest.Closest(kind, known, len(kind)/2+2); best != "" {
			hint = fmt.Sprintf(" Did you mean %q?", best)
		}
		list := "none"
		if len(known) > 0 {
			list = strings.Join(known, ", ")
		}
		p.errorf(block.LabelRanges[0], "Unknown state store",
			"There is no kind of state store named %q.%s The kinds are: %s.", kind, hint, list)
		return
	}
	attrs, diags := block.Body.JustAttributes()
	p.diags = append(p.diags, diags...)
	byName := map[string]runtime.StoreSetting{}
	var names []string
	for _, s := range settings {
		byName[s.Name] = s
		names = append(names, s.Name)
	}
	st := &StateBlock{Kind: kind, Settings: map[string][]string{}, Range: block.DefRange}
	bad := diags.HasErrors()
	for _, a := range sortedAttrs(attrs) {
		lower := strings.ToLower(a.Name)
		if slices.ContainsFunc(secretWords, func(w string) bool { return strings.Contains(lower, w) }) {
			p.errorf(a.NameRange, "Secret in state block",
				"A state block is written in the runbook, so it holds no secret: remove %s, and give the user and password in the environment (RUNBOOK_%s_USER and RUNBOOK_%s_PASSWORD).",
				a.Name, strings.ToUpper(kind), strings.ToUpper(kind))
			bad = true
			continue
		}
		s, ok := byName[a.Name]
		if !ok {
			hint := ""
			if best := suggest.Closest(a.Name, names, len(a.Name)/2+2); best != "" {
				hint = fmt.Sprintf(" Did you mean %q?", best)
			}
			p.errorf(a.NameRange, "Unsupported argument",
				"A state %q block has no argument named %q.%s Its arguments are: %s.", kind, a.Name, hint, strings.Join(names, ", "))
			bad = true
			continue
		}
		vals, ok := p.stateValue(kind, s, a)
		if !ok {
			bad = true
			continue
		}
		if s.File {
			for i, v := range vals {
				if !filepath.IsAbs(v) {
					vals[i] = filepath.Join(p.rb.Dir, v)
				}
			}
		}
		st.Settings[s.Name] = vals
	}
	for _, s := range settings {
		if _, set := attrs[s.Name]; s.Required && !set {
			p.errorf(block.DefRange, "Missing required argument",
				"A state %q block needs %s: %s.", kind, s.Name, s.Doc)
			bad = true
		}
	}
	if !bad {
		p.rb.State = st
	}
}

// stateValue evaluates one setting of a state block: a constant string,
// or a list of them, none empty.
func (p *parser) stateValue(kind string, s runtime.StoreSetting, a *hcl.Attribute) ([]string, bool) {
	want := "a string"
	if s.List {
		want = "a list of strings"
	}
	if len(a.Expr.Variables()) > 0 {
		p.errorf(a.Expr.Range(), "Invalid state setting",
			"The %s of a state %q block is a constant (%s): the store is chosen before any variable or local value is known.", s.Name, kind, want)
		return nil, false
	}
	v, diags := a.Expr.Value(nil)
	p.diags = append(p.diags, diags...)
	if diags.HasErrors() {
		return nil, false
	}
	var vals []string
	ok := v.IsWhollyKnown() && !v.IsNull()
	if ok && s.List && (v.Type().IsTupleType() || v.Type().IsListType()) {
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if e.IsNull() || e.Type() != cty.String {
				ok = false
				break
			}
			vals = append(vals, e.AsString())
		}
	} else if ok && !s.List && v.Type() == cty.String {
		vals = []string{v.AsString()}
	} else {
		ok = false
	}
	if ok && len(vals) == 0 {
		p.errorf(a.Expr.Range(), "Invalid state setting", "The %s of a state %q block is empty: %s.", s.Name, kind, s.Doc)
		return nil, false
	}
	for _, x := range vals {
		if ok && strings.TrimSpace(x) == "" {
			p.errorf(a.Expr.Range(), "Invalid state setting", "The %s of a state %q block has an empty value: %s.", s.Name, kind, s.Doc)
			return nil, false
		}
	}
	if !ok {
		p.errorf(a.Expr.Range(), "Invalid state setting", "The %s of a state %q block must be %s: %s.", s.Name, kind, want, s.Doc)
		return nil, false
	}
	return vals, true
}
