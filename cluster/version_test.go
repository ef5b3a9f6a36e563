package cluster

import "testing"

// TestCompareVersionsAsParsed checks that CompareVersions agrees with
// ParseVersion and Version.Compare on good and bad versions, each also
// against itself (the shortcut for equal strings).
func TestCompareVersionsAsParsed(t *testing.T) {
	vs := []string{"", "6", "6.5", "6.5.0", "6.5.8", "6.10", "06.5", "1.2.3.4", "1.2.3.4.5", "6..5", ".6", "6.", "6.5a", "x",
		"123456789", "1234567890", "6.123456789", "6.1234567890", "0", "0.0.0.0", "-1", "6.5 "}
	for _, a := range vs {
		for _, b := range vs {
			va, ea := ParseVersion(a)
			vb, eb := ParseVersion(b)
			want := 0
			switch {
			case ea != nil && eb != nil:
				want = map[bool]int{true: -1, false: 1}[a < b]
				if a == b {
					want = 0
				}
			case ea != nil:
				want = -1
			case eb != nil:
				want = 1
			default:
				want = va.Compare(vb)
			}
			if got := CompareVersions(a, b); got != want {
				t.Errorf("CompareVersions(%q, %q) = %d, want %d", a, b, got, want)
			}
		}
	}
}

// TestCheckVersionAsParsed: CheckVersion returns ParseVersion's error, the
// same message, for good and bad versions alike.
func TestCheckVersionAsParsed(t *testing.T) {
	for _, v := range []string{"", "6", "6.5", "6.5.0", "6.5.8", "6.10", "06.5", "1.2.3.4", "1.2.3.4.5", "6..5", ".6", "6.", "6.5a", "x",
		"123456789", "1234567890", "6.123456789", "6.1234567890", "0", "0.0.0.0", "-1", "6.5 ", "+6", "6.5.8.1.2"} {
		_, want := ParseVersion(v)
		got := CheckVersion(v)
		if (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
			t.Errorf("CheckVersion(%q) = %v; ParseVersion says %v", v, got, want)
		}
	}
}
