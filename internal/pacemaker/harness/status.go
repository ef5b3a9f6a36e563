package harness

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Status is what `crm_mon --output-as=xml` reports, reduced to what the
// harness and its tests need.
type Status struct {
	DC        string // name of the designated controller, "" when there is none
	Quorum    bool
	Nodes     []NodeStatus
	Resources []ResourceStatus
	// From is the node the status was read on.
	From string
	// XML is crm_mon's output as read.
	XML []byte
}

// NodeStatus is one node of a Status.
type NodeStatus struct {
	Name                                    string
	Online, Standby, Pending, Unclean, IsDC bool
	Maintenance, Shutdown, ExpectedUp       bool
	ResourcesRunning                        int
	Attributes                              map[string]string // transient node attributes
}

// ResourceStatus is one primitive resource of a Status.
type ResourceStatus struct {
	ID      string
	Agent   string // for example "ocf:pacemaker:Dummy"
	Role    string // "Started", "Stopped", ...
	Active  bool
	Failed  bool
	Managed bool
	Nodes   []string // where it is active
	// StartCall is the executor's call id of the resource's last start on
	// the one node it is active on, from crm_mon's operation history; 0
	// when the history does not show one. A resource that was stopped and
	// started again has a new one; one that only looked stopped for a
	// moment (the DC re-reads a node's history when a node joins) does not.
	StartCall int
}

// Node returns the named node's status, or nil.
func (s *Status) Node(name string) *NodeStatus {
	for i := range s.Nodes {
		if s.Nodes[i].Name == name {
			return &s.Nodes[i]
		}
	}
	return nil
}

// Resource returns the named resource's status, or nil.
func (s *Status) Resource(id string) *ResourceStatus {
	for i := range s.Resources {
		if s.Resources[i].ID == id {
			return &s.Resources[i]
		}
	}
	return nil
}

// OnlineNodes returns the names of the online nodes, sorted.
func (s *Status) OnlineNodes() []string {
	var names []string
	for _, n := range s.Nodes {
		if n.Online {
			names = append(names, n.Name)
		}
	}
	sort.Strings(names)
	return names
}

// Where maps each resource that is active on exactly one node to that node.
// A resource active on several nodes is an error.
func (s *Status) Where() (map[string]string, error) {
	m := map[string]string{}
	var errs []error
	for _, r := range s.Resources {
		switch {
		case len(r.Nodes) == 1 && r.Active:
			m[r.ID] = r.Nodes[0]
		case len(r.Nodes) > 1:
			errs = append(errs, fmt.Errorf("resource %s is active on several nodes: %v", r.ID, r.Nodes))
		}
	}
	return m, errors.Join(errs...)
}

// Summary is a one-line description of s, for logs and errors.
func (s *Status) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dc=%q quorum=%v online=%v", s.DC, s.Quorum, s.OnlineNodes())
	for _, n := range s.Nodes {
		if n.Standby {
			fmt.Fprintf(&b, " standby:%s", n.Name)
		}
	}
	for _, r := range s.Resources {
		fmt.Fprintf(&b, " %s=%s@%s", r.ID, r.Role, strings.Join(r.Nodes, "+"))
		if r.Failed {
			b.WriteString("(failed)")
		}
	}
	return b.String()
}

type xmlResult struct {
	XMLName xml.Name `xml:"pacemaker-result"`
	Summary struct {
		CurrentDC struct {
			Present    bool   `xml:"present,attr"`
			Name       string `xml:"name,attr"`
			WithQuorum bool   `xml:"with_quorum,attr"`
		} `xml:"current_dc"`
	} `xml:"summary"`
	Nodes []struct {
		Name             string `xml:"name,attr"`
		Online           bool   `xml:"online,attr"`
		Standby          bool   `xml:"standby,attr"`
		Maintenance      bool   `xml:"maintenance,attr"`
		Pending          bool   `xml:"pending,attr"`
		Unclean          bool   `xml:"unclean,attr"`
		Shutdown         bool   `xml:"shutdown,attr"`
		ExpectedUp       bool   `xml:"expected_up,attr"`
		IsDC             bool   `xml:"is_dc,attr"`
		ResourcesRunning int    `xml:"resources_running,attr"`
	} `xml:"nodes>node"`
	Resources  []xmlResource `xml:"resources>resource"`
	Groups     []xmlResource `xml:"resources>group>resource"`
	Clones     []xmlResource `xml:"resources>clone>resource"`
	Attributes []struct {
		Name  string `xml:"name,attr"`
		Attrs []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"attribute"`
	} `xml:"node_attributes>node"`
	History []struct {
		Name      string `xml:"name,attr"`
		Resources []struct {
			ID  string `xml:"id,attr"`
			Ops []struct {
				Call int    `xml:"call,attr"`
				Task string `xml:"task,attr"`
			} `xml:"operation_history"`
		} `xml:"resource_history"`
	} `xml:"node_history>node"`
	Status struct {
		Code    int    `xml:"code,attr"`
		Message string `xml:"message,attr"`
	} `xml:"status"`
}

type xmlResource struct {
	ID      string `xml:"id,attr"`
	Agent   string `xml:"resource_agent,attr"`
	Role    string `xml:"role,attr"`
	Active  bool   `xml:"active,attr"`
	Failed  bool   `xml:"failed,attr"`
	Managed bool   `xml:"managed,attr"`
	Nodes   []struct {
		Name string `xml:"name,attr"`
	} `xml:"node"`
}

// ParseStatus parses the output of `crm_mon --output-as=xml`.
func ParseStatus(data []byte) (*Status, error) {
	var r xmlResult
	if err := xml.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("parsing crm_mon XML: %w", err)
	}
	if r.Status.Code != 0 {
		return nil, fmt.Errorf("crm_mon: %s (code %d)", r.Status.Message, r.Status.Code)
	}
	s := &Status{Quorum: r.Summary.CurrentDC.WithQuorum, XML: data}
	if r.Summary.CurrentDC.Present {
		s.DC = r.Summary.CurrentDC.Name
	}
	attrs := map[string]map[string]string{}
	for _, n := range r.Attributes {
		m := map[string]string{}
		for _, a := range n.Attrs {
			m[a.Name] = a.Value
		}
		attrs[n.Name] = m
	}
	for _, n := range r.Nodes {
		s.Nodes = append(s.Nodes, NodeStatus{
			Name: n.Name, Online: n.Online, Standby: n.Standby, Pending: n.Pending,
			Unclean: n.Unclean, IsDC: n.IsDC, Maintenance: n.Maintenance,
			Shutdown: n.Shutdown, ExpectedUp: n.ExpectedUp,
			ResourcesRunning: n.ResourcesRunning, Attributes: attrs[n.Name],
		})
	}
	starts := map[[2]string]int{} // node, resource -> last start call
	for _, n := range r.History {
		for _, h := range n.Resources {
			for _, op := range h.Ops {
				k := [2]string{n.Name, h.ID}
				if op.Task == "start" && op.Call > starts[k] {
					starts[k] = op.Call
				}
			}
		}
	}
	for _, x := range append(append(r.Resources, r.Groups...), r.Clones...) {
		rs := ResourceStatus{ID: x.ID, Agent: x.Agent, Role: x.Role, Active: x.Active, Failed: x.Failed, Managed: x.Managed}
		for _, n := range x.Nodes {
			rs.Nodes = append(rs.Nodes, n.Name)
		}
		if len(rs.Nodes) == 1 {
			rs.StartCall = starts[[2]string{rs.Nodes[0], x.ID}]
		}
		s.Resources = append(s.Resources, rs)
	}
	return s, nil
}

// Status reads crm_mon on the first running node that answers.
func (c *Cluster) Status(ctx context.Context) (*Status, error) {
	var errs []error
	for _, n := range c.nodes {
		if !c.daemon(n, "pacemakerd").running() {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		out, err := c.exec(cctx, n, "crm_mon", "--output-as=xml", "--inactive")
		cancel()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s, err := ParseStatus(out)
		if err != nil {
			errs = append(errs, fmt.Errorf("on %s: %w", n.name, err))
			continue
		}
		s.From = n.name
		return s, nil
	}
	if len(errs) == 0 {
		return nil, errors.New("harness: no node is running")
	}
	return nil, errors.Join(errs...)
}

// Where maps each active resource to the node it runs on.
func (c *Cluster) Where(ctx context.Context) (map[string]string, error) {
	s, err := c.Status(ctx)
	if err != nil {
		return nil, err
	}
	return s.Where()
}

// Online returns the names of the online nodes, sorted.
func (c *Cluster) Online(ctx context.Context) ([]string, error) {
	s, err := c.Status(ctx)
	if err != nil {
		return nil, err
	}
	return s.OnlineNodes(), nil
}

// WaitFor polls the status until cond holds and returns that status, or
// fails when ctx ends, saying what was awaited and what was last seen.
func (c *Cluster) WaitFor(ctx context.Context, what string, cond func(*Status) bool) (*Status, error) {
	var last *Status
	var lastErr error
	for {
		s, err := c.Status(ctx)
		if err == nil {
			last = s
			if cond(s) {
				return s, nil
			}
		} else {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			seen := "nothing"
			if last != nil {
				seen = last.Summary()
			}
			if lastErr != nil {
				seen += fmt.Sprintf(" (last error: %v)", lastErr)
			}
			return last, fmt.Errorf("harness: waiting for %s: %w; last seen: %s", what, ctx.Err(), seen)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// WaitWhere waits until every resource in want runs on the given node.
func (c *Cluster) WaitWhere(ctx context.Context, want map[string]string) (*Status, error) {
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var desc []string
	for _, k := range keys {
		desc = append(desc, k+"@"+want[k])
	}
	return c.WaitFor(ctx, strings.Join(desc, " "), func(s *Status) bool {
		where, err := s.Where()
		if err != nil {
			return false
		}
		for r, n := range want {
			if where[r] != n {
				return false
			}
		}
		return true
	})
}

// Settle waits until the cluster has no pending actions
// (crm_resource --wait).
func (c *Cluster) Settle(ctx context.Context) error {
	timeout := 60 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	if timeout < time.Second {
		timeout = time.Second
	}
	for _, n := range c.nodes {
		if c.daemon(n, "pacemakerd").running() {
			_, err := c.exec(ctx, n, "crm_resource", "--wait", fmt.Sprintf("--timeout=%ds", int(timeout.Seconds())))
			return err
		}
	}
	return errors.New("harness: no node is running")
}
