// Package lang is the runbook language: it parses a runbook's HCL files,
// decodes its blocks, evaluates its expressions, type-checks everything
// against the step types' schemas, and checks the runbook as a whole.
//
// [Load] turns a file or a directory of files into a [Runbook]: the
// declared cluster ([cluster.Cluster]), the driver settings, and every step
// instance in run order, with rolling blocks expanded one instance per
// node. Every problem is an hcl.Diagnostic with a short summary, a detail
// that says how to fix it, and the tightest source range; diagnostics are
// never flattened to errors.
//
// The pipeline, in the order Load runs it:
//
//   - Input limits (guard.go): a size cap and a nesting-depth limit, checked
//     on the bytes before any parser sees them, because deep nesting
//     overflows the HCL parsers' stack (hashicorp/hcl issue 809).
//   - Parsing and the top-level switch over block types (load.go); a large
//     file is parsed in chunks cut between its top-level blocks, several at
//     a time, with the whole-file parse's result (parse_chunks.go); a file
//     or chunk in the plain part of the syntax is parsed without hcl's
//     lexer into the tree hcl's parser builds (parse_fast.go).
//   - Variables (block_variable.go): default < RUNBOOK_VAR_<name> <
//     --var-file < --var. With Options.RequireValues unset (validate), a
//     variable with no value is an unknown of its declared type, so that
//     every expression using it is still type-checked.
//   - Locals, nodes, resources and licences (block_*.go), evaluated in
//     dependency order with cycles reported (decl_order.go). Each node,
//     resource and licence is a cty object with its own type, carrying its
//     name, so a value keeps its kind through any expression.
//   - The cluster block and its driver blocks (block_cluster.go,
//     block_driver.go), each decoded from its kind's schema (the
//     [drivers.Registry] in Options) into a [drivers.Config]. Operation
//     commands stay expressions, type-checked at load time with unknown
//     subjects and evaluated on demand when the driver asks for them.
//   - Steps (step_decode.go, block_rolling.go): a step block's body schema
//     is chosen by its type label from the [steps.Registry] in Options;
//     values are decoded strictly by [steps.Kind] (value_decode.go), never
//     converted.
//   - The checks (check_run.go): the abstract run of package lang/abstract.
//     A simulator (drivers/sim) starts from the declared cluster; each step
//     instance's type checks its preconditions against it
//     ([steps.Type.Check]) and then acts on it ([steps.Type.Run]), so that
//     validate, plan and run share one model of what every step does. The
//     rules about the order of steps (a node upgraded twice, failback
//     awaited before the upgrade, the media upgraded twice or before an
//     upgrade, the final state) are the step types' own, asked through
//     [steps.Provider], [steps.Ordered] and [steps.Finisher]; neither
//     package names a step type. The run is linear in the number of steps.
//     check_run.go turns what it finds into diagnostics.
//   - Each mistake is said once (check_findings.go): a step that failed to
//     decode leaves a hole in the abstract run, which no rule reports
//     around; the same finding on several nodes of a roll is one
//     diagnostic naming them; a bad value taken unchanged from a variable
//     or a local is reported where it is written. A diagnostic about a
//     step carries a [DiagnosticInfo] (its rule, step and nodes) in Extra.
//
// [Format] formats a file canonically with hclwrite.
//
// Package lang does not execute anything: it never runs a step against a
// real cluster, runs no command (steps that change no cluster state, such
// as local commands, are not run in the abstract run at all), and knows
// nothing of journals, locks, state directories or terminals; those belong
// to package runtime and the command line.
package lang
