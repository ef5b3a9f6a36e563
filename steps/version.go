package steps

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a dotted version number ("6.5.8"), compared numerically.
type Version []int

// ParseVersion parses a dotted version of one to four numeric components.
func ParseVersion(s string) (Version, error) {
	if s == "" {
		return nil, fmt.Errorf("empty version")
	}
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return nil, fmt.Errorf("version %q has more than four components", s)
	}
	v := make(Version, len(parts))
	for i, p := range parts {
		if p == "" || len(p) > 9 || strings.TrimLeft(p, "0123456789") != "" {
			return nil, fmt.Errorf("version %q is not a dotted number such as \"6.5\" or \"6.5.8\"", s)
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("version %q: %v", s, err)
		}
		v[i] = n
	}
	return v, nil
}

// Compare returns -1, 0 or 1; missing components count as zero ("6.5" == "6.5.0").
func (v Version) Compare(w Version) int {
	for i := 0; i < len(v) || i < len(w); i++ {
		a, b := 0, 0
		if i < len(v) {
			a = v[i]
		}
		if i < len(w) {
			b = w[i]
		}
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
	}
	return 0
}

// CompareVersions compares two version strings; an unparsable version sorts
// before every parsable one, and two unparsable ones compare as strings.
func CompareVersions(a, b string) int {
	va, ea := ParseVersion(a)
	vb, eb := ParseVersion(b)
	switch {
	case ea != nil && eb != nil:
		return strings.Compare(a, b)
	case ea != nil:
		return -1
	case eb != nil:
		return 1
	}
	return va.Compare(vb)
}
