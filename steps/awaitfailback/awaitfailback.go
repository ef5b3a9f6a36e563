// Package awaitfailback is the await-failback step type (R5): it waits until
// the resources homed on an upgraded node run on it again, moving those whose
// failback is manual.
package awaitfailback

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/steps"
)

// Type is the await-failback step type.
type Type struct{}

var _ steps.Type = Type{}

func (Type) Name() string { return "await-failback" }
func (Type) Doc() string {
	return "Waits until resources run on their upgraded home node again (R5), moving the ones with failback = \"manual\", and \"auto\" ones that have not come back after the grace."
}
func (Type) Attrs() []steps.Attr {
	return []steps.Attr{
		{Name: "node", Kind: steps.KindNode, Required: true, Doc: "The node the resources fail back to, for example each.node."},
		{Name: "resources", Kind: steps.KindResourceList, Default: "those whose first preferred node is node", Doc: "The resources to wait for."},
		{Name: "grace", Kind: steps.KindDuration, Default: "half the timeout", Doc: "How long an \"auto\" resource may take to fail back by itself before the step moves it."},
	}
}
func (Type) DefaultTimeout() time.Duration { return 10 * time.Minute }
func (Type) Mutates() bool                 { return true }

// resources returns the resources the step waits for; node is its node.
func resources(env *steps.Env, in *steps.Instance, node string) []cluster.Resource {
	if list, set := steps.Lookup[[]cluster.Resource](in.Args, "resources"); set {
		return list
	}
	// Not to be modified: the cluster's own list.
	return env.Cluster.HomedResources(node)
}

func (Type) Check(env *steps.Env, st *cluster.Status, in *steps.Instance) []steps.Problem {
	n := in.Args.Node("node")
	var probs []steps.Problem
	if !st.Up(n.Name) {
		probs = append(probs, steps.Problem{Rule: "R5", Attr: "node", Summary: "Node is down",
			Detail: fmt.Sprintf("Node %s is not up, so nothing can fail back to it. Upgrade it and let it rejoin before waiting for failback.", n.Name)})
	}
	for _, r := range resources(env, in, n.Name) {
		found := false
		for _, p := range r.Preferred {
			found = found || p == n.Name
		}
		if !found {
			probs = append(probs, steps.Problem{Rule: "R5", Attr: "resources", Summary: "Resource cannot run on node",
				Detail: fmt.Sprintf("Resource %s cannot fail back to %s: the node is not in its preferred list (%s). Remove it from resources, or add %s to its preferred list.", r.Name, n.Name, strings.Join(r.Preferred, ", "), n.Name)})
		}
	}
	return probs
}

// Done holds when every resource runs on the node.
func (Type) Done(env *steps.Env, st *cluster.Status, in *steps.Instance) bool {
	n := in.Args.Node("node")
	for _, r := range resources(env, in, n.Name) {
		if rs := st.Resources[r.Name]; rs.State != cluster.ResourceRunning || rs.Node != n.Name {
			return false
		}
	}
	return true
}

func (t Type) Run(ctx context.Context, env *steps.Env, in *steps.Instance, deadline time.Time) error {
	n := in.Args.Node("node")
	list := resources(env, in, n.Name)
	if len(list) == 0 {
		return nil
	}
	// Manual resources are moved at once; auto ones get a grace period to
	// fail back by themselves, and are moved if they have not by then (a
	// stalled failback, or a run resumed after one).
	if err := moveAway(ctx, env, n, list, cluster.FailbackManual); err != nil {
		return err
	}
	grace, set := steps.Lookup[time.Duration](in.Args, "grace")
	if !set {
		grace = deadline.Sub(env.Driver.Now()) / 2
	}
	what := func() string { return "failback to " + n.Name }
	if graceEnd := env.Driver.Now().Add(grace); graceEnd.Before(deadline) {
		_, err := steps.WaitForOf(ctx, env, graceEnd, what, pending(n, list))
		if err == nil {
			return nil
		}
		var te *cluster.TimeoutError
		if !errors.As(err, &te) {
			return err
		}
		env.Log("failback to %s has not happened by itself after %s: %s; moving them", n.Name, grace, te.Pending)
		if err := moveAway(ctx, env, n, list, cluster.FailbackAuto); err != nil {
			return err
		}
	}
	_, err := steps.WaitForOf(ctx, env, deadline, what, pending(n, list))
	return err
}

// moveAway migrates the resources of the failback mode that run elsewhere
// to the node.
func moveAway(ctx context.Context, env *steps.Env, n cluster.Node, list []cluster.Resource, mode string) error {
	st, err := env.Driver.Status(ctx)
	if err != nil {
		return err
	}
	for _, r := range list {
		rs := st.Resources[r.Name]
		isManual := r.Failback == cluster.FailbackManual
		if isManual == (mode == cluster.FailbackManual) && rs.State == cluster.ResourceRunning && rs.Node != n.Name {
			if env.PendingOp(cluster.OpMigrate, r.Name, n.Name) {
				// An interrupted attempt issued the move: wait for it
				// rather than move the resource twice.
				env.Log("moving %s to %s was issued by an interrupted attempt: waiting for it instead of issuing it again", r.Name, n.Name)
				continue
			}
			if err := env.Driver.Migrate(ctx, r, n); err != nil {
				return fmt.Errorf("moving %s back to %s: %w", r.Name, n.Name, err)
			}
		}
	}
	return nil
}

func pending(n cluster.Node, list []cluster.Resource) func(*cluster.Status) (string, error) {
	return func(st *cluster.Status) (string, error) {
		var pending []string
		for _, r := range list {
			rs := st.Resources[r.Name]
			switch {
			case rs.State == cluster.ResourceRunning && rs.Node == n.Name:
			case rs.State == cluster.ResourceRunning:
				pending = append(pending, fmt.Sprintf("%s still on %s", r.Name, rs.Node))
			default:
				pending = append(pending, fmt.Sprintf("%s %s", r.Name, rs.State))
			}
		}
		return strings.Join(pending, ", "), nil
	}
}
