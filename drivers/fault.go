package drivers

import (
	"fmt"
	"strings"
)

// Fault is a fault to inject: --fault KIND:TARGET.
type Fault struct{ Kind, Target string }

func (f Fault) String() string { return f.Kind + ":" + f.Target }

// FaultKind is a kind of fault a FaultInjector injects, with what its
// target names ("node", "resource" or "license").
type FaultKind struct{ Kind, Target, Doc string }

// ParseFault parses KIND:TARGET, one of kinds.
func ParseFault(s string, kinds []FaultKind) (Fault, error) {
	kind, target, ok := strings.Cut(s, ":")
	if !ok || target == "" {
		return Fault{}, fmt.Errorf("fault %q: want KIND:TARGET, for example reboot-fails:FS2", s)
	}
	var names []string
	for _, k := range kinds {
		if k.Kind == kind {
			return Fault{kind, target}, nil
		}
		names = append(names, k.Kind)
	}
	return Fault{}, fmt.Errorf("fault %q: unknown kind %q; the kinds are %s", s, kind, strings.Join(names, ", "))
}

// TargetKind returns what the fault's target names, from kinds: "node",
// "resource" or "license"; "" if its kind is not among them.
func (f Fault) TargetKind(kinds []FaultKind) string {
	for _, k := range kinds {
		if k.Kind == f.Kind {
			return k.Target
		}
	}
	return ""
}
