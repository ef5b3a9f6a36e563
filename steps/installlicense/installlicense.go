// Package installlicense is the install-license step type (R1): it installs
// the new version's licences cluster-wide, before the first node is upgraded.
package installlicense

import (
	"context"
	"fmt"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/steps"
)

// Type is the install-license step type.
type Type struct{}

var _ steps.Type = Type{}

func (Type) Name() string { return "install-license" }
func (Type) Doc() string {
	return "Installs a licence cluster-wide (R1); a no-op if it is already installed."
}
func (Type) Attrs() []steps.Attr {
	return []steps.Attr{
		{Name: "license", Kind: steps.KindLicense, Required: true, Doc: "The licence to install, for example license.ncs65."},
	}
}
func (Type) DefaultTimeout() time.Duration { return 10 * time.Minute }
func (Type) Mutates() bool                 { return true }

func (Type) Check(env *steps.Env, st *cluster.Status, in *steps.Instance) []steps.Problem {
	l := in.Args.License("license")
	if n := len(st.Nodes); !l.AppliesTo(n) {
		return []steps.Problem{{Warning: true, Rule: "R1", Attr: "license", Summary: "License not needed",
			Detail: fmt.Sprintf("License %s is required from %d nodes on, and the cluster has %d: the licences for a cluster this size ship with both versions. Remove this step, or lower the licence's min_nodes if the vendor requires it.", l.Name, l.MinNodes, n)}}
	}
	return nil
}

func (Type) Done(env *steps.Env, st *cluster.Status, in *steps.Instance) bool {
	l := in.Args.License("license")
	return st.HasLicense(l.Product, l.Version)
}

func (t Type) Run(ctx context.Context, env *steps.Env, in *steps.Instance, deadline time.Time) error {
	l := in.Args.License("license")
	st, err := env.Driver.Status(ctx)
	if err != nil {
		return err
	}
	if t.Done(env, st, in) {
		env.Log("license %s (%s %s) is already installed", l.Name, l.Product, l.Version)
		return nil
	}
	if env.IssuedOp(cluster.OpInstallLicense, l.Name) {
		// An interrupted attempt issued the installation: wait for the
		// licence rather than install it twice. If it never shows, the step
		// fails, and the retry installs it afresh.
		env.Log("installing license %s was issued by an interrupted attempt: waiting for the cluster to list it instead of installing it again", l.Name)
	} else if err := env.Driver.InstallLicense(ctx, l); err != nil {
		return fmt.Errorf("installing license %s: %w", l.Name, err)
	}
	_, err = steps.WaitFor(ctx, env, deadline, fmt.Sprintf("license %s to be installed", l.Name), func(st *cluster.Status) (string, error) {
		if st.HasLicense(l.Product, l.Version) {
			return "", nil
		}
		return fmt.Sprintf("the cluster does not list %s %s", l.Product, l.Version), nil
	})
	return err
}
