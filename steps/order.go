package steps

import "github.com/runbookhq/runbook/cluster"

// The rules about the order of steps are the step types' own, like their
// preconditions: a step type whose place in the run matters beyond what
// its Check can read from the cluster implements some of [Provider] (what
// its steps provide to later ones), [Ordered] (what it requires of the
// steps before it) and [Finisher] (what must follow it, or hold at the end
// of the run). The abstract run that validate
// performs asks every step type through these interfaces and names none.
//
// Steps speak to each other through facts: what a step provides to the
// steps after it ("node FS1 upgraded", "licence ncs65 installed"). A step
// type states the facts it provides; the abstract run keeps, for each fact,
// where it was first and last provided, and a step type's rules read them
// through [Order].

// Facts the built-in step types provide, keyed as each says. A new step
// type may provide these, or facts of its own (any string).
const (
	// FactUpgraded: a node was upgraded. Key: the node's name.
	FactUpgraded = "upgraded"
	// FactTargeted: a node was upgraded to a version. Key: the version.
	FactTargeted = "targeted"
	// FactFailbackAwaited: the resources homed on a node were awaited back
	// on it. Key: the node's name.
	FactFailbackAwaited = "failback awaited"
	// FactMediaUpgraded: the shared media were upgraded. Key: "".
	FactMediaUpgraded = "media upgraded"
	// FactLicenseInstalled: a licence was installed. Key: the licence's name.
	FactLicenseInstalled = "license installed"
)

// Fact is something a step provides to the steps after it.
type Fact struct {
	Name string
	// Key says which one: a node's name, a version, a licence's name.
	Key string
	// Any is set when the step may have provided the fact for any key: the
	// key is not known at validate time (it depends on a variable with no
	// value). Key is then "".
	Any bool
}

// Provider is implemented by a step type whose steps provide facts to the
// steps after them.
type Provider interface {
	// Provides appends to facts the facts the step provides once it ran,
	// and returns the extended slice. It is asked of every step that is not
	// skipped, including those whose arguments are not all known (an
	// unknown argument reads as its zero value: the fact is then Any).
	Provides(in *Instance, facts []Fact) []Fact
}

// Ordered is implemented by a step type that has rules about what the
// steps before its steps must (or must not) have provided.
type Ordered interface {
	// Before checks the step's ordering rules against what the steps
	// before it provided (and, to give better advice, what the steps after
	// it will). It is asked of every step that is not skipped, before the
	// step's own Check.
	Before(o Order, in *Instance) Verdict
}

// Finisher is implemented by a step type that has rules only the end of the
// run can check: what must follow its steps, what the final state must be.
// Finish is asked of every registered step type that implements it, in the
// order of their names, whether or not the runbook uses the type.
type Finisher interface {
	Finish(o Order) []Finding
}

// Verdict is what the ordering rules say about a step before it runs.
type Verdict struct {
	// Problems are reported at the step, in order.
	Problems []Problem
	// Supersedes is set when Problems say what is wrong with the step: its
	// own Check is not asked (its problems would repeat the same mistake in
	// other words), and its failing in the model is not reported.
	Supersedes bool
	// Silence, if set, drops a problem of the step's own Check that
	// Problems, or one already reported at an earlier step, says better.
	Silence func(Problem) bool
}

// Finding is a problem that an ordering rule finds at the end of the run.
type Finding struct {
	Problem
	// Step is the position in the run of the step it is about (its
	// Problem.Attr points into that step), or -1 when it is about a
	// declaration (Decl).
	Step int
	// Nodes, when set, are the nodes of Step's rolling block the finding
	// holds for; its detail names them itself.
	Nodes []string
	// Decl is the declaration a finding with no Step is about: Kind is
	// "node", "resource" or "license", Name its name; Problem.Attr, if set,
	// is one of its attributes.
	Decl Decl
}

// Decl names a declaration of the runbook.
type Decl struct {
	Kind, Name string
}

// Ref is a step of the abstract run, as the ordering rules see it.
type Ref struct {
	*Instance
	// Pos is its position in the run.
	Pos int
	// Roll is the name of its rolling block, "" at the top level; Node the
	// node of the roll it is bound to.
	Roll, Node string
	// Where is the place of its step block in the runbook's files. The
	// instances of one step block of a rolling block share it.
	Where string
}

// Order is what the ordering rules read: the facts the steps provided so
// far in the abstract run, and the model's state. Positions are those of
// the run's steps, from 0; -1 stands for none.
//
// A step that failed to decode may have done anything: it counts as having
// provided every fact for any key (AnyAt), but not for a given one (First,
// Last), so that a rule does not report what the broken step might have
// done, nor take its place.
type Order interface {
	// Cluster is the declared cluster.
	Cluster() *cluster.Cluster
	// Status is the model's state now: before the current step, or at the
	// end of the run in Finish.
	Status() (*cluster.Status, error)
	// Pos is the position of the current step.
	Pos() int
	// Known reports whether every argument of the current step is known.
	Known() bool
	// Complete reports whether the model followed every step so far: no
	// step was left out because its arguments were not known or it failed
	// to decode. Rules about the final state hold only if it is.
	Complete() bool
	// First and Last are the positions of the first and last steps that
	// provided the fact for key.
	First(fact, key string) int
	Last(fact, key string) int
	// AnyAt is the position of the last step that may have provided the fact
	// for any key (Fact.Any, or a step that failed to decode).
	AnyAt(fact string) int
	// Keys are the keys the fact was provided for, in the order they were
	// first provided.
	Keys(fact string) []string
	// Planned is the position of the last step of the whole run that
	// provides the fact for key, before or after the current one.
	Planned(fact, key string) int
	// Refused reports whether a step that provides the fact was refused by
	// its own checks (an error was reported at it); the model went on with
	// its effect, so what follows from it was reported already.
	Refused(fact string) bool
	// Mark records a mark of a rule's own (a finding already reported,
	// say); Marked reports whether it was.
	Mark(key string)
	Marked(key string) bool
	// Step is the step at a position.
	Step(pos int) Ref
}
