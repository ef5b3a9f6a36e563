package pacemaker

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/runbookhq/runbook/cluster"
)

// Refusal is a leave or a move that the cluster's configuration would turn
// into something the runbook does not expect: a resource with nowhere to
// run, one that goes elsewhere than its preferred list says, or one that
// cannot come back to its home node. Nothing is done when there is one.
type Refusal struct {
	Resource string
	// Node is the node that would leave, or the node of the move.
	Node string
	// Reason says what would happen, with the scores that decide it and
	// the constraints they come from.
	Reason string
}

func (r Refusal) String() string { return "resource " + r.Resource + ": " + r.Reason }

// PlacementError refuses a leave or a move (see Refusal).
type PlacementError struct {
	// Op is what was refused: "leave n2", "move rA to n1".
	Op       string
	Refusals []Refusal
}

func (e *PlacementError) Error() string {
	lines := make([]string, len(e.Refusals))
	for i, r := range e.Refusals {
		lines[i] = r.String()
	}
	return fmt.Sprintf("pacemaker: refused to %s, nothing was changed:\n  %s\n%s", e.Op, strings.Join(lines, "\n  "), placementAdvice)
}

// placementAdvice is how to put right what a refusal names.
const placementAdvice = "Scores are Pacemaker's: location constraints, resource-stickiness on the node a resource runs on, fail counts. " +
	"An operator's crm_resource --ban or --move leaves a cli-ban or cli-prefer constraint that `crm_resource --clear --resource R` removes; " +
	"otherwise change the constraint, or the runbook's preferred list to match the scores"

// availability says why each node cannot host resources ("" if it can).
type availability func(node string) string

// liveOut is the cluster as it is, with node leaving as well.
func liveOut(mon *monitor, cib *crmConfig, leaving string) availability {
	return func(n string) string {
		if n == leaving {
			return "leaving"
		}
		for _, mn := range mon.Nodes {
			if mn.Name != n {
				continue
			}
			switch {
			case !mn.Online:
				return "offline"
			case cib.Standby[n] || mn.Standby:
				return "in standby"
			}
			return ""
		}
		return "not in the cluster"
	}
}

// plannedOut is the cluster as the runbook expects it when node leaves:
// every other node up, including a node the runbook itself left in standby
// (it rejoins before the next one leaves). A node that is offline, or in
// an operator's standby, is out.
func plannedOut(mon *monitor, cib *crmConfig, leaving string) availability {
	live := liveOut(mon, cib, leaving)
	return func(n string) string {
		out := live(n)
		if out == "in standby" && cib.NodeAttrs[n][standbyMark] != "" {
			return ""
		}
		return out
	}
}

func ownConstraint(id string) bool { return strings.HasPrefix(id, ConstraintPrefix) }

// expectedTarget is where the runbook's model sends a resource when node
// leaves: the first node of its preferred list that is available.
func expectedTarget(r cluster.Resource, leaving string, out availability) string {
	for _, p := range r.Preferred {
		if p != leaving && out(p) == "" {
			return p
		}
	}
	return ""
}

// leaveRefusals computes, for each resource that runs on node (or, when
// planned is set, that the runbook expects there: those homed on it), where
// Pacemaker would run it once node leaves, against the runbook's preferred
// list; and whether each resource homed on node can come back to it.
func (d *Driver) leaveRefusals(mon *monitor, cib *crmConfig, node string, planned bool, now time.Time) []Refusal {
	out := liveOut(mon, cib, node)
	if planned {
		out = plannedOut(mon, cib, node)
	}
	declared := map[string]cluster.Resource{}
	for _, r := range d.cfg.Resources {
		declared[r.Name] = r
	}
	var hosted []string
	for _, r := range mon.Resources {
		if slices.Contains(r.Nodes, node) {
			hosted = append(hosted, r.ID)
		}
	}
	if planned {
		for _, r := range d.cfg.Resources {
			if r.Home() == node && !slices.Contains(hosted, r.Name) {
				hosted = append(hosted, r.Name)
			}
		}
	}
	nodes := d.nodeNames(mon)
	var refusals []Refusal
	for _, rsc := range hosted {
		p := cib.place(rsc, placeOpts{Nodes: nodes, Out: out, Current: node, Skip: ownConstraint, Now: now})
		r, isDeclared := declared[rsc]
		want := ""
		if isDeclared {
			want = expectedTarget(r, node, out)
		}
		var reason string
		switch {
		case len(p.Best) == 0:
			reason = fmt.Sprintf("would have nowhere to run when %s leaves: %s", node, p.scores())
		case !isDeclared || want == "":
			// Not the runbook's resource, or one the runbook's own
			// checks refuse to leave without a node (R3): no
			// preferred list to compare with.
		case len(p.Best) > 1 && slices.Contains(p.Best, want):
			reason = fmt.Sprintf("could go to any of %s when %s leaves (equal scores), the runbook expects %s (preferred %s): %s",
				strings.Join(p.Best, ", "), node, want, strings.Join(r.Preferred, ", "), p.scores())
		case !slices.Contains(p.Best, want):
			reason = fmt.Sprintf("would go to %s when %s leaves, not to %s as its preferred list (%s) says: %s; %s",
				strings.Join(p.Best, " or "), node, want, strings.Join(r.Preferred, ", "), p.node(p.Best[0]), p.node(want))
		}
		if reason != "" {
			refusals = append(refusals, Refusal{Resource: rsc, Node: node, Reason: reason})
		}
	}
	// Each resource homed on node must be able to come back to it.
	allUp := plannedOut(mon, cib, "")
	for _, r := range d.cfg.Resources {
		if r.Home() != node {
			continue
		}
		if reason := failbackRefusal(cib, r, nodes, allUp, now); reason != "" {
			refusals = append(refusals, Refusal{Resource: r.Name, Node: node, Reason: reason})
		}
	}
	return refusals
}

// failbackRefusal says why a resource could not come back to its home node
// once every node is up: a manual one is moved by the driver (an INFINITY
// preference, which only -INFINITY defeats), an auto one must score highest
// there by itself.
func failbackRefusal(cib *crmConfig, r cluster.Resource, nodes []string, out availability, now time.Time) string {
	home := r.Home()
	p := cib.place(r.Name, placeOpts{Nodes: nodes, Out: out, Skip: ownConstraint, Now: now})
	hs := p.node(home)
	if hs.Out != "" && hs.Out != "offline" {
		return "" // the runbook's own checks say the node is not up
	}
	if hs.Score <= -infinity {
		return fmt.Sprintf("could not come back to %s, its home node: %s", home, hs)
	}
	if r.Failback == cluster.FailbackManual || len(p.Best) == 0 || slices.Contains(p.Best, home) && len(p.Best) == 1 {
		return ""
	}
	return fmt.Sprintf("would not fail back to %s, its home node, by itself (failback \"auto\"): it scores higher on %s: %s", home, strings.Join(p.Best, " or "), p.scores())
}

// moveRefusal says why Pacemaker would not run rsc on node even with the
// driver's INFINITY preference for it: the node is out, or a constraint
// forbids it (-INFINITY).
func (d *Driver) moveRefusal(mon *monitor, cib *crmConfig, rsc, node string, now time.Time) string {
	p := cib.place(rsc, placeOpts{Nodes: d.nodeNames(mon), Out: liveOut(mon, cib, ""), Skip: ownConstraint, Now: now})
	ns := p.node(node)
	switch {
	case ns.Out != "":
		return fmt.Sprintf("cannot run on %s: %s", node, ns.Out)
	case ns.Score <= -infinity:
		return fmt.Sprintf("cannot run on %s: %s", node, ns)
	}
	return ""
}

// nodeNames is the configured nodes, then any other crm_mon lists.
func (d *Driver) nodeNames(mon *monitor) []string {
	names := append([]string(nil), d.cfg.Nodes...)
	for _, n := range mon.Nodes {
		if !slices.Contains(names, n.Name) {
			names = append(names, n.Name)
		}
	}
	return names
}
