package drivers

import (
	"fmt"
	"strings"
)

// Registry holds the kinds of driver a runbook may name, by name, in the
// order they were registered; the first is the default, the driver of a
// runbook that names none. The command line passes
// drivers/builtin.Registry() to the language; tests may add kinds.
type Registry struct {
	kinds []Kind
}

// NewRegistry returns a registry of kinds; the first is the default.
func NewRegistry(def Kind, others ...Kind) Registry {
	return Registry{}.With(append([]Kind{def}, others...)...)
}

// With returns a registry with kinds added (or replacing a kind of the
// same name).
func (r Registry) With(kinds ...Kind) Registry {
	out := Registry{kinds: append([]Kind(nil), r.kinds...)}
	for _, k := range kinds {
		if i := out.index(k.Name()); i >= 0 {
			out.kinds[i] = k
			continue
		}
		out.kinds = append(out.kinds, k)
	}
	return out
}

func (r Registry) index(name string) int {
	for i, k := range r.kinds {
		if k.Name() == name {
			return i
		}
	}
	return -1
}

// Kind returns the kind called name.
func (r Registry) Kind(name string) (Kind, bool) {
	if i := r.index(name); i >= 0 {
		return r.kinds[i], true
	}
	return nil, false
}

// Default is the kind of a runbook that names no driver; nil for an empty
// registry.
func (r Registry) Default() Kind {
	if len(r.kinds) == 0 {
		return nil
	}
	return r.kinds[0]
}

// Kinds returns every kind, in order.
func (r Registry) Kinds() []Kind { return append([]Kind(nil), r.kinds...) }

// Names returns every kind's name, in order.
func (r Registry) Names() []string {
	out := make([]string, len(r.kinds))
	for i, k := range r.kinds {
		out[i] = k.Name()
	}
	return out
}

// Simulator is the kind that rehearses any runbook (a Simulator), nil if
// none: the first registered.
func (r Registry) Simulator() Kind {
	for _, k := range r.kinds {
		if Simulated(k) {
			return k
		}
	}
	return nil
}

// Either lists names as "a, b or c".
func Either(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Check checks a --driver flag: "" (the runbook's own) or a registered
// kind.
func (r Registry) Check(name string) error {
	if name != "" && r.index(name) < 0 {
		return fmt.Errorf("unknown --driver %q; want %s", name, Either(r.Names()))
	}
	return nil
}
