package main

import "github.com/spf13/cobra"

// commands lists every subcommand. Each lives in its own file, in three
// parts: its flags (args_*.go), its orchestration (cmd_*.go) and its views
// (view_*.go).
func (a *app) commands() []*cobra.Command {
	return []*cobra.Command{
		a.validateCommand(),
		a.planCommand(),
		a.runCommand(),
		a.statusCommand(),
		a.reportCommand(),
		a.fmtCommand(),
		a.stepsCommand(),
		a.unlockCommand(),
		a.stateCommand(),
		a.fleetCommand(),
		a.versionCommand(),
	}
}
