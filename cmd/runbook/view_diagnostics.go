package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/fatih/color"
	"github.com/hashicorp/hcl/v2"
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

// diagPrinter renders hcl diagnostics for a person: hcl's text writer gives
// the layout (summary, source snippet, detail); the printer colours the
// severity and the subject through fatih/color, or, without colour, marks the
// subject with a line of carets beneath it, so that a CI log shows which
// part of the line is at fault.
type diagPrinter struct {
	w     io.Writer
	files map[string]*hcl.File
	width uint
	color bool
}

// The escape sequences hcl's text writer emits in colour mode; the printer
// asks for them and replaces them.
const (
	hclHighlight = "\x1b[1;4m"
	hclReset     = "\x1b[0m"
)

func (p *diagPrinter) write(diags hcl.Diagnostics) {
	for _, d := range diags {
		p.writeOne(d)
	}
}

func (p *diagPrinter) writeOne(d *hcl.Diagnostic) {
	var buf bytes.Buffer
	tw := hcl.NewDiagnosticTextWriter(&buf, p.files, p.width, true)
	if err := tw.WriteDiagnostic(d); err != nil {
		fmt.Fprintf(p.w, "%s: %s\n\n%s\n\n", severityName(d.Severity), d.Summary, d.Detail)
		return
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
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
