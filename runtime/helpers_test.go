package runtime_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers/sim"
	"github.com/runbookhq/runbook/internal/teststore"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/steps"
	"github.com/runbookhq/runbook/steps/builtin"
	"github.com/runbookhq/runbook/stores/local"
)

// seed is the reference cluster: three nodes, two shared pools with auto
// failback, one manual resource, a licence for 6.5 from three nodes on.
func seed() *cluster.Cluster {
	return cluster.NewCluster("CL1",
		[]cluster.Node{{Name: "FS1", Version: "6.0"}, {Name: "FS2", Version: "6.0"}, {Name: "FS3", Version: "6.0"}},
		[]cluster.Resource{
			{Name: "POOL1", Shared: true, Preferred: []string{"FS1", "FS2", "FS3"}, Failback: "auto"},
			{Name: "POOL2", Shared: true, Preferred: []string{"FS2", "FS3", "FS1"}, Failback: "auto"},
			{Name: "WEB", Preferred: []string{"FS3", "FS1"}, Failback: "manual"},
		},
		[]cluster.License{{Name: "ncs65", Product: "NetWare 6.5 Cluster Server", Version: "6.5", Seats: 3, MinNodes: 3}},
	)
}

// procedure is the whole rolling upgrade of c as a runbook.
func procedure(c *cluster.Cluster) *runtime.Runbook {
	reg := builtin.Registry()
	rb := &runtime.Runbook{Name: "test", Cluster: c}
	add := func(in steps.Instance) {
		in.Timeout = reg[in.Type].DefaultTimeout()
		in.OnFailure = "abort"
		rb.Steps = append(rb.Steps, runtime.Step{Instance: in, When: true})
	}
	if len(c.Licenses) > 0 {
		add(steps.Instance{Address: "step.install-license.ncs65", Type: "install-license", Name: "ncs65", Args: steps.Args{"license": c.Licenses[0]}})
	}
	for _, n := range c.Nodes {
		add(steps.Instance{Address: fmt.Sprintf("rolling.upgrade[%s].upgrade-node.upgrade", n.Name), Type: "upgrade-node", Name: "upgrade", Args: steps.Args{"node": n, "to": "6.5"}})
		add(steps.Instance{Address: fmt.Sprintf("rolling.upgrade[%s].await-failback.failback", n.Name), Type: "await-failback", Name: "failback", Args: steps.Args{"node": n}})
	}
	add(steps.Instance{Address: "step.media-upgrade.pools", Type: "media-upgrade", Name: "pools", Args: steps.Args{"on": c.Nodes[0]}})
	return rb
}

// large is a cluster of n nodes and 2n resources, every other one shared,
// each preferring three consecutive nodes.
func large(n int) *cluster.Cluster {
	var nodes []cluster.Node
	for i := 0; i < n; i++ {
		nodes = append(nodes, cluster.Node{Name: fmt.Sprintf("N%05d", i), Version: "6.0"})
	}
	var res []cluster.Resource
	for i := 0; i < 2*n; i++ {
		h := i / 2
		res = append(res, cluster.Resource{Name: fmt.Sprintf("R%05d", i), Shared: i%2 == 0, Failback: "auto",
			Preferred: []string{nodes[h].Name, nodes[(h+1)%n].Name, nodes[(h+2)%n].Name}})
	}
	lic := []cluster.License{{Name: "ncs65", Product: "NetWare 6.5 Cluster Server", Version: "6.5", Seats: n, MinNodes: 3}}
	return cluster.NewCluster("BIG", nodes, res, lic)
}

// session is one invocation against a persisted simulator and state
// directory.
type session struct {
	dir    string
	faults []sim.Fault
	opts   func(*runtime.Options)
	events []runtime.Event
}

func (s *session) run(t testing.TB, rb *runtime.Runbook) (*runtime.Result, *sim.Sim) {
	t.Helper()
	return s.runCtx(t, context.Background(), rb)
}

func (s *session) runCtx(t testing.TB, ctx context.Context, rb *runtime.Runbook) (*runtime.Result, *sim.Sim) {
	t.Helper()
	sm, err := sim.Open(teststore.Dir(s.dir), rb.Cluster, sim.Options{Timings: sim.DefaultTimings(), Faults: s.faults})
	if err != nil {
		t.Fatal(err)
	}
	st, err := runtime.OpenState(local.New(s.dir), runtime.CurrentHolder("test"), runtime.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.events = nil
	opts := runtime.Options{Registry: builtin.Registry(), Driver: sm, State: st, DriverName: "sim", Poll: 5 * time.Second,
		Events: func(e runtime.Event) { s.events = append(s.events, e) }}
	if s.opts != nil {
		s.opts(&opts)
	}
	res := runtime.Run(ctx, rb, opts)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return res, sm
}

func (s *session) text() string {
	var b strings.Builder
	for _, e := range s.events {
		fmt.Fprintf(&b, "%s %s %s: %s\n", e.Time.Format("15:04:05"), e.Type, e.Step, e.Message)
	}
	return b.String()
}
