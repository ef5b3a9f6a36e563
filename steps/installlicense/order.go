package installlicense

import "github.com/runbookhq/runbook/steps"

var _ steps.Provider = Type{}

// Provides: the licence installed. Whether it comes before the first
// upgrade that needs it is the upgrade's rule (R1).
func (Type) Provides(in *steps.Instance, facts []steps.Fact) []steps.Fact {
	if l := in.Args.License("license").Name; l != "" {
		return append(facts, steps.Fact{Name: steps.FactLicenseInstalled, Key: l})
	}
	return append(facts, steps.Fact{Name: steps.FactLicenseInstalled, Any: true})
}
