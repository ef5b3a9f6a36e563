package execdriver

import (
	"context"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/drivers"
)

// Name is the exec driver's name, and its block's.
const Name = "exec"

// LogName is the stream of the run's state where the driver logs every
// command it runs, with its output and exit status.
const LogName = "exec.log"

// Kind is the exec driver as a kind of driver.
type Kind struct{}

var _ drivers.StateFiles = Kind{}

// StateFiles is the log.
func (Kind) StateFiles() (blobs, streams []string) { return nil, []string{LogName} }

func (Kind) Name() string { return Name }

func (Kind) Doc() string {
	return "runs a command of the exec block for each operation, and one that prints the cluster's status"
}

// Block is the exec block: the status command, a command for each
// operation, and how they run.
func (Kind) Block() drivers.Block {
	b := drivers.Block{
		Required: true,
		Missing:  `The exec driver runs the commands of an exec block in the cluster block. Add one: exec { status = "..." leave = "..." ... }.`,
		Settings: []drivers.Setting{
			{Name: "poll", Type: drivers.Duration, Default: cluster.DefaultPoll, Doc: "how often status is read while waiting"},
			{Name: "status", Type: drivers.Command, Required: true, Doc: "prints the cluster's status JSON",
				Missing: `The exec driver reads the cluster's state from the status command. Add status = "..." to the exec block: a command that prints the status JSON.`},
			{Name: "command_timeout", Type: drivers.Duration, Doc: "bounds each command, on top of its step's timeout"},
			{Name: "in_doubt_exit_codes", Type: drivers.ExitCodes, Default: []int{255}, Doc: "exit statuses that leave an operation's outcome unknown"},
		},
	}
	b.Settings = append(b.Settings, drivers.Operations(nil)...)
	return b
}

// Open opens the exec driver with the commands of o.Config. Every command
// it runs, with its output and exit status, goes to LogName in o.Store,
// the runbook's sensitive values hidden; a status only when it differs from
// the last one logged, so that the polls of a long wait do not fill it.
func (Kind) Open(_ context.Context, o drivers.Opening) (*drivers.Opened, error) {
	status, _ := o.Config.Command("status")
	logFile, err := o.Store.Stream(LogName)
	if err != nil {
		return nil, err
	}
	hidden, flush := o.Redact.Writer(logFile)
	closeLog := func() error {
		err := flush()
		if cerr := logFile.Close(); err == nil {
			err = cerr
		}
		return err
	}
	d, err := New(Config{Ops: o.Config.Operations(), Status: status, Dir: o.Dir, Log: hidden, LogStatusChanges: true, Redact: o.Redact.String,
		CommandTimeout: o.Config.Duration("command_timeout"), InDoubtExitCodes: o.Config.ExitCodes("in_doubt_exit_codes"), GateDir: drivers.ScratchDir(o.Store)})
	if err != nil {
		closeLog()
		return nil, err
	}
	return &drivers.Opened{Driver: d, Close: closeLog, Poll: o.Config.Duration("poll")}, nil
}
