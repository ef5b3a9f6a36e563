package runtime

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/runbookhq/runbook/steps"
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
func nodeFix(want steps.NodeStatus, wok bool, live steps.NodeStatus, lok bool) string {
	switch {
	case !lok:
		return "the cluster no longer reports the node: bring it back into the cluster"
	case !wok:
		return "the node is not in the runbook: take it out of the cluster, or declare it in the runbook and start over with a fresh state directory (--state DIR)"
	case steps.CompareVersions(want.Version, live.Version) != 0:
		return fmt.Sprintf("it was upgraded or reinstalled outside this run: put it back at %s, or start over with a fresh state directory (--state DIR) and a runbook that declares it at %s", want.Version, live.Version)
	case want.State == steps.NodeUp:
		return "bring it back into the cluster"
	}
	return "it rejoined outside this run: check it"
}

// resourceFix says how to put a resource back as expected.
func resourceFix(want steps.ResourceStatus, wok bool, live steps.ResourceStatus, lok bool) string {
	switch {
	case !lok:
		return "the cluster no longer reports the resource: check the cluster's configuration"
	case !wok:
		return "the resource is not in the runbook: declare it in a resource block, or remove it from the cluster"
	case want.State == steps.ResourceRunning && live.State == steps.ResourceRunning:
		return "move it back to " + want.Node
	case want.State == steps.ResourceRunning:
		return "bring it online on " + want.Node
	case live.State == steps.ResourceRunning:
		return "take it " + want.State + " again"
	}
	return "check it"
}

func nodeWords(ns steps.NodeStatus, ok bool) string {
	if !ok {
		return "no such node"
	}
	return ns.Version + " " + ns.State
}

func resourceWords(rs steps.ResourceStatus, ok bool) string {
	if !ok {
		return "no such resource"
	}
	return resourceWhere(rs.State, rs.Node)
}

// checkDeclared compares the live status with the declared cluster before
// the first step of a fresh run: every node present, up, at its declared
// version; every resource present and running on a node of its preferred
// list.
func checkDeclared(c *steps.Cluster, live *steps.Status) []Difference {
	var out []Difference
	for _, n := range c.Nodes {
		ns, ok := live.Nodes[n.Name]
		if !ok || ns.State != steps.NodeUp || steps.CompareVersions(ns.Version, n.Version) != 0 {
			out = append(out, Difference{Kind: "node", Name: n.Name, Expected: n.Version + " up", Actual: nodeWords(ns, ok),
				Fix: nodeFix(steps.NodeStatus{Version: n.Version, State: steps.NodeUp}, true, ns, ok)})
		}
	}
	for _, r := range c.Resources {
		rs, ok := live.Resources[r.Name]
		if !ok || rs.State != steps.ResourceRunning || !slices.Contains(r.Preferred, rs.Node) {
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
func compareStatus(want, live *steps.Status, skipNodes, skipRes map[string]bool, allRes, inFlight bool) []Difference {
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
		if wok != lok || w.State != l.State || steps.CompareVersions(w.Version, l.Version) != 0 {
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
			same := wok == lok && w.State == l.State && (w.State != steps.ResourceRunning || w.Node == l.Node)
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
	if steps.CompareVersions(want.MediaVersion, live.MediaVersion) != 0 {
		out = append(out, Difference{Kind: "media", Expected: "version " + want.MediaVersion, Actual: "version " + live.MediaVersion,
			Fix: "the shared media were changed outside this run: check them and every pool before going on"})
	}
	return out
}

func licenseWords(ls []steps.LicenseStatus) string {
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
