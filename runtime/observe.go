package runtime

import (
	"context"
	"sort"
	"time"

	"github.com/runbookhq/runbook/steps"
)

// observer wraps the driver the steps act through. It keeps the runtime's
// picture of the cluster (known), compares each status a step reads with it
// and reports every difference as a change. With a driver that tells what
// changed (steps.ChangeTracker, the simulator) it compares only that, so a
// status read costs time in the size of the change, not of the cluster;
// otherwise it compares whole statuses. It also measures downtime, for
// drivers that do not report it, and passes a crash point after every
// operation.
type observer struct {
	steps.Driver
	tracker steps.ChangeTracker
	cluster *steps.Cluster
	known   *steps.Status

	// extraNodes and extraRes are compared on every read besides what the
	// tracker reports: the scope of a step resumed in flight, whose partial
	// effects happened in an earlier process.
	extraNodes map[string]bool
	extraRes   map[string]bool
	delta      *Delta
	onChange   func(time.Time, Change)
	crash      func(string)
	// intent, if set, journals an operation before it is issued.
	intent func(key string) error

	offlined  map[string]bool // resources the runbook took offline
	downSince map[string]time.Time
	downtime  map[string]time.Duration
}

func newObserver(d steps.Driver, c *steps.Cluster, known *steps.Status, onChange func(time.Time, Change), crash func(string)) *observer {
	o := &observer{Driver: d, cluster: c, known: known, onChange: onChange, crash: crash,
		offlined: map[string]bool{}, downSince: map[string]time.Time{}, downtime: map[string]time.Duration{}}
	if t, ok := d.(steps.ChangeTracker); ok {
		o.tracker = t
		t.Changed() // known was just compared with the whole status
	}
	now := d.Now()
	for name, rs := range known.Resources {
		if rs.State != steps.ResourceRunning {
			o.downSince[name] = now
		}
	}
	o.begin(nil, nil)
	return o
}

// begin starts observing a step; nodes and resources are compared on every
// read besides what changed.
func (o *observer) begin(nodes, resources map[string]bool) {
	o.extraNodes, o.extraRes = nodes, resources
	o.delta = &Delta{}
}

// end returns what changed since begin.
func (o *observer) end() *Delta {
	d := o.delta
	o.delta = &Delta{}
	o.extraNodes, o.extraRes = nil, nil
	return d
}

func (o *observer) Status(ctx context.Context) (*steps.Status, error) {
	st, err := o.Driver.Status(ctx)
	if err != nil {
		return nil, err
	}
	o.observe(st)
	return st, nil
}

// observe compares st with known and records the changes.
func (o *observer) observe(st *steps.Status) {
	now := o.Driver.Now()
	var nodes, resources []string
	if o.tracker != nil {
		nodes, resources, _ = o.tracker.Changed()
		for n := range o.extraNodes {
			nodes = append(nodes, n)
		}
		for r := range o.extraRes {
			resources = append(resources, r)
		}
	} else {
		nodes = unionKeys(o.known.Nodes, st.Nodes)
		resources = unionKeys(o.known.Resources, st.Resources)
	}
	sort.Strings(nodes)
	sort.Strings(resources)
	for _, n := range nodes {
		old, had := o.known.Nodes[n]
		cur, has := st.Nodes[n]
		if had == has && old == cur {
			continue
		}
		c := Change{Kind: ChangeNode, Name: n, FromState: old.State, FromVersion: old.Version, ToState: cur.State, ToVersion: cur.Version,
			FromMedia: old.Media, ToMedia: cur.Media}
		if has {
			o.known.SetNode(n, cur)
			o.delta.setNode(n, &cur)
		} else {
			delete(o.known.Nodes, n)
			o.known.Reindex()
			o.delta.setNode(n, nil)
		}
		o.onChange(now, c)
	}
	for _, r := range resources {
		old, had := o.known.Resources[r]
		cur, has := st.Resources[r]
		if had == has && old == cur {
			continue
		}
		c := Change{Kind: ChangeResource, Name: r, FromState: old.State, FromNode: old.Node, ToState: cur.State, ToNode: cur.Node}
		wasRunning, isRunning := had && old.State == steps.ResourceRunning, has && cur.State == steps.ResourceRunning
		if wasRunning && !isRunning {
			c.Unplanned = !o.offlined[r]
			if _, earlier := o.downSince[r]; !earlier {
				// (The journal may date it earlier: resumeDowntime.)
				o.downSince[r] = now
			}
		}
		if !wasRunning && isRunning {
			if since, ok := o.downSince[r]; ok {
				o.downtime[r] += now.Sub(since)
				delete(o.downSince, r)
			}
			delete(o.offlined, r)
		}
		if has {
			o.known.SetResource(r, cur)
			o.delta.setResource(r, &cur)
		} else {
			delete(o.known.Resources, r)
			o.known.Reindex()
			o.delta.setResource(r, nil)
		}
		o.onChange(now, c)
	}
	if added, removed := licenseChanges(o.known.Licenses, st.Licenses); len(added)+len(removed) > 0 {
		for _, l := range added {
			o.onChange(now, Change{Kind: ChangeLicense, Product: l.Product, ToVersion: l.Version})
		}
		for _, l := range removed {
			o.onChange(now, Change{Kind: ChangeLicense, Product: l.Product, FromVersion: l.Version})
		}
		o.known.Licenses = append([]steps.LicenseStatus(nil), st.Licenses...)
		ls := append([]steps.LicenseStatus(nil), st.Licenses...)
		o.delta.Licenses = &ls
	}
	if st.MediaVersion != o.known.MediaVersion {
		o.onChange(now, Change{Kind: ChangeMedia, FromVersion: o.known.MediaVersion, ToVersion: st.MediaVersion})
		o.known.MediaVersion = st.MediaVersion
		mv := st.MediaVersion
		o.delta.MediaVersion = &mv
	}
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
	for r, d := range o.downtime {
		out[r] = d
	}
	for r, since := range o.downSince {
		if d := now.Sub(since); d > 0 {
			out[r] += d
		}
	}
	return out
}

// do journals the intent to run an operation, runs it, and passes a crash
// point.
func (o *observer) do(key string, op func() error) error {
	if o.intent != nil {
		if err := o.intent(key); err != nil {
			return err
		}
	}
	err := op()
	o.crash("after driver operation " + key)
	return err
}

func (o *observer) InstallLicense(ctx context.Context, l steps.License) error {
	return o.do(steps.OpKey(steps.OpInstallLicense, l.Name), func() error { return o.Driver.InstallLicense(ctx, l) })
}

func (o *observer) Leave(ctx context.Context, n steps.Node) error {
	return o.do(steps.OpKey(steps.OpLeave, n.Name), func() error { return o.Driver.Leave(ctx, n) })
}

func (o *observer) Upgrade(ctx context.Context, n steps.Node, to string) error {
	return o.do(steps.OpKey(steps.OpUpgrade, n.Name), func() error { return o.Driver.Upgrade(ctx, n, to) })
}

func (o *observer) Migrate(ctx context.Context, r steps.Resource, n steps.Node) error {
	return o.do(steps.OpKey(steps.OpMigrate, r.Name, n.Name), func() error { return o.Driver.Migrate(ctx, r, n) })
}

func (o *observer) Offline(ctx context.Context, r steps.Resource) error {
	o.offlined[r.Name] = true
	return o.do(steps.OpKey(steps.OpOffline, r.Name), func() error { return o.Driver.Offline(ctx, r) })
}

func (o *observer) Online(ctx context.Context, r steps.Resource, n steps.Node) error {
	return o.do(steps.OpKey(steps.OpOnline, r.Name, n.Name), func() error { return o.Driver.Online(ctx, r, n) })
}

func (o *observer) MediaUpgrade(ctx context.Context, n steps.Node) error {
	return o.do(steps.OpKey(steps.OpMediaUpgrade, n.Name), func() error { return o.Driver.MediaUpgrade(ctx, n) })
}

func (o *observer) MediaRefresh(ctx context.Context, n steps.Node) error {
	return o.do(steps.OpKey(steps.OpMediaRefresh, n.Name), func() error { return o.Driver.MediaRefresh(ctx, n) })
}

// scopeOf returns the nodes and resources a step instance can affect, from
// its arguments: each node it names with the resources that may run on it,
// and each resource it names. When wide is set, a resource-list attribute the
// step leaves to its default (which this package cannot compute) counts as
// every resource: used to tolerate a step's partial effects on resume.
func scopeOf(c *steps.Cluster, typ steps.Type, in *steps.Instance, wide bool) (nodes, resources map[string]bool, all bool) {
	nodes, resources = map[string]bool{}, map[string]bool{}
	addNode := func(n string) {
		nodes[n] = true
		for _, r := range c.Assigned(n) {
			resources[r] = true
		}
	}
	for _, v := range in.Args {
		switch v := v.(type) {
		case steps.Node:
			addNode(v.Name)
		case []steps.Node:
			for _, n := range v {
				addNode(n.Name)
			}
		case steps.Resource:
			resources[v.Name] = true
		case []steps.Resource:
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
