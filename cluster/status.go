package cluster

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/runbookhq/runbook/internal/jsonw"
	"github.com/runbookhq/runbook/internal/sorted"
)

// Node states.
const (
	NodeUp   = "up"
	NodeDown = "down"
)

// Resource states, as Novell Cluster Services names them.
const (
	ResourceRunning  = "running"
	ResourceOffline  = "offline"
	ResourceUpgrade  = "upgrade"
	ResourceComatose = "comatose"
)

// NodeStatus is a node as a driver reports it. Media, if the driver reports
// it, is the version of the shared media the node has read: after a media
// upgrade, each other node must refresh before a resource can run on it.
type NodeStatus struct {
	Version string `json:"version"`
	State   string `json:"state"`
	Media   string `json:"media_version,omitempty"`
}

// ResourceStatus is a resource as a driver reports it. Node is where it runs,
// or where it last ran when it is not running.
type ResourceStatus struct {
	State string `json:"state"`
	Node  string `json:"node"`
}

// LicenseStatus is an installed licence.
type LicenseStatus struct {
	Product string `json:"product"`
	Version string `json:"version"`
}

// Status is the cluster as a driver reports it, in the JSON shape of the exec
// driver's status command. Change it only through SetNode and SetResource (or
// call Reindex after changing the maps): it keeps indexes so that the
// questions steps ask of it cost time in the size of the answer, not of the
// cluster.
type Status struct {
	Nodes        map[string]NodeStatus     `json:"nodes"`
	Resources    map[string]ResourceStatus `json:"resources"`
	Licenses     []LicenseStatus           `json:"licenses"`
	MediaVersion string                    `json:"media_version"`

	down map[string]bool // nodes not up
	// on holds, for each node that has had running resources, its list
	// of them, sorted: a change finds the list through one look-up of its
	// node and changes it in place.
	on map[string]*[]string
	// kept is the JSON KeepJSON made, with the media version and licences
	// the status had then; nil once a node or resource changed.
	kept      []byte
	keptMedia string
	keptLic   []LicenseStatus
}

// NewStatus returns an empty status.
func NewStatus() *Status {
	s := &Status{Nodes: map[string]NodeStatus{}, Resources: map[string]ResourceStatus{}}
	s.Reindex()
	return s
}

// ParseStatus decodes the status JSON and checks its shape.
func ParseStatus(data []byte) (*Status, error) {
	var s Status
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("invalid status JSON: %w", err)
	}
	if s.Nodes == nil {
		return nil, fmt.Errorf("invalid status JSON: no \"nodes\" object")
	}
	if s.Resources == nil {
		s.Resources = map[string]ResourceStatus{}
	}
	for name, n := range s.Nodes {
		if n.State != NodeUp && n.State != NodeDown {
			return nil, fmt.Errorf("invalid status JSON: node %q has state %q; want %q or %q", name, n.State, NodeUp, NodeDown)
		}
		if _, err := ParseVersion(n.Version); err != nil && n.State == NodeUp {
			return nil, fmt.Errorf("invalid status JSON: node %q: %v", name, err)
		}
	}
	for name, r := range s.Resources {
		switch r.State {
		case ResourceRunning, ResourceOffline, ResourceUpgrade, ResourceComatose:
		default:
			return nil, fmt.Errorf("invalid status JSON: resource %q has state %q", name, r.State)
		}
		if r.State == ResourceRunning && r.Node == "" {
			return nil, fmt.Errorf("invalid status JSON: resource %q is running on no node", name)
		}
	}
	s.Reindex()
	return &s, nil
}

// Clone returns a deep copy.
func (s *Status) Clone() *Status {
	c := &Status{Nodes: maps.Clone(s.Nodes), Resources: maps.Clone(s.Resources),
		Licenses: append([]LicenseStatus(nil), s.Licenses...), MediaVersion: s.MediaVersion}
	if s.down == nil || c.Nodes == nil || c.Resources == nil {
		c.Reindex()
		return c
	}
	// The indexes are copied, not rebuilt: their lists are copied into
	// one array, each cut to its length so that it grows apart, and a node
	// with none left has no list, as Reindex makes them.
	c.down = maps.Clone(s.down)
	total, lists := 0, 0
	for _, list := range s.on {
		if len(*list) > 0 {
			total += len(*list)
			lists++
		}
	}
	all := make([]string, 0, total)
	heads := make([][]string, 0, lists)
	c.on = make(map[string]*[]string, lists)
	for n, list := range s.on {
		if len(*list) == 0 {
			continue
		}
		start := len(all)
		all = append(all, *list...)
		heads = append(heads, all[start:len(all):len(all)])
		c.on[n] = &heads[len(heads)-1]
	}
	return c
}

// Reindex rebuilds the indexes after the maps were changed directly.
func (s *Status) Reindex() {
	s.kept = nil
	if s.Nodes == nil {
		s.Nodes = map[string]NodeStatus{}
	}
	if s.Resources == nil {
		s.Resources = map[string]ResourceStatus{}
	}
	s.down = map[string]bool{}
	for n, ns := range s.Nodes {
		if ns.State != NodeUp {
			s.down[n] = true
		}
	}
	// Each node's list is cut from one array, with room to grow by a
	// resource or two, rather than allocated and grown one by one.
	count := make(map[string]int, len(s.Nodes))
	running := 0
	for _, rs := range s.Resources {
		if rs.State == ResourceRunning {
			count[rs.Node]++
			running++
		}
	}
	const room = 2
	all := make([]string, 0, running+room*len(count))
	// The lists' heads are in one array too.
	heads := make([][]string, 0, len(count))
	s.on = make(map[string]*[]string, len(count))
	for r, rs := range s.Resources {
		if rs.State != ResourceRunning {
			continue
		}
		list := s.on[rs.Node]
		if list == nil {
			n := count[rs.Node] + room
			heads = append(heads, all[len(all):len(all):len(all)+n])
			all = all[:len(all)+n]
			list = &heads[len(heads)-1]
			s.on[rs.Node] = list
		}
		*list = append(*list, r)
	}
	for _, list := range s.on {
		slices.Sort(*list)
	}
}

func (s *Status) addOn(node, res string) {
	list := s.on[node]
	if list == nil {
		list = new([]string)
		s.on[node] = list
	}
	if i, found := slices.BinarySearch(*list, res); !found {
		*list = slices.Insert(*list, i, res)
	}
}

func (s *Status) removeOn(node, res string) {
	if list := s.on[node]; list != nil {
		if i, found := slices.BinarySearch(*list, res); found {
			*list = slices.Delete(*list, i, i+1)
		}
	}
}

// SetNode records a node's status, and returns the one it replaces (had
// is false if there was none).
func (s *Status) SetNode(name string, ns NodeStatus) (old NodeStatus, had bool) {
	if s.down == nil {
		s.Reindex()
	}
	old, had = s.Nodes[name]
	s.SetNodeFrom(name, old, had, ns)
	return old, had
}

// SetNodeFrom is SetNode for a caller that has just read the node's status
// old (had: the status has the node) and changed nothing since: it records
// ns without looking the node up again. old and had must be what s.Nodes
// holds; the simulator, which reads every node it changes, calls it.
func (s *Status) SetNodeFrom(name string, old NodeStatus, had bool, ns NodeStatus) {
	if s.down == nil {
		s.Reindex()
	}
	s.kept = nil
	s.Nodes[name] = ns
	if had && (old.State == NodeUp) == (ns.State == NodeUp) {
		return // as the index has it
	}
	if ns.State == NodeUp {
		delete(s.down, name)
	} else {
		s.down[name] = true
	}
}

// SetResource records a resource's status, and returns the one it
// replaces (had is false if there was none).
func (s *Status) SetResource(name string, rs ResourceStatus) (old ResourceStatus, had bool) {
	if s.down == nil {
		s.Reindex()
	}
	old, had = s.Resources[name]
	s.SetResourceFrom(name, old, had, rs)
	return old, had
}

// SetResourceFrom is SetResource for a caller that has just read the
// resource's status old (had: the status has the resource) and changed
// nothing since: it records rs without looking the resource up again. old
// and had must be what s.Resources holds; the simulator, which reads most
// resources it changes, calls it.
func (s *Status) SetResourceFrom(name string, old ResourceStatus, had bool, rs ResourceStatus) {
	if s.down == nil {
		s.Reindex()
	}
	s.kept = nil
	s.Resources[name] = rs
	wasOn, isOn := had && old.State == ResourceRunning, rs.State == ResourceRunning
	if wasOn && isOn && old.Node == rs.Node {
		return
	}
	if wasOn {
		s.removeOn(old.Node, name)
	}
	if isOn {
		s.addOn(rs.Node, name)
	}
}

// Up reports whether the node is known and up.
func (s *Status) Up(node string) bool {
	n, ok := s.Nodes[node]
	return ok && n.State == NodeUp
}

// NumDown is how many nodes are not up.
func (s *Status) NumDown() int { return len(s.down) }

// Down returns the nodes that are not up, sorted.
func (s *Status) Down() []string { return sorted.Keys(s.down) }

// RunningOn returns the resources running on node, sorted.
func (s *Status) RunningOn(node string) []string {
	var list []string
	if p := s.on[node]; p != nil {
		list = *p
	}
	return append(make([]string, 0, len(list)), list...)
}

// HasLicense reports whether a licence for the product and version is installed.
func (s *Status) HasLicense(product, version string) bool {
	for _, l := range s.Licenses {
		if l.Product == product && CompareVersions(l.Version, version) == 0 {
			return true
		}
	}
	return false
}

// NodeNames returns the node names, sorted.
func (s *Status) NodeNames() []string { return sorted.Keys(s.Nodes) }

// ResourceNames returns the resource names, sorted.
func (s *Status) ResourceNames() []string { return sorted.Keys(s.Resources) }

// Versions returns the distinct versions the nodes run, lowest first.
func (s *Status) Versions() []string {
	set := map[string]bool{}
	for _, n := range s.Nodes {
		set[n.Version] = true
	}
	out := sorted.Keys(set)
	sort.Slice(out, func(i, j int) bool { return CompareVersions(out[i], out[j]) < 0 })
	return out
}

// KeepJSON encodes the status's JSON now, and has AppendJSON append it as
// made until a node or resource changes (SetNode, SetResource, Reindex) or
// the media version or the licences do: for a status made ahead that is
// written whole more than once before it changes (the simulator's, as it
// opens and as the run that starts on it takes its snapshot).
func (s *Status) KeepJSON() {
	s.kept = nil
	kept := s.AppendJSON(nil)
	s.kept, s.keptMedia, s.keptLic = kept, s.MediaVersion, slices.Clone(s.Licenses)
}

// AppendJSON appends the status's JSON to b, the bytes encoding/json makes
// of it, without reflection: a status of 10,000 nodes is written whole to
// the snapshots.
func (s *Status) AppendJSON(b []byte) []byte {
	if s.kept != nil && s.MediaVersion == s.keptMedia && (s.Licenses == nil) == (s.keptLic == nil) && slices.Equal(s.Licenses, s.keptLic) {
		return append(b, s.kept...)
	}
	b = append(b, `{"nodes":`...)
	if s.Nodes == nil {
		b = append(b, "null"...)
	} else {
		b, _ = jsonw.Object(b, sorted.Keys(s.Nodes), func(b []byte, n string) ([]byte, error) { return s.Nodes[n].AppendJSON(b), nil })
	}
	b = append(b, `,"resources":`...)
	if s.Resources == nil {
		b = append(b, "null"...)
	} else {
		b, _ = jsonw.Object(b, sorted.Keys(s.Resources), func(b []byte, r string) ([]byte, error) { return s.Resources[r].AppendJSON(b), nil })
	}
	b = append(b, `,"licenses":`...)
	b = AppendLicensesJSON(b, s.Licenses)
	b = append(b, `,"media_version":`...)
	b = jsonw.String(b, s.MediaVersion)
	return append(b, '}')
}

// AppendJSON appends the node's status as encoding/json writes it. The
// states a node has are written as the constants they are.
func (ns NodeStatus) AppendJSON(b []byte) []byte {
	b = append(b, `{"version":`...)
	b = jsonw.String(b, ns.Version)
	switch ns.State {
	case NodeUp:
		b = append(b, `,"state":"up"`...)
	case NodeDown:
		b = append(b, `,"state":"down"`...)
	default:
		b = append(b, `,"state":`...)
		b = jsonw.String(b, ns.State)
	}
	if ns.Media != "" {
		b = append(b, `,"media_version":`...)
		b = jsonw.String(b, ns.Media)
	}
	return append(b, '}')
}

// AppendJSON appends the resource's status as encoding/json writes it.
// The states a resource has are written as the constants they are.
func (rs ResourceStatus) AppendJSON(b []byte) []byte {
	switch rs.State {
	case ResourceRunning:
		b = append(b, `{"state":"running","node":`...)
	case ResourceOffline:
		b = append(b, `{"state":"offline","node":`...)
	case ResourceUpgrade:
		b = append(b, `{"state":"upgrade","node":`...)
	case ResourceComatose:
		b = append(b, `{"state":"comatose","node":`...)
	default:
		b = append(b, `{"state":`...)
		b = jsonw.String(b, rs.State)
		b = append(b, `,"node":`...)
	}
	b = jsonw.String(b, rs.Node)
	return append(b, '}')
}

// AppendLicensesJSON appends the licences as encoding/json writes them
// (null for nil).
func AppendLicensesJSON(b []byte, ls []LicenseStatus) []byte {
	if ls == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, l := range ls {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"product":`...)
		b = jsonw.String(b, l.Product)
		b = append(b, `,"version":`...)
		b = jsonw.String(b, l.Version)
		b = append(b, '}')
	}
	return append(b, ']')
}
