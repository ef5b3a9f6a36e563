// Package builtin lists every kind of state store: the only place that
// knows them all. The command line hands the list down; a store's kind is
// chosen by the scheme of --state, or by the label of a runbook's state
// block.
package builtin

import (
	"os"

	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/stores/etcd"
	"github.com/runbookhq/runbook/stores/local"
)

// Stores returns the state stores built in: a plain path is a state
// directory; etcd://HOST:PORT,.../PREFIX an etcd cluster, reached with the
// settings of its RUNBOOK_ETCD_* environment variables.
func Stores() runtime.StoreKinds {
	return runtime.StoreKinds{
		Default: local.Open,
		Schemes: map[string]runtime.StoreOpener{
			local.Scheme: local.Open,
			etcd.Scheme:  etcd.Opener(os.Getenv),
		},
		Blocks: map[string]runtime.StoreBlock{
			etcd.Scheme: etcd.Block(os.Getenv),
		},
	}
}
