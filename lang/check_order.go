package lang

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/runbookhq/runbook/steps"
	"github.com/runbookhq/runbook/steps/sim"
)

// orderState holds the rules about the order of steps that no single
// step's precondition can see: each is a small map keyed by node or
// version, so that the whole check is linear in the number of steps.
type orderState struct {
	p *parser
	// upgraded maps a node to the step that upgraded it.
	upgraded     map[string]*Step
	upgradeOrder []string
	// awaited holds the upgraded nodes that an await-failback followed.
	awaited map[string]bool
	// targets are the versions upgrade steps go to.
	targets map[string]bool
	// media is the media-upgrade step, once it ran.
	media *Step
	// incomplete is set when a step was left out of the abstract run
	// because its arguments are not known: the final state is then unknown.
	incomplete bool
	// diverged is set when a step that changes the cluster was left out:
	// the model no longer follows the runbook.
	diverged bool
}

func newOrderState(p *parser) *orderState {
	return &orderState{p: p, upgraded: map[string]*Step{}, awaited: map[string]bool{}, targets: map[string]bool{}}
}

// before checks the order rules for st; true if it reported an error, in
// which case the step type's own problems for st are not reported (they
// would repeat the same mistake in other words).
func (o *orderState) before(st *Step) bool {
	p := o.p
	switch st.Type {
	case typeUpgradeNode:
		n := st.Args.Node("node").Name
		if n == "" {
			return false
		}
		bad := false
		if prev := o.upgraded[n]; prev != nil {
			p.errorf(st.AttrRange("node"), "Node upgraded twice",
				"Node %s is already upgraded by step %s at %s. Each node is upgraded once: remove one of the two steps.%s",
				n, prev.Address, prev.Range, where(st, "R2"))
			bad = true
		}
		if o.media != nil {
			p.errorf(st.Range, "Upgrade after media upgrade",
				"The media upgrade (step %s at %s) comes last, once every node is upgraded. Move this step before it.%s",
				o.media.Address, o.media.Range, where(st, "R7"))
			bad = true
		}
		return bad
	case typeAwaitFailback:
		n := st.Args.Node("node").Name
		if n != "" && o.upgraded[n] == nil {
			p.errorf(st.AttrRange("node"), "Failback awaited before upgrade",
				"No earlier step upgrades node %s, so nothing has failed over from it to fail back. Move this step after the step that upgrades %s, or remove it.%s",
				n, n, where(st, "R5"))
			return true
		}
	case typeMediaUpgrade:
		if o.media != nil {
			p.errorf(st.Range, "Media upgraded twice",
				"The media are already upgraded by step %s at %s; they are upgraded once, at the end. Remove this step.%s",
				o.media.Address, o.media.Range, where(st, "R7"))
			return true
		}
	}
	return false
}

// after records what st did.
func (o *orderState) after(st *Step) {
	switch st.Type {
	case typeUpgradeNode:
		n := st.Args.Node("node").Name
		if n != "" && o.upgraded[n] == nil {
			o.upgraded[n] = st
			o.upgradeOrder = append(o.upgradeOrder, n)
		}
		if to := st.Args.String("to"); to != "" {
			o.targets[to] = true
		}
	case typeAwaitFailback:
		n := st.Args.Node("node").Name
		if o.upgraded[n] != nil {
			o.awaited[n] = true
		}
	case typeMediaUpgrade:
		if o.media == nil {
			o.media = st
		}
	}
}

// finish reports what only the end of the run shows.
func (o *orderState) finish(s *sim.Sim) {
	p := o.p
	c := p.rb.Cluster
	for _, n := range o.upgradeOrder {
		if o.awaited[n] {
			continue
		}
		if homed := c.HomedOn(n); len(homed) > 0 {
			st := o.upgraded[n]
			p.warnf(st.AttrRange("node"), "No failback awaited",
				"Node %s is the home node of %s, but no await-failback step follows its upgrade, so the run goes on before %s back home (and a resource with failback = \"manual\" is never moved back). Add an await-failback step for %s after the upgrade.%s",
				n, namesList("resource", homed), plural(len(homed), "it is", "they are"), n, where(st, "R5"))
		}
	}
	if o.incomplete {
		return
	}
	for _, d := range p.licList {
		l := &d.license
		if l.Version == "" {
			continue
		}
		used := false
		for t := range o.targets {
			used = used || l.Covers(t)
		}
		if !used {
			p.warnf(d.attrs["version"].Expr.Range(), "License not used",
				"No upgrade-node step upgrades to a version license %s covers (%s), so it is never needed. Fix its version, or remove the license block.", d.name, l.Version)
		}
	}
	if len(o.upgraded) == 0 {
		return
	}
	st, err := s.Status(contextBackground())
	if err != nil {
		return
	}
	high := ""
	for _, n := range c.Nodes {
		if v := st.Nodes[n.Name].Version; high == "" || steps.CompareVersions(v, high) > 0 {
			high = v
		}
	}
	var behind []string
	var first *nodeDecl
	for _, n := range c.Nodes {
		if v := st.Nodes[n.Name].Version; steps.CompareVersions(v, high) < 0 {
			behind = append(behind, fmt.Sprintf("%s (%s)", n.Name, v))
			if first == nil {
				first = p.nodes[n.Name]
			}
		}
	}
	if len(behind) > 0 {
		p.diags = append(p.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Cluster ends with mixed versions",
			Detail: fmt.Sprintf("After the last step, %s still %s an older version than %s, which the other nodes run. Upgrade %s too, for example by adding %s to the rolling block's nodes.",
				truncList(behind, 10), plural(len(behind), "runs", "run"), high, plural(len(behind), "it", "them"), plural(len(behind), "it", "them")),
			Subject: first.block.DefRange.Ptr()})
	}
}

// namesList renders "resource A" or "resources A, B and C".
func namesList(what string, names []string) string {
	if len(names) == 1 {
		return what + " " + names[0]
	}
	return what + "s " + truncList(names, 10)
}

// truncList joins at most max names, then says how many more there are.
func truncList(names []string, max int) string {
	if len(names) <= max {
		return joinWith(names, "and")
	}
	return strings.Join(names[:max], ", ") + fmt.Sprintf(" and %d more", len(names)-max)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
