package lang

import (
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// PacemakerConfig is the Pacemaker driver's configuration: cluster {
// pacemaker { ... } }. Its commands are expressions evaluated by Command:
//
//   - "prefix", with node bound: the argv prefix that runs a command on the
//     node (default ["ssh", "root@${node.address}"]). Pacemaker's tools and
//     the version command run through it.
//   - "version", with node bound: the command, run on the node through
//     prefix, that prints the version the node runs (default
//     ["cat", "/var/lib/pacemaker/runbook-version"]).
//   - "upgrade", with node and to bound: the command that upgrades the
//     node, run on the operator's machine in the runbook's directory (not
//     through prefix), for example
//     ["ssh", "root@${node.address}", "/usr/local/sbin/upgrade-pacemaker", to].
//     It stops the node's cluster stack, installs to and starts it again,
//     and returns once the node is back online (in standby: the driver
//     then takes it out of standby).
type PacemakerConfig struct {
	// Poll is how often status is read while waiting (default 2s).
	Poll time.Duration
	// CommandTimeout bounds each of the driver's own commands on a node
	// (default 30s); the upgrade command is bounded by its step's timeout.
	CommandTimeout time.Duration
	commands
}

// PacemakerOps are the Pacemaker driver's commands, with the names each binds.
var PacemakerOps = map[string][]string{
	"prefix":  {"node"},
	"version": {"node"},
	"upgrade": {"node", "to"},
}

const defaultPacemakerCommandTimeout = 30 * time.Second

const (
	defaultPacemakerPrefix  = `["ssh", "root@${node.address}"]`
	defaultPacemakerVersion = `["cat", "/var/lib/pacemaker/runbook-version"]`
)

var pacemakerBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "poll"}, {Name: "command_timeout"}, {Name: "prefix"}, {Name: "version"}, {Name: "upgrade"}},
}

func (p *parser) defaultPacemaker() *PacemakerConfig {
	pc := &PacemakerConfig{Poll: defaultPoll, CommandTimeout: defaultPacemakerCommandTimeout, commands: commands{p: p, binds: PacemakerOps, exprs: map[string]hcl.Expression{}}}
	for op, src := range map[string]string{"prefix": defaultPacemakerPrefix, "version": defaultPacemakerVersion} {
		expr, diags := hclsyntax.ParseExpression([]byte(src), "<default pacemaker "+op+">", hcl.InitialPos)
		if !diags.HasErrors() {
			pc.exprs[op] = expr
		}
	}
	return pc
}

func (p *parser) decodePacemakerBlock(b *hcl.Block) *PacemakerConfig {
	content, diags := b.Body.Content(pacemakerBlockSchema)
	p.diags = append(p.diags, diags...)
	pc := p.defaultPacemaker()
	p.durationAttr(content, "poll", &pc.Poll)
	p.durationAttr(content, "command_timeout", &pc.CommandTimeout)
	for _, op := range []string{"prefix", "version", "upgrade"} {
		if a, ok := content.Attributes[op]; ok {
			pc.exprs[op] = a.Expr
		}
	}
	pc.typeCheck()
	return pc
}
