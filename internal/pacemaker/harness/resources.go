package harness

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
)

// Stickiness values for Resource.Stickiness.
const (
	// FailbackAuto lets a resource return to a more preferred node as soon
	// as it is back.
	FailbackAuto = "0"
	// FailbackManual keeps a resource where it runs until it is moved.
	FailbackManual = "INFINITY"
)

// Resource is an ocf:pacemaker:Dummy resource with a preferred node list.
type Resource struct {
	ID string
	// Prefer lists nodes from most to least preferred: the first is the
	// resource's home, the rest its failover order. Node i of n gets the
	// location score 100*(n-i), for example 300, 200, 100.
	Prefer []string
	// Stickiness is the resource-stickiness meta attribute: FailbackAuto
	// ("0") or FailbackManual ("INFINITY"). Empty means FailbackAuto.
	Stickiness string
}

// Home is the resource's most preferred node.
func (r Resource) Home() string {
	if len(r.Prefer) == 0 {
		return ""
	}
	return r.Prefer[0]
}

// DefaultResources returns four resources, one home per node and a second
// one on n1, so that a standby of n1 shows both failback kinds and two
// failover orders:
//
//	rA  n1 > n2 > n3  stickiness 0         (automatic failback)
//	rB  n2 > n3 > n1  stickiness INFINITY  (manual failback)
//	rC  n3 > n1 > n2  stickiness 0
//	rD  n1 > n3 > n2  stickiness INFINITY
func DefaultResources() []Resource {
	return []Resource{
		{ID: "rA", Prefer: []string{"n1", "n2", "n3"}, Stickiness: FailbackAuto},
		{ID: "rB", Prefer: []string{"n2", "n3", "n1"}, Stickiness: FailbackManual},
		{ID: "rC", Prefer: []string{"n3", "n1", "n2"}, Stickiness: FailbackAuto},
		{ID: "rD", Prefer: []string{"n1", "n3", "n2"}, Stickiness: FailbackManual},
	}
}

// Homes maps each resource to its home node.
func Homes(rs ...Resource) map[string]string {
	m := map[string]string{}
	for _, r := range rs {
		m[r.ID] = r.Home()
	}
	return m
}

type nvpair struct {
	ID    string `xml:"id,attr"`
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type primitiveXML struct {
	XMLName  xml.Name `xml:"primitive"`
	ID       string   `xml:"id,attr"`
	Class    string   `xml:"class,attr"`
	Provider string   `xml:"provider,attr"`
	Type     string   `xml:"type,attr"`
	Meta     struct {
		ID    string   `xml:"id,attr"`
		Pairs []nvpair `xml:"nvpair"`
	} `xml:"meta_attributes"`
	Ops []opXML `xml:"operations>op"`
}

type opXML struct {
	ID       string `xml:"id,attr"`
	Name     string `xml:"name,attr"`
	Interval string `xml:"interval,attr"`
	Timeout  string `xml:"timeout,attr"`
}

type locationXML struct {
	XMLName xml.Name `xml:"rsc_location"`
	ID      string   `xml:"id,attr"`
	Rsc     string   `xml:"rsc,attr"`
	Node    string   `xml:"node,attr"`
	Score   string   `xml:"score,attr"`
}

// resourceXML returns the CIB elements for r: its primitive and its
// location constraints.
func resourceXML(r Resource) (primitive string, locations []string, err error) {
	if r.ID == "" || len(r.Prefer) == 0 {
		return "", nil, fmt.Errorf("harness: resource %q needs an ID and preferred nodes", r.ID)
	}
	stick := r.Stickiness
	if stick == "" {
		stick = FailbackAuto
	}
	p := primitiveXML{ID: r.ID, Class: "ocf", Provider: "pacemaker", Type: "Dummy"}
	p.Meta.ID = r.ID + "-meta_attributes"
	p.Meta.Pairs = []nvpair{{ID: r.ID + "-meta_attributes-resource-stickiness", Name: "resource-stickiness", Value: stick}}
	p.Ops = append(p.Ops, opXML{ID: r.ID + "-monitor-interval-10s", Name: "monitor", Interval: "10s", Timeout: "20s"})
	b, err := xml.Marshal(p)
	if err != nil {
		return "", nil, err
	}
	for i, n := range r.Prefer {
		l, err := xml.Marshal(locationXML{
			ID: "loc-" + r.ID + "-" + n, Rsc: r.ID, Node: n,
			Score: fmt.Sprint(100 * (len(r.Prefer) - i)),
		})
		if err != nil {
			return "", nil, err
		}
		locations = append(locations, string(l))
	}
	return string(b), locations, nil
}

// AddResources creates the resources and their location constraints in
// the live CIB (cibadmin --create), on the first running node.
func (c *Cluster) AddResources(ctx context.Context, rs ...Resource) error {
	n := c.anyRunning()
	if n == nil {
		return errors.New("harness: no node is running")
	}
	var prims, locs []string
	for _, r := range rs {
		p, l, err := resourceXML(r)
		if err != nil {
			return err
		}
		prims = append(prims, p)
		locs = append(locs, l...)
	}
	// One update per section: resources first, as the constraints refer
	// to them.
	if _, err := c.exec(ctx, n, "cibadmin", "--create", "--scope", "resources",
		"--xml-text", "<resources>"+strings.Join(prims, "")+"</resources>"); err != nil {
		return err
	}
	_, err := c.exec(ctx, n, "cibadmin", "--create", "--scope", "constraints",
		"--xml-text", "<constraints>"+strings.Join(locs, "")+"</constraints>")
	return err
}

// WaitHomes waits until each resource runs on its home node.
func (c *Cluster) WaitHomes(ctx context.Context, rs ...Resource) error {
	_, err := c.WaitWhere(ctx, Homes(rs...))
	return err
}

// Standby puts node in standby (on) or takes it out (off), as a permanent
// node attribute set with crm_attribute.
func (c *Cluster) Standby(ctx context.Context, node string, on bool) error {
	if _, err := c.node(node); err != nil {
		return err
	}
	n := c.anyRunning()
	if n == nil {
		return errors.New("harness: no node is running")
	}
	v := "off"
	if on {
		v = "on"
	}
	_, err := c.exec(ctx, n, "crm_attribute", "--type", "nodes", "--node", node,
		"--name", "standby", "--update", v)
	return err
}

func (c *Cluster) anyRunning() *node {
	for _, n := range c.nodes {
		if c.daemon(n, "pacemakerd").running() {
			return n
		}
	}
	return nil
}

// MoveResource moves a resource to node even when its stickiness is
// INFINITY: a move alone ties there (INFINITY on both nodes), so the node it
// runs on is banned too. Once it runs on node, both constraints are cleared;
// a sticky resource then stays where it is.
func (c *Cluster) MoveResource(ctx context.Context, id, node string) error {
	n := c.anyRunning()
	if n == nil {
		return errors.New("harness: no node is running")
	}
	where, err := c.Where(ctx)
	if err != nil {
		return err
	}
	from, ok := where[id]
	if !ok {
		return fmt.Errorf("harness: %s is not running", id)
	}
	if from == node {
		return nil
	}
	if _, err := c.exec(ctx, n, "crm_resource", "--move", "--resource", id, "--node", node); err != nil {
		return err
	}
	if _, err := c.exec(ctx, n, "crm_resource", "--ban", "--resource", id, "--node", from); err != nil {
		return err
	}
	_, werr := c.WaitWhere(ctx, map[string]string{id: node})
	_, cerr := c.exec(context.WithoutCancel(ctx), n, "crm_resource", "--clear", "--resource", id)
	return errors.Join(werr, cerr)
}
