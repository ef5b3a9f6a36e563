package suggest

import "testing"

func TestClosest(t *testing.T) {
	names := []string{"upgrade-node", "await-failback", "media-upgrade"}
	for _, tc := range []struct {
		given  string
		within int
		want   string
	}{
		{"upgrade-nod", 3, "upgrade-node"},
		{"media-upgrad", 3, "media-upgrade"},
		{"approve", 3, ""},
		{"zzz", 100, "upgrade-node"}, // the first of the nearest
		{"", 0, ""},
	} {
		if got := Closest(tc.given, names, tc.within); got != tc.want {
			t.Errorf("Closest(%q, %d) = %q; want %q", tc.given, tc.within, got, tc.want)
		}
	}
}
