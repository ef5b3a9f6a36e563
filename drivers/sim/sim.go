// Package sim is the embedded cluster simulator: an in-process model of a
// Novell Cluster Services cluster that follows rules R1-R7 of the reference
// procedure, on a virtual clock.
//
// The same model serves two purposes. The language's checks run every step
// against a Sim started from the declared cluster (Instant, Lenient), so
// validate and plan see exactly what run does; and `runbook run --driver sim`
// runs against a Sim persisted in the state directory, with realistic
// simulated durations and injected faults, to rehearse a maintenance window.
package sim

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/internal/sorted"
)

// Epoch is where the virtual clock starts: 22:00 on a quiet night.
var Epoch = time.Date(2000, 1, 1, 22, 0, 0, 0, time.UTC)

// Options configure a Sim.
type Options struct {
	Timings Timings
	Faults  []Fault
	// Start is where the virtual clock starts; zero means Epoch.
	Start time.Time
	// Instant makes every operation take no time.
	Instant bool
	// Lenient turns off the cluster's own enforcement of licences (R1), so
	// that an abstract run goes on after a step whose licence is missing;
	// the step's own precondition reports it.
	Lenient bool
	// NoDowntime keeps no account of each resource's downtime, which an
	// abstract run does not ask for (unless the simulator is persisted,
	// whose log says it): Downtime reports none.
	NoDowntime bool
}

// Sim is a simulated cluster. It implements cluster.Driver and
// cluster.DowntimeReporter. It is not safe for concurrent use: operations that
// run at once go through Concurrently (cluster.Concurrent), which overlaps
// them on the virtual clock.
type Sim struct {
	cluster *cluster.Cluster
	opts    Options
	faults  map[Fault]bool
	st      state
	// changed collects what an operation changed, for persistence: only
	// when the simulator is persisted.
	changed delta
	// seen collects what changed since the last call of Changed, once
	// tracking: from the first call on (an abstract run never calls it).
	seen     delta
	tracking bool
	// declared: Open found no stored state (OpenedAsDeclared).
	declared bool
	// commits counts the lines committed to the log; prep is the snapshot
	// PrepareClose encodes, as of commits.
	commits int
	prep    *preparedSnapshot
	// snapKeys are the keys of the snapshot's maps, sorted, as the last
	// one found them; snapSize its length (appendSnapshot).
	snapKeys [6][]string
	snapSize int
	// seenNodes and seenRes are the changes of the nodes and resources
	// since the last call of Changed or ChangedStatuses, in the order they
	// were made, a node or resource once per change; their lists are
	// swapped with the lists made of them, which Changed returned.
	seenNodes []cluster.NodeChange
	seenRes   []cluster.ResourceChange
	doneNodes []cluster.NodeChange
	doneRes   []cluster.ResourceChange
	nodeNames []string
	resNames  []string
	log       *logFile
	// buf holds the log's line while it is written, from one line to the
	// next.
	buf []byte
	// moves is the list leave and join gather their migrations in, kept
	// from one to the next.
	moves []moveTo
	// inLane is set while Concurrently runs one operation of a group;
	// laneTook then collects the time that operation takes instead of the
	// clock (fields rather than a pointer to the operation's own, so that
	// an operation of a group of thousands allocates nothing for it).
	inLane   bool
	laneTook time.Duration
	// timeAt is the last time the log encoded, timeJSON its encoding
	// (appendTime).
	timeAt   time.Time
	timeJSON []byte
}

// state is everything the simulated cluster remembers.
type state struct {
	Clock  time.Time
	Status *cluster.Status
	// Down is each resource's account of its downtime: what the snapshot
	// calls downtime_ns and down_since, in one entry, so that a change of
	// a resource looks it up once.
	Down      map[string]downAccount
	Upgrades  map[string]int    // completed upgrades per node
	Refreshed map[string]string // node -> media version it last read
}

// downAccount is a resource's downtime: what it accumulated, for a
// resource back up (total; counted: the snapshot's downtime_ns has it),
// and since when it is not running now (since; down: its down_since has
// it).
type downAccount struct {
	total   time.Duration
	since   time.Time
	counted bool
	down    bool
}

// setDowntime records a resource's accumulated downtime.
func (st *state) setDowntime(name string, d time.Duration) {
	a := st.Down[name]
	a.total, a.counted = d, true
	st.Down[name] = a
}

// setDownSince records since when a resource is down; down false: it is
// not.
func (st *state) setDownSince(name string, since time.Time, down bool) {
	a := st.Down[name]
	if !down {
		since = time.Time{}
	}
	a.since, a.down = since, down
	if a == (downAccount{}) {
		delete(st.Down, name)
		return
	}
	st.Down[name] = a
}

// downtimes and downSince are the accounts as the snapshot has them.
func (st *state) downtimes() map[string]time.Duration {
	out := make(map[string]time.Duration, len(st.Down))
	for name, a := range st.Down {
		if a.counted {
			out[name] = a.total
		}
	}
	return out
}

func (st *state) downSince() map[string]time.Time {
	out := map[string]time.Time{}
	for name, a := range st.Down {
		if a.down {
			out[name] = a.since
		}
	}
	return out
}

// New returns a simulator in memory, started from the declared cluster.
func New(c *cluster.Cluster, opts Options) *Sim {
	s := &Sim{cluster: c, opts: opts, faults: map[Fault]bool{}}
	for _, f := range opts.Faults {
		s.faults[f] = true
	}
	start := opts.Start
	if start.IsZero() {
		start = Epoch
	}
	// The upgrades of every node, and the downtime of every resource (a
	// move takes it down), have their room from the start rather than
	// grown on the way; the resources down now are few, but for the media
	// upgrade's moment: their map stays small, and where it is looked at.
	s.st = state{Clock: start, Status: c.InitialStatus(), Down: map[string]downAccount{},
		Upgrades: make(map[string]int, len(c.Nodes))}
	if !opts.NoDowntime {
		s.st.Down = make(map[string]downAccount, len(c.Resources))
		for name, rs := range s.st.Status.Resources {
			if rs.State != cluster.ResourceRunning {
				s.st.Down[name] = downAccount{since: start, down: true}
			}
		}
	}
	return s
}

// Changed implements cluster.ChangeTracker: what changed since the previous
// call, or since New or Open on the first. The slices it returns are valid
// until its next call.
func (s *Sim) Changed() (nodes, resources []string, clusterWide bool) {
	if !s.tracking {
		// Nothing was tracked yet: every node and resource may have changed.
		s.tracking = true
		s.nodeNames = append(s.nodeNames[:0], sorted.Keys(s.st.Status.Nodes)...)
		s.resNames = append(s.resNames[:0], sorted.Keys(s.st.Status.Resources)...)
		s.seen.licenses, s.seen.media, s.seen.clock = false, false, false
		return s.nodeNames, s.resNames, true
	}
	ns, rs, clusterWide, _ := s.ChangedStatuses()
	s.nodeNames, s.resNames = s.nodeNames[:0], s.resNames[:0]
	for _, c := range ns {
		s.nodeNames = append(s.nodeNames, c.Name)
	}
	for _, c := range rs {
		s.resNames = append(s.resNames, c.Name)
	}
	return s.nodeNames, s.resNames, clusterWide
}

// ChangedStatuses implements cluster.ChangeLog.
func (s *Sim) ChangedStatuses() (nodes []cluster.NodeChange, resources []cluster.ResourceChange, clusterWide, ok bool) {
	if !s.tracking {
		s.tracking = true
		s.seen.licenses, s.seen.media, s.seen.clock = false, false, false
		return nil, nil, true, false
	}
	// The lists swap with the ones returned last time, which are free again.
	nodes = merge(s.seenNodes, func(c *cluster.NodeChange) string { return c.Name },
		func(first, last *cluster.NodeChange) { first.New, first.Has = last.New, last.Has })
	resources = merge(s.seenRes, func(c *cluster.ResourceChange) string { return c.Name },
		func(first, last *cluster.ResourceChange) { first.New, first.Has = last.New, last.Has })
	s.seenNodes, s.doneNodes = s.doneNodes[:0], nodes
	s.seenRes, s.doneRes = s.doneRes[:0], resources
	clusterWide = s.seen.licenses || s.seen.media
	s.seen.licenses, s.seen.media, s.seen.clock = false, false, false
	return nodes, resources, clusterWide, true
}

// merge sorts the changes by name, keeping the order of one name's, and
// merges each name's into its first: what it was before the first, what
// the last made it. It works in place, without copying a change for each
// comparison: a few are sorted by insertion; many (a step that acts on
// every resource) through a sorted list of their indexes, then moved each
// once to its place.
func merge[C any](list []C, name func(*C) string, into func(first, last *C)) []C {
	if len(list) <= 16 {
		for i := 1; i < len(list); i++ {
			for j := i; j > 0 && name(&list[j]) < name(&list[j-1]); j-- {
				list[j], list[j-1] = list[j-1], list[j]
			}
		}
	} else if !sortedBy(list, name) {
		idx := make([]int32, len(list))
		for i := range idx {
			idx[i] = int32(i)
		}
		slices.SortStableFunc(idx, func(a, b int32) int { return strings.Compare(name(&list[a]), name(&list[b])) })
		// list[j] becomes list[idx[j]]: one cycle of moves after another.
		for i := range idx {
			if idx[i] < 0 {
				continue
			}
			first, j := list[i], i
			for {
				k := int(idx[j])
				idx[j] = -1
				if k == i {
					list[j] = first
					break
				}
				list[j] = list[k]
				j = k
			}
		}
	}
	out := list[:0]
	for i := 0; i < len(list); {
		j := i + 1
		for j < len(list) && name(&list[j]) == name(&list[i]) {
			j++
		}
		into(&list[i], &list[j-1])
		out = append(out, list[i])
		i = j
	}
	return out
}

// sortedBy reports whether list is sorted by name.
func sortedBy[C any](list []C, name func(*C) string) bool {
	for i := 1; i < len(list); i++ {
		if name(&list[i]) < name(&list[i-1]) {
			return false
		}
	}
	return true
}

func (s *Sim) timing(d time.Duration) time.Duration {
	if s.opts.Instant {
		return 0
	}
	return d
}

func (s *Sim) fault(kind, target string) bool { return s.faults[Fault{Kind: kind, Target: target}] }

// Status returns the live status, not a copy.
func (s *Sim) Status(ctx context.Context) (*cluster.Status, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.st.Status, nil
}

// Now is the virtual clock.
func (s *Sim) Now() time.Time { return s.st.Clock }

// Sleep advances the virtual clock.
func (s *Sim) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.advance(d)
	return s.commit()
}

// Downtime returns each resource's total time not running, including a
// current outage up to now. Resources never down are present with zero.
// With NoDowntime, it is nil.
func (s *Sim) Downtime() map[string]time.Duration {
	if s.opts.NoDowntime {
		return nil
	}
	out := make(map[string]time.Duration, len(s.st.Status.Resources))
	for name := range s.st.Status.Resources {
		a := s.st.Down[name]
		d := a.total
		if a.down {
			d += s.st.Clock.Sub(a.since)
		}
		out[name] = d
	}
	return out
}

// Upgrades returns how many times each node completed an upgrade.
func (s *Sim) Upgrades() map[string]int {
	out := make(map[string]int, len(s.st.Upgrades))
	for k, v := range s.st.Upgrades {
		out[k] = v
	}
	return out
}

func (s *Sim) advance(d time.Duration) {
	if s.inLane {
		s.laneTook += d
		return
	}
	if d > 0 {
		s.st.Clock = s.st.Clock.Add(d)
		s.changed.clock = true
	}
}

// setNodeFrom records a node's new status ns; old is the status it has,
// which the operation read (the status has the node).
func (s *Sim) setNodeFrom(name string, old, ns cluster.NodeStatus) {
	const had = true
	s.st.Status.SetNodeFrom(name, old, had, ns)
	if s.log != nil {
		s.changed.nodes = append(s.changed.nodes, nodeValue{name, ns})
	}
	if s.tracking {
		s.seenNodes = append(s.seenNodes, cluster.NodeChange{Name: name, Old: old, New: ns, Had: had, Has: true})
	}
}

// setResource records a resource's new status and accounts for its downtime.
func (s *Sim) setResource(name string, rs cluster.ResourceStatus) {
	old, had := s.st.Status.Resources[name]
	s.setResourceFrom(name, old, had, rs)
}

// setResourceFrom is setResource for an operation that read the resource's
// status, old (had: the status has it), and changed nothing since.
func (s *Sim) setResourceFrom(name string, old cluster.ResourceStatus, had bool, rs cluster.ResourceStatus) {
	s.st.Status.SetResourceFrom(name, old, had, rs)
	if s.tracking {
		s.seenRes = append(s.seenRes, cluster.ResourceChange{Name: name, Old: old, New: rs, Had: had, Has: true})
	}
	if s.opts.NoDowntime && s.log == nil {
		return
	}
	wasUp, isUp := old.State == cluster.ResourceRunning, rs.State == cluster.ResourceRunning
	if s.log == nil && wasUp == isUp {
		return // its account stays as it is
	}
	// Its account, looked up once, and stored again only if it changes;
	// the log says what it is after the change.
	a := s.st.Down[name]
	switch {
	case wasUp && !isUp:
		a.since, a.down = s.st.Clock, true
		s.st.Down[name] = a
	case !wasUp && isUp && a.down:
		a.total, a.counted = a.total+s.st.Clock.Sub(a.since), true
		a.since, a.down = time.Time{}, false
		s.st.Down[name] = a
	}
	if s.log != nil {
		s.changed.resources = append(s.changed.resources, resourceValue{name: name, rs: rs, downtime: a.total, since: a.since, down: a.down})
	}
}

// moveTo is a resource to migrate, the node it goes to, and its status,
// as the operation that moves it read it.
type moveTo struct {
	res, node string
	rs        cluster.ResourceStatus
}

// move migrates resources to their targets in parallel, in the order of
// their names, a resource named twice moved once: each is unavailable for
// the migration time. It sorts moves in place.
func (s *Sim) move(moves []moveTo) {
	if len(moves) == 0 {
		return
	}
	slices.SortStableFunc(moves, func(a, b moveTo) int { return strings.Compare(a.res, b.res) })
	// Of a resource named twice, the last target counts, as in a map.
	out := moves[:0]
	for i, m := range moves {
		if i+1 < len(moves) && moves[i+1].res == m.res {
			continue
		}
		out = append(out, m)
	}
	for _, m := range out {
		s.setResourceFrom(m.res, m.rs, true, cluster.ResourceStatus{State: cluster.ResourceOffline, Node: m.rs.Node})
	}
	s.advance(s.timing(s.opts.Timings.Migrate))
	for _, m := range out {
		s.setResourceFrom(m.res, cluster.ResourceStatus{State: cluster.ResourceOffline, Node: m.rs.Node}, true,
			cluster.ResourceStatus{State: cluster.ResourceRunning, Node: m.node})
	}
}

// failoverTarget is the first node of the resource's preferred list, other
// than leaving, that is up; "" if there is none.
func (s *Sim) failoverTarget(r *cluster.Resource, leaving string) string {
	for _, p := range r.Preferred {
		if p != leaving && s.st.Status.Up(p) {
			return p
		}
	}
	return ""
}

// node returns the node's status: an operation looks its node up once.
func (s *Sim) node(name string) (cluster.NodeStatus, error) {
	ns, ok := s.st.Status.Nodes[name]
	if !ok {
		return ns, fmt.Errorf("no node %q in the cluster", name)
	}
	return ns, nil
}

// resource returns the declared resource called name and its status. The
// declaration is looked for first among those assigned to the node the
// status names (ResourceOn), where an operation on it mostly looked
// already.
func (s *Sim) resource(name string) (*cluster.Resource, cluster.ResourceStatus, error) {
	rs, live := s.st.Status.Resources[name]
	var r *cluster.Resource
	if live {
		r, live = s.cluster.ResourceOn(rs.Node, name)
	}
	if !live {
		return nil, rs, fmt.Errorf("no resource %q in the cluster", name)
	}
	return r, rs, nil
}

// InstallLicense installs a licence cluster-wide.
func (s *Sim) InstallLicense(ctx context.Context, l cluster.License) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.advance(s.timing(s.opts.Timings.License))
	if s.fault(FaultLicenseRejected, l.Name) {
		_ = s.commit()
		return fmt.Errorf("the cluster rejected licence %s (%s %s): the licence key is not valid for this cluster", l.Name, l.Product, l.Version)
	}
	if !s.st.Status.HasLicense(l.Product, l.Version) {
		s.st.Status.Licenses = append(s.st.Status.Licenses, cluster.LicenseStatus{Product: l.Product, Version: l.Version})
		s.changed.licenses = true
		s.seen.licenses = true
	}
	return s.commit()
}

// Leave takes the node down; its resources fail over in preferred order, and
// a resource with no up node left in its list goes offline: an outage.
func (s *Sim) Leave(ctx context.Context, n cluster.Node) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ns, err := s.node(n.Name)
	if err != nil {
		return err
	}
	s.leave(n.Name, ns)
	return s.commit()
}

// leave takes the node, whose status is ns, down, and returns its status
// then.
func (s *Sim) leave(name string, ns cluster.NodeStatus) cluster.NodeStatus {
	if ns.State != cluster.NodeUp {
		return ns
	}
	s.advance(s.timing(s.opts.Timings.Leave))
	old := ns
	ns.State = cluster.NodeDown
	s.setNodeFrom(name, old, ns)
	moves := s.moves[:0]
	assigned := s.cluster.AssignedResources(name)
	for _, r := range s.st.Status.RunningOn(name) {
		res, _ := s.cluster.ResourceAmong(assigned, r)
		if res == nil {
			continue
		}
		// Its status, as the index of running resources says it.
		rs := cluster.ResourceStatus{State: cluster.ResourceRunning, Node: name}
		if t := s.failoverTarget(res, name); t != "" {
			moves = append(moves, moveTo{r, t, rs})
		} else {
			s.setResourceFrom(r, rs, true, cluster.ResourceStatus{State: cluster.ResourceOffline, Node: name})
		}
	}
	s.move(moves)
	s.moves = moves[:0]
	return ns
}

// Upgrade installs to on the node, which reboots and rejoins: only if the
// cluster software is licensed for to (R1), and not under reboot-fails.
func (s *Sim) Upgrade(ctx context.Context, n cluster.Node, to string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ns, err := s.node(n.Name)
	if err != nil {
		return err
	}
	if err := cluster.CheckVersion(to); err != nil {
		return err
	}
	ns = s.leave(n.Name, ns) // a node rebooting into its upgrade leaves the cluster
	cur := ns                // as the status has it
	s.advance(s.timing(s.opts.Timings.Upgrade))
	if s.fault(FaultRebootFails, n.Name) {
		// The new version never boots: the node stays down on its old version.
		s.advance(s.timing(s.opts.Timings.Reboot))
		return s.commit()
	}
	// The node reboots at its new version: recorded once it is known
	// whether it rejoins, in one change (nothing sees it in between).
	ns.Version, ns.State = to, cluster.NodeDown
	s.advance(s.timing(s.opts.Timings.Reboot))
	if !s.licensed(to) {
		// The new cluster software does not load: the node stays out.
		s.setNodeFrom(n.Name, cur, ns)
		return s.commit()
	}
	s.join(n.Name, cur, ns)
	if err := s.commit(); err != nil {
		return err
	}
	if s.fault(FaultUpgradeInDoubt, n.Name) {
		return fmt.Errorf("upgrade of %s: connection lost while waiting for the command: %w", n.Name, cluster.ErrInDoubt)
	}
	return nil
}

// licensed reports whether a node at version v may load the cluster
// software: every declared licence that covers v and applies to the
// cluster's size is installed.
func (s *Sim) licensed(v string) bool {
	if s.opts.Lenient {
		return true
	}
	size := len(s.st.Status.Nodes)
	for _, l := range s.cluster.Licenses {
		if l.Covers(v) && l.AppliesTo(size) && !s.st.Status.HasLicense(l.Product, l.Version) {
			return false
		}
	}
	return true
}

// join brings the node, whose status is cur, up at the version of ns;
// auto resources homed on it fail back, and resources left offline by an
// outage start on their first up preferred node.
func (s *Sim) join(name string, cur, ns cluster.NodeStatus) {
	ns.State = cluster.NodeUp
	s.setNodeFrom(name, cur, ns)
	upgrades := s.st.Upgrades[name] + 1
	s.st.Upgrades[name] = upgrades
	if s.log != nil {
		s.changed.upgrades = append(s.changed.upgrades, upgradeValue{name, upgrades})
	}
	moves := s.moves[:0]
	for _, res := range s.cluster.AssignedResources(name) {
		r := res.Name
		rs, ok := s.st.Status.Resources[r]
		if !ok {
			continue
		}
		switch {
		case rs.State == cluster.ResourceRunning && res.Home() == name && rs.Node != name &&
			res.Failback != cluster.FailbackManual && !s.fault(FaultFailbackStalls, r):
			moves = append(moves, moveTo{r, name, rs})
		case rs.State == cluster.ResourceOffline:
			if t := s.failoverTarget(res, ""); t != "" {
				moves = append(moves, moveTo{r, t, rs})
			}
		}
	}
	s.move(moves)
	s.moves = moves[:0]
}

// Migrate moves a running resource to the node.
func (s *Sim) Migrate(ctx context.Context, r cluster.Resource, n cluster.Node) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	res, rs, err := s.resource(r.Name)
	if err != nil {
		return err
	}
	if !s.st.Status.Up(n.Name) {
		return fmt.Errorf("cannot migrate %s to %s: the node is not up", r.Name, n.Name)
	}
	if !slices.Contains(res.Preferred, n.Name) {
		return fmt.Errorf("cannot migrate %s to %s: the node is not in its preferred list (%s)", r.Name, n.Name, strings.Join(res.Preferred, ", "))
	}
	if s.fault(FaultMigrateFails, r.Name) {
		return fmt.Errorf("migrate %s to %s: the resource's unload script failed", r.Name, n.Name)
	}
	if rs.State != cluster.ResourceRunning {
		return fmt.Errorf("cannot migrate %s: it is %s, not running", r.Name, rs.State)
	}
	if rs.Node == n.Name || s.fault(FaultFailbackStalls, r.Name) {
		return s.commit()
	}
	s.move([]moveTo{{r.Name, n.Name, rs}})
	return s.commit()
}

// Offline brings a resource offline for the media upgrade: it enters the
// state upgrade and remembers the node it ran on.
func (s *Sim) Offline(ctx context.Context, r cluster.Resource) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, rs, err := s.resource(r.Name)
	if err != nil {
		return err
	}
	s.setResourceFrom(r.Name, rs, true, cluster.ResourceStatus{State: cluster.ResourceUpgrade, Node: rs.Node})
	return s.commit()
}

// Online runs the resource's load script on the node.
func (s *Sim) Online(ctx context.Context, r cluster.Resource, n cluster.Node) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	res, rs, err := s.resource(r.Name)
	if err != nil {
		return err
	}
	if !s.st.Status.Up(n.Name) {
		return fmt.Errorf("cannot bring %s online on %s: the node is not up", r.Name, n.Name)
	}
	if !slices.Contains(res.Preferred, n.Name) {
		return fmt.Errorf("cannot bring %s online on %s: the node is not in its preferred list", r.Name, n.Name)
	}
	s.setResourceFrom(r.Name, rs, true, cluster.ResourceStatus{State: cluster.ResourceRunning, Node: n.Name})
	return s.commit()
}

// MediaUpgrade upgrades the shared media to the version every node runs.
// Like the real tool, it refuses while a node runs an older version or a
// shared resource is still running.
func (s *Sim) MediaUpgrade(ctx context.Context, n cluster.Node) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ns, err := s.node(n.Name)
	if err != nil {
		return err
	}
	if ns.State != cluster.NodeUp {
		return fmt.Errorf("media upgrade on %s: the node is not up", n.Name)
	}
	target := ns.Version
	var behind []string
	for name, ns := range s.st.Status.Nodes {
		if cluster.CompareVersions(ns.Version, target) != 0 {
			behind = append(behind, name)
		}
	}
	slices.Sort(behind)
	if len(behind) > 0 {
		return fmt.Errorf("media upgrade on %s: refused, nodes %s do not run %s", n.Name, strings.Join(behind, ", "), target)
	}
	for _, r := range s.cluster.Shared() {
		if rs := s.st.Status.Resources[r.Name]; rs.State == cluster.ResourceRunning {
			return fmt.Errorf("media upgrade on %s: refused, shared resource %s is still running on %s", n.Name, r.Name, rs.Node)
		}
	}
	s.advance(s.timing(s.opts.Timings.MediaUpgrade))
	if s.fault(FaultMediaUpgradeFails, n.Name) {
		_ = s.commit()
		return fmt.Errorf("media upgrade on %s failed: the pool's metadata could not be converted", n.Name)
	}
	s.st.Status.MediaVersion = target
	s.changed.media = true
	s.seen.media = true
	old := ns
	ns.Media = target
	s.setNodeFrom(n.Name, old, ns)
	return s.commit()
}

// MediaRefresh makes a node read the upgraded media.
func (s *Sim) MediaRefresh(ctx context.Context, n cluster.Node) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ns, err := s.node(n.Name)
	if err != nil {
		return err
	}
	if ns.State != cluster.NodeUp {
		return fmt.Errorf("media refresh on %s: the node is not up", n.Name)
	}
	s.advance(s.timing(s.opts.Timings.MediaRefresh))
	if s.fault(FaultMediaUpgradeFails, n.Name) {
		_ = s.commit()
		return fmt.Errorf("media refresh on %s failed: the node could not read the upgraded media", n.Name)
	}
	// Nothing else changes the node while its refresh takes its time.
	old := ns
	ns.Media = s.st.Status.MediaVersion
	s.setNodeFrom(n.Name, old, ns)
	return s.commit()
}

// StartsNoCommands implements cluster.NoCommands: the simulator's
// operations run in this process.
func (s *Sim) StartsNoCommands() bool { return true }

var _ cluster.Driver = (*Sim)(nil)
var _ cluster.NoCommands = (*Sim)(nil)
var _ cluster.Concurrent = (*Sim)(nil)
var _ cluster.DowntimeReporter = (*Sim)(nil)
var _ cluster.ChangeTracker = (*Sim)(nil)
var _ cluster.ChangeLog = (*Sim)(nil)
