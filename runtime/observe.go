package runtime

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/steps"
)

// observer wraps the driver the steps act through. It keeps the runtime's
// picture of the cluster (known), compares each status a step reads with it
// and reports every difference as a change. With a driver that tells what
// changed (cluster.ChangeTracker, the simulator) it compares only that, so a
// status read costs time in the size of the change, not of the cluster;
// otherwise it compares whole statuses. It also measures downtime, for
// drivers that do not report it, and passes a crash point after every
// operation.
type observer struct {
	cluster.Driver
	tracker cluster.ChangeTracker
	// log, set only for a run that starts afresh (known is then the live
	// status), is the tracker when it also says what each change was from
	// and to: a status read then looks neither up (observe). Its nodes and
	// resources are then those of the driver's live status, not copies:
	// what the log reports is already in them (useLog).
	log     cluster.ChangeLog
	cluster *cluster.Cluster
	// known is the runtime's picture of the cluster. Its maps are changed
	// directly, not through SetNode and SetResource: the observer never
	// asks its indexes (Down, RunningOn), which are stale.
	known *cluster.Status

	// extraNodes and extraRes are compared on every read besides what the
	// tracker reports: the scope of a step resumed in flight, whose partial
	// effects happened in an earlier process.
	extraNodes map[string]bool
	extraRes   map[string]bool
	delta      *Delta
	onChange   func(time.Time, Change)
	// reserve, if set, is told that a read is to report n changes.
	reserve func(n int)
	crash   func(string)
	// crashes is set when crash points are armed: the name of each is made
	// only then.
	crashes bool
	// intent, if set, journals an operation before it is issued; started
	// the process group of its command, once it started; ended its outcome.
	intent  func(key string) error
	started func(key string, c cluster.StartedCommand)
	ended   func(key string, err error)
	logf    func(format string, args ...any)
	// noCommands is set when the driver says its operations start no
	// command (cluster.NoCommands): started is then never told anything,
	// and an operation's context carries no hook for it.
	noCommands bool

	// mu guards doubt, settleBy and awaited: a step may run operations
	// concurrently.
	mu sync.Mutex
	// doubt holds the operations of the step in flight that an earlier run
	// left in doubt: a step that asks to issue one again is told it is
	// issued, and waits for its effect (see expect).
	doubt map[string]DoubtfulOp
	// settle is how long a step may wait for the effect of operations in
	// doubt with no sign of progress; settleBy is when that wait ends (zero
	// when not waiting), awaited the operations it waits for.
	settle   time.Duration
	settleBy time.Time
	awaited  []string

	// down accounts for the downtime of each resource that went down or
	// that the runbook took offline: one look-up by its name a change.
	down  map[string]*resDown
	downs []resDown

	// nodeBuf and resBuf hold the names a status read compares.
	nodeBuf, resBuf []string
	// The statuses deltas point to are taken from chunks (take).
	nodeSlab []cluster.NodeStatus
	resSlab  []cluster.ResourceStatus
	// outages and deltas are where the ledgers and deltas are taken from
	// (take).
	outages []Outages
	deltas  []Delta
	// keys is where the operations' keys are made, under keysMu: a
	// step's operations may run in goroutines of their own.
	keysMu sync.Mutex
	keys   texts
}

// slabChunk is how many records a chunk holds.
const slabChunk = 64

// take appends v to the chunk *slab, a new one when it is full, and returns
// a pointer to it: pointers taken earlier stay valid, as a chunk never grows.
func take[T any](slab *[]T, v T) *T {
	if len(*slab) == cap(*slab) {
		*slab = make([]T, 0, slabChunk)
	}
	*slab = append(*slab, v)
	return &(*slab)[len(*slab)-1]
}

func newObserver(d cluster.Driver, c *cluster.Cluster, known *cluster.Status, onChange func(time.Time, Change), crash func(string)) *observer {
	o := &observer{Driver: d, cluster: c, known: known, onChange: onChange, crash: crash, down: map[string]*resDown{}}
	if nc, ok := d.(cluster.NoCommands); ok {
		o.noCommands = nc.StartsNoCommands()
	}
	if t, ok := d.(cluster.ChangeTracker); ok {
		o.tracker = t
		t.Changed() // known was just compared with the whole status
	}
	now := d.Now()
	for name, rs := range known.Resources {
		if rs.State != cluster.ResourceRunning {
			d := o.downOf(name)
			d.since, d.isDown = now, true
		}
	}
	o.begin(nil, nil)
	return o
}

// useLog makes the observer read what changed from l, a driver's log that
// starts from the live status live: known's nodes and resources become
// live's own maps, which the driver keeps as the log says.
func (o *observer) useLog(l cluster.ChangeLog, live *cluster.Status) {
	o.log = l
	o.known.Nodes, o.known.Resources = live.Nodes, live.Resources
}

// begin starts observing a step; nodes and resources are compared on every
// read besides what changed.
func (o *observer) begin(nodes, resources map[string]bool) {
	if o.log != nil && (nodes != nil || resources != nil) {
		// Scopes are compared with known, which must then be a copy of
		// its own: the live status as of now, all of whose changes were
		// read (a step ends with a status read).
		o.log = nil
		o.known.Nodes, o.known.Resources = maps.Clone(o.known.Nodes), maps.Clone(o.known.Resources)
	}
	o.extraNodes, o.extraRes = nodes, resources
	o.delta = nil
}

// changes returns the delta of the step in flight, made on its first change.
func (o *observer) changes() *Delta {
	if o.delta == nil {
		o.delta = take(&o.deltas, Delta{})
	}
	return o.delta
}

// end returns what changed since begin.
func (o *observer) end() *Delta {
	d := o.delta
	o.delta = nil
	o.extraNodes, o.extraRes = nil, nil
	o.mu.Lock()
	o.doubt = nil
	o.mu.Unlock()
	o.disarm()
	return d
}

// expect arms the settling of operations in doubt for the step in flight:
// those whose run died while they ran are not issued again, and the step
// may wait for the effects of all of them at most the settle time without
// a sign of progress (a change in the cluster, or an operation the step
// issues anew). Past it, reading the status fails with an *unsettledError,
// which ends the step in doubt.
func (o *observer) expect(doubts []DoubtfulOp) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.doubt = nil
	o.awaited = nil
	if len(doubts) > 0 {
		o.doubt = map[string]DoubtfulOp{}
	}
	for _, d := range doubts {
		if !d.Ended {
			// Its command ended under no one's watch: never issued again
			// blindly. One the earlier run saw end (killed, or an exit
			// status of unknown outcome) is the step's to settle.
			o.doubt[d.Op] = d
		}
		o.awaited = append(o.awaited, d.Op)
	}
	if len(doubts) > 0 {
		o.settleBy = o.Driver.Now().Add(o.settle)
	}
}

// disarm ends the wait for operations in doubt.
func (o *observer) disarm() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.settleBy, o.awaited = time.Time{}, nil
}

func (o *observer) Status(ctx context.Context) (*cluster.Status, error) {
	st, err := o.Driver.Status(ctx)
	if err != nil {
		return nil, err
	}
	changed := o.observe(st)
	o.mu.Lock()
	defer o.mu.Unlock()
	if changed && !o.settleBy.IsZero() {
		// A sign of progress: the wait starts again.
		o.settleBy = o.Driver.Now().Add(o.settle)
	}
	if !o.settleBy.IsZero() && !o.Driver.Now().Before(o.settleBy) {
		err := &unsettledError{ops: o.awaited, settle: o.settle}
		o.settleBy, o.awaited = time.Time{}, nil
		return nil, err
	}
	return st, nil
}

// unsettledError ends a resumed step whose operations in doubt showed no
// effect within the settle time.
type unsettledError struct {
	ops    []string
	settle time.Duration
}

func (e *unsettledError) Error() string {
	return fmt.Sprintf("no sign of the effect of %s, which an earlier run issued and left in doubt, within the settle time of %s (%s)",
		strings.Join(e.ops, ", "), fmtDuration(e.settle), cluster.ErrInDoubt)
}

func (e *unsettledError) Unwrap() error { return cluster.ErrInDoubt }

// observe compares st with known and records the changes; it reports
// whether anything changed.
func (o *observer) observe(st *cluster.Status) bool {
	changed := false
	now := o.Driver.Now()
	if o.log != nil {
		if ns, rs, _, ok := o.log.ChangedStatuses(); ok {
			if n := len(ns) + len(rs); n > 1 && o.reserve != nil {
				o.reserve(n)
			}
			for i := range ns {
				c := &ns[i]
				if c.Had != c.Has || c.Old != c.New {
					o.node(now, c.Name, c.Old, c.Had, c.New, c.Has, len(ns)-i-1)
					changed = true
				}
			}
			for i := range rs {
				c := &rs[i]
				if c.Had != c.Has || c.Old != c.New {
					o.resource(now, c.Name, c.Old, c.Had, c.New, c.Has, len(rs)-i-1)
					changed = true
				}
			}
			return o.clusterWide(now, st) || changed
		}
		// The driver tracks nothing yet: known, its live status, is all
		// there is to know; from now on it is compared as a copy.
		o.log = nil
		o.known.Nodes, o.known.Resources = maps.Clone(st.Nodes), maps.Clone(st.Resources)
	}
	var nodes, resources []string
	if o.tracker != nil {
		tn, tr, _ := o.tracker.Changed()
		nodes, resources = append(o.nodeBuf[:0], tn...), append(o.resBuf[:0], tr...)
		for n := range o.extraNodes {
			nodes = append(nodes, n)
		}
		for r := range o.extraRes {
			resources = append(resources, r)
		}
		o.nodeBuf, o.resBuf = nodes, resources
	} else {
		nodes = unionKeys(o.known.Nodes, st.Nodes)
		resources = unionKeys(o.known.Resources, st.Resources)
	}
	sort.Strings(nodes)
	sort.Strings(resources)
	for i, n := range nodes {
		old, had := o.known.Nodes[n]
		cur, has := st.Nodes[n]
		if had == has && old == cur {
			continue
		}
		o.node(now, n, old, had, cur, has, o.more(nodes, i))
		changed = true
	}
	for i, r := range resources {
		old, had := o.known.Resources[r]
		cur, has := st.Resources[r]
		if had == has && old == cur {
			continue
		}
		o.resource(now, r, old, had, cur, has, o.more(resources, i))
		changed = true
	}
	return o.clusterWide(now, st) || changed
}

// node records and reports a node's change from old (had: it was there) to
// cur (has); more is how many more changes the read is likely to find.
func (o *observer) node(now time.Time, n string, old cluster.NodeStatus, had bool, cur cluster.NodeStatus, has bool, more int) {
	c := Change{Kind: ChangeNode, Name: n, FromState: old.State, FromVersion: old.Version, ToState: cur.State, ToVersion: cur.Version,
		FromMedia: old.Media, ToMedia: cur.Media}
	switch {
	case o.log != nil:
		// known's nodes are the driver's, which the change is in.
		if has {
			o.changes().setNode(n, take(&o.nodeSlab, cur), more)
		} else {
			o.changes().setNode(n, nil, more)
		}
	case has:
		o.known.Nodes[n] = cur
		o.changes().setNode(n, take(&o.nodeSlab, cur), more)
	default:
		delete(o.known.Nodes, n)
		o.changes().setNode(n, nil, more)
	}
	o.onChange(now, c)
}

// resource records and reports a resource's change, as node a node's, and
// accounts for its downtime.
func (o *observer) resource(now time.Time, r string, old cluster.ResourceStatus, had bool, cur cluster.ResourceStatus, has bool, more int) {
	c := Change{Kind: ChangeResource, Name: r, FromState: old.State, FromNode: old.Node, ToState: cur.State, ToNode: cur.Node}
	wasRunning, isRunning := had && old.State == cluster.ResourceRunning, has && cur.State == cluster.ResourceRunning
	if wasRunning && !isRunning {
		d := o.downOf(r)
		c.Unplanned = !d.offlined
		if !d.isDown {
			// (The journal may date it earlier: resumeDowntime.)
			d.since, d.isDown = now, true
		}
	}
	if !wasRunning && isRunning {
		if d := o.down[r]; d != nil {
			if d.isDown {
				d.ended += now.Sub(d.since)
				d.hasEnded = true
				d.since, d.isDown = time.Time{}, false
			}
			d.offlined = false
		}
	}
	switch {
	case o.log != nil:
		// known's resources are the driver's, which the change is in.
		if has {
			o.changes().setResource(r, take(&o.resSlab, cur), more)
		} else {
			o.changes().setResource(r, nil, more)
		}
	case has:
		o.known.Resources[r] = cur
		o.changes().setResource(r, take(&o.resSlab, cur), more)
	default:
		delete(o.known.Resources, r)
		o.changes().setResource(r, nil, more)
	}
	o.onChange(now, c)
}

// clusterWide records and reports the changes of the licences and the
// media version; it reports whether there were any.
func (o *observer) clusterWide(now time.Time, st *cluster.Status) bool {
	changed := false
	// Equal lists, what nearly every read finds, need no comparison of
	// their versions.
	if !slices.Equal(o.known.Licenses, st.Licenses) {
		changed = o.licenses(now, st)
	}
	if st.MediaVersion != o.known.MediaVersion {
		changed = true
		o.onChange(now, Change{Kind: ChangeMedia, FromVersion: o.known.MediaVersion, ToVersion: st.MediaVersion})
		o.known.MediaVersion = st.MediaVersion
		mv := st.MediaVersion
		o.changes().MediaVersion = &mv
	}
	return changed
}

// more is how many of names after the i-th are likely to have changed
// too: all of them when the driver said which changed, none said when
// names are every name.
func (o *observer) more(names []string, i int) int {
	if o.tracker == nil {
		return 0
	}
	return len(names) - i - 1
}

// licenses reports the licences added to and removed from known in st; it
// reports whether there were any.
func (o *observer) licenses(now time.Time, st *cluster.Status) bool {
	added, removed := licenseChanges(o.known.Licenses, st.Licenses)
	if len(added)+len(removed) == 0 {
		return false
	}
	for _, l := range added {
		o.onChange(now, Change{Kind: ChangeLicense, Product: l.Product, ToVersion: l.Version})
	}
	for _, l := range removed {
		o.onChange(now, Change{Kind: ChangeLicense, Product: l.Product, FromVersion: l.Version})
	}
	o.known.Licenses = append([]cluster.LicenseStatus(nil), st.Licenses...)
	ls := append([]cluster.LicenseStatus(nil), st.Licenses...)
	o.changes().Licenses = &ls
	return true
}

func unionKeys[V any](a, b map[string]V) []string {
	out := make([]string, 0, len(b))
	for k := range b {
		out = append(out, k)
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// Downtime is the downtime observed so far, counting resources still down
// until now.
func (o *observer) measuredDowntime() map[string]time.Duration {
	now := o.Driver.Now()
	out := map[string]time.Duration{}
	for r, d := range o.down {
		if d.hasEnded {
			out[r] = d.ended
		}
		if x := now.Sub(d.since); d.isDown && x > 0 {
			out[r] += x
		}
	}
	return out
}

// resDown is a resource's account of downtime.
type resDown struct {
	// since is when it went down, if it is down (isDown).
	since  time.Time
	isDown bool
	// ended is the downtime of its outages that ended, if any (hasEnded:
	// possibly none).
	ended    time.Duration
	hasEnded bool
	// offlined is set when the runbook took it offline.
	offlined bool
}

// downOf returns r's account of downtime, made if it has none.
func (o *observer) downOf(r string) *resDown {
	d := o.down[r]
	if d == nil {
		d = take(&o.downs, resDown{})
		o.down[r] = d
	}
	return d
}

// offlined reports whether the runbook took r offline.
func (o *observer) offlined(r string) bool {
	d := o.down[r]
	return d != nil && d.offlined
}

// do journals the intent to run an operation, runs it, journals its
// outcome, and passes a crash point. An operation an earlier run left in
// doubt is not issued again: the step waits for its effect instead.
func (o *observer) do(ctx context.Context, key string, op func(context.Context) error) error {
	o.mu.Lock()
	if _, ok := o.doubt[key]; ok {
		delete(o.doubt, key)
		if o.settleBy.IsZero() {
			o.awaited = nil
		}
		o.settleBy = o.Driver.Now().Add(o.settle)
		if !slices.Contains(o.awaited, key) {
			o.awaited = append(o.awaited, key)
		}
		o.mu.Unlock()
		if o.logf != nil {
			o.logf("%s was issued by an earlier run, which left its outcome in doubt: not issuing it again; waiting for its effect (at most %s without a change)", key, fmtDuration(o.settle))
		}
		return nil
	}
	// The step goes on past what was in doubt.
	o.settleBy, o.awaited = time.Time{}, nil
	o.mu.Unlock()
	if o.intent != nil {
		if err := o.intent(key); err != nil {
			return err
		}
	}
	if o.started != nil && !o.noCommands {
		ctx = cluster.WithCommandStarted(ctx, func(c cluster.StartedCommand) { o.started(key, c) })
	}
	err := op(ctx)
	if o.ended != nil {
		o.ended(key, err)
	}
	if o.crashes {
		o.crash("after driver operation " + key)
	}
	return err
}

// key is cluster.OpKey(op, subjects...), made in o.keys: the runtime
// names every operation it issues.
func (o *observer) key(op string, subjects ...string) string {
	o.keysMu.Lock()
	defer o.keysMu.Unlock()
	switch len(subjects) {
	case 1:
		return o.keys.join(op, " ", subjects[0])
	case 2:
		return o.keys.join(op, " ", subjects[0], " ", subjects[1])
	}
	return cluster.OpKey(op, subjects...)
}

func (o *observer) InstallLicense(ctx context.Context, l cluster.License) error {
	return o.do(ctx, o.key(cluster.OpInstallLicense, l.Name), func(ctx context.Context) error { return o.Driver.InstallLicense(ctx, l) })
}

func (o *observer) Leave(ctx context.Context, n cluster.Node) error {
	return o.do(ctx, o.key(cluster.OpLeave, n.Name), func(ctx context.Context) error { return o.Driver.Leave(ctx, n) })
}

func (o *observer) Upgrade(ctx context.Context, n cluster.Node, to string) error {
	return o.do(ctx, o.key(cluster.OpUpgrade, n.Name), func(ctx context.Context) error { return o.Driver.Upgrade(ctx, n, to) })
}

func (o *observer) Migrate(ctx context.Context, r cluster.Resource, n cluster.Node) error {
	return o.do(ctx, o.key(cluster.OpMigrate, r.Name, n.Name), func(ctx context.Context) error { return o.Driver.Migrate(ctx, r, n) })
}

func (o *observer) Offline(ctx context.Context, r cluster.Resource) error {
	o.downOf(r.Name).offlined = true
	return o.do(ctx, o.key(cluster.OpOffline, r.Name), func(ctx context.Context) error { return o.Driver.Offline(ctx, r) })
}

func (o *observer) Online(ctx context.Context, r cluster.Resource, n cluster.Node) error {
	return o.do(ctx, o.key(cluster.OpOnline, r.Name, n.Name), func(ctx context.Context) error { return o.Driver.Online(ctx, r, n) })
}

func (o *observer) MediaUpgrade(ctx context.Context, n cluster.Node) error {
	return o.do(ctx, o.key(cluster.OpMediaUpgrade, n.Name), func(ctx context.Context) error { return o.Driver.MediaUpgrade(ctx, n) })
}

func (o *observer) MediaRefresh(ctx context.Context, n cluster.Node) error {
	return o.do(ctx, o.key(cluster.OpMediaRefresh, n.Name), func(ctx context.Context) error { return o.Driver.MediaRefresh(ctx, n) })
}

// scopeOf returns the nodes and resources a step instance can affect, from
// its arguments: each node it names with the resources that may run on it,
// and each resource it names. When wide is set, a resource-list attribute the
// step leaves to its default (which this package cannot compute) counts as
// every resource: used to tolerate a step's partial effects on resume.
func scopeOf(c *cluster.Cluster, typ steps.Type, in *steps.Instance, wide bool) (nodes, resources map[string]bool, all bool) {
	nodes, resources = map[string]bool{}, map[string]bool{}
	addNode := func(n string) {
		nodes[n] = true
		for _, r := range c.Assigned(n) {
			resources[r] = true
		}
	}
	for _, v := range in.Args {
		switch v := v.(type) {
		case cluster.Node:
			addNode(v.Name)
		case []cluster.Node:
			for _, n := range v {
				addNode(n.Name)
			}
		case cluster.Resource:
			resources[v.Name] = true
		case []cluster.Resource:
			for _, r := range v {
				resources[r.Name] = true
			}
		}
	}
	if wide && typ != nil {
		for _, a := range typ.Attrs() {
			if (a.Kind == steps.KindResourceList || a.Kind == steps.KindResource) && !in.Args.Known(a.Name) {
				all = true
			}
		}
	}
	return nodes, resources, all
}
