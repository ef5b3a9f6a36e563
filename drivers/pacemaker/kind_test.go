package pacemaker_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/runbookhq/runbook/cluster"
	driverbuiltin "github.com/runbookhq/runbook/drivers/builtin"
	"github.com/runbookhq/runbook/drivers/pacemaker"
	"github.com/runbookhq/runbook/lang"
	"github.com/runbookhq/runbook/steps/builtin"
)

// TestBlockDefaults: a pacemaker block that sets nothing decodes to the
// driver's own defaults (one owner for each: the driver's constants).
func TestBlockDefaults(t *testing.T) {
	src := `runbook "pm" {}
cluster "CL" {
  driver = "pacemaker"
  pacemaker {}
}
node "n1" {
  address = "10.0.0.1"
  version = "1.0"
}
`
	path := filepath.Join(t.TempDir(), "pm.hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	rb, diags := lang.Load(path, lang.Options{Registry: builtin.Registry(), Drivers: driverbuiltin.Registry()})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg := rb.Block(pacemaker.Name)
	if got := cfg.Duration("command_timeout"); got != pacemaker.DefaultCommandTimeout {
		t.Errorf("command_timeout = %s; want %s", got, pacemaker.DefaultCommandTimeout)
	}
	if got := cfg.Duration("poll"); got != cluster.DefaultPoll {
		t.Errorf("poll = %s; want %s", got, cluster.DefaultPoll)
	}
	n, _ := rb.Cluster.Node("n1")
	cmd, declared, err := cfg.Operations().Command("version", cluster.Subject{Node: n})
	if err != nil || !declared {
		t.Fatalf("version: declared %v, %v", declared, err)
	}
	if diff := cmp.Diff(pacemaker.DefaultVersionCommand, cmd.Argv); diff != "" {
		t.Errorf("version command (-driver's default +block's):\n%s", diff)
	}
}
