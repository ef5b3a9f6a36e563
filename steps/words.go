package steps

import (
	"strconv"
	"strings"
)

// Words that the messages of step types and of the language share.

// JoinWith joins names as a sentence does: "A", "A and B", "A, B and C"
// (conj is "and" or "or"); "nothing" for none.
func JoinWith(names []string, conj string) string {
	switch len(names) {
	case 0:
		return "nothing"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " " + conj + " " + names[len(names)-1]
}

// TruncList joins at most max names, then says how many more there are.
func TruncList(names []string, max int) string {
	if len(names) <= max {
		return JoinWith(names, "and")
	}
	return strings.Join(names[:max], ", ") + " and " + strconv.Itoa(len(names)-max) + " more"
}

// NamesList renders "node A" or "nodes A, B and C" (what is "node"), at
// most ten names.
func NamesList(what string, names []string) string {
	if len(names) == 1 {
		return what + " " + names[0]
	}
	return what + "s " + TruncList(names, 10)
}

// Plural is one when n is 1, many otherwise.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
