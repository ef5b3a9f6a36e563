package drivers

import (
	"time"

	"github.com/runbookhq/runbook/cluster"
)

// Block is the schema of a driver's block in the cluster block, as data:
// the language decodes it from this, for any kind.
type Block struct {
	// Settings are the block's attributes, in the order the README lists
	// them.
	Settings []Setting
	// Required: a runbook that selects the driver must declare its block;
	// Missing is the detail of the diagnostic when it does not.
	Required bool
	Missing  string
}

// Setting returns the setting called name.
func (b Block) Setting(name string) (Setting, bool) {
	for _, s := range b.Settings {
		if s.Name == name {
			return s, true
		}
	}
	return Setting{}, false
}

// Type is the type of a setting.
type Type int

const (
	// Duration is a duration string ("2s"); its Default is a time.Duration.
	Duration Type = iota
	// Command is a command ("a shell string", or ["argv", ...]) evaluated
	// when the runbook loads: it may use variables and locals only.
	Command
	// Operation is a command kept as an expression and evaluated for each
	// operation, with the subjects in Binds bound (node, resource, license,
	// to); its Default is the expression's HCL source.
	Operation
	// ExitCodes is a list of exit statuses from 1 to 255; its Default is a
	// []int.
	ExitCodes
)

// Setting is an attribute of a driver's block.
type Setting struct {
	Name string
	Type Type
	// Binds are the subjects an Operation's command may use.
	Binds []string
	// Default is the value when the runbook sets none (see Type); nil for
	// none.
	Default any
	// Required: a runbook that selects the driver must set it; Missing is
	// the detail of the diagnostic when it does not.
	Required bool
	Missing  string
	Doc      string
}

// Operations are the operations of cluster.Operations as Operation
// settings, each binding its subjects: what a driver that runs a command
// for each operation declares.
func Operations(doc func(op string) string) []Setting {
	out := make([]Setting, 0, len(cluster.Operations))
	for _, op := range cluster.Operations {
		s := Setting{Name: op.Name, Type: Operation, Binds: op.Binds}
		if doc != nil {
			s.Doc = doc(op.Name)
		}
		out = append(out, s)
	}
	return out
}

// Commands are a block's Operation settings, kept as expressions: Command
// evaluates one for a subject.
type Commands interface {
	cluster.Commands
	// Declared reports whether the runbook sets op (or its default does).
	Declared(op string) bool
}

// Config is a driver's block as the language decoded it: every setting's
// value, with the schema's default where the runbook sets none.
type Config struct {
	// Declared is true when the runbook declares the block.
	Declared bool
	values   map[string]any
	ops      Commands
}

// NewConfig returns a decoded block: values by setting name (a
// time.Duration, a cluster.Command or a []int), and the commands of its
// Operation settings.
func NewConfig(declared bool, values map[string]any, ops Commands) *Config {
	return &Config{Declared: declared, values: values, ops: ops}
}

// Duration returns the Duration setting name (0 if unset, with no default).
func (c *Config) Duration(name string) time.Duration {
	d, _ := c.value(name).(time.Duration)
	return d
}

// Command returns the Command setting name, and whether it has a value.
func (c *Config) Command(name string) (cluster.Command, bool) {
	cmd, ok := c.value(name).(cluster.Command)
	return cmd, ok
}

// ExitCodes returns the ExitCodes setting name.
func (c *Config) ExitCodes(name string) []int {
	codes, _ := c.value(name).([]int)
	return codes
}

// Operations are the block's Operation settings: the commands the driver
// evaluates for each operation. Never nil.
func (c *Config) Operations() Commands {
	if c == nil || c.ops == nil {
		return noCommands{}
	}
	return c.ops
}

func (c *Config) value(name string) any {
	if c == nil {
		return nil
	}
	return c.values[name]
}

type noCommands struct{}

func (noCommands) Command(string, cluster.Subject) (cluster.Command, bool, error) {
	return cluster.Command{}, false, nil
}

func (noCommands) Declared(string) bool { return false }
