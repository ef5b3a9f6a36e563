package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/runbookhq/runbook/lang"
	"github.com/runbookhq/runbook/runtime"
)

// openStore opens the state store that ref names: a state directory, or a
// store of the kind its URL scheme names.
func (a *app) openStore(ref string) (runtime.Store, error) {
	return a.stores.Open(ref)
}

// openState opens the state of a run with driver, the first of: --state
// (flag), $RUNBOOK_STATE, the runbook's state block, the directory beside
// the runbook (see stateDir). A rehearsal with another driver than the
// runbook's keeps its state apart, with @DRIVER added to the store's name.
func (a *app) openState(flag string, rb *lang.Runbook, driver string) (runtime.Store, error) {
	if flag != "" || os.Getenv(stateEnv) != "" || rb.State == nil {
		return a.openStore(stateDir(flag, rb, driver))
	}
	kind, ok := a.stores.Blocks[rb.State.Kind]
	if !ok {
		// lang checked the kind against the same list.
		return nil, fmt.Errorf("%s: no kind of state store is named %q", rb.State.Range, rb.State.Kind)
	}
	suffix := ""
	if driver != "" && driver != rb.Driver {
		suffix = "@" + driver
	}
	store, err := kind.Open(rb.State.Settings, suffix)
	if err != nil {
		return nil, fmt.Errorf("the runbook's state block (%s): %w", rb.State.Range, err)
	}
	return store, nil
}

// stateEnv is the environment variable that names the state when --state
// is not given.
const stateEnv = "RUNBOOK_STATE"

// stateDir is the state of a run with driver: --state if set; otherwise
// $RUNBOOK_STATE, or .runbook/NAME beside the runbook, for its own driver,
// and the same with @DRIVER added for another (a rehearsal with --driver
// sim keeps its journal, lock and simulator apart from the real run's).
func stateDir(flag string, rb *lang.Runbook, driver string) string {
	if flag != "" {
		return flag
	}
	dir := runtime.DefaultStateDir(rb.Dir, rb.Name)
	if env := os.Getenv(stateEnv); env != "" {
		dir = strings.TrimRight(env, "/")
	}
	if driver != "" && driver != rb.Driver {
		dir += "@" + driver
	}
	return dir
}

// openFleetState opens a fleet cluster's state: under root (--state, or
// $RUNBOOK_STATE) by its name, else the state runbook run would use (the
// runbook's state block, or the directory beside it).
func (a *app) openFleetState(root string, rb *lang.Runbook, driver string) (runtime.Store, error) {
	if root == "" {
		return a.openState("", rb, driver)
	}
	return a.openStore(fleetStateDir(root, rb, driver))
}

// fleetStateDir is a fleet cluster's state directory: DIR/NAME under
// --state DIR (DIR/NAME@DRIVER for a rehearsal of a runbook written for
// another driver), else the one runbook run uses.
func fleetStateDir(root string, rb *lang.Runbook, driver string) string {
	if root == "" {
		return stateDir("", rb, driver)
	}
	return fleetStateRef(root, fleetStateName(rb, driver))
}

// fleetStateName is the name of a fleet cluster's state under --state:
// NAME, or NAME@DRIVER for a rehearsal of a runbook written for another
// driver.
func fleetStateName(rb *lang.Runbook, driver string) string {
	name := rb.Name
	if driver != "" && driver != rb.Driver {
		name += "@" + driver
	}
	return name
}

// fleetStateRef is the state name under --state root.
func fleetStateRef(root, name string) string {
	if isStoreURL(root) {
		// A store's reference: its prefix gets the name.
		return strings.TrimSuffix(root, "/") + "/" + name
	}
	return filepath.Join(root, name)
}

// isStoreURL reports whether a --state is the URL of a store ("etcd://..."),
// not a directory.
func isStoreURL(ref string) bool {
	scheme, _, ok := strings.Cut(ref, "://")
	return ok && scheme != "" && !strings.ContainsAny(scheme, `/\`)
}

// closeStore closes a store that holds a connection (etcd's).
func closeStore(s runtime.Store) {
	if c, ok := s.(io.Closer); ok {
		c.Close()
	}
}
