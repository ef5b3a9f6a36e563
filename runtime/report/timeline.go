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

func actualFacts(runs []*run) []fact {
	n := 0
	for _, r := range runs {
		for _, rec := range r.records.All() {
			if t := rec.Type; t == runtime.RecordOp || t == runtime.RecordChange {
				n++
			}
		}
	}
	out := make([]fact, 0, n)
	for _, r := range runs {
		for _, rec := range r.records.All() {
			switch rec.Type {
			case runtime.RecordOp:
				out = append(out, fact{time: rec.Time, step: rec.Address, op: rec.Op})
			case runtime.RecordChange:
				out = append(out, fact{time: rec.Time, step: rec.Address, change: rec.Change})
			}
		}
	}
	return out
}

func planFacts(p *Plan, shift time.Duration) []fact {
	out := make([]fact, 0, len(p.Events))
	for _, e := range p.Events {
		if e.Type == runtime.EventChange && e.Change != nil {
			out = append(out, fact{time: e.Time.Add(shift), step: e.Step, change: e.Change})
		}
	}
	return out
}

type nodeLane struct {
	state, version string
	since          time.Time
	segs           []Segment
}

func (l *nodeLane) set(t time.Time, state, version string) {
	if state == l.state && version == l.version {
		return
	}
	if t.After(l.since) && l.state != "" {
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

// moveAt is a move seen at one status read, with why.
type moveAt struct {
	Move
	step, reason string
}

type resLane struct {
	state, node string
	since       time.Time
	segs        []Segment
	moves       []Move
	moveWhy     []moveAt
	spans       []span
	down        *span
}

func (l *resLane) set(t time.Time, state, node string) {
	if state == l.state && node == l.node {
		return
	}
	if t.After(l.since) && l.state != "" {
		l.segs = append(l.segs, Segment{Start: l.since, End: t, State: l.state, Node: l.node})
	}
	l.state, l.node, l.since = state, node, t
}

// outages lists the resource's outages: those seen, each as long as it
// was seen, and the moves seen at one status read, which share what is
// left of total (the driver's own account of the downtime, when it keeps
// one: a move it counts as the time the resource took to move).
func (l *resLane) outages(total float64) []Outage {
	var out []Outage
	seen := 0.0
	for _, s := range l.spans {
		seen += s.End.Sub(s.Start).Seconds()
	}
	share := 0.0
	if rest := total - seen; rest > 0 && len(l.moveWhy) > 0 {
		share = rest / float64(len(l.moveWhy))
	}
	for _, s := range l.spans {
		out = append(out, Outage{Start: s.Start, End: s.End, Seconds: s.End.Sub(s.Start).Seconds(), Kind: s.kind, Step: s.step, Reason: s.reason, Open: s.open})
	}
	for _, m := range l.moveWhy {
		d := time.Duration(share * float64(time.Second))
		out = append(out, Outage{Start: m.Time.Add(-d), End: m.Time, Seconds: share, Kind: OutageMove, Step: m.step, Reason: m.reason})
	}
	sortOutages(out)
	return out
}

func sortOutages(o []Outage) {
	for i := 1; i < len(o); i++ {
		for j := i; j > 0 && o[j].End.Before(o[j-1].End); j-- {
			o[j], o[j-1] = o[j-1], o[j]
		}
	}
}

type timeline struct {
	nodes     map[string]*nodeLane
	resources map[string]*resLane
}

// stepFacts is what a step did, for the reasons of outages. The sets are
// made at their first member (set).
type stepFacts struct {
	left     map[string]bool // nodes that left or went down
	up       map[string]bool // nodes that came up
	migrated map[string]bool // resources it moved
	offlined map[string]bool // resources it took offline
}

// set adds name to the set m points to, making it if need be.
func set(m *map[string]bool, name string) {
	if *m == nil {
		*m = map[string]bool{}
	}
	(*m)[name] = true
}

// replay plays the facts over the initial status; lanes run from start to
// end.
func replay(in *Input, initial *cluster.Status, facts []fact, start, end time.Time) *timeline {
	tl := &timeline{nodes: map[string]*nodeLane{}, resources: map[string]*resLane{}}
	for _, n := range in.Nodes {
		l := &nodeLane{since: start}
		if initial != nil {
			if ns, ok := initial.Nodes[n]; ok {
				l.state, l.version = nodeState(ns.State), ns.Version
			}
		}
		tl.nodes[n] = l
	}
	for _, r := range in.Resources {
		l := &resLane{since: start}
		if initial != nil {
			if rs, ok := initial.Resources[r]; ok {
				l.state, l.node = rs.State, rs.Node
			}
		}
		tl.resources[r] = l
	}
	by := map[string]*stepFacts{}
	sf := func(step string) *stepFacts {
		if by[step] == nil {
			by[step] = &stepFacts{}
		}
		return by[step]
	}
	for _, f := range facts {
		switch {
		case f.op != "":
			op, target, ok := twoFields(f.op)
			if !ok {
				continue
			}
			s := sf(f.step)
			switch op {
			case cluster.OpLeave:
				set(&s.left, target)
				if l := tl.nodes[target]; l != nil && l.state == NodeUp {
					l.set(f.time, NodeLeaving, l.version)
				}
			case cluster.OpUpgrade:
				set(&s.left, target)
				if l := tl.nodes[target]; l != nil {
					l.set(f.time, NodeUpgrading, l.version)
				}
			case cluster.OpMigrate:
				set(&s.migrated, target)
				if l := tl.resources[target]; l != nil && l.state == cluster.ResourceRunning {
					l.set(f.time, ResourceMoving, l.node)
				}
			case cluster.OpOffline:
				set(&s.offlined, target)
			}
		case f.change != nil:
			tl.change(in, f, sf(f.step))
		}
	}
	for _, l := range tl.nodes {
		l.set(end, "", "")
		upgrades(l.segs)
	}
	for _, l := range tl.resources {
		if l.down != nil {
			l.down.End, l.down.open = maxTime(end, l.down.Start), true
			l.spans = append(l.spans, *l.down)
			l.down = nil
		}
		l.set(end, "", "")
	}
	return tl
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

func (tl *timeline) change(in *Input, f fact, s *stepFacts) {
	c := f.change
	switch c.Kind {
	case runtime.ChangeNode:
		l := tl.nodes[c.Name]
		if l == nil {
			return
		}
		switch {
		case c.ToState == "":
			l.set(f.time, NodeGone, c.FromVersion)
		case c.ToState == cluster.NodeUp:
			if c.FromState != cluster.NodeUp {
				set(&s.up, c.Name)
			}
			l.set(f.time, NodeUp, c.ToVersion)
		default:
			set(&s.left, c.Name)
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
		l := tl.resources[c.Name]
		if l == nil {
			return
		}
		wasUp := c.FromState == cluster.ResourceRunning
		isUp := c.ToState == cluster.ResourceRunning
		switch {
		case wasUp && isUp && c.FromNode != c.ToNode:
			l.moves = append(l.moves, Move{Time: f.time, From: c.FromNode, To: c.ToNode})
			l.moveWhy = append(l.moveWhy, moveAt{Move: Move{Time: f.time, From: c.FromNode, To: c.ToNode}, step: f.step, reason: moveReason(in, c, f.step, s)})
		case wasUp && !isUp:
			kind, why := outageReason(c, f.step, s)
			l.down = &span{Start: f.time, kind: kind, step: f.step, reason: why}
		case !wasUp && isUp && l.down != nil:
			l.down.End = f.time
			if c.FromNode != "" && c.ToNode != c.FromNode {
				l.down.reason += "; back on " + c.ToNode
			}
			l.spans = append(l.spans, *l.down)
			l.down = nil
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

func moveReason(in *Input, c *runtime.Change, step string, s *stepFacts) string {
	home := in.Home[c.Name]
	move := c.FromNode + " → " + c.ToNode
	switch {
	case s.left[c.FromNode]:
		return "failover " + move + ": " + c.FromNode + " left the cluster " + during(step)
	case s.migrated[c.Name] && c.ToNode == home:
		return "failback " + move + ", moved by " + step
	case s.migrated[c.Name]:
		return "moved " + move + " by " + step
	case c.ToNode == home && s.up[home]:
		return "failback " + move + " by itself as " + home + " rejoined, " + during(step)
	case c.ToNode == home:
		return "failback " + move + " by itself, " + during(step)
	}
	return "moved " + move + " " + during(step)
}

func outageReason(c *runtime.Change, step string, s *stepFacts) (kind, why string) {
	switch {
	case c.ToState == cluster.ResourceUpgrade:
		return OutageUpgrade, "offline for the media upgrade (state upgrade), taken by " + step
	case c.Unplanned:
		return OutageUnplanned, "went " + c.ToState + " by itself on " + c.FromNode + " " + during(step) + " (unplanned)"
	case s.offlined[c.Name]:
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
