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

	"github.com/runbookhq/runbook/steps"
)

// Runner runs argv on a cluster node and returns its standard output; a
// non-zero exit is an error carrying the command's standard error. Over SSH
// it is `ssh root@node argv...`; the end-to-end tests use the harness's
// Cluster.Exec.
type Runner func(ctx context.Context, node string, argv ...string) ([]byte, error)

// DefaultVersionCommand prints a node's version: the marker the test harness
// keeps (harness.VersionFile).
var DefaultVersionCommand = []string{"cat", "/var/lib/pacemaker/runbook-version"}

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
	// for a move to finish. Default 500ms.
	Poll time.Duration
	// Settle bounds how long Status waits for a DC while the cluster
	// elects one (after a node left or died) before it fails. Default 20s.
	Settle time.Duration
	// CommandTimeout bounds each of the driver's own commands on a node
	// (crm_mon, cibadmin, crm_attribute, crm_resource, corosync-quorumtool),
	// so that a tool that hangs cannot hold a step until its timeout. A
	// change cut short this way is in doubt. Not applied to Upgrade.
	// Default 30s.
	CommandTimeout time.Duration
}

// Driver drives a Pacemaker 2.1 cluster with its command-line tools.
type Driver struct {
	steps.WallClock
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
}

var _ steps.Driver = (*Driver)(nil)

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
		cfg.Poll = 500 * time.Millisecond
	}
	if cfg.Settle <= 0 {
		cfg.Settle = 20 * time.Second
	}
	if cfg.CommandTimeout <= 0 {
		cfg.CommandTimeout = 30 * time.Second
	}
	return &Driver{cfg: cfg, versions: map[string]string{}, lastNode: map[string]string{}, upgrading: map[string]bool{}}, nil
}

// Status reads crm_mon, the CIB's cluster options and each node's version.
//
// A node is up when it is online and not in standby: a node in standby
// has left the cluster in the sense of the runbook (it hosts nothing). A
// resource is running when it is active on exactly one node; failed,
// blocked or active on several nodes, it is comatose; otherwise offline, at
// the node it last ran on.
func (d *Driver) Status(ctx context.Context) (*steps.Status, error) {
	mon, via, err := d.monitor(ctx)
	if err != nil {
		return nil, err
	}
	// The CIB and the nodes' versions are read side by side: a status is
	// read at every poll of every wait.
	names := append([]string(nil), d.cfg.Nodes...)
	for _, n := range mon.Nodes {
		if !slices.Contains(names, n.Name) {
			names = append(names, n.Name)
		}
	}
	var wg sync.WaitGroup
	read := make([]string, len(names))
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			read[i] = d.readVersion(ctx, n)
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
		return nil, d.fail(ctx, err)
	}
	cib, err := parseCIB(cibXML)
	if err != nil {
		return nil, err
	}

	d.mu.Lock()
	for i, n := range names {
		if read[i] != "" {
			d.versions[n] = read[i]
		}
	}
	defer d.mu.Unlock()
	d.standbyNodes = cib.Standby
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
	st := steps.NewStatus()
	seen := map[string]bool{}
	for _, n := range mon.Nodes {
		seen[n.Name] = true
		state := steps.NodeDown
		if n.Online && !n.Standby && !n.Pending && !n.Unclean {
			state = steps.NodeUp
		}
		st.SetNode(n.Name, steps.NodeStatus{State: state, Version: d.versions[n.Name]})
	}
	for _, name := range d.cfg.Nodes {
		if !seen[name] {
			st.SetNode(name, steps.NodeStatus{State: steps.NodeDown, Version: d.versions[name]})
		}
	}
	for _, r := range mon.Resources {
		rs := steps.ResourceStatus{State: steps.ResourceOffline, Node: d.lastNode[r.ID]}
		if rs.Node == "" {
			rs.Node = r.LastNode
		}
		switch {
		case r.Failed || r.Blocked || len(r.Nodes) > 1:
			rs.State = steps.ResourceComatose
			if len(r.Nodes) > 0 {
				rs.Node = r.Nodes[0]
			}
		case r.Active && len(r.Nodes) == 1:
			rs.State = steps.ResourceRunning
			rs.Node = r.Nodes[0]
			d.lastNode[r.ID] = rs.Node
		}
		st.SetResource(r.ID, rs)
	}
	for _, l := range cib.Licenses {
		st.Licenses = append(st.Licenses, steps.LicenseStatus{Product: l[0], Version: l[1]})
	}
	st.MediaVersion = cib.MediaVersion
	if st.MediaVersion == "" {
		st.MediaVersion = d.cfg.MediaVersion
	}
	return st, nil
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

// readVersion runs the version command on node; "" when the node does not
// answer (it is rebooting): the caller keeps the last version read there.
func (d *Driver) readVersion(ctx context.Context, node string) string {
	argv := d.cfg.VersionCommand
	if d.cfg.VersionCommandFor != nil {
		var err error
		if argv, err = d.cfg.VersionCommandFor(node); err != nil {
			return ""
		}
	}
	cctx, cancel := context.WithTimeout(ctx, min(10*time.Second, d.cfg.CommandTimeout))
	defer cancel()
	out, err := d.cfg.Run(cctx, node, argv...)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
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
		return fmt.Errorf("%w: %w", steps.ErrInDoubt, err)
	}
	return err
}

// licenseOption names the cluster option that records a licence.
func licenseOption(l steps.License) string {
	sum := sha256.Sum256([]byte(l.Product + "\x00" + l.Version))
	return licenseOptionPrefix + hex.EncodeToString(sum[:6])
}

// InstallLicense records the licence as a cluster option
// (runbook-license-<hash> = "VERSION PRODUCT"): cluster-wide, and
// idempotent.
func (d *Driver) InstallLicense(ctx context.Context, l steps.License) error {
	return d.run(ctx, "crm_attribute", "--type", "crm_config", "--name", licenseOption(l),
		"--update", l.Version+" "+l.Product)
}

// Leave puts the node in standby: the cluster moves its resources away.
func (d *Driver) Leave(ctx context.Context, n steps.Node) error {
	return d.standby(ctx, n.Name, "on")
}

// standby sets the node's permanent standby attribute on, or, for "off",
// deletes it: the CIB ends as it was before the run.
func (d *Driver) standby(ctx context.Context, node, v string) error {
	if v == "off" {
		return d.run(ctx, "crm_attribute", "--type", "nodes", "--node", node, "--name", "standby", "--delete")
	}
	return d.run(ctx, "crm_attribute", "--type", "nodes", "--node", node, "--name", "standby", "--update", v)
}

// Upgrade runs Config.Upgrade, then takes the node out of standby so that
// it rejoins active.
func (d *Driver) Upgrade(ctx context.Context, n steps.Node, to string) error {
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
	return d.standby(ctx, n.Name, "off")
}

// Migrate moves a running resource to the node. A preference alone does
// not move a resource whose stickiness is INFINITY (both nodes score
// INFINITY), so the node it runs on is banned as well; once it runs on the
// node, both constraints are removed, and its stickiness keeps it there.
// The constraints are the driver's own (ConstraintPrefix), never the
// cli-prefer and cli-ban ones of crm_resource --move, which an operator may
// have set and which the run must leave alone.
func (d *Driver) Migrate(ctx context.Context, r steps.Resource, n steps.Node) error {
	st, err := d.Status(ctx)
	if err != nil {
		return err
	}
	from := st.Resources[r.Name]
	if from.State == steps.ResourceRunning && from.Node == n.Name {
		return nil
	}
	if err := d.locate(ctx, preferID(r.Name), r.Name, n.Name, "INFINITY"); err != nil {
		return d.clear(ctx, r.Name, err)
	}
	if from.State == steps.ResourceRunning {
		if err := d.locate(ctx, banID(r.Name), r.Name, from.Node, "-INFINITY"); err != nil {
			return d.clear(ctx, r.Name, err)
		}
	}
	return d.clear(ctx, r.Name, d.waitOn(ctx, r.Name, n.Name))
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

// Offline stops the resource (target-role=Stopped).
func (d *Driver) Offline(ctx context.Context, r steps.Resource) error {
	return d.run(ctx, "crm_resource", "--resource", r.Name, "--meta",
		"--set-parameter", "target-role", "--parameter-value", "Stopped")
}

// Online starts the resource on the node. Its load script is the resource
// agent's start action.
func (d *Driver) Online(ctx context.Context, r steps.Resource, n steps.Node) error {
	if err := d.locate(ctx, preferID(r.Name), r.Name, n.Name, "INFINITY"); err != nil {
		return d.clear(ctx, r.Name, err)
	}
	if err := d.run(ctx, "crm_resource", "--resource", r.Name, "--meta", "--delete-parameter", "target-role"); err != nil {
		return d.clear(ctx, r.Name, err)
	}
	return d.clear(ctx, r.Name, d.waitOn(ctx, r.Name, n.Name))
}

// waitOn polls the status until the resource runs on node.
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
			if rs.State == steps.ResourceRunning && rs.Node == node {
				return nil
			}
			last = fmt.Sprintf("%s is %s on %s", rsc, rs.State, rs.Node)
		}
		if err := d.Sleep(ctx, d.cfg.Poll); err != nil {
			return fmt.Errorf("%w: waiting for %s to run on %s: %w (last seen: %s)", steps.ErrInDoubt, rsc, node, err, last)
		}
	}
}

// ClearLeftovers removes the driver's constraints that a run killed in the
// middle of a move left behind (a run that ends in any other way removes
// its own), and returns their ids. Call it before a run, under the run's
// lock: no move is in flight then. A leftover ban would otherwise keep a
// resource from failing over to that node for good. Constraints the driver
// did not create (an operator's cli-ban, say) are left alone.
func (d *Driver) ClearLeftovers(ctx context.Context) ([]string, error) {
	cib, err := d.cib(ctx)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, id := range cib.Constraints {
		if !strings.HasPrefix(id, ConstraintPrefix+"prefer-") && !strings.HasPrefix(id, ConstraintPrefix+"ban-") {
			continue
		}
		if err := d.unlocate(ctx, id); err != nil {
			return removed, fmt.Errorf("removing constraint %s, left by an interrupted run: %w", id, err)
		}
		removed = append(removed, id)
	}
	return removed, nil
}

// clear removes the driver's constraints of the resource, even when ctx
// has ended, and joins any failure to cause.
func (d *Driver) clear(ctx context.Context, rsc string, cause error) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, id := range []string{preferID(rsc), banID(rsc)} {
		if err := d.unlocate(cctx, id); err != nil {
			return errors.Join(cause, fmt.Errorf("removing constraint %s: %w", id, err))
		}
	}
	return cause
}

// MediaUpgrade raises the CIB's schema to the newest this Pacemaker knows
// (cibadmin --upgrade), on the node, and records the node's version as the
// media version.
func (d *Driver) MediaUpgrade(ctx context.Context, n steps.Node) error {
	if _, err := d.call(ctx, n.Name, "cibadmin", "--upgrade", "--force"); err != nil {
		return d.fail(ctx, err)
	}
	v := d.readVersion(ctx, n.Name)
	if v == "" {
		return fmt.Errorf("pacemaker: cannot read the version of %s", n.Name)
	}
	_, err := d.call(ctx, n.Name, "crm_attribute", "--type", "crm_config", "--name", mediaVersionOption, "--update", v)
	return d.fail(ctx, err)
}

// MediaRefresh makes the node forget and re-probe its resources'
// state (crm_resource --refresh --node).
func (d *Driver) MediaRefresh(ctx context.Context, n steps.Node) error {
	_, err := d.call(ctx, n.Name, "crm_resource", "--refresh", "--node", n.Name)
	return d.fail(ctx, err)
}
