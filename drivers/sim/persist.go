package sim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers"
	"github.com/runbookhq/runbook/internal/jsonw"
	"github.com/runbookhq/runbook/internal/sorted"
)

// A persisted Sim is a snapshot file plus a log of the changes made since,
// one JSON line per operation, so that each operation costs time in what it
// changed, not in the size of the cluster. Every line holds absolute values,
// so replaying a line twice is harmless. Open replays the log and compacts it
// into a new snapshot; a torn last line (a crash in mid-write) is ignored.

const formatVersion = 1

type snapshot struct {
	Format    int                      `json:"format"`
	Clock     time.Time                `json:"clock"`
	Status    *cluster.Status          `json:"status"`
	Downtime  map[string]time.Duration `json:"downtime_ns"`
	DownSince map[string]time.Time     `json:"down_since"`
	Upgrades  map[string]int           `json:"upgrades"`
	Refreshed map[string]string        `json:"refreshed"`
}

// delta tracks what the current operation changed: each node, resource and
// upgrade count with the value the change gave it, in the order they
// changed, one repeated if it changed twice (an append costs less than a
// set's insert, on every change of every operation; and the line is written
// from these values, without looking each up again); lines sorts them and
// keeps the last value of each.
type delta struct {
	clock, licenses, media bool
	nodes                  []nodeValue
	resources              []resourceValue
	upgrades               []upgradeValue
}

// nodeValue is a node's status after a change.
type nodeValue struct {
	name string
	ns   cluster.NodeStatus
}

// resourceValue is what the log says of a resource after a change: its
// status, its downtime and since when it is down (down: it is).
type resourceValue struct {
	name     string
	rs       cluster.ResourceStatus
	downtime time.Duration
	since    time.Time
	down     bool
}

// upgradeValue is a node's count of completed upgrades after a change.
type upgradeValue struct {
	name string
	n    int
}

type deltaLine struct {
	Clock     *time.Time                    `json:"clock,omitempty"`
	Nodes     map[string]cluster.NodeStatus `json:"nodes,omitempty"`
	Resources map[string]resourceLine       `json:"resources,omitempty"`
	Licenses  []cluster.LicenseStatus       `json:"licenses,omitempty"`
	Media     *string                       `json:"media,omitempty"`
	Upgrades  map[string]int                `json:"upgrades,omitempty"`
	Refreshed map[string]string             `json:"refreshed,omitempty"`
}

type resourceLine struct {
	Status    cluster.ResourceStatus `json:"status"`
	Downtime  time.Duration          `json:"downtime_ns"`
	DownSince *time.Time             `json:"down_since,omitempty"`
}

type logFile struct {
	store Store
	w     io.WriteCloser
}

func (s *Sim) resetDelta() { s.changed.reset() }

// reset empties d, keeping its slices: an operation costs no new ones.
func (d *delta) reset() {
	d.clock, d.licenses, d.media = false, false, false
	d.nodes, d.resources, d.upgrades = d.nodes[:0], d.resources[:0], d.upgrades[:0]
}

func (d *delta) empty() bool {
	return !d.clock && !d.licenses && !d.media && len(d.nodes) == 0 && len(d.resources) == 0 &&
		len(d.upgrades) == 0
}

// lines sorts the values of a delta by name, keeping the order of one
// name's, and keeps the last of each name, in place. An operation changes
// a few: they are sorted by insertion.
func lines[V any](list []V, name func(*V) string) []V {
	if len(list) < 2 {
		return list
	}
	if len(list) <= 32 {
		for i := 1; i < len(list); i++ {
			for j := i; j > 0 && name(&list[j]) < name(&list[j-1]); j-- {
				list[j], list[j-1] = list[j-1], list[j]
			}
		}
	} else {
		// (A node that hosts many resources leaves.)
		idx := make([]int, len(list))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int { return strings.Compare(name(&list[a]), name(&list[b])) })
		sorted := make([]V, len(list))
		for i, j := range idx {
			sorted[i] = list[j]
		}
		copy(list, sorted)
	}
	out := list[:0]
	for i := range list {
		if i+1 < len(list) && name(&list[i+1]) == name(&list[i]) {
			continue
		}
		out = append(out, list[i])
	}
	return out
}

// commit persists what the current operation changed.
func (s *Sim) commit() error {
	defer s.resetDelta()
	if s.log == nil || s.changed.empty() {
		return nil
	}
	b, err := s.appendDeltaLine(s.buf[:0])
	if err != nil {
		return err
	}
	b = append(b, '\n')
	s.buf = b
	s.commits++
	// One write of a whole line: a crash leaves at most a torn last line.
	if _, err := s.log.w.Write(b); err != nil {
		return fmt.Errorf("simulator state %s: %w", s.log.store.Where(logName), err)
	}
	return nil
}

// appendDeltaLine appends what the current operation changed as a
// deltaLine's JSON, as encoding/json encodes it, without building the line:
// an operation costs the size of its change.
func (s *Sim) appendDeltaLine(b []byte) ([]byte, error) {
	var err error
	b = append(b, '{')
	comma := func() {
		if b[len(b)-1] != '{' {
			b = append(b, ',')
		}
	}
	if s.changed.clock {
		b = append(b, `"clock":`...)
		if b, err = s.appendTime(b, s.st.Clock); err != nil {
			return nil, err
		}
	}
	if len(s.changed.nodes) > 0 {
		comma()
		b = append(b, `"nodes":{`...)
		for i, v := range lines(s.changed.nodes, func(v *nodeValue) string { return v.name }) {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.String(b, v.name)
			b = append(b, ':')
			b = v.ns.AppendJSON(b)
		}
		b = append(b, '}')
	}
	if len(s.changed.resources) > 0 {
		comma()
		b = append(b, `"resources":{`...)
		for i, v := range lines(s.changed.resources, func(v *resourceValue) string { return v.name }) {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.String(b, v.name)
			b = append(b, `:{"status":`...)
			b = v.rs.AppendJSON(b)
			b = append(b, `,"downtime_ns":`...)
			b = strconv.AppendInt(b, int64(v.downtime), 10)
			if v.down {
				b = append(b, `,"down_since":`...)
				if b, err = s.appendTime(b, v.since); err != nil {
					return nil, err
				}
			}
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	if s.changed.licenses && len(s.st.Status.Licenses) > 0 {
		comma()
		b = append(b, `"licenses":`...)
		b = cluster.AppendLicensesJSON(b, s.st.Status.Licenses)
	}
	if s.changed.media {
		comma()
		b = append(b, `"media":`...)
		b = jsonw.String(b, s.st.Status.MediaVersion)
	}
	if len(s.changed.upgrades) > 0 {
		comma()
		b = append(b, `"upgrades":{`...)
		for i, v := range lines(s.changed.upgrades, func(v *upgradeValue) string { return v.name }) {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.String(b, v.name)
			b = append(b, ':')
			b = strconv.AppendInt(b, int64(v.n), 10)
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// appendTime appends t as jsonw.Time does; the last time it encoded is
// copied rather than encoded again (a line's clock and the down_since of
// the resources its operation took down are often one time).
func (s *Sim) appendTime(b []byte, t time.Time) ([]byte, error) {
	if s.timeJSON != nil && t == s.timeAt {
		return append(b, s.timeJSON...), nil
	}
	start := len(b)
	b, err := jsonw.Time(b, t)
	if err != nil {
		return nil, err
	}
	s.timeAt, s.timeJSON = t, append(s.timeJSON[:0], b[start:]...)
	return b, nil
}

func (s *Sim) apply(l *deltaLine) {
	if l.Clock != nil {
		s.st.Clock = *l.Clock
	}
	if l.Licenses != nil {
		s.st.Status.Licenses = l.Licenses
	}
	if l.Media != nil {
		s.st.Status.MediaVersion = *l.Media
	}
	for n, ns := range l.Nodes {
		s.st.Status.SetNode(n, ns)
	}
	for r, rl := range l.Resources {
		s.st.Status.SetResource(r, rl.Status)
		s.st.setDowntime(r, rl.Downtime)
		if rl.DownSince != nil {
			s.st.setDownSince(r, *rl.DownSince, true)
		} else {
			s.st.setDownSince(r, time.Time{}, false)
		}
	}
	for n, v := range l.Upgrades {
		s.st.Upgrades[n] = v
	}
}

// Store is where a persisted Sim keeps its cluster: a state store's
// session.
type Store = drivers.Store

// StateName names the simulator's cluster in its store, and StateName+".log"
// the changes since it was written.
const StateName = "sim.json"

const logName = StateName + ".log"

// Fresh is a simulator as Open starts it from the declared cluster when
// its store keeps none, made ahead of Open (NewFresh): the simulator and
// the snapshot Open writes of it.
type Fresh struct {
	c    *cluster.Cluster
	opts Options
	s    *Sim
	snap []byte
	err  error
}

// NewFresh makes the simulator New(c, opts) makes, and encodes its
// snapshot, for Open to start from when its store keeps no simulated
// cluster. Open takes it once.
func NewFresh(c *cluster.Cluster, opts Options) *Fresh {
	f := &Fresh{c: c, opts: opts, s: New(c, opts)}
	// Its status is written again, unchanged, as the run's snapshot.
	f.s.st.Status.KeepJSON()
	f.snap, f.err = f.s.appendSnapshot(nil)
	return f
}

// fits reports whether f is the simulator New(c, opts) would make.
func (f *Fresh) fits(c *cluster.Cluster, opts Options) bool {
	return f != nil && f.s != nil && f.err == nil && f.c == c && f.opts.Timings == opts.Timings &&
		slices.Equal(f.opts.Faults, opts.Faults) && f.opts.Start.Equal(opts.Start) &&
		f.opts.Instant == opts.Instant && f.opts.Lenient == opts.Lenient
}

// Open returns a simulator persisted in store, creating it from the
// declared cluster if it is not there. Every operation is persisted before
// it returns.
func Open(store Store, c *cluster.Cluster, opts Options) (*Sim, error) {
	return openFrom(store, c, opts, nil)
}

// openFrom is Open, which starts from fresh (taking it) when the store
// keeps no simulated cluster and fresh was made of c and opts.
func openFrom(store Store, c *cluster.Cluster, opts Options, fresh *Fresh) (*Sim, error) {
	path := store.Where(StateName)
	data, err := store.Get(StateName)
	kept := err == nil
	logData, logErr := store.Get(logName)
	var s *Sim
	var snap []byte
	if !kept && errors.Is(logErr, fs.ErrNotExist) && fresh.fits(c, opts) {
		s, snap = fresh.s, fresh.snap
		fresh.s, fresh.snap = nil, nil
	} else {
		s = New(c, opts)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("simulator state: %w", err)
	default:
		var snap snapshot
		if err := json.Unmarshal(data, &snap); err != nil || snap.Status == nil {
			return nil, fmt.Errorf("simulator state %s is corrupt (%v); remove the state directory to start over", path, err)
		}
		if snap.Format != formatVersion {
			return nil, fmt.Errorf("simulator state %s has format %d; this runbook reads format %d", path, snap.Format, formatVersion)
		}
		snap.Status.Reindex()
		s.st = state{Clock: snap.Clock, Status: snap.Status, Down: make(map[string]downAccount, max(len(snap.Downtime), len(snap.DownSince))),
			Upgrades: orEmpty(snap.Upgrades)}
		for r, d := range snap.Downtime {
			s.st.setDowntime(r, d)
		}
		for r, since := range snap.DownSince {
			s.st.setDownSince(r, since, true)
		}
	}
	if logErr == nil {
		kept = true
		sc := bufio.NewScanner(bytes.NewReader(logData))
		sc.Buffer(make([]byte, 0, 1<<16), 1<<30)
		for sc.Scan() {
			var l deltaLine
			if json.Unmarshal(sc.Bytes(), &l) != nil {
				break // a torn last line
			}
			s.apply(&l)
		}
	} else if !errors.Is(logErr, fs.ErrNotExist) {
		return nil, fmt.Errorf("simulator state: %w", logErr)
	}
	if err := s.putSnapshot(store, snap); err != nil {
		return nil, err
	}
	if err := store.Put(logName, nil); err != nil {
		return nil, fmt.Errorf("simulator state: %w", err)
	}
	w, err := store.Stream(logName)
	if err != nil {
		return nil, fmt.Errorf("simulator state: %w", err)
	}
	s.log = &logFile{store: store, w: w}
	// It is opened to run: what changes from here on is tracked.
	s.tracking = true
	s.declared = !kept
	return s, nil
}

// OpenedAsDeclared reports whether Open found no stored state (neither the
// snapshot nor its log): the simulator then started where New(c, opts)
// starts, the declared cluster at the start of the clock. It says nothing
// of what was done with it since.
func (s *Sim) OpenedAsDeclared() bool { return s.declared }

// Close compacts the persisted state and closes it.
func (s *Sim) Close() error {
	if s.log == nil {
		return nil
	}
	err := s.log.w.Close()
	if e := s.putSnapshot(s.log.store, s.prepared()); err == nil {
		err = e
	}
	if err == nil {
		err = s.log.store.Put(logName, nil)
	}
	s.log = nil
	return err
}

// preparedSnapshot is the snapshot PrepareClose encodes.
type preparedSnapshot struct {
	done    chan struct{}
	b       []byte
	err     error
	commits int // the simulator's commits when it was encoded
}

// PrepareClose encodes, on a goroutine of its own, the snapshot Close is to
// write, for a caller done with the simulator's operations (a run that
// ended): Close then finds it made, and writes it where it would have
// written its own (unless something changed since: it then encodes anew).
// The simulator may only be read until Close, which waits for it.
func (s *Sim) PrepareClose() {
	if s.log == nil || s.prep != nil {
		return
	}
	p := &preparedSnapshot{done: make(chan struct{}), commits: s.commits}
	s.prep = p
	go func() {
		defer close(p.done)
		p.b, p.err = s.appendSnapshot(nil)
	}()
}

// prepared waits for the snapshot PrepareClose encodes and returns it: nil
// when there is none, or when the simulator changed since it was encoded.
func (s *Sim) prepared() []byte {
	p := s.prep
	if p == nil {
		return nil
	}
	<-p.done
	s.prep = nil
	if p.err != nil || p.commits != s.commits || !s.changed.empty() {
		return nil
	}
	return p.b
}

func (s *Sim) writeSnapshot(store Store) error { return s.putSnapshot(store, nil) }

// putSnapshot writes the snapshot: b, the simulator's as encoded, or
// encoded now when b is nil.
func (s *Sim) putSnapshot(store Store, b []byte) error {
	if b == nil {
		var err error
		if b, err = s.appendSnapshot(nil); err != nil {
			return err
		}
	}
	if err := store.Put(StateName, b); err != nil {
		return fmt.Errorf("simulator state: %w", err)
	}
	return nil
}

// appendSnapshot appends the simulator's snapshot as encoding/json encodes
// a snapshot (without indentation), without reflection: the whole cluster,
// written when the simulator is opened and closed. Each map's keys, sorted,
// are kept for the next snapshot, which sorts them again only when they
// changed (rarely: the cluster's nodes and resources stay).
func (s *Sim) appendSnapshot(b []byte) ([]byte, error) {
	if b == nil {
		// As large as the last one, and some: it grows once, if at all.
		size := s.snapSize
		if size == 0 && s.st.Status != nil {
			size = 64 * (len(s.st.Status.Nodes) + 2*len(s.st.Status.Resources))
		}
		b = make([]byte, 0, size+size/8+512)
	}
	start := len(b)
	k := &s.snapKeys
	var err error
	b = append(b, `{"format":`...)
	b = strconv.AppendInt(b, formatVersion, 10)
	b = append(b, `,"clock":`...)
	if b, err = jsonw.Time(b, s.st.Clock); err != nil {
		return nil, err
	}
	b = append(b, `,"status":`...)
	if st := s.st.Status; st == nil {
		b = append(b, "null"...)
	} else {
		// As cluster.Status.AppendJSON encodes it.
		b = append(b, `{"nodes":`...)
		b, _ = appendObject(b, st.Nodes, &k[0], func(b []byte, ns cluster.NodeStatus) ([]byte, error) { return ns.AppendJSON(b), nil })
		b = append(b, `,"resources":`...)
		b, _ = appendObject(b, st.Resources, &k[1], func(b []byte, rs cluster.ResourceStatus) ([]byte, error) { return rs.AppendJSON(b), nil })
		b = append(b, `,"licenses":`...)
		b = cluster.AppendLicensesJSON(b, st.Licenses)
		b = append(b, `,"media_version":`...)
		b = jsonw.String(b, st.MediaVersion)
		b = append(b, '}')
	}
	b = append(b, `,"downtime_ns":`...)
	b, _ = appendAccounts(b, s.st.Down, &k[2], func(a downAccount) bool { return a.counted },
		func(b []byte, a downAccount) ([]byte, error) { return strconv.AppendInt(b, int64(a.total), 10), nil })
	b = append(b, `,"down_since":`...)
	if b, err = appendAccounts(b, s.st.Down, &k[3], func(a downAccount) bool { return a.down },
		func(b []byte, a downAccount) ([]byte, error) { return jsonw.Time(b, a.since) }); err != nil {
		return nil, err
	}
	b = append(b, `,"upgrades":`...)
	b, _ = appendObject(b, s.st.Upgrades, &k[4], func(b []byte, n int) ([]byte, error) { return strconv.AppendInt(b, int64(n), 10), nil })
	b = append(b, `,"refreshed":`...)
	b, _ = appendObject(b, s.st.Refreshed, &k[5], func(b []byte, v string) ([]byte, error) { return jsonw.String(b, v), nil })
	b = append(b, '}')
	s.snapSize = len(b) - start
	return b, nil
}

// appendObject appends m as a JSON object, its keys sorted; null when nil.
// keys are m's keys, sorted, as the last call found them: used when m
// still has those, found anew (and kept in keys) otherwise.
func appendObject[V any](b []byte, m map[string]V, keys *[]string, value func([]byte, V) ([]byte, error)) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	if len(*keys) == len(m) {
		start := len(b)
		out, ok, err := appendKeyed(b, m, *keys, value)
		if ok || err != nil {
			return out, err
		}
		b = out[:start]
	}
	*keys = sorted.Keys(m)
	b, _, err := appendKeyed(b, m, *keys, value)
	return b, err
}

// appendAccounts appends the accounts of m that has says it has as a JSON
// object, as appendObject appends a map of them: keys are their keys,
// sorted, as the last call found them.
func appendAccounts(b []byte, m map[string]downAccount, keys *[]string, has func(downAccount) bool, value func([]byte, downAccount) ([]byte, error)) ([]byte, error) {
	n := 0
	for _, a := range m {
		if has(a) {
			n++
		}
	}
	if len(*keys) == n {
		start := len(b)
		out, ok, err := appendKeyedIf(b, m, *keys, has, value)
		if ok || err != nil {
			return out, err
		}
		b = out[:start]
	}
	*keys = (*keys)[:0]
	for k, a := range m {
		if has(a) {
			*keys = append(*keys, k)
		}
	}
	slices.Sort(*keys)
	b, _, err := appendKeyedIf(b, m, *keys, has, value)
	return b, err
}

// appendKeyedIf is appendKeyed of the values has says m has.
func appendKeyedIf[V any](b []byte, m map[string]V, keys []string, has func(V) bool, value func([]byte, V) ([]byte, error)) ([]byte, bool, error) {
	b = append(b, '{')
	for i, k := range keys {
		v, ok := m[k]
		if !ok || !has(v) {
			return b, false, nil
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonw.String(b, k)
		b = append(b, ':')
		var err error
		if b, err = value(b, v); err != nil {
			return nil, false, err
		}
	}
	return append(b, '}'), true, nil
}

// appendKeyed appends m as a JSON object of keys, in their order; false if
// one of them is not in m (what it appended is then to be dropped).
func appendKeyed[V any](b []byte, m map[string]V, keys []string, value func([]byte, V) ([]byte, error)) ([]byte, bool, error) {
	return appendKeyedIf(b, m, keys, func(V) bool { return true }, value)
}

func orEmpty[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return m
}
