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
	"strings"
	"time"

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
	}
}
func (Type) DefaultTimeout() time.Duration { return 2 * time.Hour }
func (Type) Mutates() bool                 { return true }

func resources(env *steps.Env, in *steps.Instance) []steps.Resource {
	if in.Args.Has("resources") {
		return in.Args.Resources("resources")
	}
	var out []steps.Resource
	for _, r := range env.Cluster.Resources {
		if r.Shared {
			out = append(out, r)
		}
	}
	return out
}

// target is the version every node should run: the highest one.
func target(st *steps.Status) string {
	v := st.Versions()
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// Check enforces R7: every node up and at the new version, the media not
// yet upgraded to it. Resources in the state upgrade are this step's own
// interrupted run.
func (Type) Check(env *steps.Env, st *steps.Status, in *steps.Instance) []steps.Problem {
	var probs []steps.Problem
	if down := st.Down(); len(down) > 0 {
		probs = append(probs, steps.Problem{Rule: "R7", Summary: "Node is down",
			Detail: fmt.Sprintf("%s %s down; the media upgrade needs every node up to refresh the media. Bring %s back first.", strings.Join(down, ", "), plural(len(down), "is", "are"), plural(len(down), "it", "them"))})
	}
	v := target(st)
	var behind []string
	for _, name := range st.NodeNames() {
		if steps.CompareVersions(st.Nodes[name].Version, v) < 0 {
			behind = append(behind, fmt.Sprintf("%s (%s)", name, st.Nodes[name].Version))
		}
	}
	if len(behind) > 0 {
		probs = append(probs, steps.Problem{Rule: "R7", Summary: "Media upgrade before every node is upgraded",
			Detail: fmt.Sprintf("The media can be upgraded only when every node runs %s, and %s %s not. Upgrade %s first, or move this step after their upgrades.", v, strings.Join(behind, ", "), plural(len(behind), "does", "do"), plural(len(behind), "it", "them"))})
	} else if steps.CompareVersions(st.MediaVersion, v) >= 0 && !inProgress(env, st, in) {
		probs = append(probs, steps.Problem{Rule: "R7", Summary: "Media already at the nodes' version",
			Detail: fmt.Sprintf("The shared media already are at %s, the version every node runs, so there is nothing to upgrade. The media upgrade comes once, after every node is upgraded: move this step after the upgrades, or remove it if the media were upgraded already.", v)})
	}
	for _, r := range resources(env, in) {
		if !r.Shared {
			probs = append(probs, steps.Problem{Rule: "R7", Attr: "resources", Summary: "Resource not on shared storage",
				Detail: fmt.Sprintf("Resource %s is not shared, so it has no media to upgrade. Remove it from resources, or set shared = true on it.", r.Name)})
		}
	}
	if !st.Up(in.Args.Node("on").Name) {
		probs = append(probs, steps.Problem{Rule: "R7", Attr: "on", Summary: "Node is down",
			Detail: fmt.Sprintf("Node %s, which is to upgrade the media, is not up.", in.Args.Node("on").Name)})
	}
	return probs
}

// inProgress reports whether an interrupted run of the step left its
// partial state: resources in the state upgrade, or nodes that have not yet
// read the upgraded media.
func inProgress(env *steps.Env, st *steps.Status, in *steps.Instance) bool {
	for _, r := range resources(env, in) {
		if st.Resources[r.Name].State == steps.ResourceUpgrade {
			return true
		}
	}
	return len(unrefreshed(st, target(st))) > 0
}

// unrefreshed returns the nodes that report reading media older than v.
// Drivers that do not report what each node has read leave none.
func unrefreshed(st *steps.Status, v string) []string {
	var out []string
	for _, name := range st.NodeNames() {
		if m := st.Nodes[name].Media; m != "" && steps.CompareVersions(m, v) < 0 {
			out = append(out, name)
		}
	}
	return out
}

// Done holds when the media are at the version every node runs, every node
// that reports what it has read has read them, and every resource runs again.
func (Type) Done(env *steps.Env, st *steps.Status, in *steps.Instance) bool {
	v := target(st)
	if steps.CompareVersions(st.MediaVersion, v) < 0 || len(unrefreshed(st, v)) > 0 {
		return false
	}
	for _, r := range resources(env, in) {
		if st.Resources[r.Name].State != steps.ResourceRunning {
			return false
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
	// Once the media are upgraded (a resumed run), what is left is the
	// refresh of the other nodes, which needs no resource offline.
	upgraded := steps.CompareVersions(st.MediaVersion, v) >= 0

	// (a) every resource offline, remembering where it ran; (b) the media
	// upgraded on one node.
	earlier := map[string]string{}
	for _, r := range list {
		earlier[r.Name] = st.Resources[r.Name].Node
	}
	if !upgraded {
		if err := t.upgrade(ctx, env, list, on, v, deadline); err != nil {
			return t.restore(ctx, env, list, earlier, err)
		}
	}

	// (b) the media refreshed on every other node.
	if st, err = env.Driver.Status(ctx); err != nil {
		return t.restore(ctx, env, list, earlier, err)
	}
	for _, n := range env.Cluster.Nodes {
		if m := st.Nodes[n.Name].Media; n.Name == on.Name || m != "" && steps.CompareVersions(m, v) >= 0 {
			continue
		}
		if err := env.Driver.MediaRefresh(ctx, n); err != nil {
			return t.restore(ctx, env, list, earlier, fmt.Errorf("refreshing the media on %s: %w", n.Name, err))
		}
	}

	if upgraded {
		// A resumed run: a failed refresh brought resources online away
		// from nodes that had not read the media. Now that every node has,
		// move them home.
		if err := homecoming(ctx, env, list, deadline); err != nil {
			return err
		}
	}
	// (c), (d) each resource back online on the node it ran on.
	return t.restore(ctx, env, list, earlier, nil)
}

// homecoming moves each running resource that is away from its home node
// back to it, and waits until they are there.
func homecoming(ctx context.Context, env *steps.Env, list []steps.Resource, deadline time.Time) error {
	st, err := env.Driver.Status(ctx)
	if err != nil {
		return err
	}
	var moved []steps.Resource
	for _, r := range list {
		rs, home := st.Resources[r.Name], r.Home()
		if rs.State != steps.ResourceRunning || rs.Node == home || !st.Up(home) {
			continue
		}
		n, _ := env.Cluster.Node(home)
		if err := env.Driver.Migrate(ctx, r, *n); err != nil {
			return fmt.Errorf("moving %s back to %s: %w", r.Name, home, err)
		}
		moved = append(moved, r)
	}
	_, err = steps.WaitFor(ctx, env, deadline, "the resources to be home", func(st *steps.Status) (string, error) {
		var pending []string
		for _, r := range moved {
			if rs := st.Resources[r.Name]; rs.State != steps.ResourceRunning || rs.Node != r.Home() {
				pending = append(pending, r.Name+" on "+rs.Node)
			}
		}
		return strings.Join(pending, ", "), nil
	})
	return err
}

// upgrade takes the resources offline and upgrades the media on node on.
func (Type) upgrade(ctx context.Context, env *steps.Env, list []steps.Resource, on steps.Node, v string, deadline time.Time) error {
	st, err := env.Driver.Status(ctx)
	if err != nil {
		return err
	}
	for _, r := range list {
		if st.Resources[r.Name].State == steps.ResourceRunning {
			if err := env.Driver.Offline(ctx, r); err != nil {
				return fmt.Errorf("taking %s offline: %w", r.Name, err)
			}
		}
	}
	if _, err := steps.WaitFor(ctx, env, deadline, "the shared resources to go offline", func(st *steps.Status) (string, error) {
		var pending []string
		for _, r := range list {
			if st.Resources[r.Name].State == steps.ResourceRunning {
				pending = append(pending, r.Name+" running")
			}
		}
		return strings.Join(pending, ", "), nil
	}); err != nil {
		return err
	}
	if err := env.Driver.MediaUpgrade(ctx, on); err != nil {
		return fmt.Errorf("upgrading the media on %s: %w", on.Name, err)
	}
	_, err = steps.WaitFor(ctx, env, deadline, "the media to reach "+v, func(st *steps.Status) (string, error) {
		if steps.CompareVersions(st.MediaVersion, v) >= 0 {
			return "", nil
		}
		return "media at " + st.MediaVersion, nil
	})
	return err
}

// restore brings every resource of the step back online on the node it ran
// on before, so that a failed media upgrade leaves no resource offline that
// the step took offline. It returns cause, joined with any failure of its own.
func (t Type) restore(ctx context.Context, env *steps.Env, list []steps.Resource, earlier map[string]string, cause error) error {
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
	target := map[string]string{}
	for _, r := range list {
		if rs := st.Resources[r.Name]; rs.State == steps.ResourceRunning {
			target[r.Name] = rs.Node
			continue
		}
		name := readable(st, r, earlier[r.Name])
		n, ok := env.Cluster.Node(name)
		if !ok {
			errs = append(errs, fmt.Errorf("resource %s has no node that has read the media to come back on", r.Name))
			continue
		}
		if name != earlier[r.Name] {
			env.Log("%s has not read the upgraded media: bringing %s online on %s instead", earlier[r.Name], r.Name, name)
		}
		target[r.Name] = name
		if err := env.Driver.Online(ctx, r, *n); err != nil {
			errs = append(errs, fmt.Errorf("bringing %s online on %s: %w", r.Name, n.Name, err))
		}
	}
	if len(errs) == 0 {
		_, err := steps.WaitFor(ctx, env, env.Driver.Now().Add(restoreTimeout), "the shared resources to come online", func(st *steps.Status) (string, error) {
			var pending []string
			for _, r := range list {
				if rs := st.Resources[r.Name]; rs.State != steps.ResourceRunning || rs.Node != target[r.Name] {
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

// readable returns the node a resource comes back online on: the node it ran
// on before, unless that node reports it has not read the media the cluster
// is at (a refresh failed), in which case the first up node of its preferred
// list that has.
func readable(st *steps.Status, r steps.Resource, earlier string) string {
	ok := func(n string) bool {
		ns, found := st.Nodes[n]
		return found && ns.State == steps.NodeUp && (ns.Media == "" || steps.CompareVersions(ns.Media, st.MediaVersion) >= 0)
	}
	if ok(earlier) {
		return earlier
	}
	for _, p := range r.Preferred {
		if ok(p) {
			return p
		}
	}
	return earlier
}

// restoreTimeout bounds the wait for the resources to come back online, which
// may run after the step's own deadline has passed.
const restoreTimeout = 10 * time.Minute

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
