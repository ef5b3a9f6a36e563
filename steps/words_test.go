package steps

import "testing"

func TestWords(t *testing.T) {
	many := []string{"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"}
	for _, tc := range []struct{ got, want string }{
		{JoinWith(nil, "and"), "nothing"},
		{JoinWith([]string{"A"}, "or"), "A"},
		{JoinWith([]string{"A", "B"}, "or"), "A or B"},
		{JoinWith([]string{"A", "B", "C"}, "and"), "A, B and C"},
		{TruncList(many[:3], 3), "A, B and C"},
		{TruncList(many, 10), "A, B, C, D, E, F, G, H, I, J and 2 more"},
		{NamesList("node", many[:1]), "node A"},
		{NamesList("node", many[:2]), "nodes A and B"},
		{Plural(1, "step", "steps"), "step"},
		{Plural(0, "step", "steps"), "steps"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
