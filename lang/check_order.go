package lang

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers/sim"
	"github.com/runbookhq/runbook/steps"
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

	// s is the abstract run's model, read by the rules that need its state.
	s *sim.Sim
	// pos is the position of the current step in the abstract run.
	pos int
	// upgradedAt is the position of the step that upgraded each node.
	upgradedAt map[string]int
	// anyUpgraded is set once a step that may have upgraded any node was
	// left out: a hole, or an upgrade-node whose node is not known.
	anyUpgraded bool
	// anyAwaited is the position of the last step that may have awaited
	// failback to any node (a hole, an await-failback whose node is not
	// known), -1 if none.
	anyAwaited int
	// installedAt is the position of the last install-license step of each
	// licence, by name; licenceLate holds the licences already reported
	// installed too late.
	installedAt map[string]int
	licenseLate map[string]bool
	// mediaRefused is set when the media upgrade's own checks failed (the
	// nodes behind, say): the mixed versions at the end are the same
	// finding.
	mediaRefused bool
	// upgradeRefused is set when an upgrade's own checks failed (an upgrade
	// to the version the node runs, say).
	upgradeRefused bool
}

// followsRefusedUpgrade reports a problem of the media upgrade about the
// nodes' versions (one with no attribute: the media already at the nodes'
// version, nodes behind) after an upgrade was refused: the model went on
// with that upgrade's effect, and what it says about the versions follows
// from the error already reported.
func (o *orderState) followsRefusedUpgrade(st *Step, pr steps.Problem) bool {
	return o.upgradeRefused && st.Type == typeMediaUpgrade && pr.Attr == ""
}

func newOrderState(p *parser, s *sim.Sim) *orderState {
	o := &orderState{p: p, upgraded: map[string]*Step{}, awaited: map[string]bool{}, targets: map[string]bool{},
		s: s, upgradedAt: map[string]int{}, anyAwaited: -1, installedAt: map[string]int{}, licenseLate: map[string]bool{}}
	for i, st := range p.seq {
		if st.Type == typeInstallLicense && st.When && !st.hole {
			if l := st.Args.License("license").Name; l != "" {
				o.installedAt[l] = i
			}
		}
	}
	return o
}

// hole records a step that failed to decode: it may have done anything.
func (o *orderState) hole() {
	o.incomplete, o.diverged, o.anyUpgraded = true, true, true
	o.anyAwaited = o.pos
}

// before checks the order rules for st. It returns true if it reported an
// error, in which case the step type's own problems for st are not
// reported (they would repeat the same mistake in other words), and the
// rules whose problems are not reported because an order rule said it
// better.
func (o *orderState) before(st *Step) (bool, map[string]bool) {
	p := o.p
	switch st.Type {
	case typeUpgradeNode:
		silenced := o.licenseOrder(st)
		n := st.Args.Node("node").Name
		if n == "" {
			return false, silenced
		}
		bad := false
		if prev := o.upgraded[n]; prev != nil {
			p.stepErrorf(st, st.AttrRange("node"), "R2", "Node upgraded twice",
				"Node %s is already upgraded by step %s at %s. Each node is upgraded once: remove one of the two steps.",
				n, prev.Address, prev.Range)
			bad = true
		}
		if o.media != nil {
			p.stepErrorf(st, st.Range, "R7", "Upgrade after media upgrade",
				"The media upgrade (step %s at %s) comes last, once every node is upgraded. Move this step before it.",
				o.media.Address, o.media.Range)
			bad = true
		}
		return bad, silenced
	case typeAwaitFailback:
		n := st.Args.Node("node").Name
		if n != "" && o.upgraded[n] == nil && !o.anyUpgraded {
			p.stepErrorf(st, st.AttrRange("node"), "R5", "Failback awaited before upgrade",
				"No earlier step upgrades node %s, so nothing has failed over from it to fail back. Move this step after the step that upgrades %s, or remove it.",
				n, n)
			return true, nil
		}
	case typeMediaUpgrade:
		if o.media != nil {
			p.stepErrorf(st, st.Range, "R7", "Media upgraded twice",
				"The media are already upgraded by step %s at %s; they are upgraded once, at the end. Remove this step.",
				o.media.Address, o.media.Range)
			return true, nil
		}
	}
	return false, nil
}

// licenseOrder is R1 when the runbook does install the licence an upgrade
// needs, but only after it: the advice is then to move that step, not to
// add one. It is reported once per licence, at the first such upgrade, and
// silences the upgrade type's own R1 problem, which would advise adding
// the step.
func (o *orderState) licenseOrder(st *Step) map[string]bool {
	to := st.Args.String("to")
	if to == "" || !st.known {
		return nil
	}
	c := o.p.rb.Cluster
	var silenced map[string]bool
	for i := range c.Licenses {
		l := &c.Licenses[i]
		at, ok := o.installedAt[l.Name]
		if !ok || at < o.pos || !l.Covers(to) || !l.AppliesTo(len(c.Nodes)) {
			continue
		}
		if o.licenseLate[l.Name] {
			// Reported at the first upgrade; the upgrades between it and
			// the install say nothing more about it.
			silenced = map[string]bool{"R1": true}
			continue
		}
		status, err := o.s.Status(contextBackground())
		if err != nil || status.HasLicense(l.Product, l.Version) {
			continue
		}
		silenced = map[string]bool{"R1": true}
		o.licenseLate[l.Name] = true
		late := o.p.seq[at]
		o.p.stepErrorf(st, st.AttrRange("to"), "R1", "License not installed",
			"A cluster of %d nodes needs license %s (%s %s) installed before its first node is upgraded to %s, or the upgraded node's cluster software will not load. Step %s installs it, but later, at %s: move that step before the first upgrade.",
			len(c.Nodes), l.Name, l.Product, l.Version, to, late.Address, late.Range)
	}
	return silenced
}

// after records what st did.
func (o *orderState) after(st *Step) {
	switch st.Type {
	case typeUpgradeNode:
		n := st.Args.Node("node").Name
		if n == "" {
			o.anyUpgraded = true
		}
		if n != "" && o.upgraded[n] == nil {
			o.upgraded[n] = st
			o.upgradedAt[n] = o.pos
			o.upgradeOrder = append(o.upgradeOrder, n)
		}
		if to := st.Args.String("to"); to != "" {
			o.targets[to] = true
		}
	case typeAwaitFailback:
		n := st.Args.Node("node").Name
		if n == "" {
			o.anyAwaited = o.pos
		}
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
	// The nodes a roll's upgrade step leaves without failback make one
	// warning, at that step.
	type group struct {
		st    *Step
		nodes []string
	}
	var groups []*group
	byStep := map[hcl.Range]*group{}
	for _, n := range o.upgradeOrder {
		if o.awaited[n] || o.anyAwaited > o.upgradedAt[n] || len(c.HomedOn(n)) == 0 {
			continue
		}
		st := o.upgraded[n]
		g := byStep[st.Range]
		if g == nil || st.Roll == "" {
			g = &group{st: st}
			groups = append(groups, g)
			byStep[st.Range] = g
		}
		g.nodes = append(g.nodes, n)
	}
	for _, g := range groups {
		st := g.st
		if len(g.nodes) == 1 {
			n := g.nodes[0]
			homed := c.HomedOn(n)
			p.stepWarnf(st, st.AttrRange("node"), "R5", "No failback awaited",
				"Node %s is the home node of %s, but no await-failback step follows its upgrade, so the run goes on before %s back home (and a resource with failback = \"manual\" is never moved back). Add an await-failback step for %s after the upgrade.",
				n, namesList("resource", homed), plural(len(homed), "it is", "they are"), n)
			continue
		}
		var homes []string
		for _, n := range g.nodes {
			homes = append(homes, fmt.Sprintf("%s (home of %s)", n, joinWith(c.HomedOn(n), "and")))
		}
		p.stepWarnf(st, st.AttrRange("node"), "R5", "No failback awaited",
			"Nodes %s are home nodes of resources, but no await-failback step follows their upgrades, so the run goes on before those resources are back home (and a resource with failback = \"manual\" is never moved back). Add an await-failback step with node = each.node after the upgrade in rolling block %s.",
			truncList(homes, 10), st.Roll)
		f := p.findings[len(p.findings)-1]
		f.info.Nodes, f.named = g.nodes, true
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
		if v := st.Nodes[n.Name].Version; high == "" || cluster.CompareVersions(v, high) > 0 {
			high = v
		}
	}
	var behind []string
	var first *nodeDecl
	for _, n := range c.Nodes {
		if v := st.Nodes[n.Name].Version; cluster.CompareVersions(v, high) < 0 {
			behind = append(behind, fmt.Sprintf("%s (%s)", n.Name, v))
			if first == nil {
				first = p.nodes[n.Name]
			}
		}
	}
	if len(behind) > 0 && !o.mediaRefused {
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
