package lang

import (
	"math"
	"sync"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// The quick parse is a parser of the plain part of HCL's native syntax that
// builds the very syntax tree hclsyntax.ParseConfig builds, down to every
// range, without hcl's lexer: hcl keeps a 96-byte token for each of a
// file's tokens (a 1.5 MB runbook makes ~500,000, and ~220 MB of copies as
// the slice grows), and counts every token's columns by grapheme cluster.
//
// It takes ASCII text made of blocks with quoted or bare labels, attributes
// whose values are numbers, true, false, null, quoted strings without
// escapes or template sequences, references (a.b.c) and tuples of these,
// and line comments; and only text that hcl parses without a diagnostic.
// At anything else (another byte or construct, a tab, a carriage return, a
// duplicate attribute, anything hcl would report) it gives up, and the
// caller parses the text with hcl, whose tree and diagnostics are then the
// result. Its tokens and peeking mirror hcl's (hclsyntax's peeker: newlines
// ignored inside brackets, a line comment read as the newline it ends
// with), so that each range is the one hcl's parser takes from the same
// tokens. TestQuickParse and FuzzQuickParse hold it to hcl's.

// qtok is a token of the quick parse: its type, its bytes in the source
// (src[a:b]) and the line and column where it starts. It ends on the same
// line, but for a newline and a comment that ends with one: they end at the
// start of the next line.
type qtok struct {
	typ       byte // one of the q* token types
	nl        bool // a comment: it ends with its line's newline
	a, b      int32
	line, col int32
}

// The quick parse's token types.
const (
	qEOF byte = iota
	qNewline
	qComment
	qIdent
	qNumber
	qOQuote
	qQuotedLit
	qCQuote
	qOBrace
	qCBrace
	qOBrack
	qCBrack
	qComma
	qDot
	qEqual
)

// quickLex splits src, which starts at base, into tokens as hcl's scanner
// does, appending them to toks. It returns false at any byte or sequence
// outside the quick parse's part of the syntax.
func quickLex(src []byte, base hcl.Pos, toks []qtok) ([]qtok, bool) {
	line, lineStart := base.Line, 1-base.Column // column of byte i: i-lineStart+1
	emit := func(typ byte, a, b int) {
		toks = append(toks, qtok{typ: typ, a: int32(a), b: int32(b), line: int32(line), col: int32(a - lineStart + 1)})
	}
	n := len(src)
	for i := 0; i < n; {
		c := src[i]
		switch {
		case c == ' ':
			i++
		case c == '\n':
			emit(qNewline, i, i+1)
			line, lineStart = line+1, i+1
			i++
		case c == '#' || c == '/' && i+1 < n && src[i+1] == '/':
			// A line comment takes its line's newline: hcl's token
			// ends at the start of the next line.
			j := i
			for j < n && src[j] != '\n' {
				j++
			}
			if j == n {
				// At the end of the text: its end is counted in
				// columns, which is only the bytes' count in ASCII
				// without control characters.
				for k := i; k < n; k++ {
					if src[k] < ' ' || src[k] > '~' {
						return toks, false
					}
				}
				emit(qComment, i, n)
				i = n
				continue
			}
			// hcl's newline ends the line if it is a grapheme cluster
			// of its own: always, after valid UTF-8.
			for k := i; k < j; k++ {
				if src[k] >= 0x80 {
					if !utf8.Valid(src[i:j]) {
						return toks, false
					}
					break
				}
			}
			emit(qComment, i, j+1)
			toks[len(toks)-1].nl = true
			line, lineStart = line+1, j+1
			i = j + 1
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_':
			j := i + 1
			for j < n && (identByte(src[j]) || src[j] == '-') {
				j++
			}
			if j < n && src[j] >= 0x80 {
				return toks, false // it may go on in Unicode
			}
			emit(qIdent, i, j)
			i = j
		case c >= '0' && c <= '9':
			j := i + 1
			for j < n && isDigit(src[j]) {
				j++
			}
			if j+1 < n && src[j] == '.' && isDigit(src[j+1]) {
				j += 2
				for j < n && isDigit(src[j]) {
					j++
				}
			}
			// What could make hcl's number longer, or follow it
			// without a space (an exponent, a dot, a name), is left
			// to hcl.
			if j < n && (identByte(src[j]) || src[j] == '.' || src[j] >= 0x80) {
				return toks, false
			}
			emit(qNumber, i, j)
			i = j
		case c == '"':
			j := i + 1
			for j < n && src[j] >= ' ' && src[j] <= '~' && src[j] != '"' && src[j] != '\\' && src[j] != '$' && src[j] != '%' {
				j++
			}
			if j == n || src[j] != '"' {
				return toks, false
			}
			emit(qOQuote, i, i+1)
			if j > i+1 {
				emit(qQuotedLit, i+1, j)
			}
			emit(qCQuote, j, j+1)
			i = j + 1
		case c == '.':
			if i+1 < n && src[i+1] == '.' {
				return toks, false // hcl's ellipsis
			}
			emit(qDot, i, i+1)
			i++
		case c == '=':
			if i+1 < n && (src[i+1] == '=' || src[i+1] == '>') {
				return toks, false
			}
			emit(qEqual, i, i+1)
			i++
		default:
			var typ byte
			switch c {
			case '{':
				typ = qOBrace
			case '}':
				typ = qCBrace
			case '[':
				typ = qOBrack
			case ']':
				typ = qCBrack
			case ',':
				typ = qComma
			default:
				return toks, false
			}
			emit(typ, i, i+1)
			i++
		}
	}
	emit(qEOF, n, n)
	return toks, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// identByte reports whether c may follow the first byte of an identifier
// (a dash may too).
func identByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// quickParser parses the tokens of quickLex as hcl's parser does.
type quickParser struct {
	src  []byte
	file string
	base int // the offset of src in the file
	toks []qtok
	next int
	// nl is hcl's peeker's stack of whether newlines are tokens.
	nl []bool
	// names holds the strings name made.
	names map[string]string
}

// errQuick stops the quick parse: hcl parses the text instead.
type errQuick struct{}

func (p *quickParser) fail() { panic(errQuick{}) }

func (p *quickParser) rng(t *qtok) hcl.Range {
	return hcl.Range{Filename: p.file, Start: p.start(t), End: p.end(t)}
}

func (p *quickParser) start(t *qtok) hcl.Pos {
	return hcl.Pos{Line: int(t.line), Column: int(t.col), Byte: p.base + int(t.a)}
}

func (p *quickParser) end(t *qtok) hcl.Pos {
	if t.typ == qNewline || t.nl {
		return hcl.Pos{Line: int(t.line) + 1, Column: 1, Byte: p.base + int(t.b)}
	}
	return hcl.Pos{Line: int(t.line), Column: int(t.col + t.b - t.a), Byte: p.base + int(t.b)}
}

// peek is hcl's peeker's nextToken: the next token, as a value, and the
// index after it.
func (p *quickParser) peek() (qtok, int) {
	nl := p.nl[len(p.nl)-1]
	for i := p.next; i < len(p.toks); i++ {
		t := p.toks[i]
		switch t.typ {
		case qComment:
			if nl && t.nl {
				t.typ = qNewline
				return t, i + 1
			}
			continue
		case qNewline:
			if !nl {
				continue
			}
		}
		return t, i + 1
	}
	return p.toks[len(p.toks)-1], len(p.toks)
}

func (p *quickParser) read() qtok {
	t, next := p.peek()
	p.next = next
	return t
}

func (p *quickParser) prevRange() hcl.Range {
	if p.next == 0 {
		t, _ := p.peek()
		return p.rng(&t)
	}
	return p.rng(&p.toks[p.next-1])
}

func (p *quickParser) text(t *qtok) string { return string(p.src[t.a:t.b]) }

// name is text for the names a file repeats: attributes' and blocks' and
// the roots of references, one string each per parse.
func (p *quickParser) name(t *qtok) string {
	b := p.src[t.a:t.b]
	if s, ok := p.names[string(b)]; ok {
		return s
	}
	if p.names == nil {
		p.names = map[string]string{}
	}
	s := string(b)
	p.names[s] = s
	return s
}

// quickParse parses src, which starts at start in the file name, as
// hclsyntax.ParseConfig does, returning its body; nil if it gives up.
func quickParse(src []byte, name string, start hcl.Pos) (body *hclsyntax.Body) {
	if len(src) > math.MaxInt32 {
		return nil
	}
	buf := quickTokens.Get().(*[]qtok)
	defer quickTokens.Put(buf)
	toks, ok := quickLex(src, start, (*buf)[:0])
	*buf = toks
	if !ok {
		return nil
	}
	p := &quickParser{src: src, file: name, base: start.Byte, toks: toks, nl: []bool{true}}
	defer func() {
		if r := recover(); r != nil {
			if _, quick := r.(errQuick); !quick {
				panic(r)
			}
			body = nil
		}
	}()
	return p.body(qEOF)
}

// quickTokens holds the quick parse's token buffers, one per chunk parsed
// at once.
var quickTokens = sync.Pool{New: func() any { return new([]qtok) }}

// body is hcl's ParseBody.
func (p *quickParser) body(end byte) *hclsyntax.Body {
	attrs := hclsyntax.Attributes{}
	blocks := hclsyntax.Blocks{}
	startRange := p.prevRange()
	var endRange hcl.Range
	for {
		next, _ := p.peek()
		if next.typ == end {
			endRange = p.rng(&next)
			p.read()
			break
		}
		switch next.typ {
		case qNewline:
			p.read()
		case qIdent:
			ident := p.read()
			switch after, _ := p.peek(); after.typ {
			case qEqual:
				a := p.attribute(ident)
				if _, dup := attrs[a.Name]; dup {
					p.fail()
				}
				attrs[a.Name] = a
			case qOQuote, qOBrace, qIdent:
				blocks = append(blocks, p.block(ident))
			default:
				p.fail()
			}
		default:
			p.fail()
		}
	}
	return &hclsyntax.Body{
		Attributes: attrs,
		Blocks:     blocks,
		SrcRange:   hcl.RangeBetween(startRange, endRange),
		EndRange:   hcl.Range{Filename: endRange.Filename, Start: endRange.End, End: endRange.End},
	}
}

// attribute is hcl's finishParsingBodyAttribute, on a line of its own.
func (p *quickParser) attribute(ident qtok) *hclsyntax.Attribute {
	eq := p.read()
	expr := p.expression()
	if end, _ := p.peek(); end.typ != qNewline && end.typ != qEOF {
		p.fail()
	}
	endRange := p.prevRange()
	p.read()
	return &hclsyntax.Attribute{
		Name:        p.name(&ident),
		Expr:        expr,
		SrcRange:    hcl.RangeBetween(p.rng(&ident), endRange),
		NameRange:   p.rng(&ident),
		EqualsRange: p.rng(&eq),
	}
}

// block is hcl's finishParsingBodyBlock, for a block whose body starts on
// a new line (or is empty).
func (p *quickParser) block(ident qtok) *hclsyntax.Block {
	var labels []string
	var labelRanges []hcl.Range
	var oBrace qtok
labels:
	for {
		switch t, _ := p.peek(); t.typ {
		case qOBrace:
			oBrace = p.read()
			break labels
		case qOQuote:
			label, rng := p.label()
			labels, labelRanges = append(labels, label), append(labelRanges, rng)
		case qIdent:
			p.read()
			labels, labelRanges = append(labels, p.text(&t)), append(labelRanges, p.rng(&t))
		default:
			p.fail()
		}
	}
	switch t, _ := p.peek(); t.typ {
	case qNewline, qEOF, qCBrace:
	default:
		p.fail() // a one-line block with an attribute
	}
	body := p.body(qCBrace)
	cBraceRange := p.prevRange()
	if eol, _ := p.peek(); eol.typ != qNewline && eol.typ != qEOF {
		p.fail()
	}
	p.read()
	return &hclsyntax.Block{
		Type:            p.name(&ident),
		Labels:          labels,
		Body:            body,
		TypeRange:       p.rng(&ident),
		LabelRanges:     labelRanges,
		OpenBraceRange:  p.rng(&oBrace),
		CloseBraceRange: cBraceRange,
	}
}

// label is hcl's parseQuotedStringLiteral, on a string without escapes.
func (p *quickParser) label() (string, hcl.Range) {
	open := p.read()
	s := ""
	t := p.read()
	if t.typ == qQuotedLit {
		s = p.text(&t)
		t = p.read()
	}
	if t.typ != qCQuote {
		p.fail()
	}
	return s, hcl.RangeBetween(p.rng(&open), p.rng(&t))
}

// expression is hcl's ParseExpression on an expression of one term: the
// term and the traversal after it, with no operator.
func (p *quickParser) expression() hclsyntax.Expression {
	start, _ := p.peek()
	var expr hclsyntax.Expression
	switch start.typ {
	case qNumber:
		p.read()
		v, err := cty.ParseNumberVal(p.text(&start))
		if err != nil {
			p.fail()
		}
		expr = &hclsyntax.LiteralValueExpr{Val: v, SrcRange: p.rng(&start)}
	case qIdent:
		p.read()
		switch name := p.name(&start); name {
		case "true":
			expr = &hclsyntax.LiteralValueExpr{Val: cty.True, SrcRange: p.rng(&start)}
		case "false":
			expr = &hclsyntax.LiteralValueExpr{Val: cty.False, SrcRange: p.rng(&start)}
		case "null":
			expr = &hclsyntax.LiteralValueExpr{Val: cty.NullVal(cty.DynamicPseudoType), SrcRange: p.rng(&start)}
		default:
			expr = p.traversal(hcl.TraverseRoot{Name: name, SrcRange: p.rng(&start)})
		}
	case qOQuote:
		expr = p.template()
	case qOBrack:
		expr = p.tuple()
	default:
		p.fail()
	}
	// A traversal of anything but a name, an index or a splat: hcl's.
	if next, _ := p.peek(); next.typ == qDot || next.typ == qOBrack {
		p.fail()
	}
	return expr
}

// traversal is hcl's parseExpressionTraversals after a name: attributes
// only.
func (p *quickParser) traversal(root hcl.TraverseRoot) hclsyntax.Expression {
	// Most references are two names long (node.A1, var.target).
	expr := &hclsyntax.ScopeTraversalExpr{Traversal: append(make(hcl.Traversal, 0, 2), root), SrcRange: root.SrcRange}
	for {
		if t, _ := p.peek(); t.typ != qDot {
			return expr
		}
		dot := p.read()
		attr := p.read()
		if attr.typ != qIdent {
			p.fail()
		}
		rng := hcl.RangeBetween(p.rng(&dot), p.rng(&attr))
		expr.Traversal = append(expr.Traversal, hcl.TraverseAttr{Name: p.text(&attr), SrcRange: rng})
		expr.SrcRange = hcl.RangeBetween(expr.SrcRange, rng)
	}
}

// template is hcl's quoted template of one literal part.
func (p *quickParser) template() hclsyntax.Expression {
	open := p.read()
	t := p.read()
	var part *hclsyntax.LiteralValueExpr
	if t.typ == qQuotedLit {
		part = &hclsyntax.LiteralValueExpr{Val: cty.StringVal(p.text(&t)), SrcRange: p.rng(&t)}
		t = p.read()
	} else {
		// hcl's empty string: a literal of no width where the
		// template's first token (the closing quote) ends.
		end := p.end(&t)
		part = &hclsyntax.LiteralValueExpr{Val: cty.StringVal(""), SrcRange: hcl.Range{Filename: p.file, Start: end, End: end}}
	}
	if t.typ != qCQuote {
		p.fail()
	}
	return &hclsyntax.TemplateExpr{Parts: []hclsyntax.Expression{part}, SrcRange: hcl.RangeBetween(p.rng(&open), p.rng(&t))}
}

// tuple is hcl's parseTupleCons, without a for expression.
func (p *quickParser) tuple() hclsyntax.Expression {
	open := p.read()
	p.nl = append(p.nl, false)
	if t, _ := p.peek(); t.typ == qIdent && p.text(&t) == "for" {
		p.fail()
	}
	var exprs []hclsyntax.Expression
	var close qtok
	for {
		if t, _ := p.peek(); t.typ == qCBrack {
			close = p.read()
			break
		}
		exprs = append(exprs, p.expression())
		t, _ := p.peek()
		if t.typ == qCBrack {
			close = p.read()
			break
		}
		if t.typ != qComma {
			p.fail()
		}
		p.read()
	}
	p.nl = p.nl[:len(p.nl)-1]
	return &hclsyntax.TupleConsExpr{Exprs: exprs, SrcRange: hcl.RangeBetween(p.rng(&open), p.rng(&close)), OpenRange: p.rng(&open)}
}
