package runtime

import (
	"sort"

	"github.com/runbookhq/runbook/cluster"
)

// Delta is what a step changed in the cluster: the new status of each node
// and resource that changed (nil: it disappeared), and the licences and media
// version if they changed. The journal records one per step, so that the
// status the journal expects is the snapshot taken before the first step plus
// every delta since: linear in the run's length, whatever the cluster's size.
type Delta struct {
	Nodes        map[string]*cluster.NodeStatus     `json:"nodes,omitempty"`
	Resources    map[string]*cluster.ResourceStatus `json:"resources,omitempty"`
	Licenses     *[]cluster.LicenseStatus           `json:"licenses,omitempty"`
	MediaVersion *string                            `json:"media_version,omitempty"`
}

// Empty reports whether nothing changed.
func (d *Delta) Empty() bool {
	return d == nil || len(d.Nodes) == 0 && len(d.Resources) == 0 && d.Licenses == nil && d.MediaVersion == nil
}

// Apply changes s as the delta says.
func (d *Delta) Apply(s *cluster.Status) {
	if d == nil {
		return
	}
	reindex := false
	for n, ns := range d.Nodes {
		if ns == nil {
			delete(s.Nodes, n)
			reindex = true
			continue
		}
		s.SetNode(n, *ns)
	}
	for r, rs := range d.Resources {
		if rs == nil {
			delete(s.Resources, r)
			reindex = true
			continue
		}
		s.SetResource(r, *rs)
	}
	if d.Licenses != nil {
		s.Licenses = append([]cluster.LicenseStatus(nil), (*d.Licenses)...)
	}
	if d.MediaVersion != nil {
		s.MediaVersion = *d.MediaVersion
	}
	if reindex {
		s.Reindex()
	}
}

// setNode records a node's new status; a map made for it has room for
// more others (those a status read is still to compare).
func (d *Delta) setNode(name string, ns *cluster.NodeStatus, more int) {
	if d.Nodes == nil {
		d.Nodes = make(map[string]*cluster.NodeStatus, 1+more)
	}
	d.Nodes[name] = ns
}

// setResource records a resource's new status, as setNode a node's.
func (d *Delta) setResource(name string, rs *cluster.ResourceStatus, more int) {
	if d.Resources == nil {
		d.Resources = make(map[string]*cluster.ResourceStatus, 1+more)
	}
	d.Resources[name] = rs
}

// licenseChanges returns the licences added to and removed from old.
func licenseChanges(old, cur []cluster.LicenseStatus) (added, removed []cluster.LicenseStatus) {
	has := func(list []cluster.LicenseStatus, l cluster.LicenseStatus) bool {
		for _, x := range list {
			if x.Product == l.Product && cluster.CompareVersions(x.Version, l.Version) == 0 {
				return true
			}
		}
		return false
	}
	for _, l := range cur {
		if !has(old, l) {
			added = append(added, l)
		}
	}
	for _, l := range old {
		if !has(cur, l) {
			removed = append(removed, l)
		}
	}
	return added, removed
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
