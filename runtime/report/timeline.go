package report

import (
	"strings"
	"time"
	"unicode"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/runtime"
)

// A fact is what the timeline is replayed from: a journal record, or an
// event of the plan.
type fact struct {
	time   time.Time
	step   string
	op     string          // an operation issued
	change *runtime.Change // a change seen
}

type nodeLane struct {
	state, version string
	since          time.Time
	segs           []Segment
	room           []Segment // where segs starts (laneRoom)
	// did are the steps that made it leave (or go down), and come up.
	did [2]stepSet
}

// laneRoom is how many segments a lane has room for before its first: a
// lane of a rolling upgrade has about four, and the lanes' rooms are made
// at once (newTimeline).
const laneRoom = 4

func (l *nodeLane) set(t time.Time, state, version string) {
	if state == l.state && version == l.version {
		return
	}
	if t.After(l.since) && l.state != "" {
		if l.segs == nil {
			l.segs = l.room
		}
		l.segs = append(l.segs, Segment{Start: l.since, End: t, State: l.state, Version: l.version})
	}
	l.state, l.version, l.since = state, version, t
}

// span is an outage seen between two status reads.
type span struct {
	Start, End time.Time
	kind, step string
	reason     string
	open       bool
}

type resLane struct {
	state, node string
	home        string // its home node (Input.Home)
	since       time.Time
	segs        []Segment
	room        []Segment // where segs starts (laneRoom)
	// did are the steps that migrated it, and took it offline.
	did [2]stepSet
	// moves are the moves seen at one status read.
	moves []Move
	// outs are its outages as they end: each outage seen (whose seconds
	// add up to seen), and each move, whose start and seconds outages
	// sets once the total is known.
	outs []Outage
	seen float64
	// down is the outage going on, if isDown.
	down   span
	isDown bool
	// homeLane is the lane of its home node, -1 without one.
	homeLane int32
}

// outageRoom is how many outages a lane has room for before its first (a
// resource of a rolling upgrade has about three), taken from the
// timeline's chunk of them.
const (
	outageRoom  = 4
	outageChunk = 1024 * outageRoom
)

// addOutage appends o to l's outages.
func (tl *timeline) addOutage(l *resLane, o Outage) {
	if l.outs == nil {
		if len(tl.outRoom) < outageRoom {
			tl.outRoom = make([]Outage, outageChunk)
		}
		l.outs, tl.outRoom = tl.outRoom[:0:outageRoom], tl.outRoom[outageRoom:]
	}
	l.outs = append(l.outs, o)
}

// endOutage ends the outage going on, s, seen.
func (tl *timeline) endOutage(l *resLane, s span) {
	secs := s.End.Sub(s.Start).Seconds()
	l.seen += secs
	tl.addOutage(l, Outage{Start: s.Start, End: s.End, Seconds: secs, Kind: s.kind, Step: s.step, Reason: s.reason, Open: s.open})
}

func (l *resLane) set(t time.Time, state, node string) {
	if state == l.state && node == l.node {
		return
	}
	if t.After(l.since) && l.state != "" {
		if l.segs == nil {
			l.segs = l.room
		}
		l.segs = append(l.segs, Segment{Start: l.since, End: t, State: l.state, Node: l.node})
	}
	l.state, l.node, l.since = state, node, t
}

// outages lists the resource's outages: those seen, each as long as it
// was seen, and the moves seen at one status read, which share what is
// left of total (the driver's own account of the downtime, when it keeps
// one: a move it counts as the time the resource took to move); by their
// end, an outage seen before a move that ends with it. They are l's,
// completed and sorted in place.
func (l *resLane) outages(total float64) []Outage {
	if len(l.outs) == 0 {
		return nil
	}
	share := 0.0
	if rest := total - l.seen; rest > 0 && len(l.moves) > 0 {
		share = rest / float64(len(l.moves))
	}
	d := time.Duration(share * float64(time.Second))
	for i := range l.outs {
		if o := &l.outs[i]; o.Kind == OutageMove {
			o.Start, o.Seconds = o.End.Add(-d), share
		}
	}
	sortOutages(l.outs)
	return l.outs[:len(l.outs):len(l.outs)]
}

// sortOutages sorts o by end, an outage seen before a move (the order
// they had when all those seen came first), stably.
func sortOutages(o []Outage) {
	before := func(a, b *Outage) bool {
		return a.End.Before(b.End) || a.End.Equal(b.End) && a.Kind != OutageMove && b.Kind == OutageMove
	}
	for i := 1; i < len(o); i++ {
		for j := i; j > 0 && before(&o[j], &o[j-1]); j-- {
			o[j], o[j-1] = o[j-1], o[j]
		}
	}
}

// laneIndex is where each node's and resource's lane is in a timeline's,
// by name (the last of a name declared twice).
type laneIndex struct {
	nodes, resources map[string]int
	// homes are the resources' homes (Input.Home), by lane, and their
	// nodes' lanes (-1 for none).
	homes     []string
	homeLanes []int32
	// Whether each name is declared once: the k-th node's or resource's
	// lane is then the k-th.
	nodesOnce, resourcesOnce bool
}

func newLaneIndex(in *Input) *laneIndex {
	x := &laneIndex{nodes: make(map[string]int, len(in.Nodes)), resources: make(map[string]int, len(in.Resources))}
	for i, n := range in.Nodes {
		x.nodes[n] = i
	}
	x.homes, x.homeLanes = make([]string, len(in.Resources)), make([]int32, len(in.Resources))
	for i, r := range in.Resources {
		x.resources[r] = i
		x.homes[i] = in.Home[r]
	}
	for i, h := range x.homes {
		x.homeLanes[i] = -1
		if k, ok := x.nodes[h]; ok {
			x.homeLanes[i] = int32(k)
		}
	}
	x.nodesOnce, x.resourcesOnce = len(x.nodes) == len(in.Nodes), len(x.resources) == len(in.Resources)
	return x
}

// node is the lane of the input's k-th node, name.
func (x *laneIndex) node(k int, name string) int {
	if x.nodesOnce {
		return k
	}
	return x.nodes[name]
}

// resource is the lane of the input's k-th resource, name.
func (x *laneIndex) resource(k int, name string) int {
	if x.resourcesOnce {
		return k
	}
	return x.resources[name]
}

// timeline is the lanes of the nodes and resources, as the facts are
// played over the initial status (op, change), from its start to its end.
type timeline struct {
	in        *Input
	lanes     *laneIndex
	nodes     []nodeLane
	resources []resLane
	// others is what each step did to the nodes and resources without a
	// lane (the lanes keep their own: did).
	others map[stepFact]struct{}
	// outRoom is where the lanes' outages are made (addOutage).
	outRoom []Outage
	// The lanes last found by their names (node, resource).
	lastNode     *nodeLane
	lastNodeName string
	lastRes      *resLane
	lastResName  string
}

// What a step did to a node or resource, for the reasons of outages.
const (
	factLeft     = iota // a node that left or went down
	factUp              // a node that came up
	factMigrated        // a resource it moved
	factOfflined        // a resource it took offline
)

// stepFact is that step did kind to name: of a name without a lane.
type stepFact struct {
	step, name string
	kind       uint8
}

// stepSet is a set of steps: those that did one thing to a lane, a few in
// practice (first), in the order they did it.
type stepSet struct {
	n     int
	first [2]string
	more  *moreSteps
}

// moreSteps are a set's steps past its first, then all of them in a map
// once there are many.
type moreSteps struct {
	list []string
	many map[string]struct{}
}

const stepSetMany = 32

func (s *stepSet) add(step string) {
	switch {
	case s.n < len(s.first):
		if s.n > 0 && s.first[s.n-1] == step {
			return
		}
		s.first[s.n] = step
	case s.more == nil:
		if s.first[len(s.first)-1] == step {
			return
		}
		s.more = &moreSteps{list: []string{step}}
	case s.more.many != nil:
		if _, ok := s.more.many[step]; ok {
			return
		}
		s.more.many[step] = struct{}{}
	default:
		m := s.more
		if m.list[len(m.list)-1] == step {
			return
		}
		m.list = append(m.list, step)
		if len(m.list) > stepSetMany {
			m.many = make(map[string]struct{}, 2*stepSetMany)
			for _, x := range append(s.first[:], m.list...) {
				m.many[x] = struct{}{}
			}
			m.list = nil
		}
	}
	s.n++
}

// has reports whether step is in the set: the last added first.
func (s *stepSet) has(step string) bool {
	if m := s.more; m != nil {
		if m.many != nil {
			_, ok := m.many[step]
			return ok
		}
		for i := len(m.list) - 1; i >= 0; i-- {
			if m.list[i] == step {
				return true
			}
		}
	}
	for i := min(s.n, len(s.first)) - 1; i >= 0; i-- {
		if s.first[i] == step {
			return true
		}
	}
	return false
}

// set records that step did kind to name, whose set of steps that did
// it is s (nil without a lane).
func (tl *timeline) set(s *stepSet, step string, kind uint8, name string) {
	if s != nil {
		s.add(step)
		return
	}
	if tl.others == nil {
		tl.others = map[stepFact]struct{}{}
	}
	tl.others[stepFact{step, name, kind}] = struct{}{}
}

// did reports whether step did kind (factLeft or factUp) to the node
// name.
func (tl *timeline) did(step string, kind uint8, name string) bool {
	if l := tl.node(name); l != nil {
		return l.did[kind-factLeft].has(step)
	}
	_, ok := tl.others[stepFact{step, name, kind}]
	return ok
}

// didHome is did for the home node of l, a resource's lane, whose name is
// l.home: without a look-up by its name.
func (tl *timeline) didHome(step string, kind uint8, l *resLane) bool {
	if l.homeLane >= 0 {
		return tl.nodes[l.homeLane].did[kind-factLeft].has(step)
	}
	return tl.did(step, kind, l.home)
}

// steps is the set of steps that did kind (factLeft or factUp) to the
// node, nil without one.
func (l *nodeLane) steps(kind uint8) *stepSet {
	if l == nil {
		return nil
	}
	return &l.did[kind-factLeft]
}

// steps is the set of steps that did kind (factMigrated or factOfflined) to
// the resource, nil without one.
func (l *resLane) steps(kind uint8) *stepSet {
	if l == nil {
		return nil
	}
	return &l.did[kind-factMigrated]
}

// node is the lane of the node name, nil without one: the last found
// (a step's operations and changes name its node again and again), or
// looked up by its name.
func (tl *timeline) node(name string) *nodeLane {
	if tl.lastNode != nil && tl.lastNodeName == name {
		return tl.lastNode
	}
	if i, ok := tl.lanes.nodes[name]; ok {
		tl.lastNode, tl.lastNodeName = &tl.nodes[i], name
		return tl.lastNode
	}
	return nil
}

// resource is the lane of the resource name, as node a node's.
func (tl *timeline) resource(name string) *resLane {
	if tl.lastRes != nil && tl.lastResName == name {
		return tl.lastRes
	}
	if i, ok := tl.lanes.resources[name]; ok {
		tl.lastRes, tl.lastResName = &tl.resources[i], name
		return tl.lastRes
	}
	return nil
}

// newTimeline starts the lanes at start, in the initial status.
func newTimeline(in *Input, lanes *laneIndex, initial *cluster.Status, start time.Time) *timeline {
	tl := &timeline{in: in, lanes: lanes, nodes: make([]nodeLane, len(in.Nodes)), resources: make([]resLane, len(in.Resources))}
	room := make([]Segment, laneRoom*(len(in.Nodes)+len(in.Resources)))
	for i, n := range in.Nodes {
		l := &tl.nodes[i]
		l.since, l.room, room = start, room[:0:laneRoom], room[laneRoom:]
		if initial != nil {
			if ns, ok := initial.Nodes[n]; ok {
				l.state, l.version = nodeState(ns.State), ns.Version
			}
		}
	}
	for i, r := range in.Resources {
		l := &tl.resources[i]
		l.since, l.room, room = start, room[:0:laneRoom], room[laneRoom:]
		l.home, l.homeLane = lanes.homes[i], lanes.homeLanes[i]
		if initial != nil {
			if rs, ok := initial.Resources[r]; ok {
				l.state, l.node = rs.State, rs.Node
			}
		}
	}
	return tl
}

// op plays an operation issued.
func (tl *timeline) op(f fact) {
	op, target, ok := twoFields(f.op)
	if !ok {
		return
	}
	switch op {
	case cluster.OpLeave, cluster.OpUpgrade:
		l := tl.node(target)
		tl.set(l.steps(factLeft), f.step, factLeft, target)
		switch {
		case l == nil:
		case op == cluster.OpUpgrade:
			l.set(f.time, NodeUpgrading, l.version)
		case l.state == NodeUp:
			l.set(f.time, NodeLeaving, l.version)
		}
	case cluster.OpMigrate:
		l := tl.resource(target)
		tl.set(l.steps(factMigrated), f.step, factMigrated, target)
		if l != nil && l.state == cluster.ResourceRunning {
			l.set(f.time, ResourceMoving, l.node)
		}
	case cluster.OpOffline:
		tl.set(tl.resource(target).steps(factOfflined), f.step, factOfflined, target)
	}
}

// end ends the lanes at end.
func (tl *timeline) end(end time.Time) {
	for i := range tl.nodes {
		l := &tl.nodes[i]
		l.set(end, "", "")
		upgrades(l.segs)
	}
	for i := range tl.resources {
		l := &tl.resources[i]
		if l.isDown {
			l.down.End, l.down.open = maxTime(end, l.down.Start), true
			tl.endOutage(l, l.down)
			l.isDown = false
		}
		l.set(end, "", "")
	}
}

// twoFields returns the first two of the fields strings.Fields splits s
// into, without making the slice: ok is false when there are fewer.
func twoFields(s string) (first, second string, ok bool) {
	first, rest := nextField(s)
	second, _ = nextField(rest)
	return first, second, second != ""
}

// nextField returns the first field of s (strings.Fields') and what follows
// it.
func nextField(s string) (field, rest string) {
	// ASCII first, as strings.Fields does: the rest by its runes.
	i := 0
	for i < len(s) && asciiSpace[s[i]] {
		i++
	}
	for j := i; j < len(s); j++ {
		switch c := s[j]; {
		case c >= 0x80:
			return slowField(s[i:])
		case asciiSpace[c]:
			return s[i:j], s[j:]
		}
	}
	return s[i:], ""
}

// asciiSpace are the ASCII bytes unicode.IsSpace reports.
var asciiSpace = [256]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

func slowField(s string) (field, rest string) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	end := strings.IndexFunc(s, unicode.IsSpace)
	if end < 0 {
		return s, ""
	}
	return s[:end], s[end:]
}

func nodeState(s string) string {
	if s == cluster.NodeUp {
		return NodeUp
	}
	return NodeDown
}

// change plays a change seen.
func (tl *timeline) change(f fact) {
	c := f.change
	switch c.Kind {
	case runtime.ChangeNode:
		l := tl.node(c.Name)
		if l == nil {
			return
		}
		switch {
		case c.ToState == "":
			l.set(f.time, NodeGone, c.FromVersion)
		case c.ToState == cluster.NodeUp:
			if c.FromState != cluster.NodeUp {
				l.did[factUp-factLeft].add(f.step)
			}
			l.set(f.time, NodeUp, c.ToVersion)
		default:
			l.did[0].add(f.step)
			state := NodeDown
			switch {
			case l.state == NodeUpgrading && c.ToVersion != c.FromVersion:
				state = NodeRejoining
			case l.state == NodeUpgrading || l.state == NodeRejoining:
				state = l.state
			}
			l.set(f.time, state, c.ToVersion)
		}
	case runtime.ChangeResource:
		l := tl.resource(c.Name)
		if l == nil {
			return
		}
		wasUp := c.FromState == cluster.ResourceRunning
		isUp := c.ToState == cluster.ResourceRunning
		switch {
		case wasUp && isUp && c.FromNode != c.ToNode:
			l.moves = append(l.moves, Move{Time: f.time, From: c.FromNode, To: c.ToNode})
			tl.addOutage(l, Outage{End: f.time, Kind: OutageMove, Step: f.step, Reason: tl.moveReason(c, f.step, l)})
		case wasUp && !isUp:
			kind, why := tl.outageReason(c, f.step, l)
			l.down, l.isDown = span{Start: f.time, kind: kind, step: f.step, reason: why}, true
		case !wasUp && isUp && l.isDown:
			l.down.End = f.time
			if c.FromNode != "" && c.ToNode != c.FromNode {
				l.down.reason += "; back on " + c.ToNode
			}
			tl.endOutage(l, l.down)
			l.isDown = false
		}
		switch c.ToState {
		case "":
			l.set(f.time, ResourceGone, c.FromNode)
		default:
			l.set(f.time, c.ToState, c.ToNode)
		}
	}
}

func during(step string) string {
	if step == "" {
		return "between steps"
	}
	return "during " + step
}

// moveReason says why l, the lane of c's resource, moved: each reason
// made in one concatenation (during(step) as two parts, when).
func (tl *timeline) moveReason(c *runtime.Change, step string, l *resLane) string {
	home, from, to := l.home, c.FromNode, c.ToNode
	when, at := "during ", step
	if step == "" {
		when = "between steps"
	}
	left := false
	if from == home {
		left = tl.didHome(step, factLeft, l)
	} else {
		left = tl.did(step, factLeft, from)
	}
	switch {
	case left:
		return "failover " + from + " → " + to + ": " + from + " left the cluster " + when + at
	case l.did[0].has(step) && to == home:
		return "failback " + from + " → " + to + ", moved by " + step
	case l.did[0].has(step):
		return "moved " + from + " → " + to + " by " + step
	case to == home && tl.didHome(step, factUp, l):
		return "failback " + from + " → " + to + " by itself as " + home + " rejoined, " + when + at
	case to == home:
		return "failback " + from + " → " + to + " by itself, " + when + at
	}
	return "moved " + from + " → " + to + " " + when + at
}

func (tl *timeline) outageReason(c *runtime.Change, step string, l *resLane) (kind, why string) {
	switch {
	case c.ToState == cluster.ResourceUpgrade:
		return OutageUpgrade, "offline for the media upgrade (state upgrade), taken by " + step
	case c.Unplanned:
		return OutageUnplanned, "went " + c.ToState + " by itself on " + c.FromNode + " " + during(step) + " (unplanned)"
	case l.did[1].has(step):
		return OutageOffline, "taken " + c.ToState + " by " + step
	}
	return OutageOffline, c.ToState + " on " + c.FromNode + " " + during(step)
}

// upgrades names "upgrading" a node's time down that ends with it up at
// another version: what the plan shows (its events say when a node went
// down and came back, not which operations were issued) and what a journal
// without the operations' records shows.
func upgrades(segs []Segment) {
	for i := 0; i+1 < len(segs); i++ {
		if segs[i].State == NodeDown && segs[i+1].State == NodeUp && segs[i+1].Version != segs[i].Version {
			segs[i].State = NodeUpgrading
		}
	}
}
