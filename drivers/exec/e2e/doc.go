// Package e2e runs whole runbooks through the runtime, the built-in steps and
// the exec driver against the stand-in cluster manager (internal/standin),
// and audits what the stand-in saw. It sits apart from package execdriver so
// that the driver's own tests do not depend on the layers above it.
package e2e
