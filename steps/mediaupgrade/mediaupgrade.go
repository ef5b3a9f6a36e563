// Package mediaupgrade is the media-upgrade step type (R7), the last step of
// the procedure and its only planned downtime: once every node runs the new
// version, the shared resources go offline, the disk media are upgraded on
// one node and refreshed on the others, and each resource comes back online
// on the node it ran on before.
package mediaupgrade

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/steps"
)

// Type is the media-upgrade step type.
type Type struct{}

var _ steps.Type = Type{}

func (Type) Name() string { return "media-upgrade" }
func (Type) Doc() string {
	return "Upgrades the shared disk media once every node runs the new version (R7): resources offline, media upgraded and refreshed, resources back online where they ran."
}
func (Type) Attrs() []steps.Attr {
	return []steps.Attr{
		{Name: "on", Kind: steps.KindNode, Required: true, Doc: "The node that upgrades the media; every other node refreshes them."},
		{Name: "resources", Kind: steps.KindResourceList, Default: "every shared resource", Doc: "The resources on the upgraded media."},
		{Name: "parallelism", Kind: steps.KindNumber, Default: "every other node at once", Doc: "How many nodes refresh the media at once, at least 1."},
	}
}
func (Type) DefaultTimeout() time.Duration { return 2 * time.Hour }
func (Type) Mutates() bool                 { return true }

func resources(env *steps.Env, in *steps.Instance) []cluster.Resource {
	if in.Args.Has("resources") {
		return in.Args.Resources("resources")
	}
	return env.Cluster.Shared()
}

// target is the version every node should run: the highest one, the last
// of st.Versions() (of two that compare equal, such as "6.5" and "6.5.0",
// the greater string), found in one pass over the nodes.
func target(st *cluster.Status) string {
	best, found := "", false
	for _, ns := range st.Nodes {
		if !found {
			best, found = ns.Version, true
			continue
		}
		if c := cluster.CompareVersions(ns.Version, best); c > 0 || c == 0 && ns.Version > best {
			best = ns.Version
		}
	}
	return best
}

// Check enforces R7: every node up and at the new version, the media not
// yet upgraded to it. Resources in the state upgrade are this step's own
// interrupted run.
func (Type) Check(env *steps.Env, st *cluster.Status, in *steps.Instance) []steps.Problem {
	var probs []steps.Problem
	if down := st.Down(); len(down) > 0 {
		probs = append(probs, steps.Problem{Rule: "R7", Summary: "Node is down",
			Detail: fmt.Sprintf("%s %s down; the media upgrade needs every node up to refresh the media. Bring %s back first.", strings.Join(down, ", "), steps.Plural(len(down), "is", "are"), steps.Plural(len(down), "it", "them"))})
	}
	v := target(st)
	var late []string
	for name, ns := range st.Nodes {
		if cluster.CompareVersions(ns.Version, v) < 0 {
			late = append(late, name)
		}
	}
	slices.Sort(late)
	var behind []string
	for _, name := range late {
		behind = append(behind, fmt.Sprintf("%s (%s)", name, st.Nodes[name].Version))
	}
	if len(behind) > 0 {
		probs = append(probs, steps.Problem{Rule: "R7", Summary: "Media upgrade before every node is upgraded",
			Detail: fmt.Sprintf("The media can be upgraded only when every node runs %s, and %s %s not. Upgrade %s first, or move this step after their upgrades.", v, strings.Join(behind, ", "), steps.Plural(len(behind), "does", "do"), steps.Plural(len(behind), "it", "them"))})
	} else if cluster.CompareVersions(st.MediaVersion, v) >= 0 && !inProgress(env, st, in) {
		probs = append(probs, steps.Problem{Rule: "R7", Summary: "Media already at the nodes' version",
			Detail: fmt.Sprintf("The shared media already are at %s, the version every node runs, so there is nothing to upgrade. The media upgrade comes once, after every node is upgraded: move this step after the upgrades, or remove it if the media were upgraded already.", v)})
	}
	for _, r := range resources(env, in) {
		if !r.Shared {
			probs = append(probs, steps.Problem{Rule: "R7", Attr: "resources", Summary: "Resource not on shared storage",
				Detail: fmt.Sprintf("Resource %s is not shared, so it has no media to upgrade. Remove it from resources, or set shared = true on it.", r.Name)})
		}
	}
	if in.Args.Known("parallelism") && in.Args.Int("parallelism") < 1 {
		probs = append(probs, steps.Problem{Attr: "parallelism", Summary: "Invalid parallelism",
			Detail: fmt.Sprintf("parallelism is how many nodes refresh the media at once, so it must be at least 1, and %d is not. Remove it to refresh every node at once.", in.Args.Int("parallelism"))})
	}
	if !st.Up(in.Args.Node("on").Name) {
		probs = append(probs, steps.Problem{Rule: "R7", Attr: "on", Summary: "Node is down",
			Detail: fmt.Sprintf("Node %s, which is to upgrade the media, is not up.", in.Args.Node("on").Name)})
	}
	return probs
}

// inProgress reports whether an earlier attempt of the step left its
// partial state: it began before the media were upgraded (the journal's
// env.Before), resources are in the state upgrade, or nodes have not yet
// read the upgraded media.
func inProgress(env *steps.Env, st *cluster.Status, in *steps.Instance) bool {
	v := target(st)
	if env.Before != nil && cluster.CompareVersions(env.Before.MediaVersion, v) < 0 {
		return true
	}
	for _, r := range resources(env, in) {
		if st.Resources[r.Name].State == cluster.ResourceUpgrade {
			return true
		}
	}
	return unrefreshed(st, v)
}

// unrefreshed reports whether a node reports reading media older than v.
// Drivers that do not report what each node has read have none.
func unrefreshed(st *cluster.Status, v string) bool {
	for _, ns := range st.Nodes {
		if m := ns.Media; m != "" && cluster.CompareVersions(m, v) < 0 {
			return true
		}
	}
	return false
}

// Done holds when the media are at the version every node runs, every node
// that reports what it has read has read them, and every resource runs
// again; for a resumed step, each on the node it ran on before the step
// began, when that node is up.
func (Type) Done(env *steps.Env, st *cluster.Status, in *steps.Instance) bool {
	v := target(st)
	if cluster.CompareVersions(st.MediaVersion, v) < 0 || unrefreshed(st, v) {
		return false
	}
	for _, r := range resources(env, in) {
		rs := st.Resources[r.Name]
		if rs.State != cluster.ResourceRunning {
			return false
		}
		if env.Before != nil {
			if b := env.Before.Resources[r.Name]; b.State == cluster.ResourceRunning && b.Node != rs.Node && readable(st, b.Node) {
				return false
			}
		}
	}
	return true
}

func (t Type) Run(ctx context.Context, env *steps.Env, in *steps.Instance, deadline time.Time) error {
	on := in.Args.Node("on")
	list := resources(env, in)
	st, err := env.Driver.Status(ctx)
	if err != nil {
		return err
	}
	v := target(st)
	where := earlier(env, st, list)

	// (a) every resource offline; (b) the media upgraded on one node. Once
	// the media are upgraded (a resumed run), what is left needs no
	// resource offline.
	if cluster.CompareVersions(st.MediaVersion, v) < 0 {
		if err := t.upgrade(ctx, env, list, on, v, deadline); err != nil {
			return t.restore(ctx, env, list, where, err)
		}
	}

	// (b) the media refreshed on every other node that has not read them.
	if err := refresh(ctx, env, on, v, parallelism(in), deadline); err != nil {
		return t.restore(ctx, env, list, where, err)
	}

	// A resumed run: a failed refresh, or the operator, brought resources
	// online away from where they ran. Now that every node has read the
	// media, move them back.
	if err := homecoming(ctx, env, list, where, deadline); err != nil {
		return err
	}
	// (c), (d) each resource back online on the node it ran on.
	return t.restore(ctx, env, list, where, nil)
}

// parallelism is how many nodes refresh at once; 0 for all.
func parallelism(in *steps.Instance) int {
	if in.Args.Known("parallelism") {
		return in.Args.Int("parallelism")
	}
	return 0
}

// earlier returns the node each resource of list is to come back online on
// (in the order of list): where
// it ran before the step's first attempt took it offline (the journal's
// env.Before, for a resumed step: a resource the step took offline may
// report no node at all), else where it runs now, else where the status
// says it last ran, else its home node.
func earlier(env *steps.Env, st *cluster.Status, list []cluster.Resource) []string {
	out := make([]string, len(list))
	for i, r := range list {
		rs := st.Resources[r.Name]
		switch {
		case env.Before != nil && env.Before.Resources[r.Name].State == cluster.ResourceRunning:
			out[i] = env.Before.Resources[r.Name].Node
		case rs.Node != "":
			out[i] = rs.Node
		default:
			out[i] = r.Home()
		}
	}
	return out
}

// refresh makes every node other than on that has not read the media at v
// read them: at most limit at a time (all at once when limit <= 0). A
// refresh an interrupted attempt issued is not issued again: the step waits
// for the node to report the media instead. Every refresh runs, even when
// one fails; the failures are returned together.
func refresh(ctx context.Context, env *steps.Env, on cluster.Node, v string, limit int, deadline time.Time) error {
	st, err := env.Driver.Status(ctx)
	if err != nil {
		return err
	}
	// Made at their largest, every other node: a group of thousands
	// grows no list on the way.
	todo := make([]cluster.Node, 0, len(env.Cluster.Nodes))
	await := make([]string, 0, len(env.Cluster.Nodes)) // nodes that report what they read, to wait for
	for _, n := range env.Cluster.Nodes {
		ns := st.Nodes[n.Name]
		if n.Name == on.Name || read(ns, v) {
			continue
		}
		if env.PendingOp(cluster.OpMediaRefresh, n.Name) || env.IssuedOp(cluster.OpMediaRefresh, n.Name) && ns.Media == "" {
			if ns.Media != "" {
				env.Log("the media refresh on %s was issued by an interrupted attempt: waiting for %s to read the media instead of refreshing it again", n.Name, n.Name)
				await = append(await, n.Name)
			}
			continue
		}
		todo = append(todo, n)
	}
	ops := make([]func() error, len(todo))
	for i, n := range todo {
		ops[i] = func() error { return env.Driver.MediaRefresh(ctx, n) }
	}
	var errs []error
	for i, err := range cluster.Concurrently(env.Driver, limit, ops) {
		n := todo[i]
		if err != nil {
			errs = append(errs, fmt.Errorf("refreshing the media on %s: %w", n.Name, err))
			continue
		}
		if st.Nodes[n.Name].Media != "" {
			await = append(await, n.Name)
		}
	}
	if len(await) > 0 {
		_, err := steps.WaitFor(ctx, env, deadline, "the nodes to read the media at "+v, func(st *cluster.Status) (string, error) {
			var pending []string
			for _, n := range await {
				if ns := st.Nodes[n]; !read(ns, v) {
					pending = append(pending, fmt.Sprintf("%s reads %s", n, ns.Media))
				}
			}
			return strings.Join(pending, ", "), nil
		})
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// read reports whether the node reports reading media at v or above.
func read(ns cluster.NodeStatus, v string) bool {
	return ns.Media != "" && cluster.CompareVersions(ns.Media, v) >= 0
}

// homecoming moves each running resource that is away from where it ran
// before the step back there, once that node is up and has read the media,
// and waits until they are there.
func homecoming(ctx context.Context, env *steps.Env, list []cluster.Resource, where []string, deadline time.Time) error {
	st, err := env.Driver.Status(ctx)
	if err != nil {
		return err
	}
	var moved []int // indexes in list
	for i, r := range list {
		rs, to := st.Resources[r.Name], where[i]
		if rs.State != cluster.ResourceRunning || rs.Node == to || !readable(st, to) {
			continue
		}
		n, ok := env.Cluster.Node(to)
		if !ok {
			continue
		}
		moved = append(moved, i)
		if env.PendingOp(cluster.OpMigrate, r.Name, to) {
			continue // issued by an interrupted attempt: wait for it
		}
		if err := env.Driver.Migrate(ctx, r, *n); err != nil {
			return fmt.Errorf("moving %s back to %s: %w", r.Name, to, err)
		}
	}
	if len(moved) == 0 {
		return nil
	}
	_, err = steps.WaitFor(ctx, env, deadline, "the resources to be back where they ran", func(st *cluster.Status) (string, error) {
		var pending []string
		for _, i := range moved {
			r := list[i]
			if rs := st.Resources[r.Name]; rs.State != cluster.ResourceRunning || rs.Node != where[i] {
				pending = append(pending, r.Name+" on "+rs.Node)
			}
		}
		return strings.Join(pending, ", "), nil
	})
	return err
}

// upgrade takes the resources offline and upgrades the media on node on.
// Operations an interrupted attempt issued are not issued again: the step
// waits for their effect.
func (Type) upgrade(ctx context.Context, env *steps.Env, list []cluster.Resource, on cluster.Node, v string, deadline time.Time) error {
	st, err := env.Driver.Status(ctx)
	if err != nil {
		return err
	}
	for _, r := range list {
		if st.Resources[r.Name].State == cluster.ResourceRunning && !env.PendingOp(cluster.OpOffline, r.Name) {
			if err := env.Driver.Offline(ctx, r); err != nil {
				return fmt.Errorf("taking %s offline: %w", r.Name, err)
			}
		}
	}
	if _, err := steps.WaitFor(ctx, env, deadline, "the shared resources to go offline", func(st *cluster.Status) (string, error) {
		var pending []string
		for _, r := range list {
			if st.Resources[r.Name].State == cluster.ResourceRunning {
				pending = append(pending, r.Name+" running")
			}
		}
		return strings.Join(pending, ", "), nil
	}); err != nil {
		return err
	}
	if env.IssuedOp(cluster.OpMediaUpgrade, on.Name) {
		env.Log("the media upgrade on %s was issued by an interrupted attempt: waiting for the media to reach %s instead of upgrading them again", on.Name, v)
	} else if err := env.Driver.MediaUpgrade(ctx, on); err != nil {
		return fmt.Errorf("upgrading the media on %s: %w", on.Name, err)
	}
	_, err = steps.WaitFor(ctx, env, deadline, "the media to reach "+v, func(st *cluster.Status) (string, error) {
		if cluster.CompareVersions(st.MediaVersion, v) >= 0 {
			return "", nil
		}
		return "media at " + st.MediaVersion, nil
	})
	return err
}

// restore brings every resource of the step that is not running back online
// on the node it ran on before (where), so that a failed media upgrade
// leaves no resource offline that the step took offline; if that node has
// not read the media the cluster is at (its refresh failed), on the first up
// node of its preferred list that has. An online an interrupted attempt
// issued is not issued again: the step waits for it. It returns cause,
// joined with any failure of its own.
func (t Type) restore(ctx context.Context, env *steps.Env, list []cluster.Resource, where []string, cause error) error {
	if ctx.Err() != nil {
		// Cancelled: the operator stopped us hard. Do not act further; the
		// step is in doubt and resumes from the state it left.
		return errors.Join(cause, ctx.Err())
	}
	st, err := env.Driver.Status(ctx)
	if err != nil {
		return errors.Join(cause, err)
	}
	var errs []error
	target := make([]string, len(list)) // where each resource of list is to run
	for i, r := range list {
		rs := st.Resources[r.Name]
		if rs.State == cluster.ResourceRunning {
			target[i] = rs.Node
			continue
		}
		name := onlineNode(st, r, where[i])
		n, ok := env.Cluster.Node(name)
		if !ok {
			errs = append(errs, fmt.Errorf("resource %s has no node that has read the media to come back on", r.Name))
			continue
		}
		if name != where[i] {
			env.Log("%s has not read the upgraded media: bringing %s online on %s instead", where[i], r.Name, name)
		}
		target[i] = name
		if env.PendingOp(cluster.OpOnline, r.Name, name) && rs.State != cluster.ResourceComatose {
			env.Log("bringing %s online on %s was issued by an interrupted attempt: waiting for it instead of issuing it again", r.Name, name)
			continue
		}
		if err := env.Driver.Online(ctx, r, *n); err != nil {
			errs = append(errs, fmt.Errorf("bringing %s online on %s: %w", r.Name, n.Name, err))
		}
	}
	if len(errs) == 0 {
		_, err := steps.WaitFor(ctx, env, env.Driver.Now().Add(restoreTimeout), "the shared resources to come online", func(st *cluster.Status) (string, error) {
			var pending []string
			for i, r := range list {
				if rs := st.Resources[r.Name]; rs.State != cluster.ResourceRunning || rs.Node != target[i] {
					pending = append(pending, r.Name+" "+rs.State)
				}
			}
			return strings.Join(pending, ", "), nil
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	if cause != nil && len(errs) == 0 {
		env.Log("the shared resources are back online")
	}
	return errors.Join(append([]error{cause}, errs...)...)
}

// readable reports whether the node is up and has read the media the
// cluster is at (or does not say what it has read).
func readable(st *cluster.Status, node string) bool {
	ns, found := st.Nodes[node]
	return found && ns.State == cluster.NodeUp && (ns.Media == "" || cluster.CompareVersions(ns.Media, st.MediaVersion) >= 0)
}

// onlineNode returns the node a resource comes back online on: the node it
// ran on before, unless that node cannot read the media the cluster is at
// (a refresh failed), in which case the first up node of its preferred list
// that can.
func onlineNode(st *cluster.Status, r cluster.Resource, earlier string) string {
	if readable(st, earlier) {
		return earlier
	}
	for _, p := range r.Preferred {
		if readable(st, p) {
			return p
		}
	}
	return earlier
}

// restoreTimeout bounds the wait for the resources to come back online, which
// may run after the step's own deadline has passed.
const restoreTimeout = 10 * time.Minute
