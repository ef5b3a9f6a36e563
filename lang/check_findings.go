package lang

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/runbookhq/runbook/steps"
)

// DiagnosticInfo is the Extra of a diagnostic about a step instance (read
// it with hcl.DiagnosticExtra[*lang.DiagnosticInfo]): the rule of the
// reference procedure it enforces, the step and the node, so that a
// machine reader need not parse them out of the detail.
type DiagnosticInfo struct {
	// Rule is the rule it enforces ("R1" to "R7"), "" if none.
	Rule string
	// Step is the address of the step instance it was found at (the first
	// one, when it holds on several nodes of a roll).
	Step string
	// Node is the node of the roll the step instance is bound to, "" at
	// the top level.
	Node string
	// Nodes are all the nodes of the roll the same finding holds on, in
	// the roll's order, Node first, when there are more than one (the
	// diagnostic is then one for all of them); nil otherwise.
	Nodes []string
}

// stepFinding is a diagnostic of the abstract run about a step instance,
// kept apart until the run ends, when the same finding on several nodes of
// a roll becomes one diagnostic naming the nodes.
type stepFinding struct {
	diag   *hcl.Diagnostic
	detail string
	st     *Step
	info   *DiagnosticInfo
	merged bool
	// named is set when the detail itself names every node it holds on.
	named bool
}

// stepDiag reports a finding about st at rng; detail is its text without
// the sentence that says where it was found, which finishFindings adds.
func (p *parser) stepDiag(st *Step, sev hcl.DiagnosticSeverity, rng hcl.Range, rule, summary, detail string) {
	if st.detached {
		return
	}
	detail = strings.TrimSpace(detail)
	if detail != "" && !strings.HasSuffix(detail, ".") {
		detail += "."
	}
	d := &hcl.Diagnostic{Severity: sev, Summary: summary, Detail: detail, Subject: rng.Ptr()}
	info := &DiagnosticInfo{Rule: rule, Step: st.Address, Node: st.Node}
	d.Extra = info
	p.diags = append(p.diags, d)
	p.findings = append(p.findings, &stepFinding{diag: d, detail: detail, st: st, info: info})
}

func (p *parser) stepErrorf(st *Step, rng hcl.Range, rule, summary, format string, args ...any) {
	p.stepDiag(st, hcl.DiagError, rng, rule, summary, fmt.Sprintf(format, args...))
}

func (p *parser) stepWarnf(st *Step, rng hcl.Range, rule, summary, format string, args ...any) {
	p.stepDiag(st, hcl.DiagWarning, rng, rule, summary, fmt.Sprintf(format, args...))
}

// findingKey is what makes two findings on nodes of a roll the same: the
// same step block, place, summary and rule, and the same detail but for
// the node's name.
type findingKey struct {
	sev                 hcl.DiagnosticSeverity
	rng                 hcl.Range
	roll, typ, name     string
	summary, rule, gist string
}

// finishFindings merges the findings that are the same on several nodes of
// a roll into the first of them, which names the others, and adds to each
// the sentence that says where it was found.
func (p *parser) finishFindings() {
	first := map[findingKey]*stepFinding{}
	dropped := map[*hcl.Diagnostic]bool{}
	for _, f := range p.findings {
		if f.st.Roll == "" || f.st.Node == "" || f.named {
			continue
		}
		k := findingKey{sev: f.diag.Severity, rng: *f.diag.Subject, roll: f.st.Roll, typ: f.st.Type, name: f.st.Name,
			summary: f.diag.Summary, rule: f.info.Rule, gist: withoutName(f.detail, f.st.Node)}
		g := first[k]
		if g == nil {
			first[k] = f
			f.info.Nodes = []string{f.st.Node}
			continue
		}
		g.info.Nodes = append(g.info.Nodes, f.st.Node)
		f.merged = true
		dropped[f.diag] = true
	}
	for _, f := range p.findings {
		switch {
		case f.named:
			f.diag.Detail = f.detail + where(f.st, f.info.Rule, nil)
		case !f.merged:
			f.diag.Detail = f.detail + where(f.st, f.info.Rule, f.info.Nodes)
		}
		if len(f.info.Nodes) < 2 {
			f.info.Nodes = nil
		}
	}
	p.findings = nil
	if len(dropped) == 0 {
		return
	}
	out := p.diags[:0]
	for _, d := range p.diags {
		if !dropped[d] {
			out = append(out, d)
		}
	}
	p.diags = out
}

// where names the step instance (and its node, in a roll) a finding is
// about, the rule, and the other nodes of the roll it holds on.
func where(st *Step, rule string, nodes []string) string {
	s := " Found at step " + st.Address
	if st.Node != "" {
		s += fmt.Sprintf(" (node %s)", st.Node)
	}
	if rule != "" {
		s += ", rule " + rule
	}
	s += "."
	if len(nodes) > 1 {
		s += fmt.Sprintf(" The same holds for %s, at this step of rolling block %s.", steps.NamesList("node", nodes[1:]), st.Roll)
	}
	return s
}

// withoutName replaces each whole-word occurrence of name in s (a node's
// name, which may contain dashes) with a mark, so that two findings that
// differ only by the node they are about compare equal.
func withoutName(s, name string) string {
	if name == "" {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, name)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := i + len(name)
		if (i == 0 || !isNameByte(s[i-1])) && (j == len(s) || !isNameByte(s[j])) {
			b.WriteString(s[:i])
			b.WriteString("\x00")
		} else {
			b.WriteString(s[:j])
		}
		s = s[j:]
	}
}

func isNameByte(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
