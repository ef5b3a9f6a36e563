package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/internal/standin/standincheck"
)

// state is the cluster as the stand-in keeps it between invocations.
type state struct {
	Desc      standincheck.Description `json:"description"`
	Nodes     map[string]*nodeState    `json:"nodes"`
	Resources map[string]*resState     `json:"resources"`
	Licenses  []cluster.LicenseStatus  `json:"licenses"`
	Media     string                   `json:"media_version"`
	// MediaUpgradedOn is the node that upgraded the media, "" before.
	MediaUpgradedOn string          `json:"media_upgraded_on,omitempty"`
	Refreshed       map[string]bool `json:"refreshed,omitempty"`
	Faults          faultSet        `json:"faults,omitempty"`
	Seq             int             `json:"seq"`

	// MediaBefore is the media version before the upgrade: what the nodes
	// that have not refreshed read.
	MediaBefore string `json:"media_before,omitempty"`
}

type nodeState struct {
	Version string `json:"version"`
	State   string `json:"state"`
	// Rebooting is the version a rebooting node comes back with, at RejoinAt.
	Rebooting string    `json:"rebooting,omitempty"`
	RejoinAt  time.Time `json:"rejoin_at,omitzero"`
}

type resState struct {
	State string `json:"state"`
	Node  string `json:"node"`
}

func newState(d standincheck.Description) (*state, error) {
	st := &state{Desc: d, Nodes: map[string]*nodeState{}, Resources: map[string]*resState{}, Media: d.MediaVersion}
	if len(d.Nodes) == 0 {
		return nil, fmt.Errorf("the cluster has no nodes")
	}
	for _, n := range d.Nodes {
		if _, err := cluster.ParseVersion(n.Version); err != nil {
			return nil, fmt.Errorf("node %q: %v", n.Name, err)
		}
		if st.Nodes[n.Name] != nil {
			return nil, fmt.Errorf("node %q is described twice", n.Name)
		}
		st.Nodes[n.Name] = &nodeState{Version: n.Version, State: cluster.NodeUp}
		if d.MediaVersion == "" && (st.Media == "" || cluster.CompareVersions(n.Version, st.Media) < 0) {
			st.Media = n.Version
		}
	}
	for _, r := range d.Resources {
		if len(r.Preferred) == 0 {
			return nil, fmt.Errorf("resource %q has no preferred nodes", r.Name)
		}
		for _, p := range r.Preferred {
			if st.Nodes[p] == nil {
				return nil, fmt.Errorf("resource %q prefers unknown node %q", r.Name, p)
			}
		}
		if r.Failback != "" && r.Failback != cluster.FailbackAuto && r.Failback != cluster.FailbackManual {
			return nil, fmt.Errorf("resource %q: failback %q; want auto or manual", r.Name, r.Failback)
		}
		st.Resources[r.Name] = &resState{State: cluster.ResourceRunning, Node: r.Preferred[0]}
	}
	if _, err := st.rebootDelay(); err != nil {
		return nil, err
	}
	if d.OfflineAs != "" && d.OfflineAs != cluster.ResourceUpgrade && d.OfflineAs != cluster.ResourceOffline {
		return nil, fmt.Errorf("offline_as %q; want upgrade or offline", d.OfflineAs)
	}
	return st, nil
}

func load(dir string) (*state, error) {
	data, err := os.ReadFile(filepath.Join(dir, standincheck.StateFile))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("no cluster in %s: run standin init FILE first", dir)
		}
		return nil, err
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("%s: %v", standincheck.StateFile, err)
	}
	return &st, nil
}

func (st *state) save(dir string) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, standincheck.StateFile+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, standincheck.StateFile))
}

func (st *state) clone() *state {
	data, err := json.Marshal(st)
	if err != nil {
		panic(err)
	}
	var c state
	if err := json.Unmarshal(data, &c); err != nil {
		panic(err)
	}
	return &c
}

// status is the state in the status JSON's shape.
func (st *state) status() *cluster.Status {
	s := cluster.NewStatus()
	for name, n := range st.Nodes {
		media := st.Media
		if st.MediaUpgradedOn != "" && !st.Refreshed[name] {
			media = st.MediaBefore
		}
		s.SetNode(name, cluster.NodeStatus{Version: n.Version, State: n.State, Media: media})
	}
	for name, r := range st.Resources {
		rs := cluster.ResourceStatus{State: r.State, Node: r.Node}
		if rs.State == cluster.ResourceUpgrade && st.Desc.OfflineAs == cluster.ResourceOffline {
			// Reported as a plain offline resource, on no node.
			rs = cluster.ResourceStatus{State: cluster.ResourceOffline}
		}
		s.SetResource(name, rs)
	}
	s.Licenses = append([]cluster.LicenseStatus{}, st.Licenses...)
	s.MediaVersion = st.Media
	return s
}

func (st *state) rebootDelay() (time.Duration, error) {
	s := st.Desc.RebootDelay
	if env := os.Getenv("STANDIN_REBOOT_DELAY"); env != "" {
		s = env
	}
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("reboot delay: %v", err)
	}
	return d, nil
}

func (st *state) resource(name string) (*standincheck.Resource, *resState, error) {
	for i := range st.Desc.Resources {
		if r := &st.Desc.Resources[i]; r.Name == name {
			return r, st.Resources[name], nil
		}
	}
	return nil, nil, fmt.Errorf("no resource %q in cluster", name)
}

func (st *state) upNode(name string) (*nodeState, error) {
	n := st.Nodes[name]
	switch {
	case n == nil:
		return nil, fmt.Errorf("no node %q in cluster", name)
	case n.State != cluster.NodeUp:
		return nil, fmt.Errorf("node %s is not in the cluster", name)
	}
	return n, nil
}

func serving(r *resState) bool { return r.State == cluster.ResourceRunning }

// apply runs a cluster command and returns what changed.
func (st *state) apply(args []string, now time.Time, faults faultSet) ([]string, error) {
	var ev []string
	switch args[0] {
	case "fault":
		if args[1] == "clear" {
			st.Faults = nil
		} else {
			st.Faults = append(st.Faults, args[2])
		}
		return nil, nil

	case "license":
		product, version := args[2], args[3]
		if _, err := cluster.ParseVersion(version); err != nil {
			return nil, err
		}
		if !st.status().HasLicense(product, version) {
			st.Licenses = append(st.Licenses, cluster.LicenseStatus{Product: product, Version: version})
			ev = append(ev, fmt.Sprintf("licence %s %s installed", product, version))
		}

	case "leave":
		n, err := st.upNode(args[1])
		if err != nil {
			return nil, err
		}
		n.State = cluster.NodeDown
		ev = append(ev, "node "+args[1]+" left the cluster")
		ev = append(ev, st.failover(args[1])...)

	case "upgrade":
		name, to := args[1], args[2]
		n := st.Nodes[name]
		if n == nil {
			return nil, fmt.Errorf("no node %q in cluster", name)
		}
		if _, err := cluster.ParseVersion(to); err != nil {
			return nil, err
		}
		if n.Rebooting != "" {
			return nil, fmt.Errorf("node %s is already rebooting into %s", name, n.Rebooting)
		}
		if cluster.CompareVersions(to, n.Version) <= 0 {
			return nil, fmt.Errorf("node %s runs %s; cannot upgrade it to %s", name, n.Version, to)
		}
		if n.State == cluster.NodeUp {
			// The reboot takes it out of the cluster all the same.
			n.State = cluster.NodeDown
			ev = append(ev, "node "+name+" left the cluster to reboot")
			ev = append(ev, st.failover(name)...)
		}
		delay, err := st.rebootDelay()
		if err != nil {
			return nil, err
		}
		n.Rebooting, n.RejoinAt = to, now.Add(delay)
		ev = append(ev, fmt.Sprintf("node %s installed %s and is rebooting", name, to))
		if delay <= 0 {
			ev = append(ev, st.rejoin(name, faults)...)
		}

	case "migrate":
		desc, r, err := st.resource(args[1])
		if err != nil {
			return nil, err
		}
		if _, err := st.upNode(args[2]); err != nil {
			return nil, err
		}
		if !slices.Contains(desc.Preferred, args[2]) {
			return nil, fmt.Errorf("node %s is not in the preferred list of %s", args[2], args[1])
		}
		if !serving(r) {
			return nil, fmt.Errorf("resource %s is %s; only a running resource can migrate", args[1], r.State)
		}
		if r.Node != args[2] {
			ev = append(ev, fmt.Sprintf("%s migrated %s->%s", args[1], r.Node, args[2]))
			r.Node = args[2]
		}

	case "offline":
		desc, r, err := st.resource(args[1])
		if err != nil {
			return nil, err
		}
		// A shared resource taken offline while the media await their
		// upgrade enters the state upgrade, as in the simulator.
		state := cluster.ResourceOffline
		if desc.Shared && st.MediaUpgradedOn == "" && st.allAtNewVersion() {
			state = cluster.ResourceUpgrade
		}
		if r.State == cluster.ResourceRunning || r.State == cluster.ResourceComatose {
			r.State = state
			ev = append(ev, fmt.Sprintf("%s %s (was on %s)", args[1], state, r.Node))
		}

	case "online":
		desc, r, err := st.resource(args[1])
		if err != nil {
			return nil, err
		}
		n, err := st.upNode(args[2])
		if err != nil {
			return nil, err
		}
		if !slices.Contains(desc.Preferred, args[2]) {
			return nil, fmt.Errorf("node %s is not in the preferred list of %s", args[2], args[1])
		}
		if serving(r) {
			return nil, fmt.Errorf("resource %s is already %s on %s", args[1], r.State, r.Node)
		}
		r.Node = args[2]
		switch {
		case desc.Shared && st.MediaUpgradedOn != "" && !st.Refreshed[args[2]]:
			r.State = cluster.ResourceComatose
			ev = append(ev, fmt.Sprintf("%s is comatose on %s: its media were not refreshed there", args[1], args[2]))
		case desc.Shared && cluster.CompareVersions(st.Media, n.Version) > 0:
			r.State = cluster.ResourceComatose
			ev = append(ev, fmt.Sprintf("%s is comatose on %s: the node runs %s, older than the media's %s", args[1], args[2], n.Version, st.Media))
		default:
			r.State = cluster.ResourceRunning
			ev = append(ev, fmt.Sprintf("%s online on %s", args[1], args[2]))
		}

	case "media-upgrade":
		n, err := st.upNode(args[1])
		if err != nil {
			return nil, err
		}
		if st.MediaUpgradedOn != "" {
			return nil, fmt.Errorf("the media were already upgraded on %s", st.MediaUpgradedOn)
		}
		if !st.allAtNewVersion() {
			return nil, fmt.Errorf("not every node runs a version above the media's %s", st.Media)
		}
		for _, r := range st.Desc.Resources {
			if rs := st.Resources[r.Name]; r.Shared && serving(rs) {
				return nil, fmt.Errorf("resource %s is still %s on %s; bring every shared resource offline first", r.Name, rs.State, rs.Node)
			}
		}
		st.MediaBefore, st.Media, st.MediaUpgradedOn = st.Media, n.Version, args[1]
		st.Refreshed = map[string]bool{args[1]: true}
		ev = append(ev, fmt.Sprintf("media upgraded to %s on %s", n.Version, args[1]))

	case "media-refresh":
		if _, err := st.upNode(args[1]); err != nil {
			return nil, err
		}
		if st.MediaUpgradedOn == "" {
			return nil, fmt.Errorf("the media were not upgraded yet")
		}
		if !st.Refreshed[args[1]] {
			st.Refreshed[args[1]] = true
			ev = append(ev, "media refreshed on "+args[1])
		}
	}
	return ev, nil
}

// failover moves the resources the node served to the next node of their
// preferred list that is up; those with none go offline.
func (st *state) failover(node string) []string {
	var ev []string
	for _, r := range st.Desc.Resources {
		rs := st.Resources[r.Name]
		if rs.Node != node || !serving(rs) {
			if rs.Node == node && rs.State == cluster.ResourceComatose {
				rs.State = cluster.ResourceOffline
			}
			continue
		}
		target := ""
		for _, p := range r.Preferred {
			if p != node && st.Nodes[p].State == cluster.NodeUp {
				target = p
				break
			}
		}
		if target == "" {
			rs.State = cluster.ResourceOffline
			ev = append(ev, fmt.Sprintf("%s went offline: no node of its preferred list is up", r.Name))
			continue
		}
		rs.Node = target
		ev = append(ev, fmt.Sprintf("%s failed over %s->%s", r.Name, node, target))
	}
	return ev
}

// advance lets the nodes whose reboot has ended by now rejoin.
func (st *state) advance(now time.Time, faults faultSet) []string {
	var ev []string
	for _, n := range st.Desc.Nodes {
		ns := st.Nodes[n.Name]
		if ns.Rebooting != "" && !now.Before(ns.RejoinAt) {
			ev = append(ev, st.rejoin(n.Name, faults)...)
		}
	}
	return ev
}

// rejoin ends the node's reboot: it comes back at its new version, if it
// comes back and is licensed, and the auto resources homed on it fail back.
func (st *state) rejoin(name string, faults faultSet) []string {
	n := st.Nodes[name]
	to := n.Rebooting
	n.Rebooting, n.RejoinAt = "", time.Time{}
	if faults.has("reboot-fails", name) {
		return []string{fmt.Sprintf("node %s did not come back from its reboot", name)}
	}
	n.Version = to
	if l := st.missingLicense(to); l != nil {
		return []string{fmt.Sprintf("node %s rebooted at %s but the cluster software did not load: licence %s %s is not installed", name, to, l.Product, l.Version)}
	}
	n.State = cluster.NodeUp
	ev := []string{fmt.Sprintf("node %s rejoined at %s", name, to)}
	for _, r := range st.Desc.Resources {
		rs := st.Resources[r.Name]
		if r.Preferred[0] == name && r.Failback != cluster.FailbackManual && serving(rs) && rs.Node != name {
			ev = append(ev, fmt.Sprintf("%s failed back %s->%s", r.Name, rs.Node, name))
			rs.Node = name
		}
	}
	return ev
}

// missingLicense returns the licence a node at version v needs that is not
// installed, if any.
func (st *state) missingLicense(v string) *standincheck.License {
	s := st.status()
	for i := range st.Desc.Licenses {
		l := &st.Desc.Licenses[i]
		min := l.MinNodes
		if min == 0 {
			min = 3
		}
		req := cluster.License{Product: l.Product, Version: l.Version, MinNodes: min}
		if req.AppliesTo(len(st.Desc.Nodes)) && req.Covers(v) && !s.HasLicense(l.Product, l.Version) {
			return l
		}
	}
	return nil
}

// allAtNewVersion reports whether every node runs one version above the media's.
func (st *state) allAtNewVersion() bool {
	v := ""
	for _, n := range st.Nodes {
		if v == "" {
			v = n.Version
		}
		if n.Version != v || cluster.CompareVersions(n.Version, st.Media) <= 0 {
			return false
		}
	}
	return true
}
