package execdriver

import "github.com/runbookhq/runbook/steps"

// Operations lists every driver operation by the name of the exec {}
// attribute that declares its command, in the order of the README's table
// of exec block attributes.
var Operations = []string{steps.OpInstallLicense, steps.OpLeave, steps.OpUpgrade, steps.OpMigrate, steps.OpOffline,
	steps.OpOnline, steps.OpMediaUpgrade, steps.OpMediaRefresh}

// Subject is what an operation acts on, bound to the names its command
// expression may use: node, resource, license and to. Fields the operation
// does not have are nil or empty.
type Subject struct {
	Node     *steps.Node
	Resource *steps.Resource
	License  *steps.License
	// To is the version an upgrade installs.
	To string
}

// Ops gives the command of each operation.
//
// Command evaluates the command the runbook declares for op (one of the Op
// constants) with subj bound. It returns declared == false, and no error, when
// the runbook declares no command for op; an error when the expression cannot
// be evaluated for this subject.
type Ops interface {
	Command(op string, subj Subject) (cmd steps.Command, declared bool, err error)
}

// OpsFunc adapts a function to [Ops].
type OpsFunc func(op string, subj Subject) (steps.Command, bool, error)

// Command calls f.
func (f OpsFunc) Command(op string, subj Subject) (steps.Command, bool, error) { return f(op, subj) }
