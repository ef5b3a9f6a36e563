package lang

import (
	"strings"
	"testing"

	"github.com/runbookhq/runbook/drivers/pacemaker"

	"github.com/google/go-cmp/cmp"

	"github.com/runbookhq/runbook/cluster"
)

func pacemakerRunbook(block string) string {
	return strings.Replace(header, `cluster "c" {}`, `cluster "c" {
  driver = "pacemaker"
`+block+`
}`, 1)
}

func TestPacemakerVersionCommand(t *testing.T) {
	for _, tt := range []struct {
		name  string
		block string
		want  cluster.Command
	}{
		{"default", ``, cluster.Command{Argv: []string{"cat", "/var/lib/pacemaker/runbook-version"}}},
		{"no block attribute", `pacemaker {}`, cluster.Command{Argv: []string{"cat", "/var/lib/pacemaker/runbook-version"}}},
		{"per node", `pacemaker {
    version = ["cat", "/srv/${node.name}/version"]
  }`, cluster.Command{Argv: []string{"cat", "/srv/FS2/version"}}},
		{"shell", `pacemaker {
    version = "dpkg-query -W -f '$${Version}' pacemaker"
  }`, cluster.Command{Shell: "dpkg-query -W -f '${Version}' pacemaker"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rb, diags := load(t, pacemakerRunbook(tt.block), Options{})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			fs2, _ := rb.Cluster.Node("FS2")
			got, ok, err := rb.Block(pacemaker.Name).Operations().Command("version", cluster.Subject{Node: fs2})
			if err != nil || !ok {
				t.Fatal(ok, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("version (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPacemakerUpgradeArgv(t *testing.T) {
	rb, diags := load(t, pacemakerRunbook(`pacemaker {
    poll    = "250ms"
    command_timeout = "45s"
    prefix  = ["nsenter", "--net=/ns/${node.name}.net", "--"]
    upgrade = ["ssh", "root@${node.address}", "/usr/local/sbin/upgrade-pacemaker", to]
  }`), Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	fs1, _ := rb.Cluster.Node("FS1")
	up, ok, err := rb.Block(pacemaker.Name).Operations().Command("upgrade", cluster.Subject{Node: fs1, To: "6.5"})
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if diff := cmp.Diff([]string{"ssh", "root@10.0.0.1", "/usr/local/sbin/upgrade-pacemaker", "6.5"}, up.Argv); diff != "" {
		t.Errorf("upgrade (-want +got):\n%s", diff)
	}
	prefix, _, err := rb.Block(pacemaker.Name).Operations().Command("prefix", cluster.Subject{Node: fs1})
	if err != nil || strings.Join(prefix.Argv, " ") != "nsenter --net=/ns/FS1.net --" {
		t.Errorf("prefix = %+v, %v", prefix, err)
	}
	if pc := rb.Block(pacemaker.Name); pc.Duration("poll").String() != "250ms" || pc.Duration("command_timeout").String() != "45s" {
		t.Errorf("poll = %s, command_timeout = %s", pc.Duration("poll"), pc.Duration("command_timeout"))
	}
}

func TestPacemakerBlockErrors(t *testing.T) {
	for _, tt := range []struct {
		name, block, want string
	}{
		{"version does not bind to", `pacemaker {
    version = ["cat", to]
  }`, "version"},
		{"unknown attribute", `pacemaker {
    status = "crm_mon"
  }`, "Unsupported argument"},
		{"version not a command", `pacemaker {
    version = 42
  }`, "version"},
		{"command_timeout not a duration", `pacemaker {
    command_timeout = "fast"
  }`, "The value of command_timeout, \"fast\", is not a duration"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := load(t, pacemakerRunbook(tt.block), Options{})
			if !diags.HasErrors() {
				t.Fatalf("no error")
			}
			if !strings.Contains(diags.Error(), tt.want) {
				t.Errorf("diagnostics %q do not mention %q", diags.Error(), tt.want)
			}
		})
	}
}
