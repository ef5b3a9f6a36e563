// Package upgradenode is the upgrade-node step type (R2-R4): the node leaves
// the cluster, its resources fail over, it is upgraded, reboots, and rejoins
// at the new version.
package upgradenode

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/steps"
)

// Type is the upgrade-node step type.
type Type struct{}

var _ steps.Type = Type{}

func (Type) Name() string { return "upgrade-node" }
func (Type) Doc() string {
	return "Upgrades one node (R2-R4): it leaves, its resources fail over, it is upgraded, reboots and rejoins at the new version."
}
func (Type) Attrs() []steps.Attr {
	return []steps.Attr{
		{Name: "node", Kind: steps.KindNode, Required: true, Doc: "The node to upgrade, for example node.FS1 or each.node."},
		{Name: "to", Kind: steps.KindVersion, Required: true, Doc: "The version to upgrade it to, for example \"6.5\"."},
	}
}
func (Type) DefaultTimeout() time.Duration { return 45 * time.Minute }
func (Type) Mutates() bool                 { return true }

// Check enforces R1 (licences installed), R2 (one node at a time, only
// upward) and R3 (no resource left without a node). A node that is down at
// the start is accepted: it is this step's own interrupted run.
func (Type) Check(env *steps.Env, st *cluster.Status, in *steps.Instance) []steps.Problem {
	n := in.Args.Node("node")
	to := in.Args.String("to")
	ns, ok := st.Nodes[n.Name]
	if !ok {
		return []steps.Problem{{Attr: "node", Summary: "Node not in cluster",
			Detail: fmt.Sprintf("The cluster does not report node %s. Check the cluster's membership, or the node's name in the runbook.", n.Name)}}
	}
	var probs []steps.Problem
	if ns.State == cluster.NodeUp && cluster.CompareVersions(to, ns.Version) <= 0 {
		probs = append(probs, steps.Problem{Rule: "R2", Attr: "to", Summary: "Upgrade not above current version",
			Detail: fmt.Sprintf("Node %s already runs %s, so it cannot be upgraded to %s: an upgrade must go to a version higher than %s. Remove the step, or raise its target version above %s.", n.Name, ns.Version, to, ns.Version, ns.Version)})
	}
	var others []string
	if k := st.NumDown(); k > 1 || k == 1 && ns.State == cluster.NodeUp {
		for _, d := range st.Down() {
			if d != n.Name {
				others = append(others, d)
			}
		}
	}
	if len(others) > 0 {
		probs = append(probs, steps.Problem{Rule: "R2", Attr: "node", Summary: "Another node is down",
			Detail: fmt.Sprintf("%s %s down; only one node may be out of the cluster at a time. Bring %s back before upgrading %s.", strings.Join(others, ", "), isAre(len(others)), pronoun(len(others)), n.Name)})
	}
	assigned := env.Cluster.AssignedResources(n.Name)
	for _, r := range st.RunningOn(n.Name) {
		res, ok := env.Cluster.ResourceAmong(assigned, r)
		if !ok {
			continue
		}
		if failoverTarget(st, res, n.Name) == "" {
			probs = append(probs, steps.Problem{Rule: "R3", Attr: "node", Summary: "Resource would go offline",
				Detail: fmt.Sprintf("Upgrading %s takes resource %s offline: no other node of its preferred list (%s) is up to fail over to. Add another node to the resource's preferred list, or upgrade %s when one of them is up.", n.Name, r, strings.Join(res.Preferred, ", "), n.Name)})
		}
	}
	size := len(st.Nodes)
	for i := range env.Cluster.Licenses {
		l := &env.Cluster.Licenses[i]
		if l.Covers(to) && l.AppliesTo(size) && !st.HasLicense(l.Product, l.Version) {
			probs = append(probs, steps.Problem{Rule: "R1", Attr: "to", Summary: "License not installed",
				Detail: fmt.Sprintf("A cluster of %d nodes needs license %s (%s %s) installed before its first node is upgraded to %s, or the upgraded node's cluster software will not load. Add a step \"install-license\" with license = license.%s before the first upgrade.", size, l.Name, l.Product, l.Version, to, l.Name)})
		}
	}
	return probs
}

func failoverTarget(st *cluster.Status, r *cluster.Resource, leaving string) string {
	for _, p := range r.Preferred {
		if p != leaving && st.Up(p) {
			return p
		}
	}
	return ""
}

// Done holds when the node is up at the target version.
func (Type) Done(env *steps.Env, st *cluster.Status, in *steps.Instance) bool {
	ns, ok := st.Nodes[in.Args.Node("node").Name]
	return done(ns, ok, in.Args.String("to"))
}

// done is Done of the node's status ns (ok: the cluster reports the node).
func done(ns cluster.NodeStatus, ok bool, to string) bool {
	return ok && ns.State == cluster.NodeUp && cluster.CompareVersions(ns.Version, to) == 0
}

func (t Type) Run(ctx context.Context, env *steps.Env, in *steps.Instance, deadline time.Time) error {
	n := in.Args.Node("node")
	to := in.Args.String("to")
	st, err := env.Driver.Status(ctx)
	if err != nil {
		return err
	}
	ns, ok := st.Nodes[n.Name]
	if done(ns, ok, to) {
		return nil
	}
	if ns.State == cluster.NodeUp {
		hosted := st.RunningOn(n.Name)
		if env.PendingOp(cluster.OpLeave, n.Name) {
			// A run that died while its leave ran: wait for it to take
			// effect rather than issue it again.
			env.Log("%s leaving the cluster was issued by an interrupted attempt: waiting for it to leave instead of issuing it again", n.Name)
		} else if err := env.Driver.Leave(ctx, n); err != nil {
			return fmt.Errorf("node %s leaving the cluster: %w", n.Name, err)
		}
		if err := waitFailover(ctx, env, n, hosted, deadline); err != nil {
			return err
		}
	} else if cluster.CompareVersions(ns.Version, to) == 0 {
		// An interrupted run already upgraded it: it is rebooting, or its
		// cluster software did not load. Wait for it; never upgrade twice.
		env.Log("%s is already at %s and down: waiting for it to rejoin", n.Name, to)
		return waitRejoin(ctx, env, n, to, deadline)
	} else if env.IssuedOp(cluster.OpUpgrade, n.Name) {
		// An interrupted attempt issued the upgrade, and its outcome is not
		// known: the node may be installing or rebooting. Wait for it rather
		// than upgrade it twice; if it never comes back, the step fails and
		// the operator, having checked the node, issues it again with
		// --reissue.
		env.Log("the upgrade of %s was issued by an interrupted attempt: waiting for %s to rejoin at %s instead of upgrading it again", n.Name, n.Name, to)
		if err := waitRejoin(ctx, env, n, to, deadline); err != nil {
			return fmt.Errorf("%w; the upgrade issued by the interrupted attempt did not bring it back: check %s; if its upgrade never ran, run again with --reissue %s to issue it again", err, n.Name, in.Address)
		}
		return nil
	} else if env.Before != nil {
		// An interrupted attempt left the node out of the cluster (it
		// left) before it issued the upgrade: the resources it ran before
		// the step must run elsewhere before it goes on.
		if err := waitFailover(ctx, env, n, env.Before.RunningOn(n.Name), deadline); err != nil {
			return err
		}
	}
	if err := env.Driver.Upgrade(ctx, n, to); err != nil {
		return fmt.Errorf("upgrading %s to %s: %w", n.Name, to, err)
	}
	return waitRejoin(ctx, env, n, to, deadline)
}

// waitFailover waits until the node is out of the cluster and each resource
// it hosted runs elsewhere; it fails at once if one went offline with no
// node to fail over to, or comatose (R3).
func waitFailover(ctx context.Context, env *steps.Env, n cluster.Node, hosted []string, deadline time.Time) error {
	what := func() string { return "the resources of " + n.Name + " to fail over" }
	_, err := steps.WaitForOf(ctx, env, deadline, what, func(st *cluster.Status) (string, error) {
		var pending []string
		for _, r := range hosted {
			rs := st.Resources[r]
			switch {
			case rs.State == cluster.ResourceRunning && rs.Node != n.Name:
			case rs.State == cluster.ResourceRunning:
				pending = append(pending, r+" still on "+n.Name)
			case rs.State == cluster.ResourceComatose:
				return "", fmt.Errorf("resource %s went comatose when %s left (R3)", r, n.Name)
			default:
				if res, ok := env.Cluster.Resource(r); ok && failoverTarget(st, res, n.Name) == "" {
					return "", fmt.Errorf("resource %s went %s when %s left: no other node of its preferred list is up (R3)", r, rs.State, n.Name)
				}
				pending = append(pending, r+" "+rs.State)
			}
		}
		if st.Up(n.Name) {
			pending = append(pending, n.Name+" still up")
		}
		return strings.Join(pending, ", "), nil
	})
	return err
}

func waitRejoin(ctx context.Context, env *steps.Env, n cluster.Node, to string, deadline time.Time) error {
	what := func() string { return n.Name + " to rejoin at " + to }
	_, err := steps.WaitForOf(ctx, env, deadline, what, func(st *cluster.Status) (string, error) {
		ns := st.Nodes[n.Name]
		if ns.State == cluster.NodeUp && cluster.CompareVersions(ns.Version, to) == 0 {
			return "", nil
		}
		if ns.State == cluster.NodeUp {
			return "", fmt.Errorf("%s rejoined at %s, not %s", n.Name, ns.Version, to)
		}
		if cluster.CompareVersions(ns.Version, to) == 0 {
			return fmt.Sprintf("%s is at %s but has not rejoined (is the new version's licence installed?)", n.Name, to), nil
		}
		return fmt.Sprintf("%s is down at %s", n.Name, ns.Version), nil
	})
	return err
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}
