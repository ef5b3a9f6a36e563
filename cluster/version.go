package cluster

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
// before every parsable one, and two unparsable ones compare as strings. It
// allocates nothing: the runtime compares versions on every status read.
// Equal strings, what nearly every comparison of a rolling upgrade's
// statuses finds (each node at the version the media upgrade targets), are
// equal versions without a scan.
func CompareVersions(a, b string) int {
	if a == b {
		return 0
	}
	va, oka := scanVersion(a)
	vb, okb := scanVersion(b)
	switch {
	case !oka && !okb:
		return strings.Compare(a, b)
	case !oka:
		return -1
	case !okb:
		return 1
	}
	for i := range va {
		switch {
		case va[i] < vb[i]:
			return -1
		case va[i] > vb[i]:
			return 1
		}
	}
	return 0
}

// ValidVersion reports whether ParseVersion accepts s, without allocating.
func ValidVersion(s string) bool {
	_, ok := scanVersion(s)
	return ok
}

// CheckVersion returns the error ParseVersion returns for s, if any,
// without allocating for a valid version: the simulator checks the version
// of every upgrade.
func CheckVersion(s string) error {
	if _, ok := scanVersion(s); ok {
		return nil
	}
	_, err := ParseVersion(s)
	return err
}

// scanVersion reads a version as ParseVersion accepts it, its missing
// components zero; ok is false where ParseVersion fails.
func scanVersion(s string) (v [4]int, ok bool) {
	if s == "" {
		return v, false
	}
	i, digits := 0, 0
	for j := 0; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '.':
			if digits == 0 || i == len(v)-1 {
				return v, false
			}
			i, digits = i+1, 0
		case '0' <= c && c <= '9' && digits < 9:
			v[i] = v[i]*10 + int(c-'0')
			digits++
		default:
			return v, false
		}
	}
	return v, digits > 0
}
