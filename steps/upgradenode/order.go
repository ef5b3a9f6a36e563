package upgradenode

import (
	"fmt"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/steps"
)

var (
	_ steps.Provider = Type{}
	_ steps.Ordered  = Type{}
	_ steps.Finisher = Type{}
)

// Provides: the node upgraded (any node, when it is not known), and the
// version it goes to.
func (Type) Provides(in *steps.Instance, facts []steps.Fact) []steps.Fact {
	if n := in.Args.Node("node").Name; n != "" {
		facts = append(facts, steps.Fact{Name: steps.FactUpgraded, Key: n})
	} else {
		facts = append(facts, steps.Fact{Name: steps.FactUpgraded, Any: true})
	}
	if to := in.Args.String("to"); to != "" {
		facts = append(facts, steps.Fact{Name: steps.FactTargeted, Key: to})
	}
	return facts
}

// Before: each node is upgraded once (R2), and before the media upgrade
// (R7); a licence the runbook installs only after the upgrade is reported
// as such, not as missing (R1).
func (Type) Before(o steps.Order, in *steps.Instance) steps.Verdict {
	var v steps.Verdict
	if licenseLate(o, in, &v) {
		v.Silence = func(pr steps.Problem) bool { return pr.Rule == "R1" }
	}
	n := in.Args.Node("node").Name
	if n == "" {
		return v
	}
	if prev := o.First(steps.FactUpgraded, n); prev >= 0 {
		ref := o.Step(prev)
		v.Problems = append(v.Problems, steps.Problem{Rule: "R2", Attr: "node", Summary: "Node upgraded twice",
			Detail: fmt.Sprintf("Node %s is already upgraded by step %s at %s. Each node is upgraded once: remove one of the two steps.", n, ref.Address, ref.Where)})
		v.Supersedes = true
	}
	if media := o.First(steps.FactMediaUpgraded, ""); media >= 0 {
		ref := o.Step(media)
		v.Problems = append(v.Problems, steps.Problem{Rule: "R7", Summary: "Upgrade after media upgrade",
			Detail: fmt.Sprintf("The media upgrade (step %s at %s) comes last, once every node is upgraded. Move this step before it.", ref.Address, ref.Where)})
		v.Supersedes = true
	}
	return v
}

// licenseLate is R1 when the runbook does install the licence an upgrade
// needs, but only after it: the advice is then to move that step, not to
// add one. It is reported once per licence, at the first such upgrade. It
// reports whether the step's own R1 problem, which would advise adding the
// step, is to be silenced.
func licenseLate(o steps.Order, in *steps.Instance, v *steps.Verdict) bool {
	to := in.Args.String("to")
	if to == "" || !o.Known() {
		return false
	}
	c := o.Cluster()
	silence := false
	for i := range c.Licenses {
		l := &c.Licenses[i]
		at := o.Planned(steps.FactLicenseInstalled, l.Name)
		if at < 0 || at < o.Pos() || !l.Covers(to) || !l.AppliesTo(len(c.Nodes)) {
			continue
		}
		mark := "late license " + l.Name
		if o.Marked(mark) {
			// Reported at the first upgrade; the upgrades between it and
			// the install say nothing more about it.
			silence = true
			continue
		}
		status, err := o.Status()
		if err != nil || status.HasLicense(l.Product, l.Version) {
			continue
		}
		silence = true
		o.Mark(mark)
		late := o.Step(at)
		v.Problems = append(v.Problems, steps.Problem{Rule: "R1", Attr: "to", Summary: "License not installed",
			Detail: fmt.Sprintf("A cluster of %d nodes needs license %s (%s %s) installed before its first node is upgraded to %s, or the upgraded node's cluster software will not load. Step %s installs it, but later, at %s: move that step before the first upgrade.",
				len(c.Nodes), l.Name, l.Product, l.Version, to, late.Address, late.Where)})
	}
	return silence
}

// Finish: the failback awaited after each upgrade of a node that is the
// home of resources (R5), every licence used by an upgrade, and no node
// left behind at the end.
func (Type) Finish(o steps.Order) []steps.Finding {
	fs := failbackFindings(o)
	if !o.Complete() {
		return fs
	}
	c := o.Cluster()
	targets := o.Keys(steps.FactTargeted)
	for _, l := range c.Licenses {
		if l.Version == "" {
			continue
		}
		used := false
		for _, t := range targets {
			used = used || l.Covers(t)
		}
		if !used {
			fs = append(fs, steps.Finding{Step: -1, Decl: steps.Decl{Kind: "license", Name: l.Name},
				Problem: steps.Problem{Warning: true, Attr: "version", Summary: "License not used",
					Detail: fmt.Sprintf("No upgrade-node step upgrades to a version license %s covers (%s), so it is never needed. Fix its version, or remove the license block.", l.Name, l.Version)}})
		}
	}
	if len(o.Keys(steps.FactUpgraded)) == 0 {
		return fs
	}
	st, err := o.Status()
	if err != nil {
		return fs
	}
	high := ""
	for _, n := range c.Nodes {
		if v := st.Nodes[n.Name].Version; high == "" || cluster.CompareVersions(v, high) > 0 {
			high = v
		}
	}
	var behind []string
	first := ""
	for _, n := range c.Nodes {
		if v := st.Nodes[n.Name].Version; cluster.CompareVersions(v, high) < 0 {
			behind = append(behind, fmt.Sprintf("%s (%s)", n.Name, v))
			if first == "" {
				first = n.Name
			}
		}
	}
	// A media upgrade refused by its own checks (the nodes behind, say)
	// already said so.
	if len(behind) > 0 && !o.Refused(steps.FactMediaUpgraded) {
		fs = append(fs, steps.Finding{Step: -1, Decl: steps.Decl{Kind: "node", Name: first},
			Problem: steps.Problem{Warning: true, Summary: "Cluster ends with mixed versions",
				Detail: fmt.Sprintf("After the last step, %s still %s an older version than %s, which the other nodes run. Upgrade %s too, for example by adding %s to the rolling block's nodes.",
					steps.TruncList(behind, 10), steps.Plural(len(behind), "runs", "run"), high, steps.Plural(len(behind), "it", "them"), steps.Plural(len(behind), "it", "them"))}})
	}
	return fs
}

// failbackFindings: the nodes a roll's upgrade step leaves without
// failback make one warning, at that step.
func failbackFindings(o steps.Order) []steps.Finding {
	c := o.Cluster()
	type group struct {
		ref   steps.Ref
		nodes []string
	}
	var groups []*group
	byBlock := map[string]*group{}
	anyAwaited := o.AnyAt(steps.FactFailbackAwaited)
	for _, n := range o.Keys(steps.FactUpgraded) {
		at := o.First(steps.FactUpgraded, n)
		if o.Last(steps.FactFailbackAwaited, n) > at || anyAwaited > at || len(c.HomedOn(n)) == 0 {
			continue
		}
		ref := o.Step(at)
		g := byBlock[ref.Where]
		if g == nil || ref.Roll == "" {
			g = &group{ref: ref}
			groups = append(groups, g)
			byBlock[ref.Where] = g
		}
		g.nodes = append(g.nodes, n)
	}
	var fs []steps.Finding
	for _, g := range groups {
		if len(g.nodes) == 1 {
			n := g.nodes[0]
			homed := c.HomedOn(n)
			fs = append(fs, steps.Finding{Step: g.ref.Pos, Problem: steps.Problem{Warning: true, Rule: "R5", Attr: "node", Summary: "No failback awaited",
				Detail: fmt.Sprintf("Node %s is the home node of %s, but no await-failback step follows its upgrade, so the run goes on before %s back home (and a resource with failback = \"manual\" is never moved back). Add an await-failback step for %s after the upgrade.",
					n, steps.NamesList("resource", homed), steps.Plural(len(homed), "it is", "they are"), n)}})
			continue
		}
		var homes []string
		for _, n := range g.nodes {
			homes = append(homes, fmt.Sprintf("%s (home of %s)", n, steps.JoinWith(c.HomedOn(n), "and")))
		}
		fs = append(fs, steps.Finding{Step: g.ref.Pos, Nodes: g.nodes, Problem: steps.Problem{Warning: true, Rule: "R5", Attr: "node", Summary: "No failback awaited",
			Detail: fmt.Sprintf("Nodes %s are home nodes of resources, but no await-failback step follows their upgrades, so the run goes on before those resources are back home (and a resource with failback = \"manual\" is never moved back). Add an await-failback step with node = each.node after the upgrade in rolling block %s.",
				steps.TruncList(homes, 10), g.ref.Roll)}})
	}
	return fs
}
