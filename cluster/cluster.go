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

	// nodeAt holds, for every node and every name that preferred lists
	// name, its index in Nodes (-1 for a name no node declares) and where
	// its lists are in the arrays below, in its map entry: what a step
	// asks of one node is found through one look-up by its name, in one
	// place.
	nodeAt      map[string]nodeSpan
	assigned    []string    // resources that list a node in Preferred
	assignedRes []*Resource // their declarations, as Resource finds them
	homed       []string    // resources whose first preferred node is a node
	homedRes    []Resource  // their declarations
	resIdx      map[string]int
	licIdx      map[string]int
	shared      []Resource // the shared resources, in declaration order
}

// nodeSpan is a node name's entry: its index in Nodes, and where its
// resources are in assigned and assignedRes, and in homed and homedRes.
type nodeSpan struct {
	node            int32
	assigned, nAsgn int32
	homed, nHomed   int32
}

// NewCluster indexes a declared cluster.
func NewCluster(name string, nodes []Node, resources []Resource, licenses []License) *Cluster {
	// The indexes have room for every node and resource at once.
	c := &Cluster{Name: name, Nodes: nodes, Resources: resources, Licenses: licenses,
		nodeAt: make(map[string]nodeSpan, len(nodes)), resIdx: make(map[string]int, len(resources)),
		licIdx: make(map[string]int, len(licenses))}
	shared := 0
	for i := range resources {
		if resources[i].Shared {
			shared++
		}
	}
	if shared > 0 {
		c.shared = make([]Resource, 0, shared)
	}
	for i, n := range nodes {
		c.nodeAt[n.Name] = nodeSpan{node: int32(i)}
	}
	// How many resources each name is assigned and homes; order holds the
	// names with some, in the order of their first mention.
	assignedTotal, homedTotal := 0, 0
	var order []string
	for i, r := range resources {
		c.resIdx[r.Name] = i
		for _, p := range r.Preferred {
			sp, ok := c.nodeAt[p]
			if !ok {
				sp.node = -1
			}
			if sp.nAsgn == 0 && sp.nHomed == 0 {
				order = append(order, p)
			}
			sp.nAsgn++
			c.nodeAt[p] = sp
			assignedTotal++
		}
		if h := r.Home(); h != "" {
			// Its first preferred node, counted above.
			sp := c.nodeAt[h]
			sp.nHomed++
			c.nodeAt[h] = sp
			homedTotal++
		}
		if r.Shared {
			c.shared = append(c.shared, r)
		}
	}
	for i, l := range licenses {
		c.licIdx[l.Name] = i
	}
	// Each name's lists are cut from one array each: each span is set at
	// its end, then filled backwards from the last declaration to the
	// first, which leaves it at its start with its resources in
	// declaration order.
	c.assigned = make([]string, assignedTotal)
	c.assignedRes = make([]*Resource, assignedTotal)
	c.homed = make([]string, homedTotal)
	c.homedRes = make([]Resource, homedTotal)
	offA, offH := int32(0), int32(0)
	for _, p := range order {
		sp := c.nodeAt[p]
		offA += sp.nAsgn
		offH += sp.nHomed
		sp.assigned, sp.homed = offA, offH
		c.nodeAt[p] = sp
	}
	for i := len(resources) - 1; i >= 0; i-- {
		r := &resources[i]
		decl := &c.Resources[c.resIdx[r.Name]]
		for j := len(r.Preferred) - 1; j >= 0; j-- {
			p := r.Preferred[j]
			sp := c.nodeAt[p]
			sp.assigned--
			c.assigned[sp.assigned] = r.Name
			c.assignedRes[sp.assigned] = decl
			if j == 0 && p != "" {
				sp.homed--
				c.homed[sp.homed] = r.Name
				c.homedRes[sp.homed] = *r
			}
			c.nodeAt[p] = sp
		}
	}
	return c
}

// Node returns the declared node called name.
func (c *Cluster) Node(name string) (*Node, bool) {
	sp, ok := c.nodeAt[name]
	if !ok || sp.node < 0 {
		return nil, false
	}
	return &c.Nodes[sp.node], true
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
func (c *Cluster) Assigned(node string) []string {
	if sp := c.nodeAt[node]; sp.nAsgn > 0 {
		return c.assigned[sp.assigned : sp.assigned+sp.nAsgn : sp.assigned+sp.nAsgn]
	}
	return nil
}

// AssignedResources returns the declarations of the resources Assigned
// names, in the same order, each as Resource returns it. The caller must not
// modify them.
func (c *Cluster) AssignedResources(node string) []*Resource {
	if sp := c.nodeAt[node]; sp.nAsgn > 0 {
		return c.assignedRes[sp.assigned : sp.assigned+sp.nAsgn : sp.assigned+sp.nAsgn]
	}
	return nil
}

// ResourceOn returns the declared resource called name, as Resource does,
// looking first among those assigned to node (which are all a resource
// running on node can be): a node has a few, which costs less than the look-up
// of one among thousands.
func (c *Cluster) ResourceOn(node, name string) (*Resource, bool) {
	return c.ResourceAmong(c.AssignedResources(node), name)
}

// ResourceAmong returns the declared resource called name, as Resource
// does, looking first in among, a node's AssignedResources: a step that
// looks up several resources of one node finds its list once.
func (c *Cluster) ResourceAmong(among []*Resource, name string) (*Resource, bool) {
	for _, r := range among {
		if r.Name == name {
			return r, true
		}
	}
	return c.Resource(name)
}

// HomedOn returns the resources whose first preferred node is node, in
// declaration order. The caller must not modify the result.
func (c *Cluster) HomedOn(node string) []string {
	if sp := c.nodeAt[node]; sp.nHomed > 0 {
		return c.homed[sp.homed : sp.homed+sp.nHomed : sp.homed+sp.nHomed]
	}
	return nil
}

// HomedResources returns the declarations of the resources HomedOn names,
// in the same order. The caller must not modify the result.
func (c *Cluster) HomedResources(node string) []Resource {
	if sp := c.nodeAt[node]; sp.nHomed > 0 {
		return c.homedRes[sp.homed : sp.homed+sp.nHomed : sp.homed+sp.nHomed]
	}
	return nil
}

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
