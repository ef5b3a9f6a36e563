// Package redact hides the values of sensitive variables in what runbook
// writes: its output, the journal, exec.log. A value is replaced wherever it
// appears, as it is and in the forms the output quotes it in (JSON, Go and
// shell quoting), by Mask.
//
// It works on text, not on the values' flow through the program, so it
// catches a value however it got there (a command line, a command's own
// output, an error message); the price is that a short value is hidden
// wherever the same text appears.
package redact

import (
	"bytes"
	"encoding/json"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Mask replaces a sensitive value.
const Mask = "(sensitive)"

// Redactor replaces a set of secret strings. The nil *Redactor replaces
// nothing.
type Redactor struct {
	// forms are every secret in every quoted form, longest first (a longer
	// one wins where two start at the same place).
	forms [][]byte
	// first marks the bytes a form starts with, for a quick scan;
	// byFirst lists the forms that start with each, longest first.
	first   [256]bool
	byFirst [256][][]byte
}

// New returns a Redactor of the secrets, or nil if there are none (empty
// strings are no secrets).
func New(secrets []string) *Redactor {
	seen := map[string]bool{}
	r := &Redactor{}
	add := func(s string) {
		if s == "" || seen[s] {
			return
		}
		seen[s] = true
		r.forms = append(r.forms, []byte(s))
		r.first[s[0]] = true
	}
	for _, s := range secrets {
		// The value as a string command holds it (quoted for the shell:
		// in '...' or in "..."), then as a message, the journal or a log
		// quotes that: JSON, Go, the shell again.
		for _, inner := range []string{s, strings.ReplaceAll(s, "'", `'\''`), dquoted(s)} {
			add(inner)
			if b, err := json.Marshal(inner); err == nil {
				add(string(b[1 : len(b)-1]))
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if enc.Encode(inner) == nil {
				b := bytes.TrimSpace(buf.Bytes())
				add(string(b[1 : len(b)-1]))
			}
			q := strconv.Quote(inner)
			add(q[1 : len(q)-1])
			add(strings.ReplaceAll(inner, "'", `'\''`))
		}
	}
	if len(r.forms) == 0 {
		return nil
	}
	sort.SliceStable(r.forms, func(i, j int) bool { return len(r.forms[i]) > len(r.forms[j]) })
	for _, f := range r.forms {
		r.byFirst[f[0]] = append(r.byFirst[f[0]], f)
	}
	return r
}

// String returns s with every secret replaced by Mask.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	out, _ := r.scan(nil, []byte(s), true)
	return string(out)
}

// Bytes returns b with every secret replaced by Mask.
func (r *Redactor) Bytes(b []byte) []byte {
	if r == nil {
		return b
	}
	out, _ := r.scan(nil, b, true)
	return out
}

// scan appends b to out with the secrets replaced. Unless final, it stops
// at a tail of b that could be the start of a secret, and returns how many
// bytes of b it consumed: the rest must wait for more input.
func (r *Redactor) scan(out, b []byte, final bool) ([]byte, int) {
	i := 0
	for i < len(b) {
		if !r.first[b[i]] {
			j := i + 1
			for j < len(b) && !r.first[b[j]] {
				j++
			}
			out = append(out, b[i:j]...)
			i = j
			continue
		}
		// The forms are longest first: the first that matches, or could
		// match once more input comes, is the one to replace.
		matched, partial := 0, false
		for _, f := range r.byFirst[b[i]] {
			rest := b[i:]
			if bytes.HasPrefix(rest, f) {
				matched = len(f)
				break
			}
			if !final && len(rest) < len(f) && bytes.HasPrefix(f, rest) {
				partial = true
				break
			}
		}
		switch {
		case matched > 0:
			out = append(out, Mask...)
			i += matched
		case partial:
			return out, i
		default:
			out = append(out, b[i])
			i++
		}
	}
	return out, i
}

// Writer is an io.Writer that redacts what it passes on. It holds back a
// tail that could be the start of a secret until the next write shows what
// follows; Flush writes it out as it is.
type Writer struct {
	r       *Redactor
	w       io.Writer
	mu      sync.Mutex
	pending []byte
}

// NewWriter returns a Writer to w; with a nil Redactor it passes everything
// on at once.
func (r *Redactor) NewWriter(w io.Writer) *Writer { return &Writer{r: r, w: w} }

// Write redacts p and writes what it can of it. It reports len(p) written
// when the underlying writer took everything it was given.
func (w *Writer) Write(p []byte) (int, error) {
	if w.r == nil {
		return w.w.Write(p)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	buf := append(w.pending, p...)
	out, n := w.r.scan(nil, buf, false)
	w.pending = append([]byte(nil), buf[n:]...)
	if len(out) > 0 {
		if _, err := w.w.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush writes out the held-back tail: it was no secret after all.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.pending) == 0 {
		return nil
	}
	out, _ := w.r.scan(nil, w.pending, true)
	w.pending = nil
	_, err := w.w.Write(out)
	return err
}

// Unwrap returns the writer it writes to.
func (w *Writer) Unwrap() io.Writer { return w.w }

// dquoted is s escaped for the inside of a shell's "...".
func dquoted(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte("$`\"\\", s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
