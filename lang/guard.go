package lang

import (
	"encoding/json"
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// Limits on input, checked before any parser sees the bytes. The HCL parsers
// recurse once per level of nesting, and a deep enough input overflows the Go
// stack, a fatal error that recover cannot catch (hashicorp/hcl issue 809).
const (
	// MaxFileSize is the largest runbook file accepted.
	MaxFileSize = 8 << 20
	// MaxNesting is the deepest nesting of brackets, braces, parentheses,
	// strings and template interpolations accepted.
	MaxNesting = 64
)

// guard checks src against the size and nesting limits.
func guard(src []byte, filename string) hcl.Diagnostics {
	if len(src) > MaxFileSize {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "File too large",
			Detail:   fmt.Sprintf("%s is %d bytes; a runbook file may be at most %d bytes. Split the runbook into several files in one directory.", filename, len(src), MaxFileSize),
			Subject:  &hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos},
		}}
	}
	var pos hcl.Pos
	var tooDeep bool
	if isJSONFile(filename) {
		pos, tooDeep = scanJSONDepth(src, MaxNesting)
	} else {
		pos, tooDeep = scanDepth(src, MaxNesting, false)
	}
	if tooDeep {
		end := pos
		end.Column++
		end.Byte++
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Nesting too deep",
			Detail:   fmt.Sprintf("The expression nests more than %d levels of brackets, braces, parentheses, strings and template interpolations. Flatten it, for example with locals.", MaxNesting),
			Subject:  &hcl.Range{Filename: filename, Start: pos, End: end},
		}}
	}
	return nil
}

type frameKind uint8

const (
	frameBracket  frameKind = iota // ( [ {
	frameInterp                    // ${ %{ : code until the matching }
	frameString                    // "…"
	frameHeredoc                   // <<EOF … EOF
	frameTemplate                  // a whole JSON string: a template that no quote ends
)

type frame struct {
	kind   frameKind
	marker string // heredoc end marker
}

// posTracker turns byte offsets into hcl positions incrementally.
type posTracker struct {
	src  []byte
	off  int
	line int
	col  int
}

func (p *posTracker) at(off int) hcl.Pos {
	if p.line == 0 {
		p.line, p.col = 1, 1
	}
	for ; p.off < off && p.off < len(p.src); p.off++ {
		if p.src[p.off] == '\n' {
			p.line++
			p.col = 1
		} else {
			p.col++
		}
	}
	return hcl.Pos{Line: p.line, Column: p.col, Byte: off}
}

// scanDepth scans HCL native syntax (or, with template set, a template) and
// reports the position where the nesting first exceeds max. It never fails
// on malformed input: it only has to bound the depth the parser will see.
func scanDepth(src []byte, max int, template bool) (hcl.Pos, bool) {
	var stack []frame
	base := 0
	if template {
		stack = append(stack, frame{kind: frameTemplate})
		base = 1
	}
	push := func(f frame) bool {
		stack = append(stack, f)
		return len(stack)-base > max
	}
	top := func() frameKind {
		if len(stack) == 0 {
			return frameBracket
		}
		return stack[len(stack)-1].kind
	}
	lineStart := true
	tr := &posTracker{src: src}
	for i := 0; i < len(src); i++ {
		c := src[i]
		wasLineStart := lineStart
		lineStart = c == '\n'
		switch top() {
		case frameString, frameTemplate, frameHeredoc:
			if top() == frameHeredoc && wasLineStart {
				// The end marker is a line of its own, indented or not.
				j := i
				for j < len(src) && (src[j] == ' ' || src[j] == '\t') {
					j++
				}
				m := stack[len(stack)-1].marker
				if len(src)-j >= len(m) && string(src[j:j+len(m)]) == m {
					k := j + len(m)
					if k == len(src) || src[k] == '\n' || src[k] == '\r' {
						stack = stack[:len(stack)-1]
						i = k - 1
						continue
					}
				}
			}
			switch {
			case c == '\\' && top() == frameString:
				i++
			case c == '"' && top() == frameString:
				stack = stack[:len(stack)-1]
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == c:
				i++ // $${ and %%{ are literal
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				if push(frame{kind: frameInterp}) {
					return tr.at(i), true
				}
				i++
			case c == '\n':
				lineStart = true
			}
		default: // code: top level, brackets, interpolations
			switch c {
			case '(', '[', '{':
				if push(frame{kind: frameBracket}) {
					return tr.at(i), true
				}
			case ')', ']', '}':
				if len(stack) > base {
					stack = stack[:len(stack)-1]
				}
			case '"':
				if push(frame{kind: frameString}) {
					return tr.at(i), true
				}
			case '#':
				i = skipLine(src, i)
			case '/':
				if i+1 < len(src) && src[i+1] == '/' {
					i = skipLine(src, i)
				} else if i+1 < len(src) && src[i+1] == '*' {
					end := indexFrom(src, i+2, "*/")
					if end < 0 {
						return hcl.Pos{}, false
					}
					i = end + 1
				}
			case '<':
				if m, next, ok := heredocStart(src, i); ok {
					if push(frame{kind: frameHeredoc, marker: m}) {
						return tr.at(i), true
					}
					i = next - 1
					lineStart = true
				}
			}
		}
	}
	return hcl.Pos{}, false
}

// skipLine returns the index of the newline ending the line at i (or the
// last index), so that the scanner's next byte starts a new line.
func skipLine(src []byte, i int) int {
	for i < len(src) && src[i] != '\n' {
		i++
	}
	return i - 1
}

func indexFrom(src []byte, from int, s string) int {
	for i := from; i+len(s) <= len(src); i++ {
		if string(src[i:i+len(s)]) == s {
			return i
		}
	}
	return -1
}

// heredocStart recognises <<MARKER or <<-MARKER followed by a newline at i,
// and returns the marker and the index after the newline.
func heredocStart(src []byte, i int) (string, int, bool) {
	j := i + 2
	if j > len(src) || src[i+1] != '<' {
		return "", 0, false
	}
	if j < len(src) && src[j] == '-' {
		j++
	}
	start := j
	for j < len(src) && (src[j] == '_' || src[j] == '-' || src[j] >= 'a' && src[j] <= 'z' || src[j] >= 'A' && src[j] <= 'Z' || src[j] >= '0' && src[j] <= '9' || src[j] >= 0x80) {
		j++
	}
	if j == start {
		return "", 0, false
	}
	marker := string(src[start:j])
	if j < len(src) && src[j] == '\r' {
		j++
	}
	if j >= len(src) || src[j] != '\n' {
		return "", 0, false
	}
	return marker, j + 1, true
}

// scanJSONDepth bounds the nesting of HCL's JSON syntax: the structure, plus
// the template nesting inside each string, which HCL parses as a template.
func scanJSONDepth(src []byte, max int) (hcl.Pos, bool) {
	depth := 0
	tr := &posTracker{src: src}
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '{', '[':
			depth++
			if depth > max {
				return tr.at(i), true
			}
		case '}', ']':
			if depth > 0 {
				depth--
			}
		case '"':
			start := i
			escaped := false
			for i++; i < len(src) && src[i] != '"'; i++ {
				if src[i] == '\\' {
					escaped = true
					i++
				}
			}
			if i >= len(src) {
				return hcl.Pos{}, false
			}
			str := src[start+1 : i]
			if escaped {
				var s string
				if json.Unmarshal(src[start:i+1], &s) != nil {
					continue
				}
				str = []byte(s)
			}
			if _, deep := scanDepth(str, max-depth, true); deep {
				return tr.at(start), true
			}
		}
	}
	return hcl.Pos{}, false
}
