// Package suggest finds the name an operator probably meant: the "did you
// mean" of every message about a name that is not there.
package suggest

import "github.com/agext/levenshtein"

// Distance is the edit (Levenshtein) distance between a and b.
func Distance(a, b string) int {
	return levenshtein.Distance(a, b, nil)
}

// Closest returns the candidate nearest to given in edits, if it is fewer
// than within edits away; the first of the nearest; "" if none is.
func Closest(given string, candidates []string, within int) string {
	best, bestDist := "", within
	for _, c := range candidates {
		if d := Distance(given, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}
