package lang

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers"
	driverbuiltin "github.com/runbookhq/runbook/drivers/builtin"
)

// toyKind is a kind of driver known only to this test, with one setting
// of each type.
type toyKind struct{}

func (toyKind) Name() string { return "toy" }
func (toyKind) Doc() string  { return "a toy" }
func (toyKind) Block() drivers.Block {
	return drivers.Block{Required: true, Missing: "The toy driver needs a toy block.", Settings: []drivers.Setting{
		{Name: "wait", Type: drivers.Duration, Default: 3 * time.Second},
		{Name: "probe", Type: drivers.Command, Required: true, Missing: "Add probe."},
		{Name: "retry_on", Type: drivers.ExitCodes, Default: []int{75}},
		{Name: "ssh", Type: drivers.Operation, Binds: []string{"node"}, Default: `["ssh", node.address]`},
		{Name: cluster.OpLeave, Type: drivers.Operation, Binds: []string{"node"}},
	}}
}
func (toyKind) Open(context.Context, drivers.Opening) (*drivers.Opened, error) { return nil, nil }

func toyRunbook(cluster string) string {
	return strings.Replace(header, `cluster "c" {}`, cluster, 1)
}

// TestDriverBlockFromSchema: a kind's block is decoded from its schema
// alone: values, defaults, required settings, operations with their
// subjects.
func TestDriverBlockFromSchema(t *testing.T) {
	opts := Options{Drivers: driverbuiltin.Registry().With(toyKind{})}
	rb, diags := load(t, toyRunbook(`cluster "c" {
  driver = "toy"
  toy {
    probe    = ["probe", "--json"]
    retry_on = [75, 255]
    leave    = "leave ${node.name}"
  }
}`), opts)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	c := rb.Block("toy")
	probe, ok := c.Command("probe")
	if !c.Declared || !ok || c.Duration("wait") != 3*time.Second || !slices.Equal(probe.Argv, []string{"probe", "--json"}) || !slices.Equal(c.ExitCodes("retry_on"), []int{75, 255}) {
		t.Errorf("declared %v, wait %s, probe %+v, retry_on %v", c.Declared, c.Duration("wait"), probe, c.ExitCodes("retry_on"))
	}
	fs2, _ := rb.Cluster.Node("FS2")
	ssh, ok, err := c.Operations().Command("ssh", cluster.Subject{Node: fs2})
	if err != nil || !ok || !slices.Equal(ssh.Argv, []string{"ssh", "10.0.0.2"}) {
		t.Errorf("ssh = %+v, %v, %v", ssh, ok, err)
	}
	leave, _, _ := c.Operations().Command("leave", cluster.Subject{Node: fs2})
	if leave.Shell != "leave FS2" {
		t.Errorf("leave = %+v", leave)
	}
	// The other kinds get their defaults, undeclared.
	if sim := rb.Block(driverbuiltin.Registry().Default().Name()); sim == nil || sim.Declared {
		t.Errorf("the default kind's block: %+v", sim)
	}

	for _, tt := range []struct{ src, want string }{
		{`cluster "c" {
  driver = "toy"
}`, "Missing toy block"},
		{`cluster "c" {
  driver = "toy"
  toy {}
}`, "Missing probe command"},
		{`cluster "c" {
  driver = "toy"
  toy {
    probe = "p"
    wait  = "soon"
  }
}`, "Invalid duration"},
		{`cluster "c" {
  driver = "toy"
  toy {
    probe    = "p"
    retry_on = [0]
  }
}`, "Invalid exit codes"},
		{`cluster "c" {
  driver = "toy"
  toy {
    probe = "p"
    leave = "leave ${node.adress}"
  }
}`, "Unsupported attribute"},
		{`cluster "c" {
  driver = "toy"
  toy {
    probe = "p"
    upgrade = "u"
  }
}`, "Unsupported argument"},
		{`cluster "c" {
  driver = "toy"
  toy {
    probe = "p"
  }
  toy {
    probe = "p"
  }
}`, "Duplicate toy block"},
		{`cluster "c" {
  driver = "tyo"
}`, "Unsupported value"},
	} {
		_, diags := load(t, toyRunbook(tt.src), opts)
		if got := summaries(diags); !slices.Contains(got, tt.want) {
			t.Errorf("%s\n: diagnostics %q, want %q", tt.src, got, tt.want)
		}
	}

	// Not selected, its required settings may be left out.
	_, diags = load(t, toyRunbook(`cluster "c" {
  toy {}
}`), opts)
	if diff := cmp.Diff([]string(nil), summaries(diags)); diff != "" {
		t.Errorf("unselected toy block (-want +got):\n%s", diff)
	}
}
