package pacemaker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/runbookhq/runbook/cluster"
)

// Runner runs argv on a cluster node and returns its standard output; a
// non-zero exit is an error carrying the command's standard error. Over SSH
// it is `ssh root@node argv...`; the end-to-end tests use the harness's
// Cluster.Exec.
type Runner func(ctx context.Context, node string, argv ...string) ([]byte, error)

// DefaultVersionCommand prints a node's version: the marker the test harness
// keeps (harness.VersionFile).
var DefaultVersionCommand = []string{"cat", "/var/lib/pacemaker/runbook-version"}

// DefaultCommandTimeout bounds each of the driver's own commands on a node
// when its configuration sets no bound (the pacemaker block's
// command_timeout default).
const DefaultCommandTimeout = 30 * time.Second

// Config configures a Driver.
type Config struct {
	// Nodes are the cluster's node names, as Pacemaker knows them. Status
	// and cluster-wide operations run on the first node that answers.
	Nodes []string
	// Run runs a command on a node. Required.
	Run Runner
	// VersionCommand prints the version a node runs. Default
	// DefaultVersionCommand.
	VersionCommand []string
	// VersionCommandFor, if set, returns the version command for a node,
	// in place of VersionCommand (a runbook's version expression binds the
	// node).
	VersionCommandFor func(node string) ([]string, error)
	// Upgrade installs version to on the node. It must return once the
	// node's cluster stack is stopped (rebooting, or already rejoined): the
	// driver then clears the node's standby so that it rejoins active.
	// Required for Upgrade.
	Upgrade func(ctx context.Context, node, to string) error
	// MediaVersion is the media version reported while the CIB has no
	// runbook-media-version option (no media upgrade ran yet).
	MediaVersion string
	// Poll is how often Migrate and Online read the status while they wait
	// for a move to finish. Default cluster.DefaultPoll.
	Poll time.Duration
	// Settle bounds how long Status waits for a DC while the cluster
	// elects one (after a node left or died) before it fails. Default 20s.
	Settle time.Duration
	// CommandTimeout bounds each of the driver's own commands on a node
	// (crm_mon, cibadmin, crm_attribute, crm_resource, corosync-quorumtool),
	// so that a tool that hangs cannot hold a step until its timeout. A
	// change cut short this way is in doubt. Not applied to Upgrade.
	// Default DefaultCommandTimeout.
	CommandTimeout time.Duration
	// Resources are the runbook's resources: their preferred lists are
	// what a leave and a move are checked against (R3), the shared ones
	// are what MediaRefresh refreshes.
	Resources []cluster.Resource
	// Leaves are the nodes the runbook takes out of the cluster, in order,
	// with the version each is upgraded to: Preflight checks where their
	// resources would go.
	Leaves []Leave
	// LogFile is Pacemaker's detail log on each node, where the executor
	// records each start and stop with its time to the millisecond: the
	// source of Downtime. Default DefaultLogFile.
	LogFile string
}

// Leave is a node the runbook takes out of the cluster, and the version it
// upgrades it to.
type Leave struct{ Node, To string }

// DefaultLogFile is Pacemaker's default detail log (PCMK_logfile).
const DefaultLogFile = "/var/log/pacemaker/pacemaker.log"

// Driver drives a Pacemaker 2.1 cluster with its command-line tools.
type Driver struct {
	cluster.WallClock
	cfg Config

	mu       sync.Mutex
	via      string            // the node the last status was read on
	versions map[string]string // last version read per node
	lastNode map[string]string // last node each resource ran on
	// upgrading holds the nodes whose Config.Upgrade is running: they are
	// expected to go offline.
	upgrading map[string]bool
	// standbyNodes holds the nodes in standby at the last status read; nil
	// before the first.
	standbyNodes map[string]bool

	// last is the last status read, at lastAt: what a wait cut short by
	// its deadline last saw.
	last   *cluster.Status
	lastAt time.Time
	// active holds the resources active on one node at the last read;
	// transit, when each resource the cluster is moving was first seen
	// stopped.
	active  map[string]bool
	transit map[string]time.Time
	// finish is set once the run has started (ClearLeftovers): from then
	// on, Status finishes what an interrupted run left half-done.
	finish bool
	// started is when the driver was made: Downtime counts from there.
	started time.Time
	polled  *pollDowntime
	// onlining holds the resources this run's Online started; their
	// preference and mark are removed by the status read that sees them
	// running (online), as for every resource with the driver's offline
	// mark once the run has started (finish).
	onlining map[string]bool
	online   []string // resources to finish, found by the last read
	// migrating holds the resources whose Migrate is waiting: it removes
	// its constraints itself.
	migrating map[string]bool
	// media holds the nodes whose MediaUpgrade or MediaRefresh runs.
	media map[string]bool
	// lastMon and lastCIB are the last read's, at lastAt.
	lastMon *monitor
	lastCIB *crmConfig
}

var (
	_ cluster.Driver    = (*Driver)(nil)
	_ cluster.InProcess = (*Driver)(nil)
)

// Outlives reports that only the upgrade command (Config.Upgrade, a
// command of its own) may go on after runbook dies: every other operation
// is the driver's own bounded commands, which end with the process. What
// they changed is in the CIB, with the driver's marks.
func (d *Driver) Outlives(op string) bool { return op == cluster.OpUpgrade }

// New returns a Driver.
func New(cfg Config) (*Driver, error) {
	if cfg.Run == nil {
		return nil, errors.New("pacemaker: Config.Run is required")
	}
	if len(cfg.Nodes) == 0 {
		return nil, errors.New("pacemaker: Config.Nodes is empty")
	}
	if len(cfg.VersionCommand) == 0 {
		cfg.VersionCommand = DefaultVersionCommand
	}
	if cfg.Poll <= 0 {
		cfg.Poll = cluster.DefaultPoll
	}
	if cfg.Settle <= 0 {
		cfg.Settle = 20 * time.Second
	}
	if cfg.CommandTimeout <= 0 {
		cfg.CommandTimeout = DefaultCommandTimeout
	}
	if cfg.LogFile == "" {
		cfg.LogFile = DefaultLogFile
	}
	return &Driver{cfg: cfg, versions: map[string]string{}, lastNode: map[string]string{}, upgrading: map[string]bool{},
		active: map[string]bool{}, transit: map[string]time.Time{}, started: time.Now(), polled: newPollDowntime(), onlining: map[string]bool{}, migrating: map[string]bool{}, media: map[string]bool{}}, nil
}

// Status reads crm_mon, the CIB and each node's version.
//
// A node is up when it is online and not in standby: a node in standby
// has left the cluster in the sense of the runbook (it hosts nothing). A
// resource is running when it is active on exactly one node; failed,
// blocked or active on several nodes, it is comatose; stopped by the
// driver's Offline (target-role=Stopped with the driver's mark), it is in
// the state upgrade, at the node it ran on; otherwise offline, at the node
// it last ran on. A resource the cluster is moving (stopped on one node, a
// node to start on, for at most moveGrace) is still reported where it
// ran: a failover is a move, and its downtime is Downtime's to count.
//
// When ctx ends while the status is read (a step's timeout), Status
// returns the last status read, if it is recent, so that the wait reports
// what it waited for and what it last saw, rather than the cut-short read.
func (d *Driver) Status(ctx context.Context) (*cluster.Status, error) {
	st, err := d.status(ctx)
	if err == nil {
		d.finishOnlines(ctx)
	}
	if err != nil && ctx.Err() != nil {
		var lost *LostError
		d.mu.Lock()
		last, at := d.last, d.lastAt
		d.mu.Unlock()
		if !errors.As(err, &lost) && last != nil && time.Since(at) < lastGood {
			return last.Clone(), nil
		}
		return nil, fmt.Errorf("reading the status was cut short (%w): %w", context.Cause(ctx), err)
	}
	return st, err
}

// lastGood is how old the last status may be to stand for a read cut short.
const lastGood = 10 * time.Second

// moveGrace bounds how long a resource the cluster is moving is still
// reported where it ran.
const moveGrace = 20 * time.Second

func (d *Driver) status(ctx context.Context) (*cluster.Status, error) {
	mon, via, err := d.monitor(ctx)
	if err != nil {
		return nil, err
	}
	// The CIB and the nodes' versions are read side by side: a status is
	// read at every poll of every wait.
	names := d.nodeNames(mon)
	var wg sync.WaitGroup
	read := make([]string, len(names))
	readErr := make([]error, len(names))
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			read[i], readErr[i] = d.readVersion(ctx, n)
		}()
	}
	var members map[string]bool
	var membersOK bool
	wg.Add(1)
	go func() {
		defer wg.Done()
		members, membersOK = d.members(ctx, via)
	}()
	cibXML, err := d.call(ctx, via, "cibadmin", "--query")
	wg.Wait()
	if err != nil {
		return nil, fmt.Errorf("pacemaker: reading the CIB on %s: %w", via, err)
	}
	cib, err := parseCIB(cibXML)
	if err != nil {
		return nil, err
	}
	now := time.Now()

	d.mu.Lock()
	var unread []string
	for i, n := range names {
		if read[i] != "" {
			d.versions[n] = read[i]
			continue
		}
		// A node that does not answer is rebooting: its last version
		// stands. One that is online and never answered cannot be told.
		if _, known := d.versions[n]; !known && readErr[i] != nil && online(mon, n) {
			unread = append(unread, fmt.Sprintf("%s: %v", n, readErr[i]))
		}
	}
	d.standbyNodes = cib.Standby
	finish := d.finish
	d.mu.Unlock()
	if len(unread) > 0 && ctx.Err() == nil {
		return nil, fmt.Errorf("pacemaker: cannot read the version of %s. The version command (pacemaker { version = ... }) must print the version the node runs on every node before the first run",
			strings.Join(unread, "; "))
	}
	if finish {
		d.finishUpgrades(ctx, mon, cib)
		d.finishMedia(ctx, cib)
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	var lost []string
	for _, n := range mon.Nodes {
		if !n.Online && !cib.Standby[n.Name] && !d.upgrading[n.Name] {
			lost = append(lost, n.Name)
		}
	}
	if membersOK {
		for _, n := range d.lostMembers(members, cib.Standby) {
			if !slices.Contains(lost, n) {
				lost = append(lost, n)
			}
		}
	}
	if len(lost) > 0 {
		slices.Sort(lost)
		e := &LostError{Nodes: lost, DC: mon.DC, Quorum: mon.Quorum}
		if membersOK {
			e.Members = slices.Sorted(maps.Keys(members))
		}
		return nil, e
	}
	st := cluster.NewStatus()
	st.MediaVersion = cib.MediaVersion
	if st.MediaVersion == "" {
		st.MediaVersion = d.cfg.MediaVersion
	}
	seen := map[string]bool{}
	for _, n := range mon.Nodes {
		seen[n.Name] = true
		state := cluster.NodeDown
		if n.Online && !n.Standby && !n.Pending && !n.Unclean {
			state = cluster.NodeUp
		}
		st.SetNode(n.Name, cluster.NodeStatus{State: state, Version: d.versions[n.Name], Media: d.nodeMedia(cib, n.Name)})
	}
	for _, name := range d.cfg.Nodes {
		if !seen[name] {
			st.SetNode(name, cluster.NodeStatus{State: cluster.NodeDown, Version: d.versions[name], Media: d.nodeMedia(cib, name)})
		}
	}
	for _, r := range mon.Resources {
		rs := cluster.ResourceStatus{State: cluster.ResourceOffline, Node: d.lastNode[r.ID]}
		if rs.Node == "" {
			rs.Node = r.LastNode
		}
		meta := cib.Meta[r.ID]
		stopped := strings.EqualFold(meta["target-role"], "Stopped")
		switch {
		case r.Failed || r.Blocked || len(r.Nodes) > 1:
			rs.State = cluster.ResourceComatose
			if len(r.Nodes) > 0 {
				rs.Node = r.Nodes[0]
			}
		case r.Active && len(r.Nodes) == 1:
			rs.State = cluster.ResourceRunning
			rs.Node = r.Nodes[0]
			d.lastNode[r.ID] = rs.Node
		case stopped && meta[offlineMark] != "":
			rs.State = cluster.ResourceUpgrade
			rs.Node = meta[offlineMark]
		case !stopped && d.moving(mon, cib, r.ID, now):
			rs.State = cluster.ResourceRunning
		}
		if rs.State != cluster.ResourceRunning || r.Active {
			delete(d.transit, r.ID)
		}
		d.active[r.ID] = r.Active && len(r.Nodes) == 1 && !r.Failed
		// An online (or a move of another run) that has done its work:
		// the resource runs, under the driver's preference alone.
		if r.Active && len(r.Nodes) == 1 && !stopped && (d.onlining[r.ID] || finish) && !d.migrating[r.ID] &&
			(meta[offlineMark] != "" || cib.preferNode(r.ID) == r.Nodes[0]) {
			d.online = append(d.online, r.ID)
		}
		d.polled.observe(r.ID, r.Active && len(r.Nodes) == 1 && !r.Failed, now)
		st.SetResource(r.ID, rs)
	}
	for _, l := range cib.Licenses {
		st.Licenses = append(st.Licenses, cluster.LicenseStatus{Product: l[0], Version: l[1]})
	}
	d.last, d.lastAt, d.lastMon, d.lastCIB = st.Clone(), now, mon, cib
	return st, nil
}

// finishOnlines removes the preference and the offline mark of each
// resource Online started that now runs: what Online leaves to the status
// read, so that resources brought online one after the other start side by
// side rather than each waiting for the one before.
func (d *Driver) finishOnlines(ctx context.Context) {
	d.mu.Lock()
	list := d.online
	d.online = nil
	d.mu.Unlock()
	for _, r := range list {
		if d.unlocate(ctx, preferID(r)) != nil || d.unlocate(ctx, banID(r)) != nil || d.meta(ctx, r, offlineMark, "") != nil {
			continue // tried again at the next read
		}
		d.mu.Lock()
		delete(d.onlining, r)
		d.mu.Unlock()
	}
}

// moving reports whether the cluster is moving a stopped resource: it was
// active at the last status read (or already moving then), it has been
// stopped for less than moveGrace, and Pacemaker has a node to start it
// on. Called with d.mu held.
func (d *Driver) moving(mon *monitor, cib *crmConfig, rsc string, now time.Time) bool {
	since, moving := d.transit[rsc]
	if !moving && !d.active[rsc] || d.lastNode[rsc] == "" {
		return false
	}
	if !moving {
		since = now
	}
	if now.Sub(since) > moveGrace {
		return false
	}
	p := cib.place(rsc, placeOpts{Nodes: d.nodeNames(mon), Out: liveOut(mon, cib, ""), Now: now})
	if len(p.Best) == 0 {
		return false
	}
	d.transit[rsc] = since
	return true
}

func online(mon *monitor, node string) bool {
	for _, n := range mon.Nodes {
		if n.Name == node {
			return n.Online
		}
	}
	return false
}

// LostError is the status of a cluster that lost a node the run did not take
// out: offline or out of corosync's membership, yet neither in standby nor
// being upgraded (it crashed, was killed or fenced). The runbook's model
// has no such state, and going on would risk a second node out at once
// (R2), so no step may act on it.
type LostError struct {
	Nodes []string
	// DC and Quorum are crm_mon's; DC is "" when no node answered with
	// one (the loss was seen in the membership alone).
	DC     string
	Quorum bool
	// Members is corosync's membership, when it was read.
	Members []string
}

func (e *LostError) Error() string {
	var where string
	switch {
	case e.DC == "":
		where = fmt.Sprintf("corosync's membership is %s, and no node answers with a DC", strings.Join(e.Members, ", "))
	case e.Quorum:
		where = fmt.Sprintf("the cluster runs with quorum (DC %s)", e.DC)
	default:
		where = fmt.Sprintf("the cluster runs WITHOUT quorum (DC %s)", e.DC)
	}
	return fmt.Sprintf("pacemaker: node %s left the cluster without the runbook (offline, not in standby: crashed, killed or fenced?); %s. Bring %s back, then run again",
		strings.Join(e.Nodes, ", "), where, strings.Join(e.Nodes, ", "))
}

// readVersion runs the version command on node. An error when the node
// does not answer (it is rebooting: the caller keeps the last version
// read there) or the command fails or prints nothing.
func (d *Driver) readVersion(ctx context.Context, node string) (string, error) {
	argv := d.cfg.VersionCommand
	if d.cfg.VersionCommandFor != nil {
		var err error
		if argv, err = d.cfg.VersionCommandFor(node); err != nil {
			return "", err
		}
	}
	cctx, cancel := context.WithTimeout(ctx, min(10*time.Second, d.cfg.CommandTimeout))
	defer cancel()
	out, err := d.cfg.Run(cctx, node, argv...)
	if err != nil {
		return "", err
	}
	v := strings.TrimSpace(string(out))
	if v == "" {
		return "", fmt.Errorf("%s printed nothing", strings.Join(argv, " "))
	}
	return v, nil
}

// errCommandTimeout marks a command the driver stopped after
// Config.CommandTimeout.
var errCommandTimeout = errors.New("command timed out")

// call runs one of the driver's own commands on node, bounded by
// Config.CommandTimeout.
func (d *Driver) call(ctx context.Context, node string, argv ...string) ([]byte, error) {
	cctx, cancel := context.WithTimeout(ctx, d.cfg.CommandTimeout)
	defer cancel()
	out, err := d.cfg.Run(cctx, node, argv...)
	if err != nil && ctx.Err() == nil && cctx.Err() != nil {
		err = fmt.Errorf("%w after %s on %s: %w", errCommandTimeout, d.cfg.CommandTimeout, node, err)
	}
	return out, err
}

// monitor reads crm_mon on the node that answered last, else on the first
// node that answers with a DC. While no node does (an election after a node
// left or died), it tries again for up to Config.Settle, unless corosync's
// membership shows a node lost meanwhile.
func (d *Driver) monitor(ctx context.Context) (*monitor, string, error) {
	end := time.Now().Add(d.cfg.Settle)
	for {
		m, via, err := d.monitorOnce(ctx)
		if err == nil || ctx.Err() != nil || time.Now().After(end) {
			return m, via, err
		}
		if lost := d.lostWithoutDC(ctx); lost != nil {
			return nil, "", lost
		}
		if d.Sleep(ctx, d.cfg.Poll) != nil {
			return m, via, err
		}
	}
}

func (d *Driver) monitorOnce(ctx context.Context) (*monitor, string, error) {
	d.mu.Lock()
	order := append([]string(nil), d.cfg.Nodes...)
	if d.via != "" {
		order = append([]string{d.via}, order...)
	}
	d.mu.Unlock()
	var errs []error
	tried := map[string]bool{}
	for _, n := range order {
		if tried[n] {
			continue
		}
		tried[n] = true
		out, err := d.call(ctx, n, "crm_mon", "--output-as=xml", "--inactive")
		if err == nil {
			var m *monitor
			if m, err = parseMonitor(out); err == nil && m.DC != "" {
				d.mu.Lock()
				d.via = n
				d.mu.Unlock()
				return m, n, nil
			} else if err == nil {
				err = fmt.Errorf("%s sees no DC", n)
			}
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, "", fmt.Errorf("pacemaker: no node answers with a DC: %w", errors.Join(errs...))
}

// run runs a cluster-wide command on the node the status was last read on;
// if it fails there, on a node that answers with a DC now. Every command
// it runs is idempotent.
func (d *Driver) run(ctx context.Context, argv ...string) error {
	d.mu.Lock()
	via := d.via
	d.mu.Unlock()
	if via != "" {
		_, err := d.call(ctx, via, argv...)
		if err == nil || ctx.Err() != nil || errors.Is(err, errCommandTimeout) {
			return d.fail(ctx, err)
		}
	}
	_, now, err := d.monitor(ctx)
	if err != nil {
		return err
	}
	_, err = d.call(ctx, now, argv...)
	return d.fail(ctx, err)
}

// fail marks an error as in doubt when the command was cut short: its
// change may or may not have been made.
func (d *Driver) fail(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil || errors.Is(err, errCommandTimeout) {
		return fmt.Errorf("%w: %w", cluster.ErrInDoubt, err)
	}
	return err
}

// licenseOption names the cluster option that records a licence.
func licenseOption(l cluster.License) string {
	sum := sha256.Sum256([]byte(l.Product + "\x00" + l.Version))
	return licenseOptionPrefix + hex.EncodeToString(sum[:6])
}

// InstallLicense records the licence as a cluster option
// (runbook-license-<hash> = "VERSION PRODUCT"): cluster-wide, and
// idempotent.
func (d *Driver) InstallLicense(ctx context.Context, l cluster.License) error {
	return d.run(ctx, "crm_attribute", "--type", "crm_config", "--name", licenseOption(l),
		"--update", l.Version+" "+l.Product)
}

// Marks the driver leaves on the cluster while an operation of its own is
// under way, so that a run that dies at any moment leaves its half-done
// work readable from the CIB, for the next run to finish or undo.
const (
	// standbyMark is a node attribute set, before the standby, to the
	// version the node ran when the driver put it in standby (Leave).
	standbyMark = "runbook-left"
	// offlineMark is a resource meta attribute set, before
	// target-role=Stopped, to the node the resource ran on (Offline).
	offlineMark = "runbook-offline"
	// mediaMark is a node attribute: the media version the node has read
	// (MediaUpgrade, MediaRefresh).
	mediaMark = "runbook-media"
	// mediaUpgradingMark and mediaRefreshingMark are node attributes set
	// to the media version before MediaUpgrade and MediaRefresh, removed
	// once the node has read it.
	mediaUpgradingMark  = "runbook-media-upgrading"
	mediaRefreshingMark = "runbook-media-refreshing"
)

// nodeMedia is the media version a node has read: its mark, or, once the
// media were upgraded, the version before (it has not read them); "" while
// no media upgrade ran.
func (d *Driver) nodeMedia(cib *crmConfig, node string) string {
	if m := cib.NodeAttrs[node][mediaMark]; m != "" {
		return m
	}
	if cib.MediaVersion != "" {
		return d.cfg.MediaVersion
	}
	return ""
}

// Leave puts the node in standby: the cluster moves its resources away.
// It refuses first, changing nothing, when Pacemaker would leave one of
// the node's resources with nowhere to run, or run it elsewhere than its
// preferred list says, or when one homed there could not come back (see
// PlacementError). The node is marked with the version it runs before it
// goes to standby, so that a later run can tell a node the runbook left
// from an operator's standby, and an upgraded one from one that is not.
func (d *Driver) Leave(ctx context.Context, n cluster.Node) error {
	mon, cib, err := d.read(ctx)
	if err != nil {
		return err
	}
	if refusals := d.leaveRefusals(mon, cib, n.Name, false, time.Now()); len(refusals) > 0 {
		return &PlacementError{Op: "put " + n.Name + " in standby (leave)", Refusals: refusals}
	}
	d.mu.Lock()
	v := d.versions[n.Name]
	d.mu.Unlock()
	if v == "" {
		if v, err = d.readVersion(ctx, n.Name); err != nil {
			v = "unknown"
		}
	}
	if err := d.nodeAttr(ctx, n.Name, standbyMark, v); err != nil {
		return err
	}
	return d.nodeAttr(ctx, n.Name, "standby", "on")
}

// nodeAttr sets a permanent node attribute, or deletes it for "".
func (d *Driver) nodeAttr(ctx context.Context, node, name, v string) error {
	if v == "" {
		return d.run(ctx, "crm_attribute", "--type", "nodes", "--node", node, "--name", name, "--delete")
	}
	return d.run(ctx, "crm_attribute", "--type", "nodes", "--node", node, "--name", name, "--update", v)
}

// unstandby takes the node out of standby, then removes the driver's mark:
// the CIB ends as it was before the run.
func (d *Driver) unstandby(ctx context.Context, node string) error {
	if err := d.nodeAttr(ctx, node, "standby", ""); err != nil {
		return err
	}
	return d.nodeAttr(ctx, node, standbyMark, "")
}

// Upgrade runs Config.Upgrade, then takes the node out of standby so that
// it rejoins active.
func (d *Driver) Upgrade(ctx context.Context, n cluster.Node, to string) error {
	if d.cfg.Upgrade == nil {
		return errors.New("pacemaker: no upgrade command configured")
	}
	d.mu.Lock()
	d.upgrading[n.Name] = true
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.upgrading, n.Name)
		d.mu.Unlock()
	}()
	if err := d.cfg.Upgrade(ctx, n.Name, to); err != nil {
		return d.fail(ctx, err)
	}
	return d.unstandby(ctx, n.Name)
}

// finishUpgrades takes out of standby each node the driver put there whose
// upgrade has finished without it: online, at a version other than the one
// it left at, and no upgrade of this run in flight on it. A run killed
// while the upgrade command ran leaves such a node; the command finishes
// on its own, and the node rejoins in standby.
func (d *Driver) finishUpgrades(ctx context.Context, mon *monitor, cib *crmConfig) {
	for _, n := range mon.Nodes {
		left := cib.NodeAttrs[n.Name][standbyMark]
		d.mu.Lock()
		v, busy := d.versions[n.Name], d.upgrading[n.Name]
		d.mu.Unlock()
		if left == "" || !cib.Standby[n.Name] || !n.Online || busy || v == "" || v == left {
			continue
		}
		_ = d.unstandby(ctx, n.Name) // tried again at the next read if it fails
	}
}

// read reads crm_mon and the CIB on a node that answers with a DC.
func (d *Driver) read(ctx context.Context) (*monitor, *crmConfig, error) {
	mon, via, err := d.monitor(ctx)
	if err != nil {
		return nil, nil, err
	}
	out, err := d.call(ctx, via, "cibadmin", "--query")
	if err != nil {
		return nil, nil, err
	}
	cib, err := parseCIB(out)
	return mon, cib, err
}

// Migrate moves a running resource to the node. A preference alone does
// not move a resource whose stickiness is INFINITY (both nodes score
// INFINITY), so the node it runs on is banned as well; once it runs on the
// node, both constraints are removed, and its stickiness keeps it there.
// The constraints are the driver's own (ConstraintPrefix), never the
// cli-prefer and cli-ban ones of crm_resource --move, which an operator may
// have set and which the run must leave alone. A move to a node where a
// constraint forbids the resource (-INFINITY: an operator's ban) is
// refused before anything is changed: the ban on its current node would
// otherwise send it to a third one.
func (d *Driver) Migrate(ctx context.Context, r cluster.Resource, n cluster.Node) error {
	st, err := d.Status(ctx)
	if err != nil {
		return err
	}
	from := st.Resources[r.Name]
	if from.State == cluster.ResourceRunning && from.Node == n.Name {
		return nil
	}
	if err := d.checkMove(ctx, r.Name, n.Name); err != nil {
		return err
	}
	d.mu.Lock()
	d.migrating[r.Name] = true
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.migrating, r.Name)
		d.mu.Unlock()
	}()
	if err := d.locate(ctx, preferID(r.Name), r.Name, n.Name, "INFINITY"); err != nil {
		return d.clear(ctx, r.Name, err)
	}
	if from.State == cluster.ResourceRunning {
		if err := d.locate(ctx, banID(r.Name), r.Name, from.Node, "-INFINITY"); err != nil {
			return d.clear(ctx, r.Name, err)
		}
	}
	return d.clear(ctx, r.Name, d.waitOn(ctx, r.Name, n.Name))
}

// checkMove refuses a move of rsc to node that Pacemaker would not make.
func (d *Driver) checkMove(ctx context.Context, rsc, node string) error {
	mon, cib, err := d.read(ctx)
	if err != nil {
		return err
	}
	if reason := d.moveRefusal(mon, cib, rsc, node, time.Now()); reason != "" {
		return &PlacementError{Op: "move " + rsc + " to " + node, Refusals: []Refusal{{Resource: rsc, Node: node, Reason: reason}}}
	}
	return nil
}

// ConstraintPrefix starts the id of every constraint the driver adds.
const ConstraintPrefix = "runbook-"

func preferID(rsc string) string { return ConstraintPrefix + "prefer-" + rsc }
func banID(rsc string) string    { return ConstraintPrefix + "ban-" + rsc }

// locate adds, or replaces, the location constraint id.
func (d *Driver) locate(ctx context.Context, id, rsc, node, score string) error {
	x, err := xml.Marshal(struct {
		XMLName xml.Name `xml:"rsc_location"`
		ID      string   `xml:"id,attr"`
		Rsc     string   `xml:"rsc,attr"`
		Node    string   `xml:"node,attr"`
		Score   string   `xml:"score,attr"`
	}{ID: id, Rsc: rsc, Node: node, Score: score})
	if err != nil {
		return err
	}
	return d.run(ctx, "cibadmin", "--modify", "--allow-create", "--scope", "constraints", "--xml-text", string(x))
}

// unlocate removes the location constraint id; removing one that does not
// exist succeeds.
func (d *Driver) unlocate(ctx context.Context, id string) error {
	x, err := xml.Marshal(struct {
		XMLName xml.Name `xml:"rsc_location"`
		ID      string   `xml:"id,attr"`
	}{ID: id})
	if err != nil {
		return err
	}
	return d.run(ctx, "cibadmin", "--delete", "--scope", "constraints", "--xml-text", string(x))
}

// meta sets a meta attribute of the resource, or deletes it for "".
func (d *Driver) meta(ctx context.Context, rsc, name, v string) error {
	if v == "" {
		return d.run(ctx, "crm_resource", "--resource", rsc, "--meta", "--delete-parameter", name)
	}
	return d.run(ctx, "crm_resource", "--resource", rsc, "--meta", "--set-parameter", name, "--parameter-value", v)
}

// Offline stops the resource (target-role=Stopped), once it is marked with
// the node it runs on: until Online, the status reports it in the state
// upgrade, at that node, in this run and any later one.
func (d *Driver) Offline(ctx context.Context, r cluster.Resource) error {
	d.mu.Lock()
	node := d.lastNode[r.Name] // the step has just read the status
	d.mu.Unlock()
	if node == "" {
		st, err := d.Status(ctx)
		if err != nil {
			return err
		}
		node = st.Resources[r.Name].Node
	}
	if node == "" {
		node = "unknown"
	}
	d.mu.Lock()
	cib := d.lastCIB
	d.mu.Unlock()
	if cib != nil {
		if ids, ok := cib.MetaIDs[r.Name]; ok {
			// Mark and stop in one change: the downtime of the
			// resources stopped before this one runs meanwhile.
			return d.setMeta(ctx, r.Name, ids, [][2]string{{offlineMark, node}, {"target-role", "Stopped"}})
		}
	}
	if err := d.meta(ctx, r.Name, offlineMark, node); err != nil {
		return err
	}
	return d.meta(ctx, r.Name, "target-role", "Stopped")
}

// setMeta sets meta attributes of a primitive in one change of the CIB,
// in its first meta attribute set, reusing each attribute's id.
func (d *Driver) setMeta(ctx context.Context, rsc string, ids metaIDs, pairs [][2]string) error {
	type nvpair struct {
		ID    string `xml:"id,attr"`
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	var x struct {
		XMLName xml.Name `xml:"primitive"`
		ID      string   `xml:"id,attr"`
		Set     struct {
			ID    string   `xml:"id,attr"`
			Pairs []nvpair `xml:"nvpair"`
		} `xml:"meta_attributes"`
	}
	x.ID, x.Set.ID = rsc, ids.Set
	for _, p := range pairs {
		id := ids.Pairs[p[0]]
		if id == "" {
			id = ids.Set + "-" + p[0]
		}
		x.Set.Pairs = append(x.Set.Pairs, nvpair{id, p[0], p[1]})
	}
	b, err := xml.Marshal(x)
	if err != nil {
		return err
	}
	return d.run(ctx, "cibadmin", "--modify", "--scope", "resources", "--xml-text", string(b))
}

// Online starts the resource on the node: a runbook-prefer-R constraint
// there, then target-role removed. Its load script is the resource
// agent's start action. It returns once the cluster has the change (the
// step waits for the resource to run); the status read that sees it
// running removes the constraint and the offline mark.
func (d *Driver) Online(ctx context.Context, r cluster.Resource, n cluster.Node) error {
	if err := d.checkMoveRecent(ctx, r.Name, n.Name); err != nil {
		return err
	}
	d.mu.Lock()
	d.onlining[r.Name] = true
	mon, cib := d.lastMon, d.lastCIB
	d.mu.Unlock()
	// Pacemaker starts it on the node by itself when the node scores
	// highest: no preference needed, one command less while it is down.
	alone := false
	if mon != nil {
		p := cib.place(r.Name, placeOpts{Nodes: d.nodeNames(mon), Out: liveOut(mon, cib, ""), Skip: ownConstraint, Now: time.Now()})
		alone = len(p.Best) == 1 && p.Best[0] == n.Name
	}
	if !alone {
		if err := d.locate(ctx, preferID(r.Name), r.Name, n.Name, "INFINITY"); err != nil {
			return d.clear(ctx, r.Name, err)
		}
	}
	if err := d.meta(ctx, r.Name, "target-role", ""); err != nil {
		return d.clear(ctx, r.Name, err)
	}
	return nil
}

// checkMoveRecent is checkMove on the last status read, if it is at most a
// few seconds old: the resources brought back online after the media
// upgrade are down meanwhile.
func (d *Driver) checkMoveRecent(ctx context.Context, rsc, node string) error {
	d.mu.Lock()
	mon, cib, at := d.lastMon, d.lastCIB, d.lastAt
	d.mu.Unlock()
	if mon == nil || time.Since(at) > 3*time.Second {
		return d.checkMove(ctx, rsc, node)
	}
	if reason := d.moveRefusal(mon, cib, rsc, node, time.Now()); reason != "" {
		return &PlacementError{Op: "bring " + rsc + " online on " + node, Refusals: []Refusal{{Resource: rsc, Node: node, Reason: reason}}}
	}
	return nil
}

// waitOn polls the status until the resource runs on node. Cut short, it
// says what it waited for and what it last saw; the move is in doubt only
// if the resource's constraints could not be removed after it (see clear).
func (d *Driver) waitOn(ctx context.Context, rsc, node string) error {
	var last string // what the last status said, for the error
	for {
		st, err := d.Status(ctx)
		var lost *LostError
		if errors.As(err, &lost) {
			return err
		}
		if err != nil {
			last = "reading the status: " + err.Error()
		} else {
			rs := st.Resources[rsc]
			if rs.State == cluster.ResourceRunning && rs.Node == node {
				return nil
			}
			last = fmt.Sprintf("%s is %s on %s", rsc, rs.State, rs.Node)
		}
		if err := d.Sleep(ctx, d.cfg.Poll); err != nil {
			return fmt.Errorf("waiting for %s to run on %s: %w (last seen: %s)", rsc, node, context.Cause(ctx), last)
		}
	}
}

// ClearLeftovers settles what a run killed in the middle of an operation
// left behind (a run that ends in any other way removes its own), and
// returns what it did: the driver's move constraints (a leftover ban
// would keep a resource from failing over to that node for good), the
// standby mark of a node no longer in standby, the offline mark of a
// resource no longer stopped; and it takes out of standby a node the
// driver put there whose upgrade finished meanwhile. Call it before a
// run, under the run's lock: no move is in flight then. From then on,
// Status also takes such a node out of standby when its upgrade finishes
// (an upgrade command the killed run started may still be running).
// Constraints, standby and target-role the driver did not set (an
// operator's cli-ban, say) are left alone.
func (d *Driver) ClearLeftovers(ctx context.Context) ([]string, error) {
	mon, cib, err := d.read(ctx)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.finish = true
	d.mu.Unlock()
	var removed []string
	// A move whose resource runs where the driver's preference says is
	// done: its constraints go. One still under way is left to finish
	// (the resumed step waits for it); Status removes them once it has.
	running := map[string]string{}
	for _, r := range mon.Resources {
		if r.Active && len(r.Nodes) == 1 {
			running[r.ID] = r.Nodes[0]
		}
	}
	for _, l := range cib.Locations {
		rsc, isPrefer := strings.CutPrefix(l.ID, ConstraintPrefix+"prefer-")
		if !isPrefer {
			rsc, _ = strings.CutPrefix(l.ID, ConstraintPrefix+"ban-")
		}
		if rsc == l.ID || running[rsc] == "" || running[rsc] != cib.preferNode(rsc) && cib.preferNode(rsc) != "" {
			continue
		}
		if err := d.unlocate(ctx, l.ID); err != nil {
			return removed, fmt.Errorf("removing constraint %s, left by an interrupted run: %w", l.ID, err)
		}
		removed = append(removed, l.ID)
	}
	// A move cut short between its preference and its ban: a sticky
	// resource would never leave its node. The ban finishes it.
	for _, l := range cib.Locations {
		rsc, ok := strings.CutPrefix(l.ID, ConstraintPrefix+"prefer-")
		if !ok || running[rsc] == "" || running[rsc] == l.Node || slices.Contains(cib.Constraints, banID(rsc)) ||
			strings.EqualFold(cib.Meta[rsc]["target-role"], "Stopped") || cib.Meta[rsc][offlineMark] != "" {
			continue
		}
		if err := d.locate(ctx, banID(rsc), rsc, running[rsc], "-INFINITY"); err != nil {
			return removed, err
		}
		removed = append(removed, "added "+banID(rsc)+" on "+running[rsc]+" to finish the move of "+rsc+" to "+l.Node)
	}
	for _, n := range slices.Sorted(maps.Keys(cib.NodeAttrs)) {
		if cib.NodeAttrs[n][standbyMark] != "" && !cib.Standby[n] {
			if err := d.nodeAttr(ctx, n, standbyMark, ""); err != nil {
				return removed, err
			}
			removed = append(removed, "the mark "+standbyMark+" of "+n)
		}
	}
	for _, r := range slices.Sorted(maps.Keys(cib.Meta)) {
		if cib.Meta[r][offlineMark] != "" && !strings.EqualFold(cib.Meta[r]["target-role"], "Stopped") {
			if err := d.meta(ctx, r, offlineMark, ""); err != nil {
				return removed, err
			}
			removed = append(removed, "the mark "+offlineMark+" of "+r)
		}
	}
	for _, n := range mon.Nodes {
		if cib.NodeAttrs[n.Name][standbyMark] != "" && cib.Standby[n.Name] && n.Online {
			if v, err := d.readVersion(ctx, n.Name); err == nil && v != cib.NodeAttrs[n.Name][standbyMark] {
				if err := d.unstandby(ctx, n.Name); err != nil {
					return removed, err
				}
				removed = append(removed, "the standby of "+n.Name+" (upgraded to "+v+" while no run watched)")
			}
		}
	}
	return removed, nil
}

// clear removes the driver's constraints of the resource, even when ctx
// has ended, and joins any failure to cause: in doubt, since the
// constraints may still steer the resource.
func (d *Driver) clear(ctx context.Context, rsc string, cause error) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, id := range []string{preferID(rsc), banID(rsc)} {
		if err := d.unlocate(cctx, id); err != nil {
			return errors.Join(cause, fmt.Errorf("%w: removing constraint %s: %w", cluster.ErrInDoubt, id, err))
		}
	}
	return cause
}

// MediaUpgrade raises the CIB's schema to the newest this Pacemaker knows
// (cibadmin --upgrade), on the node, and records the node's version as the
// media version, cluster-wide and as what the node has read. The node is
// marked first (runbook-media-upgrading), so that a run killed in the
// middle leaves it for the next run to finish (see finishMedia).
func (d *Driver) MediaUpgrade(ctx context.Context, n cluster.Node) error {
	v, err := d.readVersion(ctx, n.Name)
	if err != nil {
		return fmt.Errorf("pacemaker: cannot read the version of %s: %w", n.Name, err)
	}
	defer d.busy(n.Name)()
	if err := d.nodeAttr(ctx, n.Name, mediaUpgradingMark, v); err != nil {
		return err
	}
	return d.mediaUpgrade(ctx, n.Name, v)
}

// mediaUpgrade is MediaUpgrade after its mark: every command in it may be
// run again.
func (d *Driver) mediaUpgrade(ctx context.Context, node, v string) error {
	if _, err := d.call(ctx, node, "cibadmin", "--upgrade", "--force"); err != nil {
		return d.fail(ctx, err)
	}
	if _, err := d.call(ctx, node, "crm_attribute", "--type", "crm_config", "--name", mediaVersionOption, "--update", v); err != nil {
		return d.fail(ctx, err)
	}
	if err := d.nodeAttr(ctx, node, mediaMark, v); err != nil {
		return err
	}
	return d.nodeAttr(ctx, node, mediaUpgradingMark, "")
}

// MediaRefresh makes the node forget and re-probe the state of the
// runbook's shared resources on it (crm_resource --refresh --resource R
// --node N, one by one): no other resource is touched. Then it records the
// media version as what the node has read. The node is marked first
// (runbook-media-refreshing), for a killed run's successor to finish.
func (d *Driver) MediaRefresh(ctx context.Context, n cluster.Node) error {
	d.mu.Lock()
	cib := d.lastCIB
	d.mu.Unlock()
	if cib == nil || cib.MediaVersion == "" {
		var err error
		if _, cib, err = d.read(ctx); err != nil {
			return err
		}
	}
	v := cib.MediaVersion
	if v == "" {
		return fmt.Errorf("pacemaker: refreshing %s: the media were not upgraded (no %s cluster option)", n.Name, mediaVersionOption)
	}
	defer d.busy(n.Name)()
	if err := d.nodeAttr(ctx, n.Name, mediaRefreshingMark, v); err != nil {
		return err
	}
	return d.mediaRefresh(ctx, n.Name, v)
}

// mediaRefresh is MediaRefresh after its mark.
func (d *Driver) mediaRefresh(ctx context.Context, node, v string) error {
	for _, r := range d.cfg.Resources {
		if !r.Shared {
			continue
		}
		if _, err := d.call(ctx, node, "crm_resource", "--refresh", "--resource", r.Name, "--node", node); err != nil {
			return d.fail(ctx, err)
		}
	}
	if err := d.nodeAttr(ctx, node, mediaMark, v); err != nil {
		return err
	}
	return d.nodeAttr(ctx, node, mediaRefreshingMark, "")
}

// busy marks the node's media operation as running in this process, until
// the returned function is called.
func (d *Driver) busy(node string) func() {
	d.mu.Lock()
	d.media[node] = true
	d.mu.Unlock()
	return func() {
		d.mu.Lock()
		delete(d.media, node)
		d.mu.Unlock()
	}
}

// finishMedia finishes the media upgrade and the refreshes a killed run
// left marked: the resumed step waits for their effect rather than issue
// them again.
func (d *Driver) finishMedia(ctx context.Context, cib *crmConfig) {
	for _, n := range slices.Sorted(maps.Keys(cib.NodeAttrs)) {
		d.mu.Lock()
		busy := d.media[n]
		d.mu.Unlock()
		if busy {
			continue
		}
		if v := cib.NodeAttrs[n][mediaUpgradingMark]; v != "" {
			_ = d.mediaUpgrade(ctx, n, v) // tried again at the next read if it fails
		} else if v := cib.NodeAttrs[n][mediaRefreshingMark]; v != "" {
			_ = d.mediaRefresh(ctx, n, v)
		}
	}
}
