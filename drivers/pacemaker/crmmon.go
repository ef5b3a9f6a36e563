package pacemaker

import (
	"encoding/xml"
	"fmt"
	"strings"
)

// monitor is what the driver reads from `crm_mon --output-as=xml`.
type monitor struct {
	DC        string
	Quorum    bool
	Nodes     []monNode
	Resources []monResource
}

type monNode struct {
	Name                     string
	Online, Standby, Unclean bool
	Pending, Shutdown, Maint bool
}

type monResource struct {
	ID                      string
	Role                    string
	Active, Failed, Blocked bool
	Managed                 bool
	Nodes                   []string
	// LastNode is the node of the resource's most recent operation in the
	// node history, for a resource that runs nowhere.
	LastNode string
}

type xmlMon struct {
	XMLName xml.Name `xml:"pacemaker-result"`
	DC      struct {
		Present    bool   `xml:"present,attr"`
		Name       string `xml:"name,attr"`
		WithQuorum bool   `xml:"with_quorum,attr"`
	} `xml:"summary>current_dc"`
	Nodes []struct {
		Name        string `xml:"name,attr"`
		Online      bool   `xml:"online,attr"`
		Standby     bool   `xml:"standby,attr"`
		Maintenance bool   `xml:"maintenance,attr"`
		Pending     bool   `xml:"pending,attr"`
		Unclean     bool   `xml:"unclean,attr"`
		Shutdown    bool   `xml:"shutdown,attr"`
	} `xml:"nodes>node"`
	Resources []xmlMonResource `xml:"resources>resource"`
	Groups    []xmlMonResource `xml:"resources>group>resource"`
	History   []struct {
		Name      string `xml:"name,attr"`
		Resources []struct {
			ID  string `xml:"id,attr"`
			Ops []struct {
				Call int    `xml:"call,attr"`
				Task string `xml:"task,attr"`
				RC   int    `xml:"rc,attr"`
			} `xml:"operation_history"`
		} `xml:"resource_history"`
	} `xml:"node_history>node"`
	Status struct {
		Code    int    `xml:"code,attr"`
		Message string `xml:"message,attr"`
	} `xml:"status"`
}

type xmlMonResource struct {
	ID      string `xml:"id,attr"`
	Role    string `xml:"role,attr"`
	Active  bool   `xml:"active,attr"`
	Failed  bool   `xml:"failed,attr"`
	Blocked bool   `xml:"blocked,attr"`
	Managed bool   `xml:"managed,attr"`
	Nodes   []struct {
		Name string `xml:"name,attr"`
	} `xml:"node"`
}

// parseMonitor parses the output of `crm_mon --output-as=xml`.
func parseMonitor(data []byte) (*monitor, error) {
	var x xmlMon
	if err := xml.Unmarshal(data, &x); err != nil {
		return nil, fmt.Errorf("parsing crm_mon XML: %w", err)
	}
	if x.Status.Code != 0 {
		return nil, fmt.Errorf("crm_mon: %s (code %d)", x.Status.Message, x.Status.Code)
	}
	m := &monitor{Quorum: x.DC.WithQuorum}
	if x.DC.Present {
		m.DC = x.DC.Name
	}
	for _, n := range x.Nodes {
		m.Nodes = append(m.Nodes, monNode{Name: n.Name, Online: n.Online, Standby: n.Standby,
			Unclean: n.Unclean, Pending: n.Pending, Shutdown: n.Shutdown, Maint: n.Maintenance})
	}
	// The node of each resource's latest operation (calls are numbered per
	// node, so this is a best guess across nodes: prefer a start).
	last := map[string]string{}
	for _, n := range x.History {
		for _, r := range n.Resources {
			for _, op := range r.Ops {
				if op.Task == "start" && op.RC == 0 {
					last[r.ID] = n.Name
				}
			}
		}
	}
	for _, r := range append(x.Resources, x.Groups...) {
		mr := monResource{ID: r.ID, Role: r.Role, Active: r.Active, Failed: r.Failed,
			Blocked: r.Blocked, Managed: r.Managed, LastNode: last[r.ID]}
		for _, n := range r.Nodes {
			mr.Nodes = append(mr.Nodes, n.Name)
		}
		m.Resources = append(m.Resources, mr)
	}
	return m, nil
}

// crmConfig is what the driver reads from the CIB: what it keeps in the
// cluster options (the installed licences and the media version), the
// nodes in standby, each primitive's stickiness and meta attributes, the
// location constraints, the nodes' attributes and the marks the driver
// leaves on the cluster while an operation of its own is under way.
type crmConfig struct {
	Licenses     [][2]string // product, version
	MediaVersion string
	Schema       string // the CIB's validate-with, for example "pacemaker-3.9"
	// Standby holds the nodes whose permanent standby attribute is on.
	Standby map[string]bool
	// Stickiness is each primitive's resource-stickiness meta attribute,
	// or DefaultStickiness when it has none.
	Stickiness map[string]string
	// DefaultStickiness is the rsc_defaults value, "" when unset (0).
	DefaultStickiness string
	// Constraints are the ids of the location constraints.
	Constraints []string

	// Locations are the location constraints, in the CIB's order.
	Locations []location
	// Meta is each primitive's meta attributes.
	Meta map[string]map[string]string
	// MetaIDs is, for each primitive at the top of the resources (not in
	// a group), the id of its first meta attribute set and of each of
	// its meta attributes.
	MetaIDs map[string]metaIDs
	// NodeAttrs is each node's permanent attributes (configuration), and
	// Transient its transient ones (status: fail counts, for instance).
	NodeAttrs, Transient map[string]map[string]string
	// NodeIDs maps each node's name to its id.
	NodeIDs map[string]string
	// Symmetric is the symmetric-cluster option (default true): a
	// resource may run on a node no constraint mentions.
	Symmetric bool
	// Ops is each resource's last operations per node, from the status
	// section: resource -> node -> ops.
	Ops map[string]map[string][]lrmOp
}

type metaIDs struct {
	Set   string
	Pairs map[string]string // name -> id
}

// lrmOp is an operation of the executor as the CIB's status section
// records it (lrm_rsc_op).
type lrmOp struct {
	Op       string // start, stop, monitor, ...
	Interval string
	RC       int
	Status   int // op-status: 0 done, -1 pending
	Call     int
	Changed  int64 // last-rc-change, seconds since the epoch
	ExecMS   int
}

// location is an rsc_location constraint.
type location struct {
	ID, Rsc, RscPattern string
	Node, Score, Role   string
	Rules               []xmlRule
}

// preferNode is the node of the driver's preference for rsc, "" if none.
func (c *crmConfig) preferNode(rsc string) string {
	for _, l := range c.Locations {
		if l.ID == preferID(rsc) {
			return l.Node
		}
	}
	return ""
}

// Cluster option names the driver owns.
const (
	licenseOptionPrefix = "runbook-license-"
	mediaVersionOption  = "runbook-media-version"
)

type xmlPair struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type xmlPrimitive struct {
	ID       string `xml:"id,attr"`
	MetaSets []struct {
		ID    string `xml:"id,attr"`
		Pairs []struct {
			ID    string `xml:"id,attr"`
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"nvpair"`
	} `xml:"meta_attributes"`
}

// meta is the primitive's meta attributes, from all its sets.
func (p xmlPrimitive) meta() []xmlPair {
	var out []xmlPair
	for _, set := range p.MetaSets {
		for _, pair := range set.Pairs {
			out = append(out, xmlPair{Name: pair.Name, Value: pair.Value})
		}
	}
	return out
}

type xmlRule struct {
	ID             string `xml:"id,attr"`
	Score          string `xml:"score,attr"`
	ScoreAttribute string `xml:"score-attribute,attr"`
	BooleanOp      string `xml:"boolean-op,attr"`
	Role           string `xml:"role,attr"`
	Exprs          []struct {
		Attribute string `xml:"attribute,attr"`
		Operation string `xml:"operation,attr"`
		Value     string `xml:"value,attr"`
		Type      string `xml:"type,attr"`
	} `xml:"expression"`
	Dates []struct {
		Operation string `xml:"operation,attr"`
		Start     string `xml:"start,attr"`
		End       string `xml:"end,attr"`
	} `xml:"date_expression"`
	Rules []xmlRule `xml:"rule"`
}

type xmlCIB struct {
	XMLName      xml.Name  `xml:"cib"`
	ValidateWith string    `xml:"validate-with,attr"`
	Pairs        []xmlPair `xml:"configuration>crm_config>cluster_property_set>nvpair"`
	Nodes        []struct {
		ID    string    `xml:"id,attr"`
		Uname string    `xml:"uname,attr"`
		Attrs []xmlPair `xml:"instance_attributes>nvpair"`
	} `xml:"configuration>nodes>node"`
	Primitives  []xmlPrimitive `xml:"configuration>resources>primitive"`
	Grouped     []xmlPrimitive `xml:"configuration>resources>group>primitive"`
	Defaults    []xmlPair      `xml:"configuration>rsc_defaults>meta_attributes>nvpair"`
	Constraints []struct {
		ID         string    `xml:"id,attr"`
		Rsc        string    `xml:"rsc,attr"`
		RscPattern string    `xml:"rsc-pattern,attr"`
		Node       string    `xml:"node,attr"`
		Score      string    `xml:"score,attr"`
		Role       string    `xml:"role,attr"`
		Rules      []xmlRule `xml:"rule"`
	} `xml:"configuration>constraints>rsc_location"`
	States []struct {
		ID        string    `xml:"id,attr"`
		Uname     string    `xml:"uname,attr"`
		Transient []xmlPair `xml:"transient_attributes>instance_attributes>nvpair"`
		Resources []struct {
			ID  string `xml:"id,attr"`
			Ops []struct {
				Op       string `xml:"operation,attr"`
				Interval string `xml:"interval,attr"`
				RC       int    `xml:"rc-code,attr"`
				Status   int    `xml:"op-status,attr"`
				Call     int    `xml:"call-id,attr"`
				Changed  int64  `xml:"last-rc-change,attr"`
				Exec     int    `xml:"exec-time,attr"`
			} `xml:"lrm_rsc_op"`
		} `xml:"lrm>lrm_resources>lrm_resource"`
	} `xml:"status>node_state"`
}

func pairValue(pairs []xmlPair, name string) (string, bool) {
	for _, p := range pairs {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

func pairMap(pairs []xmlPair) map[string]string {
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		m[p.Name] = p.Value
	}
	return m
}

// parseCIB reads the driver's cluster options from `cibadmin --query`.
func parseCIB(data []byte) (*crmConfig, error) {
	var x xmlCIB
	if err := xml.Unmarshal(data, &x); err != nil {
		return nil, fmt.Errorf("parsing the CIB: %w", err)
	}
	c := &crmConfig{Schema: x.ValidateWith, Standby: map[string]bool{}, Stickiness: map[string]string{},
		Meta: map[string]map[string]string{}, NodeAttrs: map[string]map[string]string{}, Transient: map[string]map[string]string{},
		NodeIDs: map[string]string{}, Symmetric: true, Ops: map[string]map[string][]lrmOp{}, MetaIDs: map[string]metaIDs{}}
	for _, n := range x.Nodes {
		c.NodeAttrs[n.Uname] = pairMap(n.Attrs)
		c.NodeIDs[n.Uname] = n.ID
		if v, ok := pairValue(n.Attrs, "standby"); ok && isTrue(v) {
			c.Standby[n.Uname] = true
		}
	}
	c.DefaultStickiness, _ = pairValue(x.Defaults, "resource-stickiness")
	for _, p := range x.Primitives {
		ids := metaIDs{Set: p.ID + "-meta_attributes", Pairs: map[string]string{}}
		for i, set := range p.MetaSets {
			if i == 0 {
				ids.Set = set.ID
			}
			for _, pair := range set.Pairs {
				if _, ok := ids.Pairs[pair.Name]; !ok {
					ids.Pairs[pair.Name] = pair.ID
				}
			}
		}
		c.MetaIDs[p.ID] = ids
	}
	for _, p := range append(x.Primitives, x.Grouped...) {
		v, ok := pairValue(p.meta(), "resource-stickiness")
		if !ok {
			v = c.DefaultStickiness
		}
		c.Stickiness[p.ID] = v
		c.Meta[p.ID] = pairMap(p.meta())
	}
	for _, l := range x.Constraints {
		c.Constraints = append(c.Constraints, l.ID)
		c.Locations = append(c.Locations, location{ID: l.ID, Rsc: l.Rsc, RscPattern: l.RscPattern, Node: l.Node,
			Score: l.Score, Role: l.Role, Rules: l.Rules})
	}
	for _, p := range x.Pairs {
		switch {
		case p.Name == mediaVersionOption:
			c.MediaVersion = p.Value
		case p.Name == "symmetric-cluster":
			c.Symmetric = isTrue(p.Value)
		case strings.HasPrefix(p.Name, licenseOptionPrefix):
			// The value is "VERSION PRODUCT": versions hold no spaces.
			version, product, ok := strings.Cut(p.Value, " ")
			if ok {
				c.Licenses = append(c.Licenses, [2]string{product, version})
			}
		}
	}
	for _, s := range x.States {
		if len(s.Transient) > 0 {
			c.Transient[s.Uname] = pairMap(s.Transient)
		}
		for _, r := range s.Resources {
			for _, op := range r.Ops {
				if c.Ops[r.ID] == nil {
					c.Ops[r.ID] = map[string][]lrmOp{}
				}
				c.Ops[r.ID][s.Uname] = append(c.Ops[r.ID][s.Uname], lrmOp{Op: op.Op, Interval: op.Interval, RC: op.RC,
					Status: op.Status, Call: op.Call, Changed: op.Changed, ExecMS: op.Exec})
			}
		}
	}
	return c, nil
}

// isTrue reads a Pacemaker boolean ("on", "true", "yes", "1", "y").
func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "on", "true", "yes", "y", "1":
		return true
	}
	return false
}
