package steps

import (
	"github.com/runbookhq/runbook/cluster"

	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/runbookhq/runbook/internal/sorted"
)

// Kind is the type of a step attribute. The language checks every value
// against it: a node, a resource, a licence and a string are different kinds,
// and a resource is never accepted where a node is expected.
type Kind int

const (
	KindString       Kind = iota // a string
	KindVersion                  // a dotted version string ("6.5")
	KindDuration                 // a Go duration string ("45m")
	KindBool                     // a bool
	KindNumber                   // a whole number
	KindNode                     // a node reference (node.FS1, each.node)
	KindNodeList                 // a list of node references
	KindResource                 // a resource reference
	KindResourceList             // a list of resource references
	KindLicense                  // a licence reference
	KindCommand                  // a command: a string for /bin/sh -c, or a list of strings run as argv
	KindStringList               // a list of strings
)

var kindNames = [...]string{"string", "version", "duration", "bool", "number", "node", "list of nodes",
	"resource", "list of resources", "license", "command", "list of strings"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Attr describes one attribute of a step type's body.
type Attr struct {
	Name     string
	Kind     Kind
	Required bool
	// Default describes the value used when the attribute is absent, for
	// documentation ("those whose first preferred node is node").
	Default string
	// Enum, if set, lists the accepted values of a string attribute.
	Enum []string
	Doc  string
}

// Attributes every step accepts, decoded by the language itself.
var CommonAttrs = []Attr{
	{Name: "timeout", Kind: KindDuration, Default: "the step type's default", Doc: "How long the step may take before it fails."},
	{Name: "when", Kind: KindBool, Default: "true", Doc: "The step is skipped (and recorded as skipped) when false."},
	{Name: "on_failure", Kind: KindString, Default: "abort", Enum: []string{"abort", "continue"}, Doc: `"continue" lets the run go on after a failure; only for steps that change no cluster state.`},
}

// Unknown is the value of an attribute whose value is not known yet (it
// depends on a variable that has no value at validate time).
type Unknown struct{}

// Args holds a step instance's decoded attribute values by name: string
// (KindString, KindVersion), time.Duration, bool, int, Node, []Node, Resource,
// []Resource, License, Command, []string, or Unknown. Absent attributes are
// not in the map.
type Args map[string]any

// Has reports whether the attribute was set.
func (a Args) Has(name string) bool { _, ok := a[name]; return ok }

// Known reports whether the attribute was set to a known value.
func (a Args) Known(name string) bool {
	v, ok := a[name]
	if !ok {
		return false
	}
	_, unk := v.(Unknown)
	return !unk
}

// AllKnown reports whether every set attribute is known.
func (a Args) AllKnown() bool {
	for _, v := range a {
		if _, unk := v.(Unknown); unk {
			return false
		}
	}
	return true
}

func get[T any](a Args, name string) (T, bool) {
	v, ok := a[name].(T)
	return v, ok
}

// Lookup returns the attribute's value as a T (the zero T when it is not
// one) and whether it was set, as Has says: both through one look-up, for
// a step that asks of an attribute whether it is set and then its value.
func Lookup[T any](a Args, name string) (v T, set bool) {
	x, set := a[name]
	v, _ = x.(T)
	return v, set
}

func (a Args) String(name string) string          { v, _ := get[string](a, name); return v }
func (a Args) Bool(name string) bool              { v, _ := get[bool](a, name); return v }
func (a Args) Int(name string) int                { v, _ := get[int](a, name); return v }
func (a Args) Duration(name string) time.Duration { v, _ := get[time.Duration](a, name); return v }
func (a Args) Node(name string) cluster.Node      { v, _ := get[cluster.Node](a, name); return v }
func (a Args) Nodes(name string) []cluster.Node   { v, _ := get[[]cluster.Node](a, name); return v }
func (a Args) Resource(name string) cluster.Resource {
	v, _ := get[cluster.Resource](a, name)
	return v
}
func (a Args) Resources(name string) []cluster.Resource {
	v, _ := get[[]cluster.Resource](a, name)
	return v
}
func (a Args) License(name string) cluster.License { v, _ := get[cluster.License](a, name); return v }
func (a Args) Command(name string) cluster.Command { v, _ := get[cluster.Command](a, name); return v }
func (a Args) Strings(name string) []string        { v, _ := get[[]string](a, name); return v }

// Instance is one step to run: a top-level step block, or a step block of a
// rolling block bound to one node.
type Instance struct {
	// Address is stable and printable: step.TYPE.NAME, or
	// rolling.ROLL[NODE].TYPE.NAME inside a roll.
	Address string
	Type    string
	Name    string
	Args    Args
	// Timeout is the step's timeout: its timeout attribute, or its type's
	// default. It is decided once, where the step is decoded; the runtime
	// takes it as it is and refuses a step without one.
	Timeout   time.Duration
	OnFailure string
}

// Problem is a precondition that does not hold: an error, or a warning that
// does not stop the step. Attr names the attribute it is about ("" for the
// step as a whole), so that the language can point at its expression.
type Problem struct {
	Warning bool
	// Rule is the rule of the reference procedure it enforces ("R3"), if any.
	Rule    string
	Attr    string
	Summary string
	Detail  string
}

func (p Problem) Error() string {
	if p.Rule != "" {
		return fmt.Sprintf("%s (%s): %s", p.Summary, p.Rule, p.Detail)
	}
	return p.Summary + ": " + p.Detail
}

// Env is what a step sees of the world while it runs.
type Env struct {
	// Cluster is the cluster the runbook declares.
	Cluster *cluster.Cluster
	Driver  cluster.Driver
	// Poll is how often status is read while waiting.
	Poll time.Duration
	// Logf reports progress and facts worth a line of output.
	Logf func(format string, args ...any)
	// Waiting, if set, is told by WaitFor, on each status read, what the
	// step waits for, what is still pending, and the driver's time.
	Waiting func(what, pending string, now time.Time)
	// Prompt asks the operator a yes/no question; nil when there is no
	// terminal to ask.
	Prompt func(ctx context.Context, question string) (bool, error)
	// AutoApprove answers every question with yes.
	AutoApprove bool
	// Rehearsal is set when a runbook written for a real cluster runs on
	// the simulator (run --driver sim): steps that act outside the cluster
	// (a local command that notifies people or takes a backup) do not act.
	Rehearsal bool
	// Output receives the output of local commands the step runs, if set.
	Output io.Writer
	// Dir is the runbook's directory, where local commands run.
	Dir string
	// Issued holds the driver operations (as OpKey names them) that an
	// earlier attempt of this step issued and that may still be taking
	// effect: the attempt was interrupted or in doubt, not failed. A step
	// resuming its own partial state must not issue them again blindly.
	// Nil on a first attempt, and on a retry after a failure.
	Issued map[string]bool
	// Ended holds the operations of Issued whose command is known to have
	// ended (it returned, or the run that issued it stopped it), unlike
	// those of a run that died while they ran, which may still be under
	// way. A step may issue one of them again once the cluster shows it had
	// no effect, where a second one is harmless (a leave, an offline, an
	// online, a move, a refresh); never an upgrade, a licence or the media
	// upgrade, whose effect may come late or must not happen twice.
	Ended map[string]bool
	// Before is the cluster as the journal says it was just before this
	// step's first attempt began, when an earlier run started the step and
	// did not finish it (interrupted, in doubt, or failed). A resumed step
	// reads in it what the live status may no longer show: where a resource
	// that the step took offline ran. Nil on a step's first attempt, and
	// where there is no journal (validate, plan).
	Before *cluster.Status
}

// Pending reports whether the operation key was issued by an interrupted
// attempt and may still be under way (its command may still run): the step
// waits for its effect rather than issue it again.
func (e *Env) Pending(key string) bool { return e.Issued[key] && !e.Ended[key] }

// PendingOp is Pending of the operation's key (cluster.OpKey), made only
// when an earlier attempt issued anything: on a first attempt, a step that
// acts on every resource asks it of each at no cost.
func (e *Env) PendingOp(op string, subjects ...string) bool {
	return len(e.Issued) > 0 && e.Pending(cluster.OpKey(op, subjects...))
}

// IssuedOp reports whether Issued holds the operation's key (cluster.OpKey),
// made only when it holds anything.
func (e *Env) IssuedOp(op string, subjects ...string) bool {
	return len(e.Issued) > 0 && e.Issued[cluster.OpKey(op, subjects...)]
}

// Log reports a line through Logf, if set.
func (e *Env) Log(format string, args ...any) {
	if e.Logf != nil {
		e.Logf(format, args...)
	}
}

// Type is a step type: the contract every built-in (and every test's fake)
// fulfils. Check, Done and Run serve validate and plan (against the
// simulator started from the declared cluster) and run (against the live
// driver) alike.
type Type interface {
	// Name is the first label of a step block ("upgrade-node").
	Name() string
	// Doc is one line of documentation.
	Doc() string
	// Attrs is the schema of the step's own attributes (CommonAttrs come on top).
	Attrs() []Attr
	// DefaultTimeout applies when the step sets none; the language applies
	// it when it decodes the step.
	DefaultTimeout() time.Duration
	// Mutates reports whether the step changes cluster state; only steps that
	// do not may use on_failure = "continue". A step that does not mutate has
	// no effect on the cluster model: validate and plan never Run it (it may
	// ask the operator or run a local command).
	Mutates() bool

	// Check returns the preconditions that do not hold on the cluster in st.
	// It must accept the partial state its own interrupted run leaves behind,
	// so that an interrupted step can be resumed.
	Check(env *Env, st *cluster.Status, in *Instance) []Problem
	// Done reports whether the step's postcondition already holds in st.
	// A step that has no postcondition it can read from the cluster returns
	// false.
	Done(env *Env, st *cluster.Status, in *Instance) bool
	// Run acts through env.Driver and waits until the postcondition holds or
	// the deadline passes. It resumes the partial state its own interrupted
	// run left behind, and never applies an effect twice.
	Run(ctx context.Context, env *Env, in *Instance, deadline time.Time) error
}

// PlanNoter may be implemented by a step type that does not mutate the
// cluster, to say in a few words what it does instead ("asks the
// operator"): plan, which never runs such a step, shows it in place of the
// step's effects.
type PlanNoter interface {
	PlanNote() string
}

// Registry is the set of step types a runbook may use, by name.
type Registry map[string]Type

// Names returns the registered type names, sorted.
func (r Registry) Names() []string { return sorted.Keys(r) }

// ErrStop marks a step that ended because the operator chose to stop there
// (declined an approval): the run stops cleanly, resumable, and the step
// runs again when the run resumes.
var ErrStop = errors.New("the operator chose to stop")
