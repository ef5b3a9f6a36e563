package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fatih/color"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"golang.org/x/term"
)

// defaultColumns is the width text is wrapped to when the output is not a
// terminal (a CI log, a pipe, a golden transcript): terraform's choice.
const defaultColumns = 78

// columns returns the width to wrap text written to w to.
func columns(w io.Writer) uint {
	for {
		u, ok := w.(interface{ Unwrap() io.Writer })
		if !ok {
			break
		}
		w = u.Unwrap()
	}
	if f, ok := w.(*os.File); ok && isTerminal(f) {
		if width, _, err := term.GetSize(int(f.Fd())); err == nil && width > 20 {
			return uint(min(width, 120))
		}
	}
	return defaultColumns
}

// paint returns a colour that is on or off by the caller's decision, never by
// fatih/color's global guess made from os.Stdout when it loaded.
func paint(on bool, attrs ...color.Attribute) *color.Color {
	c := color.New(attrs...)
	if on {
		c.EnableColor()
	} else {
		c.DisableColor()
	}
	return c
}

// diagLimit is how many diagnostics a person is shown, as compilers do: the
// first ones, then how many more there are. The JSON views list them all.
const diagLimit = 20

// diagPrinter renders hcl diagnostics for a person: hcl's text writer gives
// the layout (summary, source snippet, detail); the printer colours the
// severity and the subject through fatih/color, or, without colour, marks the
// subject with a line of carets beneath it, so that a CI log shows which
// part of the line is at fault.
//
// hcl's writer scans its file from the start for each diagnostic, which is
// quadratic in their number; the printer indexes each file's line starts
// once and hands the writer only the lines around the diagnostic's range.
// It shows the first diagLimit diagnostics, then says how many more there
// are and that hint (by default "--json lists them all") shows them.
type diagPrinter struct {
	w     io.Writer
	files map[string]*hcl.File
	width uint
	color bool
	hint  string

	index map[string]*sourceIndex
	// read counts the bytes of source the printer scanned: indexing each
	// file once, and each window it rendered. Tests measure work with it.
	read int
}

// The escape sequences hcl's text writer emits in colour mode; the printer
// asks for them and replaces them.
const (
	hclHighlight = "\x1b[1;4m"
	hclReset     = "\x1b[0m"
)

func (p *diagPrinter) write(diags hcl.Diagnostics) {
	shown := diags
	if len(diags) > diagLimit {
		shown = diags[:diagLimit]
	}
	for _, d := range shown {
		p.writeOne(d)
	}
	if len(shown) == len(diags) {
		return
	}
	errs, warns := countDiags(diags[len(shown):])
	var more []string
	if errs > 0 {
		more = append(more, strings.Replace(plural(errs, "error"), " ", " more ", 1))
	}
	if warns > 0 {
		more = append(more, strings.Replace(plural(warns, "warning"), " ", " more ", 1))
	}
	hint := p.hint
	if hint == "" {
		hint = "--json lists them all"
	}
	fmt.Fprintf(p.w, "And %s, not shown: %s.\n\n", strings.Join(more, " and "), hint)
}

func (p *diagPrinter) writeOne(d *hcl.Diagnostic) {
	text, err := p.text(d)
	if err != nil {
		fmt.Fprintf(p.w, "%s: %s\n\n%s\n\n", severityName(d.Severity), d.Summary, d.Detail)
		return
	}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	sev := paint(p.color, color.FgRed, color.Bold)
	if d.Severity == hcl.DiagWarning {
		sev = paint(p.color, color.FgYellow, color.Bold)
	}
	bold := paint(p.color, color.Bold)
	underline := paint(p.color, color.Bold, color.Underline)
	skip := strings.Count(d.Summary, "\n") // the summary's own lines, printed whole below
	for i, line := range lines {
		if i > 0 && i <= skip {
			continue
		}
		if i == 0 {
			sev.Fprintf(p.w, "%s:", severityName(d.Severity))
			bold.Fprintf(p.w, " %s", d.Summary)
			fmt.Fprintln(p.w)
			continue
		}
		before, rest, ok := strings.Cut(line, hclHighlight)
		if !ok {
			fmt.Fprintln(p.w, line)
			continue
		}
		hl, after, _ := strings.Cut(rest, hclReset)
		fmt.Fprint(p.w, before)
		underline.Fprint(p.w, hl)
		fmt.Fprintln(p.w, after)
		if !p.color {
			fmt.Fprintln(p.w, caretLine(before, hl))
		}
	}
	fmt.Fprintln(p.w)
}

// text is hcl's text writer's rendering of d in colour mode, as it would be
// over the whole file, from the lines around d's subject only.
func (p *diagPrinter) text(d *hcl.Diagnostic) (string, error) {
	var buf bytes.Buffer
	wd, files, firstLine := p.window(d)
	if err := hcl.NewDiagnosticTextWriter(&buf, files, p.width, true).WriteDiagnostic(wd); err != nil {
		return "", err
	}
	if firstLine == 1 {
		return buf.String(), nil
	}
	// The source lines, between "  on FILE line N:" and the blank line
	// after them, are numbered from the window's start.
	lines := strings.SplitAfter(buf.String(), "\n")
	snippet, seen := false, false
	for i, line := range lines {
		switch {
		case line == "\n":
			snippet = false
		case !seen && strings.HasPrefix(line, "  on "):
			snippet, seen = true, true
		case snippet:
			lines[i] = renumber(line, firstLine-1)
		}
	}
	return strings.Join(lines, ""), nil
}

// window returns d with its ranges moved into a file of only the lines
// around its subject (the line before and after too, so that hcl's writer
// chooses the lines to show as it would in the whole file), that file
// under the subject's name, and the number of the window's first line. The
// line and column numbers of the ranges are left as they are: hcl's writer
// prints the subject's line from them and compares bytes only.
func (p *diagPrinter) window(d *hcl.Diagnostic) (*hcl.Diagnostic, map[string]*hcl.File, int) {
	if d.Subject == nil {
		return d, nil, 1
	}
	name := d.Subject.Filename
	f := p.files[name]
	if f == nil || f.Bytes == nil {
		return d, p.files, 1
	}
	if p.index == nil {
		p.index = map[string]*sourceIndex{}
	}
	ix := p.index[name]
	if ix == nil {
		ix = newSourceIndex(f)
		p.index[name] = ix
		p.read += len(f.Bytes)
	}
	r := *d.Subject
	if d.Context != nil && d.Context.Filename == name {
		r = hcl.RangeOver(r, *d.Context)
	}
	first := max(0, ix.line(r.Start.Byte)-1)
	last := min(len(ix.starts)-1, ix.line(r.End.Byte)+1)
	start, end := ix.starts[first], len(f.Bytes)
	if last+1 < len(ix.starts) {
		end = ix.starts[last+1]
	}
	p.read += end - start
	shifted := *d
	shifted.Subject = shift(d.Subject, start)
	if d.Context != nil && d.Context.Filename == name {
		shifted.Context = shift(d.Context, start)
	}
	win := &hcl.File{Bytes: f.Bytes[start:end], Nav: windowNav{ix: ix, offset: start}}
	return &shifted, map[string]*hcl.File{name: win}, first + 1
}

func shift(r *hcl.Range, by int) *hcl.Range {
	s := *r
	s.Start.Byte -= by
	s.End.Byte -= by
	return &s
}

// renumber adds by to the line number a source line of hcl's writer starts
// with ("%4d: ").
func renumber(line string, by int) string {
	num, rest, ok := strings.Cut(line, ": ")
	if !ok {
		return line
	}
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if err != nil {
		return line
	}
	return fmt.Sprintf("%4d: %s", n+by, rest)
}

// sourceIndex is a file's line starts and, for native syntax, its top-level
// blocks in order: where a diagnostic's lines and enclosing block are found
// by binary search.
type sourceIndex struct {
	file   *hcl.File
	starts []int
	blocks []*hclsyntax.Block
}

func newSourceIndex(f *hcl.File) *sourceIndex {
	ix := &sourceIndex{file: f, starts: []int{0}}
	for i, b := range f.Bytes {
		if b == '\n' {
			ix.starts = append(ix.starts, i+1)
		}
	}
	if body, ok := f.Body.(*hclsyntax.Body); ok {
		ix.blocks = body.Blocks
	}
	return ix
}

// line returns the index of the line that holds the byte at offset.
func (ix *sourceIndex) line(offset int) int {
	i, found := slices.BinarySearch(ix.starts, offset)
	if found {
		return i
	}
	return max(0, i-1)
}

// contextString names the top-level block that holds offset, as hcl's
// writer shows it: `node "FS1"`, or "" outside any block.
func (ix *sourceIndex) contextString(offset int) string {
	if ix.blocks == nil {
		if cs, ok := ix.file.Nav.(interface{ ContextString(int) string }); ok {
			return cs.ContextString(offset)
		}
		return ""
	}
	i := sort.Search(len(ix.blocks), func(i int) bool { return ix.blocks[i].Range().Start.Byte > offset }) - 1
	if i < 0 || !ix.blocks[i].Range().ContainsOffset(offset) {
		return ""
	}
	b := ix.blocks[i]
	s := b.Type
	for _, l := range b.Labels {
		s += " " + strconv.Quote(l)
	}
	return s
}

// windowNav is the navigation of a window of a file: hcl's writer asks it
// for the block around an offset in the window.
type windowNav struct {
	ix     *sourceIndex
	offset int
}

func (n windowNav) ContextString(offset int) string { return n.ix.contextString(offset + n.offset) }

// caretLine returns a line that puts carets under highlighted, when it is
// printed after before: tabs are kept so that the carets line up whatever
// the tab width.
func caretLine(before, highlighted string) string {
	var b strings.Builder
	for _, r := range before {
		if r == '\t' {
			b.WriteRune('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	n := max(1, utf8.RuneCountInString(strings.TrimRight(highlighted, " \t")))
	b.WriteString(strings.Repeat("^", n))
	return b.String()
}

func severityName(s hcl.DiagnosticSeverity) string {
	if s == hcl.DiagWarning {
		return "Warning"
	}
	return "Error"
}

// countDiags returns the number of errors and of warnings.
func countDiags(diags hcl.Diagnostics) (errs, warns int) {
	for _, d := range diags {
		if d.Severity == hcl.DiagWarning {
			warns++
		} else {
			errs++
		}
	}
	return errs, warns
}

// plural returns "1 error", "2 errors", "0 warnings".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
