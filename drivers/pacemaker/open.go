package pacemaker

import (
	"context"
	"fmt"
	"time"

	"github.com/runbookhq/runbook/cluster"
)

// Declared is what a runbook declares for the Pacemaker driver.
type Declared struct {
	// Cluster is the declared cluster: its nodes (by the names Pacemaker
	// knows them), resources and licences.
	Cluster *cluster.Cluster
	// Commands gives the runbook's pacemaker block's commands: "prefix"
	// and "version" with node bound, "upgrade" with node and to bound.
	Commands cluster.Commands
	// Dir is where the upgrade command runs: the runbook's directory.
	Dir string
	// Poll and CommandTimeout are Config's.
	Poll, CommandTimeout time.Duration
	// Leaves are the nodes the runbook upgrades, in order.
	Leaves []Leave
}

// Open builds the driver a runbook declares: Pacemaker's tools and the
// version command run on a node through its prefix, the upgrade command
// runs here, in the runbook's directory, each evaluated for its node
// through d.Commands. Before it returns, Preflight compares each
// resource's declared failback with its stickiness (within a minute).
func Open(ctx context.Context, d Declared) (*Driver, error) {
	node := func(name string) (*cluster.Node, error) {
		if n, ok := d.Cluster.Node(name); ok {
			return n, nil
		}
		return nil, fmt.Errorf("the runbook declares no node %q", name)
	}
	command := func(op, name, to string) (cluster.Command, error) {
		n, err := node(name)
		if err != nil {
			return cluster.Command{}, err
		}
		c, ok, err := d.Commands.Command(op, cluster.Subject{Node: n, To: to})
		if err == nil && !ok {
			err = fmt.Errorf("the pacemaker block declares no %s command", op)
		}
		return c, err
	}
	var names []string
	media := ""
	for _, n := range d.Cluster.Nodes {
		names = append(names, n.Name)
		if media == "" || cluster.CompareVersions(n.Version, media) < 0 {
			media = n.Version
		}
	}
	drv, err := New(Config{
		Nodes: names,
		Run: PrefixRunner(func(name string) (cluster.Command, error) {
			return command("prefix", name, "")
		}),
		VersionCommandFor: func(name string) ([]string, error) {
			c, err := command("version", name, "")
			return Argv(c), err
		},
		Upgrade: func(ctx context.Context, name, to string) error {
			c, err := command("upgrade", name, to)
			if err != nil {
				return err
			}
			return RunLocal(ctx, d.Dir, c)
		},
		MediaVersion:   media,
		Poll:           d.Poll,
		CommandTimeout: d.CommandTimeout,
		Resources:      d.Cluster.Resources,
		Leaves:         d.Leaves,
	})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := Preflight(ctx, drv, d.Cluster.Resources); err != nil {
		return nil, err
	}
	return drv, nil
}
