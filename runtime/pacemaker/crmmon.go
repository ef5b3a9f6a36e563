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
// nodes in standby, each primitive's stickiness and the location
// constraints.
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

type xmlCIB struct {
	XMLName      xml.Name  `xml:"cib"`
	ValidateWith string    `xml:"validate-with,attr"`
	Pairs        []xmlPair `xml:"configuration>crm_config>cluster_property_set>nvpair"`
	Nodes        []struct {
		Uname string    `xml:"uname,attr"`
		Attrs []xmlPair `xml:"instance_attributes>nvpair"`
	} `xml:"configuration>nodes>node"`
	Primitives []struct {
		ID   string    `xml:"id,attr"`
		Meta []xmlPair `xml:"meta_attributes>nvpair"`
	} `xml:"configuration>resources>primitive"`
	Defaults    []xmlPair `xml:"configuration>rsc_defaults>meta_attributes>nvpair"`
	Constraints []struct {
		ID string `xml:"id,attr"`
	} `xml:"configuration>constraints>rsc_location"`
}

func pairValue(pairs []xmlPair, name string) (string, bool) {
	for _, p := range pairs {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

// parseCIB reads the driver's cluster options from `cibadmin --query`.
func parseCIB(data []byte) (*crmConfig, error) {
	var x xmlCIB
	if err := xml.Unmarshal(data, &x); err != nil {
		return nil, fmt.Errorf("parsing the CIB: %w", err)
	}
	c := &crmConfig{Schema: x.ValidateWith, Standby: map[string]bool{}, Stickiness: map[string]string{}}
	for _, n := range x.Nodes {
		if v, ok := pairValue(n.Attrs, "standby"); ok && isTrue(v) {
			c.Standby[n.Uname] = true
		}
	}
	c.DefaultStickiness, _ = pairValue(x.Defaults, "resource-stickiness")
	for _, p := range x.Primitives {
		v, ok := pairValue(p.Meta, "resource-stickiness")
		if !ok {
			v = c.DefaultStickiness
		}
		c.Stickiness[p.ID] = v
	}
	for _, l := range x.Constraints {
		c.Constraints = append(c.Constraints, l.ID)
	}
	for _, p := range x.Pairs {
		switch {
		case p.Name == mediaVersionOption:
			c.MediaVersion = p.Value
		case strings.HasPrefix(p.Name, licenseOptionPrefix):
			// The value is "VERSION PRODUCT": versions hold no spaces.
			version, product, ok := strings.Cut(p.Value, " ")
			if ok {
				c.Licenses = append(c.Licenses, [2]string{product, version})
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
