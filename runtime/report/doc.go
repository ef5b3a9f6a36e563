// Package report builds the report of a run from its journal: what the
// run did, step by step and operation by operation, who ran it, where it
// stopped and why, the timeline of each node and resource, and each
// resource's downtime, measured and as the plan predicted it, with the
// reason for each outage. Build makes the data (the JSON of `runbook report
// --json`), and a Builder the same from records given as they are
// journaled; the command renders it as one self-contained HTML page, its
// timeline an inline SVG.
//
// It reads records the runtime journaled and the plan the caller computed;
// it knows nothing of HCL, drivers or terminals.
package report
