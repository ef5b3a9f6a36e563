package runtime

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/runbookhq/runbook/cluster"
)

// Difference is one way the cluster differs from what is expected.
type Difference struct {
	Kind     string // node, resource, license, media
	Name     string
	Expected string
	Actual   string
	// Fix says what to do about this difference, as a clause ("move it
	// back to FS3"); "" when only the general advice applies.
	Fix string
}

func (d Difference) describe(whose string) string {
	subject := d.Kind
	if d.Name != "" {
		subject += " " + d.Name
	}
	s := fmt.Sprintf("%s: %s %s, cluster reports %s", subject, whose, d.Expected, d.Actual)
	if d.Fix != "" {
		s += "; " + d.Fix + ", then run again"
	}
	return s
}

// nodeFix says how to put a node back as expected.
func nodeFix(want cluster.NodeStatus, wok bool, live cluster.NodeStatus, lok bool) string {
	switch {
	case !lok:
		return "the cluster no longer reports the node: bring it back into the cluster"
	case !wok:
		return "the node is not in the runbook: take it out of the cluster, or declare it in the runbook and start over with a fresh state directory (--state DIR)"
	case cluster.CompareVersions(want.Version, live.Version) != 0:
		return fmt.Sprintf("it was upgraded or reinstalled outside this run: put it back at %s, or start over with a fresh state directory (--state DIR) and a runbook that declares it at %s", want.Version, live.Version)
	case want.State == cluster.NodeUp:
		return "bring it back into the cluster"
	}
	return "it rejoined outside this run: check it"
}

// resourceFix says how to put a resource back as expected.
func resourceFix(want cluster.ResourceStatus, wok bool, live cluster.ResourceStatus, lok bool) string {
	switch {
	case !lok:
		return "the cluster no longer reports the resource: check the cluster's configuration"
	case !wok:
		return "the resource is not in the runbook: declare it in a resource block, or remove it from the cluster"
	case want.State == cluster.ResourceRunning && live.State == cluster.ResourceRunning:
		return "move it back to " + want.Node
	case want.State == cluster.ResourceRunning:
		return "bring it online on " + want.Node
	case live.State == cluster.ResourceRunning:
		return "take it " + want.State + " again"
	}
	return "check it"
}

func nodeWords(ns cluster.NodeStatus, ok bool) string {
	if !ok {
		return "no such node"
	}
	return ns.Version + " " + ns.State
}

func resourceWords(rs cluster.ResourceStatus, ok bool) string {
	if !ok {
		return "no such resource"
	}
	return resourceWhere(rs.State, rs.Node)
}

// checkDeclared compares the live status with the declared cluster before
// the first step of a fresh run: every node present, up, at its declared
// version; every resource present and running on a node of its preferred
// list.
func checkDeclared(c *cluster.Cluster, live *cluster.Status) []Difference {
	var out []Difference
	for _, n := range c.Nodes {
		ns, ok := live.Nodes[n.Name]
		if !ok || ns.State != cluster.NodeUp || cluster.CompareVersions(ns.Version, n.Version) != 0 {
			out = append(out, Difference{Kind: "node", Name: n.Name, Expected: n.Version + " up", Actual: nodeWords(ns, ok),
				Fix: nodeFix(cluster.NodeStatus{Version: n.Version, State: cluster.NodeUp}, true, ns, ok)})
		}
	}
	for _, r := range c.Resources {
		rs, ok := live.Resources[r.Name]
		if !ok || rs.State != cluster.ResourceRunning || !slices.Contains(r.Preferred, rs.Node) {
			fix := "bring it online on " + orList(r.Preferred)
			if !ok {
				fix = "the cluster does not report the resource: check the cluster's configuration, or the runbook's resource block"
			}
			out = append(out, Difference{Kind: "resource", Name: r.Name, Expected: "running on " + orList(r.Preferred), Actual: resourceWords(rs, ok), Fix: fix})
		}
	}
	return out
}

func orList(names []string) string {
	switch len(names) {
	case 0:
		return "no node (its preferred list is empty)"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// compareStatus compares the live status with the one the journal expects,
// except for the nodes and resources in skip (a step in flight may have
// changed them; a step in flight may also have changed the licences and the
// media, so with inFlight set they are not compared).
func compareStatus(want, live *cluster.Status, skipNodes, skipRes map[string]bool, allRes, inFlight bool) []Difference {
	var out []Difference
	names := map[string]bool{}
	for n := range want.Nodes {
		names[n] = true
	}
	for n := range live.Nodes {
		names[n] = true
	}
	for _, n := range sortedSet(names) {
		if skipNodes[n] {
			continue
		}
		w, wok := want.Nodes[n]
		l, lok := live.Nodes[n]
		if wok != lok || w.State != l.State || cluster.CompareVersions(w.Version, l.Version) != 0 {
			out = append(out, Difference{Kind: "node", Name: n, Expected: nodeWords(w, wok), Actual: nodeWords(l, lok), Fix: nodeFix(w, wok, l, lok)})
		}
	}
	if !allRes {
		names = map[string]bool{}
		for r := range want.Resources {
			names[r] = true
		}
		for r := range live.Resources {
			names[r] = true
		}
		for _, r := range sortedSet(names) {
			if skipRes[r] {
				continue
			}
			w, wok := want.Resources[r]
			l, lok := live.Resources[r]
			same := wok == lok && w.State == l.State && (w.State != cluster.ResourceRunning || w.Node == l.Node)
			if !same {
				out = append(out, Difference{Kind: "resource", Name: r, Expected: resourceWords(w, wok), Actual: resourceWords(l, lok), Fix: resourceFix(w, wok, l, lok)})
			}
		}
	}
	if inFlight {
		return out
	}
	if added, removed := licenseChanges(want.Licenses, live.Licenses); len(added)+len(removed) > 0 {
		out = append(out, Difference{Kind: "licences", Expected: licenseWords(want.Licenses), Actual: licenseWords(live.Licenses),
			Fix: "someone installed or removed licences outside this run: put them back as expected"})
	}
	if cluster.CompareVersions(want.MediaVersion, live.MediaVersion) != 0 {
		out = append(out, Difference{Kind: "media", Expected: "version " + want.MediaVersion, Actual: "version " + live.MediaVersion,
			Fix: "the shared media were changed outside this run: check them and every pool before going on"})
	}
	return out
}

func licenseWords(ls []cluster.LicenseStatus) string {
	if len(ls) == 0 {
		return "none installed"
	}
	var parts []string
	for _, l := range ls {
		parts = append(parts, l.Product+" "+l.Version)
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
