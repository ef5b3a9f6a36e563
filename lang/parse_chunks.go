package lang

import (
	"bytes"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// A large native-syntax file is parsed in chunks cut between its top-level
// blocks, several at a time, and the chunks' bodies are merged into the one
// the whole-file parse gives. The whole-file parse costs more than the sum
// of its parts: hcl lexes the file into one slice of tokens, grown by
// copying (a 1.5 MB file makes ~500,000 tokens, 48 MB, and ~250 MB of
// copies and page faults on the way), and the collector cannot preempt the
// copy. A chunk's tokens are small and garbage as soon as it is parsed.
//
// The chunked parse is only kept when it is certainly the same as the
// whole-file parse: each chunk parses with no diagnostic at all, and each
// chunk but the last ends with a top-level block whose closing brace is
// where the cut was made. Anything else (a syntax error anywhere, a cut the
// scanner got wrong, duplicate top-level attributes, a panic) parses the
// whole file again, so that the diagnostics are hcl's own, byte for byte.
var (
	// chunkSize is the size in bytes a chunk is cut at, at the first
	// top-level block end after it.
	chunkSize = 16 << 10
	// chunkMin is the size below which a file is parsed whole.
	chunkMin = 2 * chunkSize
)

// parseNative parses HCL native syntax as hclsyntax.ParseConfig does.
func parseNative(src []byte, name string) (*hcl.File, hcl.Diagnostics) {
	return parseNativeSized(src, name, chunkSize, chunkMin)
}

// parseNativeSized is parseNative with the chunk size and the file size it
// starts at.
func parseNativeSized(src []byte, name string, size, min int) (*hcl.File, hcl.Diagnostics) {
	if len(src) >= min {
		if cuts := cutPoints(src, size); len(cuts) > 0 {
			if f := parseChunks(src, name, cuts); f != nil {
				return f, nil
			}
		}
	}
	if body := quickParse(src, name, hcl.InitialPos); body != nil {
		return fileOf(src, name, body), nil
	}
	return hclsyntax.ParseConfig(src, name, hcl.InitialPos)
}

// fileOf is the file hclsyntax.ParseConfig returns for src when it parses
// it into body. Its navigation (hcl.File.Nav, which diagnostics use to name
// the block around a line) is hclsyntax's own, on body.
func fileOf(src []byte, name string, body *hclsyntax.Body) *hcl.File {
	f, _ := hclsyntax.ParseConfig(nil, name, hcl.InitialPos)
	*f.Body.(*hclsyntax.Body) = *body
	f.Bytes = src
	return f
}

// cut is where a chunk starts: the position after the newline that ends
// the line of a top-level block's closing brace, and the offset of that
// brace.
type cut struct {
	pos   hcl.Pos
	brace int
}

// parseChunks parses the chunks src is cut into at cuts, GOMAXPROCS at a
// time, and merges them. It returns nil if the result might differ from
// the whole-file parse's.
func parseChunks(src []byte, name string, cuts []cut) *hcl.File {
	n := len(cuts) + 1
	bodies := make([]*hclsyntax.Body, n)
	var next atomic.Int64
	var failed atomic.Bool
	parse := func(i int) {
		defer func() {
			if recover() != nil {
				failed.Store(true)
			}
		}()
		start, end := hcl.InitialPos, len(src)
		if i > 0 {
			start = cuts[i-1].pos
		}
		if i < len(cuts) {
			end = cuts[i].pos.Byte
		}
		if body := quickParse(src[start.Byte:end], name, start); body != nil {
			bodies[i] = body
			return
		}
		f, diags := hclsyntax.ParseConfig(src[start.Byte:end], name, start)
		if len(diags) > 0 {
			failed.Store(true)
			return
		}
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			failed.Store(true)
			return
		}
		bodies[i] = body
	}
	// The largest chunks first (a block larger than a chunk, such as a
	// rolling block over every node, is one), so that no goroutine is
	// left parsing one alone at the end; each body goes to its place.
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	size := func(i int) int {
		start, end := 0, len(src)
		if i > 0 {
			start = cuts[i-1].pos.Byte
		}
		if i < len(cuts) {
			end = cuts[i].pos.Byte
		}
		return end - start
	}
	slices.SortStableFunc(order, func(a, b int) int { return size(b) - size(a) })
	work := func() {
		for !failed.Load() {
			k := int(next.Add(1) - 1)
			if k >= n {
				return
			}
			parse(order[k])
		}
	}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	if failed.Load() {
		return nil
	}
	return mergeChunks(src, name, bodies, cuts)
}

// mergeChunks makes the file of the whole source out of its chunks' bodies.
func mergeChunks(src []byte, name string, bodies []*hclsyntax.Body, cuts []cut) *hcl.File {
	nblocks := 0
	for i, b := range bodies {
		if i < len(cuts) {
			if len(b.Blocks) == 0 || b.Blocks[len(b.Blocks)-1].CloseBraceRange.Start.Byte != cuts[i].brace {
				return nil
			}
		}
		nblocks += len(b.Blocks)
	}
	first, last := bodies[0], bodies[len(bodies)-1]
	merged := hclsyntax.Body{
		Attributes: first.Attributes,
		Blocks:     make(hclsyntax.Blocks, 0, nblocks),
		SrcRange:   hcl.RangeBetween(first.SrcRange, last.SrcRange),
		EndRange:   last.EndRange,
	}
	for _, b := range bodies {
		merged.Blocks = append(merged.Blocks, b.Blocks...)
		if b == first {
			continue
		}
		for k, a := range b.Attributes {
			if _, dup := merged.Attributes[k]; dup {
				// hcl reports the second one: parse whole.
				return nil
			}
			merged.Attributes[k] = a
		}
	}
	return fileOf(src, name, &merged)
}

// cutPoints returns where src can be cut into chunks of about size bytes:
// after the newline ending a line that closes a top-level block, with
// nothing else on the line. It follows what hcl's scanner does with the
// bytes that can hide a brace or a newline: quoted strings and their
// escapes, template sequences (${ } and %{ }) nested in strings and
// heredocs, heredocs, and comments. At anything it does not expect it
// stops, returning the cuts found before; a wrong cut makes parseChunks
// fall back to the whole-file parse, never a different result.
func cutPoints(src []byte, size int) []cut {
	// hcl counts lines and columns by grapheme cluster: in valid UTF-8 a
	// newline is a cluster of its own (or \r\n is), but not after a byte
	// that starts no valid sequence.
	if !utf8.Valid(src) {
		return nil
	}
	type frame struct {
		kind   byte   // '(' '[' '{' code; '$' template sequence; '"' quoted string; '<' heredoc
		marker []byte // heredoc: the end marker
		sol    bool   // heredoc: at the start of a line
	}
	var cuts []cut
	var stack []frame
	chunkStart := 0
	i := 0
scan:
	for i < len(src) {
		c := src[i]
		top := byte(0)
		if len(stack) > 0 {
			top = stack[len(stack)-1].kind
		}
		switch top {
		case '"':
			switch c {
			case '\\':
				i += 2
			case '"':
				stack = stack[:len(stack)-1]
				i++
			case '$', '%':
				n, seq := templateSeq(src, i)
				if seq {
					stack = append(stack, frame{kind: '$'})
				}
				i += n
			case '\n', '\r':
				break scan // a newline in a quoted string: an error
			default:
				i++
				for i < len(src) && !inString[src[i]] {
					i++
				}
			}
			continue
		case '<':
			f := &stack[len(stack)-1]
			if f.sol {
				// hcl's test for the end marker: the whole line, trimmed.
				end := bytes.IndexByte(src[i:], '\n')
				if end < 0 {
					break scan
				}
				if bytes.Equal(bytes.TrimSpace(src[i:i+end+1]), f.marker) {
					// Its newline is code's, as in hcl.
					stack = stack[:len(stack)-1]
					i += end
					continue
				}
			}
			f.sol = c == '\n'
			if c == '$' || c == '%' {
				n, seq := templateSeq(src, i)
				i += n
				if seq {
					stack = append(stack, frame{kind: '$'})
					continue
				}
			} else {
				i++
			}
			for !f.sol && i < len(src) && !inHeredoc[src[i]] {
				i++
			}
			continue
		}
		// Code: the top level, brackets and template sequences.
		switch c {
		case '"':
			stack = append(stack, frame{kind: '"'})
			i++
			continue
		case '(', '[', '{':
			stack = append(stack, frame{kind: c})
		case ')', ']', '}':
			if top == '$' && c == '}' {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			if top != opening(c) {
				break scan
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 && c == '}' && i+1-chunkStart >= size {
				// The end of a top-level block: a cut if nothing else
				// is on the line and something follows.
				j := i + 1
				for j < len(src) && (src[j] == ' ' || src[j] == '\t') {
					j++
				}
				if j < len(src) && src[j] == '\r' {
					j++
				}
				if j+1 < len(src) && src[j] == '\n' && !bytes.HasPrefix(src[j+1:], utf8BOM) {
					cuts = append(cuts, cut{pos: hcl.Pos{Column: 1, Byte: j + 1}, brace: i})
					chunkStart = j + 1
					i = j + 1
					continue
				}
			}
		case '#':
			i = lineEnd(src, i)
			continue
		case '/':
			if i+1 < len(src) && src[i+1] == '/' {
				i = lineEnd(src, i)
				continue
			}
			if i+1 < len(src) && src[i+1] == '*' {
				end := bytes.Index(src[i+2:], []byte("*/"))
				if end < 0 {
					break scan
				}
				i += 2 + end + 2
				continue
			}
		case '<':
			if marker, next, ok := heredocIntro(src, i); ok {
				stack = append(stack, frame{kind: '<', marker: marker, sol: true})
				i = next
				continue
			}
		}
		i++
		for i < len(src) && !inCode[src[i]] {
			i++
		}
	}
	// hcl counts a line per \n (a \r\n is one grapheme).
	line, from := 1, 0
	for k := range cuts {
		line += bytes.Count(src[from:cuts[k].pos.Byte], []byte{'\n'})
		from = cuts[k].pos.Byte
		cuts[k].pos.Line = line
	}
	return cuts
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// The bytes cutPoints looks at in code, in a quoted string and in a
// heredoc; it steps over the others.
var inCode, inString, inHeredoc = byteSet(`"()[]{}#/<`), byteSet("\\\"$%\n\r"), byteSet("$%\n")

func byteSet(s string) *[256]bool {
	var set [256]bool
	for i := 0; i < len(s); i++ {
		set[s[i]] = true
	}
	return &set
}

func opening(c byte) byte {
	switch c {
	case ')':
		return '('
	case ']':
		return '['
	}
	return '{'
}

// templateSeq looks at the $ or % at i in a template: it returns whether a
// template sequence (${ or %{) starts there, and how many bytes to step
// over: the sequence's opening, the escape $${ or %%{, or the one byte.
func templateSeq(src []byte, i int) (int, bool) {
	c := src[i]
	switch {
	case i+1 < len(src) && src[i+1] == '{':
		return 2, true
	case i+2 < len(src) && src[i+1] == c && src[i+2] == '{':
		return 3, false
	}
	return 1, false
}

// lineEnd returns the index of the newline that ends the line at i, or
// len(src): a comment's end.
func lineEnd(src []byte, i int) int {
	if n := bytes.IndexByte(src[i:], '\n'); n >= 0 {
		return i + n
	}
	return len(src)
}

// heredocIntro recognises hcl's heredoc introducer at i, <<MARKER or
// <<-MARKER then a newline, and returns the marker and the index after the
// newline. The marker is an identifier; non-ASCII letters are taken on
// trust (a wrong guess only loses the cuts after it).
func heredocIntro(src []byte, i int) ([]byte, int, bool) {
	j := i + 2
	if j > len(src) || src[i+1] != '<' {
		return nil, 0, false
	}
	if j < len(src) && src[j] == '-' {
		j++
	}
	start := j
	for ; j < len(src); j++ {
		b := src[j]
		if !(b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= 0x80 || j > start && (b == '-' || b >= '0' && b <= '9')) {
			break
		}
	}
	if j == start {
		return nil, 0, false
	}
	marker := src[start:j]
	if j < len(src) && src[j] == '\r' {
		j++
	}
	if j >= len(src) || src[j] != '\n' {
		return nil, 0, false
	}
	return marker, j + 1, true
}
