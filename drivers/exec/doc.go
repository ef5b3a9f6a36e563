// Package execdriver implements [cluster.Driver] by running commands: the
// `exec` driver (the README's "The exec driver"), the way a runbook drives
// a real cluster manager.
//
// Each driver operation (leave, upgrade, migrate, ...) is mapped by the
// runbook to a command, which the driver asks its [Ops] for when the
// operation runs, with the operation's subject bound. A command given as a
// list runs as that argv with no shell; a command given as a string runs under
// /bin/sh -c. Cluster status comes from a command that prints the status JSON
// of [steps.ParseStatus].
//
// Every command runs in its own process group, so that a Ctrl-C the operator
// types (which the terminal sends to its foreground process group) reaches the
// runbook, which decides what to do, and never the command half-way through
// its work. When the operation's context ends, or its per-command timeout
// passes, the whole group is sent SIGTERM and, after a grace period, SIGKILL;
// the operation then fails with an error wrapping [cluster.ErrInDoubt], since
// the command may have acted before it was killed. A command forked at the
// moment of a Ctrl-C still gets it, until it has left the runbook's group:
// the status command, which only reads, then runs once more.
//
// An operation returns as soon as its command exits: the step, never the
// driver, decides when the cluster has reached the state it wants, by
// reading Status. The driver runs in the wall clock ([steps.WallClock]).
//
// The package knows nothing of HCL: the language evaluates the command
// expressions and hands them over through [Ops].
package execdriver
