package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers"
	driverbuiltin "github.com/runbookhq/runbook/drivers/builtin"
	"github.com/runbookhq/runbook/drivers/sim"
)

// memoryKind is a fourth kind of driver, registered only in this test: it
// keeps the cluster in memory (the simulator's model, not persisted) and
// records every operation it is asked for. Its block declares the upgrade
// command, which it evaluates for each upgrade through the Config it is
// opened with, and a poll.
type memoryKind struct{ log *memoryLog }

type memoryLog struct {
	mu  sync.Mutex
	ops []string
}

func (l *memoryLog) add(op string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ops = append(l.ops, op)
}

func (memoryKind) Name() string { return "memory" }
func (memoryKind) Doc() string  { return "a cluster in memory that records each operation" }

func (memoryKind) Block() drivers.Block {
	return drivers.Block{Settings: []drivers.Setting{
		{Name: "poll", Type: drivers.Duration, Default: time.Second, Doc: "how often status is read"},
		{Name: cluster.OpUpgrade, Type: drivers.Operation, Binds: []string{"node", "to"}, Doc: "the upgrade command"},
	}}
}

func (k memoryKind) Open(_ context.Context, o drivers.Opening) (*drivers.Opened, error) {
	d := &memoryDriver{Driver: sim.New(o.Cluster, sim.Options{Instant: true}), ops: o.Config.Operations(), log: k.log}
	return &drivers.Opened{Driver: d, Poll: o.Config.Duration("poll")}, nil
}

type memoryDriver struct {
	cluster.Driver
	ops drivers.Commands
	log *memoryLog
}

func (d *memoryDriver) Leave(ctx context.Context, n cluster.Node) error {
	d.log.add(cluster.OpKey(cluster.OpLeave, n.Name))
	return d.Driver.Leave(ctx, n)
}

func (d *memoryDriver) Upgrade(ctx context.Context, n cluster.Node, to string) error {
	cmd, declared, err := d.ops.Command(cluster.OpUpgrade, cluster.Subject{Node: &n, To: to})
	if err != nil || !declared {
		return fmt.Errorf("upgrade %s: declared %v: %v", n.Name, declared, err)
	}
	d.log.add(cluster.OpKey(cluster.OpUpgrade, n.Name, to) + ": " + cmd.String())
	return d.Driver.Upgrade(ctx, n, to)
}

func (d *memoryDriver) MediaUpgrade(ctx context.Context, n cluster.Node) error {
	d.log.add(cluster.OpKey(cluster.OpMediaUpgrade, n.Name))
	return d.Driver.MediaUpgrade(ctx, n)
}

// memoryRunbook is runbooks/two-node.hcl on the memory driver, with block
// as its memory block.
func memoryRunbook(t *testing.T, block string) string {
	t.Helper()
	src, err := os.ReadFile("../../runbooks/two-node.hcl")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(src), "cluster \"CL2\" {\n  driver = \"sim\"\n}", "cluster \"CL2\" {\n  driver = \"memory\"\n"+block+"}", 1)
	if text == string(src) {
		t.Fatal("two-node.hcl's cluster block changed; update the test")
	}
	path := filepath.Join(t.TempDir(), "memory.hcl")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestFourthDriver adds a kind of driver in a test, with no change
// anywhere else, and runs a runbook through it with validate, plan and run
// as the command line does, with a registry that has it.
func TestFourthDriver(t *testing.T) {
	log := &memoryLog{}
	kinds := driverbuiltin.Registry().With(memoryKind{log: log})
	cli := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := runWith(kinds, args, strings.NewReader(""), &out, &out)
		return code, out.String()
	}
	path := memoryRunbook(t, "  memory {\n    poll    = \"250ms\"\n    upgrade = [\"install\", node.address, to]\n  }\n")

	if code, out := cli("validate", path); code != 0 {
		t.Fatalf("validate: exit %d\n%s", code, out)
	}
	code, out := cli("plan", path)
	if code != 0 || !strings.Contains(out, "rolling.upgrade[NW2].upgrade-node.upgrade") {
		t.Fatalf("plan: exit %d\n%s", code, out)
	}
	state := filepath.Join(t.TempDir(), "state")
	code, out = cli("run", "--auto-approve", "--state", state, path)
	if code != 0 || strings.Contains(out, "simulated") {
		t.Fatalf("run: exit %d (and not simulated)\n%s", code, out)
	}
	want := []string{
		"leave NW1", "upgrade NW1 6.5: install 10.20.0.11 6.5",
		"leave NW2", "upgrade NW2 6.5: install 10.20.0.12 6.5",
		"media_upgrade NW1",
	}
	if !slices.Equal(log.ops, want) {
		t.Errorf("operations = %q, want %q", log.ops, want)
	}
	code, out = cli("status", "--state", state, path)
	if code != 0 || !strings.Contains(out, "driver memory") {
		t.Errorf("status: exit %d\n%s", code, out)
	}

	// The simulator rehearses it, as any runbook.
	if code, out := cli("run", "--auto-approve", "--driver", "sim", "--state", t.TempDir(), path); code != 0 || !strings.Contains(out, "simulated.") {
		t.Errorf("run --driver sim: exit %d\n%s", code, out)
	}

	// Its block's operation left out: validate names it, from the schema.
	code, out = cli("validate", memoryRunbook(t, ""))
	if code != 1 || !strings.Contains(out, "Operation not declared") || !strings.Contains(out, "declares no upgrade command") {
		t.Errorf("validate with no upgrade command: exit %d\n%s", code, out)
	}
	// A runbook of another driver has no memory block to open it with.
	code, out = cli("run", "--auto-approve", "--driver", "memory", "--state", t.TempDir(), "../../runbooks/two-node.hcl")
	if code != 1 || !strings.Contains(out, "declares no memory { ... } block") {
		t.Errorf("run --driver memory of a sim runbook: exit %d\n%s", code, out)
	}
	// --driver knows it, and suggests it.
	if code, out := cli("plan", "--driver", "memroy", path); code != 2 || !strings.Contains(out, `(did you mean "memory"?); want sim, exec, pacemaker or memory`) {
		t.Errorf("plan --driver memroy: exit %d\n%s", code, out)
	}
	// Without it in the registry, the runbook names an unknown driver.
	if code, out := runCLI("validate", path); code != 1 || !strings.Contains(out, `"memory"`) {
		t.Errorf("validate without the kind: exit %d\n%s", code, out)
	}
}
