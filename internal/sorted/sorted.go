// Package sorted lists a map's keys in order.
package sorted

import "slices"

// Keys returns the keys of m in ascending order: an empty, non-nil slice
// for an empty map. It allocates once (slices.Sorted(maps.Keys(m)) grows
// its slice as it goes: a hot path of validate's abstract run calls it per
// status read).
func Keys[M ~map[K]V, K ~string, V any](m M) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
