package lang

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers"
	"github.com/runbookhq/runbook/drivers/sim"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/steps"
)

// Options are the inputs of Load besides the runbook itself.
type Options struct {
	// Registry holds the step types a runbook may use, by name. The CLI
	// passes steps/builtin.Registry(); tests may pass fakes.
	Registry steps.Registry
	// Vars are --var K=V values, in command-line order; a later value wins.
	Vars []string
	// VarFiles are --var-file paths (HCL `k = v`, or JSON for .json), in order.
	VarFiles []string
	// Env is the process environment (os.Environ()); RUNBOOK_VAR_<name>
	// entries set variables.
	Env []string
	// RequireValues makes a variable with no value an error, as plan and run
	// need. When false (validate), such a variable is an unknown value of its
	// declared type, so every expression that uses it is still type-checked.
	RequireValues bool
	// Drivers holds the kinds of driver a cluster block may select and
	// declare a block for; its default is the driver of a cluster block
	// that names none. The CLI passes drivers/builtin.Registry().
	Drivers drivers.Registry
	// StateKinds are the kinds of state store a state "KIND" block may
	// name, with their settings. The CLI passes those of
	// stores/builtin.Stores().
	StateKinds map[string][]runtime.StoreSetting
	// Decoded, if set, is called once the runbook is decoded without an
	// error (its cluster, driver blocks and steps as Load returns them),
	// before validate's abstract run, on the goroutine that loads it: a
	// caller may start there, on goroutines of its own, work that only
	// reads the runbook (never its state) while the abstract run goes on.
	// It must return at once. The runbook may still be found invalid.
	Decoded func(*Runbook)

	// slow turns off the fast paths that stand in for the general ones on
	// the common cases, so that tests can hold the two to the same result.
	slow bool
	// ahead is the abstract run's Options.Ahead, for tests.
	ahead int
}

// Runbook is a decoded, evaluated and checked runbook: the declared cluster
// and every step instance in run order.
type Runbook struct {
	// Name, Description and Version come from the runbook "NAME" block.
	Name, Description, Version string
	// Path is the path Load was given: a file or a directory.
	Path string
	// Dir is the directory the runbook lives in (for the default state dir).
	Dir string
	// Files are the parsed files by name, for hcl.NewDiagnosticTextWriter.
	Files map[string]*hcl.File

	ClusterName string
	// Driver is the name of the kind of driver the cluster block selects:
	// the driver registry's default if it names none.
	Driver string
	// Cluster is the declared cluster: nodes, resources and licences.
	Cluster *cluster.Cluster
	// blocks are every registered kind's block, decoded, by kind name.
	blocks map[string]*drivers.Config
	// State is the state "KIND" { ... } block, nil if absent.
	State *StateBlock
	// Steps are every step instance in run order, rolling blocks expanded.
	Steps []*Step

	// Variables are the declared variables in declaration order, with the
	// values they ended up with.
	Variables []*Variable
}

// Step is one step instance: a top-level step block, or a step block of a
// rolling block bound to one of its nodes.
type Step struct {
	steps.Instance
	// When is the evaluated when attribute; false means the step is skipped.
	// A when that is not known at validate time counts as true.
	When bool
	// Roll is the rolling block's name, "" at the top level.
	Roll string
	// Node is the name of the node each.node is bound to inside a roll.
	Node string
	// Range is the step block's definition range.
	Range hcl.Range

	// attrs are the step block's attributes, to point diagnostics at the
	// attribute a problem is about.
	attrs hcl.Attributes
	// known is false when some argument or when is unknown (it depends on a
	// variable with no value): the abstract run skips the step.
	known bool
	// hole marks a step the abstract run cannot know at all: a step block
	// that failed to decode (an unknown type, a duplicate address) or a
	// rolling block whose nodes failed to. It is never in Runbook.Steps;
	// the abstract run takes it as a step that may have done anything, so
	// that its mistake is reported once, not again by the rules it would
	// have satisfied.
	hole bool
	// detached marks a step whose block is already in error but decodes
	// (its address is taken, say): it is not in Runbook.Steps, its effect
	// counts in the abstract run, and no finding is reported at it.
	detached bool
}

// DropSyntax lets go of the syntax trees of the runbook's files, keeping
// their text (Files[name].Bytes), for a command that renders no more
// diagnostics from them: the trees take several times the text's size,
// and nothing else Load returned holds them (the step instances only hold
// their step blocks' attributes).
func (rb *Runbook) DropSyntax() {
	for _, f := range rb.Files {
		f.Body, f.Nav = nil, nil
	}
}

// AttrRange returns the range of the expression of the step's attribute
// name, or the step block's definition range if it is not set.
func (s *Step) AttrRange(name string) hcl.Range {
	if a, ok := s.attrs[name]; ok {
		return a.Expr.Range()
	}
	return s.Range
}

// Block returns the decoded block of the kind of driver called name: what
// the runbook declares, with the kind's defaults; nil if no such kind is
// registered. Config.Declared tells whether the runbook declares it.
func (rb *Runbook) Block(name string) *drivers.Config { return rb.blocks[name] }

// Declares reports whether the runbook declares a block for the driver
// called name, or selects that driver.
func (rb *Runbook) Declares(name string) bool {
	c := rb.blocks[name]
	return name == rb.Driver || (c != nil && c.Declared)
}

// Timings are the simulator's durations: those of the sim block, with the
// defaults for the rest. Validate's abstract run and plan's prediction run
// on the simulator with them.
func (rb *Runbook) Timings() sim.Timings { return sim.TimingsOf(rb.blocks[sim.Name]) }

// Model is a fresh simulator of the declared cluster with the runbook's
// timings and no faults: what plan predicts the run on.
func (rb *Runbook) Model() *sim.Sim {
	return sim.New(rb.Cluster, sim.Options{Timings: rb.Timings()})
}
