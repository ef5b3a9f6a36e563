package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers/exec"
	"github.com/runbookhq/runbook/internal/standin/standincheck"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/steps"
	"github.com/runbookhq/runbook/steps/builtin"
)

var standinBin string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "e2e-standin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if standinBin, err = standincheck.Build(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

func testCluster() *cluster.Cluster {
	return cluster.NewCluster("CL1",
		[]cluster.Node{{Name: "FS1", Version: "6.0"}, {Name: "FS2", Version: "6.0"}, {Name: "FS3", Version: "6.0"}},
		[]cluster.Resource{
			{Name: "POOL1_SERVER", Shared: true, Preferred: []string{"FS1", "FS2", "FS3"}, Failback: "auto"},
			{Name: "POOL2_SERVER", Shared: true, Preferred: []string{"FS2", "FS3", "FS1"}, Failback: "manual"},
			{Name: "WEB", Preferred: []string{"FS3", "FS1", "FS2"}, Failback: "auto"},
		},
		[]cluster.License{{Name: "ncs65", Product: "NetWare 6.5 Cluster Server", Version: "6.5", Seats: 3, MinNodes: 3}},
	)
}

// procedure is the reference procedure (runbooks/netware65-rolling-upgrade.hcl):
// licences, a roll of upgrade-node and await-failback, the media upgrade.
func procedure(c *cluster.Cluster, timeout time.Duration) *runtime.Runbook {
	rb := &runtime.Runbook{Name: "ncs", Cluster: c}
	add := func(in steps.Instance) {
		in.Timeout, in.OnFailure = timeout, "abort"
		rb.Steps = append(rb.Steps, runtime.Step{Instance: in, When: true})
	}
	add(steps.Instance{Address: "step.install-license.ncs65", Type: "install-license", Name: "ncs65", Args: steps.Args{"license": c.Licenses[0]}})
	for _, n := range c.Nodes {
		add(steps.Instance{Address: fmt.Sprintf("rolling.upgrade[%s].upgrade-node.upgrade", n.Name), Type: "upgrade-node", Name: "upgrade", Args: steps.Args{"node": n, "to": "6.5"}})
		add(steps.Instance{Address: fmt.Sprintf("rolling.upgrade[%s].await-failback.failback", n.Name), Type: "await-failback", Name: "failback", Args: steps.Args{"node": n}})
	}
	add(steps.Instance{Address: "step.media-upgrade.pools", Type: "media-upgrade", Name: "pools", Args: steps.Args{"on": c.Nodes[0]}})
	return rb
}

// ops maps each operation to the stand-in, as drivers/exec/testdata/ncs.hcl does.
func ops(op string, s cluster.Subject) (cluster.Command, bool, error) {
	args := standincheck.Args(op, s.Node, s.Resource, s.License, s.To)
	if args == nil {
		return cluster.Command{}, false, nil
	}
	return cluster.Command{Argv: append([]string{standinBin}, args...)}, true, nil
}

// run starts the stand-in from c and runs rb against it.
func run(t *testing.T, c *cluster.Cluster, rb *runtime.Runbook, rebootDelay string, env ...string) (*runtime.Result, []standincheck.Record, []string) {
	t.Helper()
	dir := t.TempDir()
	desc := standincheck.DescriptionOf(c)
	desc.RebootDelay = rebootDelay
	data, err := json.Marshal(desc)
	if err != nil {
		t.Fatal(err)
	}
	descFile := filepath.Join(dir, "cluster.json")
	if err := os.WriteFile(descFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "standin")
	if out, err := runCmd(standinBin, "-dir", state, "init", descFile); err != nil {
		t.Fatalf("standin init: %v\n%s", err, out)
	}
	d, err := execdriver.New(execdriver.Config{
		Ops:              cluster.CommandsFunc(ops),
		Status:           cluster.Command{Argv: []string{standinBin, "status"}},
		Env:              append([]string{"STANDIN_DIR=" + state}, env...),
		Log:              &strings.Builder{},
		LogStatusChanges: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	res := runtime.Run(context.Background(), rb, runtime.Options{
		Registry: builtin.Registry(), Driver: d, DriverName: "exec", Poll: 25 * time.Millisecond, AutoApprove: true,
		Events: func(e runtime.Event) { events = append(events, e.Message) },
	})
	recs, err := standincheck.ReadLog(state)
	if err != nil {
		t.Fatal(err)
	}
	return res, recs, events
}

// TestRollingUpgrade: the whole reference procedure, with reboots that take
// a while so that the steps poll the status command.
func TestRollingUpgrade(t *testing.T) {
	c := testCluster()
	res, recs, events := run(t, c, procedure(c, 5*time.Second), "150ms")
	if res.Outcome != runtime.OutcomeCompleted {
		t.Fatalf("outcome %s: %s\n%s", res.Outcome, res.Message, strings.Join(events, "\n"))
	}
	if problems := standincheck.Audit(recs, standincheck.AuditOptions{}); len(problems) > 0 {
		t.Errorf("audit:\n%s", strings.Join(problems, "\n"))
	}
	if diff := cmp.Diff(standincheck.CL1Operations, standincheck.Canonical(standincheck.Operations(recs))); diff != "" {
		t.Errorf("operations (-want +got):\n%s", diff)
	}
}

// TestRebootFails: a node that does not come back stops the run at its
// upgrade's timeout, before any other node leaves.
func TestRebootFails(t *testing.T) {
	c := testCluster()
	res, recs, events := run(t, c, procedure(c, 700*time.Millisecond), "", "STANDIN_FAULTS=reboot-fails:FS2")
	if res.Outcome != runtime.OutcomeFailed {
		t.Fatalf("outcome %s; want failed\n%s", res.Outcome, strings.Join(events, "\n"))
	}
	if problems := standincheck.Audit(recs, standincheck.AuditOptions{Partial: true}); len(problems) > 0 {
		t.Errorf("audit:\n%s", strings.Join(problems, "\n"))
	}
	ops := standincheck.Operations(recs)
	if last := ops[len(ops)-1]; last != "upgrade FS2 6.5" {
		t.Errorf("last operation %q; want the run to stop after upgrade FS2 6.5: %q", last, ops)
	}
}

func runCmd(argv ...string) ([]byte, error) {
	return exec.Command(argv[0], argv[1:]...).CombinedOutput()
}
