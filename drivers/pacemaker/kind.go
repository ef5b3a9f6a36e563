package pacemaker

import (
	"context"
	"strconv"
	"strings"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers"
	"github.com/runbookhq/runbook/steps/upgradenode"
)

// Name is the Pacemaker driver's name, and its block's.
const Name = "pacemaker"

// Kind is the Pacemaker driver as a kind of driver.
type Kind struct{}

var (
	_ drivers.Preflighter     = Kind{}
	_ drivers.LeftoverClearer = (*Driver)(nil)
	_ drivers.DriftError      = (*DriftError)(nil)
)

func (Kind) Name() string { return Name }

func (Kind) Doc() string {
	return "a Pacemaker cluster, through its own tools run on each node; the runbook supplies the upgrade command"
}

// Block is the pacemaker block. Its commands are evaluated for a node:
//
//   - prefix, with node bound: the argv prefix that runs a command on the
//     node. Pacemaker's tools and the version command run through it.
//   - version, with node bound: the command, run on the node through
//     prefix, that prints the version the node runs.
//   - upgrade, with node and to bound: the command that upgrades the node,
//     run on the operator's machine in the runbook's directory (not through
//     prefix), for example
//     ["ssh", "root@${node.address}", "/usr/local/sbin/upgrade-pacemaker", to].
//     It stops the node's cluster stack, installs to and starts it again,
//     and returns once the node is back online (in standby: the driver then
//     takes it out of standby).
func (Kind) Block() drivers.Block {
	return drivers.Block{Settings: []drivers.Setting{
		{Name: "poll", Type: drivers.Duration, Default: cluster.DefaultPoll, Doc: "how often status is read while waiting"},
		{Name: "command_timeout", Type: drivers.Duration, Default: DefaultCommandTimeout, Doc: "bounds each of the driver's own commands on a node; the upgrade command is bounded by its step's timeout"},
		{Name: "prefix", Type: drivers.Operation, Binds: []string{"node"}, Default: `["ssh", "root@${node.address}"]`, Doc: "the argv prefix that runs a command on the node"},
		{Name: "version", Type: drivers.Operation, Binds: []string{"node"}, Default: hclList(DefaultVersionCommand), Doc: "prints the version the node runs (run through prefix)"},
		{Name: cluster.OpUpgrade, Type: drivers.Operation, Binds: []string{"node", "to"}, Doc: "upgrades the node to the version to, run here in the runbook's directory"},
	}}
}

// Open opens the driver against the live cluster, after Preflight.
func (Kind) Open(ctx context.Context, o drivers.Opening) (*drivers.Opened, error) {
	d, err := Open(ctx, declared(o))
	if err != nil {
		return nil, err
	}
	return &drivers.Opened{Driver: d, Poll: o.Config.Duration("poll")}, nil
}

// Preflight makes the live check Open makes: each resource's declared
// failback against its stickiness, and where it goes when its node leaves.
func (k Kind) Preflight(ctx context.Context, o drivers.Opening) (string, error) {
	if _, err := Open(ctx, declared(o)); err != nil {
		return "", err
	}
	return "failback modes, and where each resource goes when its node leaves", nil
}

func declared(o drivers.Opening) Declared {
	var leaves []Leave
	var steps []drivers.Step
	if o.Steps != nil {
		steps = o.Steps()
	}
	for _, s := range steps {
		if s.Type == (upgradenode.Type{}).Name() && s.When && s.Args.Known("node") {
			leaves = append(leaves, Leave{Node: s.Args.Node("node").Name, To: s.Args.String("to")})
		}
	}
	return Declared{Cluster: o.Cluster, Commands: o.Config.Operations(), Dir: o.Dir,
		Poll: o.Config.Duration("poll"), CommandTimeout: o.Config.Duration("command_timeout"), Leaves: leaves}
}

// hclList is the HCL source of a list of strings.
func hclList(argv []string) string {
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = strconv.Quote(a)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
