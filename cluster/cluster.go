package cluster

import "strings"

// Failback modes of a resource.
const (
	FailbackAuto   = "auto"
	FailbackManual = "manual"
)

// Node is a cluster node as the runbook declares it.
type Node struct {
	Name    string
	Address string
	// Version is the version the node runs before the runbook starts.
	Version string
}

// Resource is a cluster resource as the runbook declares it.
type Resource struct {
	Name string
	// Shared resources live on shared storage and take part in the media upgrade.
	Shared bool
	// Preferred lists node names: the first is the home node, the rest the
	// failover order.
	Preferred  []string
	Failback   string
	LoadScript string
}

// Home is the resource's first preferred node, or "" if it has none.
func (r *Resource) Home() string {
	if len(r.Preferred) == 0 {
		return ""
	}
	return r.Preferred[0]
}

// License is a licence requirement as the runbook declares it: upgrading a
// cluster of at least MinNodes nodes to Version needs it installed first (R1).
type License struct {
	Name     string
	Product  string
	Version  string
	Seats    int
	MinNodes int
}

// Covers reports whether the licence covers the version v: its version's
// components are a prefix of v's ("6.5" covers "6.5" and "6.5.8").
// It allocates nothing: every upgrade's check asks it.
func (l *License) Covers(v string) bool {
	lv, ok1 := scanVersion(l.Version)
	vv, ok2 := scanVersion(v)
	if !ok1 || !ok2 || components(l.Version) > components(v) {
		return false
	}
	// Components past the licence's own are zero in lv.
	for i := 0; i < components(l.Version); i++ {
		if lv[i] != vv[i] {
			return false
		}
	}
	return true
}

// components is how many components a valid version has.
func components(v string) int { return strings.Count(v, ".") + 1 }

// AppliesTo reports whether the licence is required for a cluster of n nodes.
func (l *License) AppliesTo(n int) bool { return n >= l.MinNodes }

// Cluster is the cluster a runbook declares: what it expects to find before
// its first step. It is read-only once built; use NewCluster to build it.
type Cluster struct {
	Name      string
	Nodes     []Node
	Resources []Resource
	Licenses  []License

	nodeIdx  map[string]int
	resIdx   map[string]int
	licIdx   map[string]int
	assigned map[string][]string // node -> resources that list it in Preferred
	// assignedRes holds the declarations assigned names, as Resource
	// finds them.
	assignedRes map[string][]*Resource
	homed       map[string]homes // node -> resources whose home it is
	shared      []Resource       // the shared resources, in declaration order
}

// NewCluster indexes a declared cluster.
func NewCluster(name string, nodes []Node, resources []Resource, licenses []License) *Cluster {
	// The indexes have room for every node and resource at once.
	c := &Cluster{Name: name, Nodes: nodes, Resources: resources, Licenses: licenses,
		nodeIdx: make(map[string]int, len(nodes)), resIdx: make(map[string]int, len(resources)),
		licIdx: make(map[string]int, len(licenses)), assigned: make(map[string][]string, len(nodes))}
	shared := 0
	for i := range resources {
		if resources[i].Shared {
			shared++
		}
	}
	if shared > 0 {
		c.shared = make([]Resource, 0, shared)
	}
	homedTotal := 0
	for i, n := range nodes {
		c.nodeIdx[n.Name] = i
	}
	for i, r := range resources {
		c.resIdx[r.Name] = i
		for _, p := range r.Preferred {
			c.assigned[p] = append(c.assigned[p], r.Name)
		}
		if h := r.Home(); h != "" {
			if c.homed == nil {
				c.homed = make(map[string]homes, len(nodes))
			}
			hs := c.homed[h]
			hs.names = append(hs.names, r.Name)
			c.homed[h] = hs
			homedTotal++
		}
		if r.Shared {
			c.shared = append(c.shared, r)
		}
	}
	for i, l := range licenses {
		c.licIdx[l.Name] = i
	}
	// The declarations of each node's assigned resources, cut from one
	// array.
	total := 0
	for _, names := range c.assigned {
		total += len(names)
	}
	decls := make([]*Resource, 0, total)
	c.assignedRes = make(map[string][]*Resource, len(c.assigned))
	for n, names := range c.assigned {
		start := len(decls)
		for _, r := range names {
			decls = append(decls, &c.Resources[c.resIdx[r]])
		}
		c.assignedRes[n] = decls[start:len(decls):len(decls)]
	}
	// The resources homed on each node, cut from one array in declaration
	// order.
	all := make([]Resource, 0, homedTotal)
	for _, r := range resources {
		h := r.Home()
		if h == "" {
			continue
		}
		hs := c.homed[h]
		if hs.res == nil {
			n := len(hs.names)
			hs.res, all = all[len(all):len(all):len(all)+n], all[:len(all)+n]
		}
		hs.res = append(hs.res, r)
		c.homed[h] = hs
	}
	return c
}

// homes are the resources homed on a node: their names, and their
// declarations.
type homes struct {
	names []string
	res   []Resource
}

// Node returns the declared node called name.
func (c *Cluster) Node(name string) (*Node, bool) {
	i, ok := c.nodeIdx[name]
	if !ok {
		return nil, false
	}
	return &c.Nodes[i], true
}

// Resource returns the declared resource called name.
func (c *Cluster) Resource(name string) (*Resource, bool) {
	i, ok := c.resIdx[name]
	if !ok {
		return nil, false
	}
	return &c.Resources[i], true
}

// License returns the declared licence called name.
func (c *Cluster) License(name string) (*License, bool) {
	i, ok := c.licIdx[name]
	if !ok {
		return nil, false
	}
	return &c.Licenses[i], true
}

// Assigned returns the names of the resources that list node in their
// preferred list, in declaration order. Only these can ever run on it.
func (c *Cluster) Assigned(node string) []string { return c.assigned[node] }

// AssignedResources returns the declarations of the resources Assigned
// names, in the same order, each as Resource returns it. The caller must not
// modify them.
func (c *Cluster) AssignedResources(node string) []*Resource { return c.assignedRes[node] }

// ResourceOn returns the declared resource called name, as Resource does,
// looking first among those assigned to node (which are all a resource
// running on node can be): a node has a few, which costs less than the look-up
// of one among thousands.
func (c *Cluster) ResourceOn(node, name string) (*Resource, bool) {
	for _, r := range c.assignedRes[node] {
		if r.Name == name {
			return r, true
		}
	}
	return c.Resource(name)
}

// HomedOn returns the resources whose first preferred node is node, in
// declaration order. The caller must not modify the result.
func (c *Cluster) HomedOn(node string) []string { return c.homed[node].names }

// HomedResources returns the declarations of the resources HomedOn names,
// in the same order. The caller must not modify the result.
func (c *Cluster) HomedResources(node string) []Resource { return c.homed[node].res }

// Shared returns the shared resources, in declaration order. The caller
// must not modify the result.
func (c *Cluster) Shared() []Resource { return c.shared }

// InitialStatus is the status the declared cluster has before the runbook
// starts: every node up at its declared version, every resource running on
// its home node, no licence installed, the media at the lowest node version
// and read by every node.
func (c *Cluster) InitialStatus() *Status {
	s := &Status{Nodes: make(map[string]NodeStatus, len(c.Nodes)), Resources: make(map[string]ResourceStatus, len(c.Resources))}
	for _, n := range c.Nodes {
		if s.MediaVersion == "" || CompareVersions(n.Version, s.MediaVersion) < 0 {
			s.MediaVersion = n.Version
		}
	}
	for _, n := range c.Nodes {
		s.Nodes[n.Name] = NodeStatus{Version: n.Version, State: NodeUp, Media: s.MediaVersion}
	}
	for _, r := range c.Resources {
		rs := ResourceStatus{State: ResourceOffline}
		if h := r.Home(); h != "" {
			rs = ResourceStatus{State: ResourceRunning, Node: h}
		}
		s.Resources[r.Name] = rs
	}
	s.Reindex()
	return s
}
