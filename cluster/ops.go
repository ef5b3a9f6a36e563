package cluster

import "strings"

// Command is a decoded KindCommand value.
type Command struct {
	// Shell is set for a string: it runs under /bin/sh -c.
	Shell string
	// Argv is set for a list: it runs as it is, with no shell.
	Argv []string
}

func (c Command) String() string {
	if c.Argv != nil {
		return strings.Join(c.Argv, " ")
	}
	return c.Shell
}

// Driver operation names, as OpKey and the exec driver's block name them.
const (
	OpInstallLicense = "install_license"
	OpLeave          = "leave"
	OpUpgrade        = "upgrade"
	OpMigrate        = "migrate"
	OpOffline        = "offline"
	OpOnline         = "online"
	OpMediaUpgrade   = "media_upgrade"
	OpMediaRefresh   = "media_refresh"
)

// OpKey names a driver operation on its subjects: "upgrade FS2",
// "migrate POOL1 FS1".
func OpKey(op string, subjects ...string) string {
	switch len(subjects) {
	case 0:
		return op
	case 1:
		// One allocation: the runtime names every operation it issues.
		return op + " " + subjects[0]
	case 2:
		return op + " " + subjects[0] + " " + subjects[1]
	}
	return strings.Join(append([]string{op}, subjects...), " ")
}

// Subject is what a driver operation acts on, bound to the names its
// command may use: node, resource, license and to. Fields the operation
// does not have are nil or empty.
type Subject struct {
	Node     *Node
	Resource *Resource
	License  *License
	// To is the version an upgrade installs.
	To string
}

// Commands gives a driver the commands its runbook declares, evaluated for
// one operation's subject: the driver is handed it when it opens, and asks
// it for each command it runs.
//
// Command evaluates the command declared for op with subj bound. It returns
// declared == false, and no error, when the runbook declares no command for
// op; an error when the command cannot be evaluated for this subject.
type Commands interface {
	Command(op string, subj Subject) (cmd Command, declared bool, err error)
}

// CommandsFunc adapts a function to Commands.
type CommandsFunc func(op string, subj Subject) (Command, bool, error)

// Command calls f.
func (f CommandsFunc) Command(op string, subj Subject) (Command, bool, error) { return f(op, subj) }

// Operation is a Driver operation, with the subjects its command binds.
type Operation struct {
	Name  string
	Binds []string
}

// Operations lists every Driver operation, in the order of the README's
// table of exec block attributes.
var Operations = []Operation{
	{OpInstallLicense, []string{"license"}},
	{OpLeave, []string{"node"}},
	{OpUpgrade, []string{"node", "to"}},
	{OpMigrate, []string{"resource", "node"}},
	{OpOffline, []string{"resource"}},
	{OpOnline, []string{"resource", "node"}},
	{OpMediaUpgrade, []string{"node"}},
	{OpMediaRefresh, []string{"node"}},
}
