package lang

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/runbookhq/runbook/steps"
)

// A string command runs under /bin/sh -c. Its text is what the runbook
// writes; every value an expression puts into it (each ${...} of a
// template, or the whole command when it is an expression such as
// local.cmd) is quoted for the shell, so that it reaches the command as one
// word whatever it holds: a node address `10.0.0.2; touch /tmp/x` is one
// argument, not a second command. raw(...) opts out, for a value that is
// itself shell code the runbook's author vouches for. A list command runs
// as argv, with no shell, and is left as it is.

// evalCommand evaluates a command expression as eval does, quoting the
// values it puts into a string for the shell.
func (p *parser) evalCommand(expr hcl.Expression, sc *scope) (cty.Value, bool) {
	refs, ok := p.refs(expr, sc, true)
	if !ok {
		return cty.DynamicVal, false
	}
	v, diags := shellCommand(expr, p.evalCtx(refs, sc))
	p.diags = append(p.diags, diags...)
	if diags.HasErrors() {
		return cty.DynamicVal, false
	}
	if valueSize(v, MaxValueSize) > MaxValueSize {
		p.errorf(expr.Range(), "Value too large", "This expression's value is larger than %d KiB (strings, plus 16 bytes an element). A runbook needs no values this large: check for a local that grows from another.", MaxValueSize/1024)
		return cty.DynamicVal, false
	}
	if !p.quiet {
		p.warnShellCommand(expr, v)
	}
	return v, true
}

// shellCommand evaluates a command: a string template's text as written,
// each of its values quoted; any other expression that yields a string is
// one quoted word (unless it is raw(...)); a list is an argv, as it is.
func shellCommand(expr hcl.Expression, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	switch e := expr.(type) {
	case *hclsyntax.TemplateExpr:
		return shellTemplate(e, ctx, &shellLexer{})
	case *hclsyntax.TemplateWrapExpr:
		return shellWord(e.Wrapped, ctx, false)
	case *hclsyntax.ParenthesesExpr:
		return shellCommand(e.Expression, ctx)
	case *hclsyntax.ConditionalExpr:
		return shellConditional(e, ctx, shellCommand)
	case hclsyntax.Expression:
		return shellWord(e, ctx, false)
	}
	// HCL's JSON syntax: a string is a template, parsed when evaluated.
	if raw, diags := expr.Value(nil); !diags.HasErrors() && raw.Type() == cty.String && raw.IsKnown() && !raw.IsNull() {
		start := expr.Range().Start
		start.Byte++
		start.Column++ // past the opening quote
		tmpl, diags := hclsyntax.ParseTemplate([]byte(raw.AsString()), expr.Range().Filename, start)
		if diags.HasErrors() {
			return cty.DynamicVal, diags
		}
		return shellCommand(tmpl, ctx)
	}
	return expr.Value(ctx)
}

// shellWord evaluates a value to put into a shell command: a string is
// quoted as one word (not when the expression is raw(...)); any other
// value is left as it is. inTemplate converts a number or a bool to a
// string, as a template does.
func shellWord(expr hcl.Expression, ctx *hcl.EvalContext, inTemplate bool) (cty.Value, hcl.Diagnostics) {
	return shellWordIn(expr, ctx, inTemplate, func(s string) (string, error) { return ShellQuote(s), nil })
}

func shellWordIn(expr hcl.Expression, ctx *hcl.EvalContext, inTemplate bool, quote func(string) (string, error)) (cty.Value, hcl.Diagnostics) {
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	if inTemplate {
		if v.IsNull() {
			return cty.DynamicVal, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid template interpolation value",
				Detail: "The expression result is null. Cannot include a null value in a command.", Subject: expr.Range().Ptr(), Expression: expr, EvalContext: ctx})
		}
		s, err := convert.Convert(v, cty.String)
		if err != nil {
			return cty.DynamicVal, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid template interpolation value",
				Detail: fmt.Sprintf("Cannot include the given value in a command: %s.", err), Subject: expr.Range().Ptr(), Expression: expr, EvalContext: ctx})
		}
		v = s
	}
	uv, marks := v.Unmark()
	if uv.Type() != cty.String || !uv.IsKnown() || uv.IsNull() || isRaw(expr) {
		return v, diags
	}
	q, err := quote(uv.AsString())
	if err != nil {
		return cty.DynamicVal, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value in a command",
			Detail: strings.ToUpper(err.Error()[:1]) + err.Error()[1:] + ".", Subject: expr.Range().Ptr()})
	}
	return cty.StringVal(q).WithMarks(marks), diags
}

// shellTemplate renders a template: its literal text as written, each
// interpolation quoted for where it stands in the text (lx follows the
// shell's quotes), its directives (%{if}, %{for}) followed.
func shellTemplate(t *hclsyntax.TemplateExpr, ctx *hcl.EvalContext, lx *shellLexer) (cty.Value, hcl.Diagnostics) {
	var buf strings.Builder
	var diags hcl.Diagnostics
	known := true
	marks := cty.ValueMarks{}
	for _, part := range t.Parts {
		var v cty.Value
		var d hcl.Diagnostics
		word := func(e hcl.Expression, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
			if lx.escaped() {
				return cty.DynamicVal, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid command",
					Detail: "A backslash stands right before this value in the command's text, and would change how the shell reads its quoting. Remove the backslash.", Subject: e.Range().Ptr()}}
			}
			return shellWordIn(e, ctx, true, lx.quote)
		}
		switch x := part.(type) {
		case *hclsyntax.LiteralValueExpr:
			if x.Val.Type() == cty.String && x.Val.IsKnown() && !x.Val.IsNull() {
				v = x.Val
				lx.feed(x.Val.AsString())
			} else {
				v, d = word(x, ctx)
			}
		case *hclsyntax.TemplateExpr:
			v, d = shellTemplate(x, ctx, lx)
		case *hclsyntax.ConditionalExpr:
			v, d = shellConditional(x, ctx, func(e hcl.Expression, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
				if t, ok := e.(*hclsyntax.TemplateExpr); ok {
					return shellTemplate(t, ctx, lx)
				}
				return word(e, ctx)
			})
		case *hclsyntax.TemplateJoinExpr:
			v, d = shellFor(x, ctx, lx)
		default:
			v, d = word(x, ctx)
		}
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		v, m := v.Unmark()
		for k := range m {
			marks[k] = struct{}{}
		}
		if !v.IsKnown() {
			known = false
			continue
		}
		if v.Type() != cty.String || v.IsNull() {
			s, err := convert.Convert(v, cty.String)
			if err != nil || s.IsNull() {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid template interpolation value",
					Detail: "Cannot include this value in a command: it is not a string.", Subject: part.Range().Ptr()})
				continue
			}
			v = s
		}
		buf.WriteString(v.AsString())
	}
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	if !known {
		return cty.UnknownVal(cty.String).WithMarks(marks), diags
	}
	return cty.StringVal(buf.String()).WithMarks(marks), diags
}

// shellConditional follows a conditional (an expression, or %{if}): the
// branch its condition chooses, rendered by branch.
func shellConditional(e *hclsyntax.ConditionalExpr, ctx *hcl.EvalContext, branch func(hcl.Expression, *hcl.EvalContext) (cty.Value, hcl.Diagnostics)) (cty.Value, hcl.Diagnostics) {
	c, diags := e.Condition.Value(ctx)
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	c, _ = c.Unmark()
	b, err := convert.Convert(c, cty.Bool)
	if err != nil || b.IsNull() {
		return cty.DynamicVal, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Incorrect condition type",
			Detail: "The condition must be a bool.", Subject: e.Condition.Range().Ptr(), Expression: e.Condition, EvalContext: ctx})
	}
	if !b.IsKnown() {
		t, d1 := branch(e.TrueResult, ctx)
		f, d2 := branch(e.FalseResult, ctx)
		diags = append(append(diags, d1...), d2...)
		if !diags.HasErrors() && t.Type().Equals(f.Type()) {
			return cty.UnknownVal(t.Type()), diags
		}
		return cty.DynamicVal, diags
	}
	if b.True() {
		return branch(e.TrueResult, ctx)
	}
	return branch(e.FalseResult, ctx)
}

// shellFor renders a %{for} directive: its body once per element, each
// rendered as a template of its own.
func shellFor(j *hclsyntax.TemplateJoinExpr, ctx *hcl.EvalContext, lx *shellLexer) (cty.Value, hcl.Diagnostics) {
	f, ok := j.Tuple.(*hclsyntax.ForExpr)
	if !ok {
		return shellWordIn(j, ctx, true, lx.quote)
	}
	coll, diags := f.CollExpr.Value(ctx)
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	coll, _ = coll.Unmark()
	if !coll.IsKnown() {
		return cty.UnknownVal(cty.String), diags
	}
	if coll.IsNull() || !coll.CanIterateElements() {
		return cty.DynamicVal, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Iteration over non-iterable value",
			Detail: "A %{for} directive needs a list, a set, a map or an object.", Subject: f.CollExpr.Range().Ptr()})
	}
	var buf strings.Builder
	for it := coll.ElementIterator(); it.Next(); {
		k, v := it.Element()
		child := ctx.NewChild()
		child.Variables = map[string]cty.Value{f.ValVar: v}
		if f.KeyVar != "" {
			child.Variables[f.KeyVar] = k
		}
		if f.CondExpr != nil {
			c, d := f.CondExpr.Value(child)
			diags = append(diags, d...)
			if d.HasErrors() {
				return cty.DynamicVal, diags
			}
			c, _ = c.Unmark()
			if b, err := convert.Convert(c, cty.Bool); err != nil || !b.IsKnown() || b.IsNull() {
				return cty.UnknownVal(cty.String), diags
			} else if b.False() {
				continue
			}
		}
		var s cty.Value
		var d hcl.Diagnostics
		if t, ok := f.ValExpr.(*hclsyntax.TemplateExpr); ok {
			s, d = shellTemplate(t, child, lx)
		} else {
			s, d = shellWordIn(f.ValExpr, child, true, lx.quote)
		}
		diags = append(diags, d...)
		if d.HasErrors() {
			return cty.DynamicVal, diags
		}
		s, _ = s.Unmark()
		if !s.IsKnown() {
			return cty.UnknownVal(cty.String), diags
		}
		buf.WriteString(s.AsString())
	}
	return cty.StringVal(buf.String()), diags
}

// shellLexer follows the quoting of a shell command's text, as far as it
// matters to put a value into it as one word: outside quotes, inside '...',
// inside "...", in the new contexts $(...), (...) and `...` open, in
// $((...)), and in the body of a here-document.
type shellLexer struct {
	// stack holds the open contexts: '\'', '"', '(', '`' or 'A'
	// ($((...))); empty is outside any.
	stack []byte
	// backslash is set when the text so far ends with an escaping
	// backslash.
	backslash bool
	// heredocs are the here-documents whose bodies start at the next
	// line; body is the one whose body the text is in, and line that
	// body's current line so far.
	heredocs []heredoc
	body     *heredoc
	line     strings.Builder
}

// heredoc is a here-document: <<DELIM, <<-DELIM (leading tabs stripped),
// and with a quoted DELIM, a body the shell leaves as it is.
type heredoc struct {
	delim         string
	quoted, strip bool
}

func (lx *shellLexer) top() byte {
	if len(lx.stack) == 0 {
		return 0
	}
	return lx.stack[len(lx.stack)-1]
}

func (lx *shellLexer) push(c byte) { lx.stack = append(lx.stack, c) }
func (lx *shellLexer) pop()        { lx.stack = lx.stack[:len(lx.stack)-1] }

// feed reads literal text of the command.
func (lx *shellLexer) feed(text string) {
	for i := 0; i < len(text); i++ {
		c := text[i]
		if lx.body != nil {
			lx.bodyByte(c)
			continue
		}
		if lx.backslash {
			lx.backslash = false
			continue
		}
		next := func(k int) byte {
			if i+k < len(text) {
				return text[i+k]
			}
			return 0
		}
		switch top := lx.top(); {
		case top == '\'':
			if c == '\'' {
				lx.pop()
			}
		case top == '"':
			switch {
			case c == '\\':
				lx.backslash = true
			case c == '"':
				lx.pop()
			case c == '`':
				lx.push('`')
			case c == '$' && next(1) == '(' && next(2) == '(':
				lx.push('A')
				i += 2
			case c == '$' && next(1) == '(':
				lx.push('(')
				i++
			}
		case top == 'A':
			switch {
			case c == '(':
				lx.push('(')
			case c == ')' && next(1) == ')':
				lx.pop()
				i++
			}
		default: // outside quotes, or in $(...), (...) or `...`
			switch {
			case c == '\\':
				lx.backslash = true
			case c == '\'':
				lx.push('\'')
			case c == '"':
				lx.push('"')
			case c == '`' && top == '`':
				lx.pop()
			case c == '`':
				lx.push('`')
			case c == '$' && next(1) == '(' && next(2) == '(':
				lx.push('A')
				i += 2
			case c == '(':
				lx.push('(')
			case c == ')' && top == '(':
				lx.pop()
			case c == '<' && next(1) == '<' && next(2) != '<':
				i += lx.heredocOp(text[i+2:]) + 1
			case c == '\n' && len(lx.heredocs) > 0:
				lx.startBody()
			}
		}
	}
}

// heredocOp reads the delimiter after a << and returns how many bytes of
// rest it took.
func (lx *shellLexer) heredocOp(rest string) int {
	h := heredoc{}
	n := 0
	if strings.HasPrefix(rest, "-") {
		h.strip = true
		n++
	}
	for n < len(rest) && (rest[n] == ' ' || rest[n] == '\t') {
		n++
	}
	var delim strings.Builder
	for n < len(rest) {
		c := rest[n]
		if c == '\'' || c == '"' {
			h.quoted = true
			end := strings.IndexByte(rest[n+1:], c)
			if end < 0 {
				delim.WriteString(rest[n+1:])
				n = len(rest)
				break
			}
			delim.WriteString(rest[n+1 : n+1+end])
			n += end + 2
			continue
		}
		if c == '\\' {
			h.quoted = true
			n++
			continue
		}
		if strings.IndexByte(" \t\n;&|<>()", c) >= 0 {
			break
		}
		delim.WriteByte(c)
		n++
	}
	h.delim = delim.String()
	lx.heredocs = append(lx.heredocs, h)
	return n
}

// startBody enters the body of the first pending here-document.
func (lx *shellLexer) startBody() {
	h := lx.heredocs[0]
	lx.heredocs = lx.heredocs[1:]
	lx.body = &h
	lx.line.Reset()
}

// bodyByte reads a byte of a here-document's body: a line that is its
// delimiter ends it.
func (lx *shellLexer) bodyByte(c byte) {
	if c != '\n' {
		lx.line.WriteByte(c)
		return
	}
	line := lx.line.String()
	lx.line.Reset()
	if lx.body.strip {
		line = strings.TrimLeft(line, "\t")
	}
	if line != lx.body.delim {
		return
	}
	lx.body = nil
	if len(lx.heredocs) > 0 {
		lx.startBody()
	}
}

// escaped reports whether the text ends with an escaping backslash.
func (lx *shellLexer) escaped() bool { return lx.backslash && lx.body == nil }

// quote quotes a value as one word where the text has got to.
func (lx *shellLexer) quote(s string) (string, error) {
	if h := lx.body; h != nil {
		// In a here-document's body: a line of the value could end it.
		if strings.ContainsAny(s, "\n\r") {
			return "", errors.New("the value goes into the body of a here-document (<<" + h.delim + "), and holds a line break, which could end it. Write the value to a file, or pass it as an argument")
		}
		if !h.quoted {
			// Expanded as in "...", but " stays as it is.
			s = escapeBytes(s, "$`\\")
		}
		lx.line.WriteString(s)
		return s, nil
	}
	switch lx.top() {
	case '\'':
		// Inside '...': only a quote ends it.
		return strings.ReplaceAll(s, "'", `'\''`), nil
	case '"':
		// Inside "...": $, `, " and \ keep their meaning.
		return escapeBytes(s, "$`\"\\"), nil
	}
	return ShellQuote(s), nil
}

// escapeBytes puts a backslash before each byte of s that is in special.
func escapeBytes(s, special string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(special, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// isRaw reports whether expr is a call of raw.
func isRaw(expr hcl.Expression) bool {
	for {
		switch e := expr.(type) {
		case *hclsyntax.ParenthesesExpr:
			expr = e.Expression
			continue
		case *hclsyntax.FunctionCallExpr:
			return e.Name == "raw"
		}
		return false
	}
}

// rawFunc marks a value to put into a shell command as it is, unquoted;
// elsewhere it returns its argument.
var rawFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "command", Type: cty.String, AllowMarked: true}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return args[0], nil
	},
})

// ShellQuote quotes s as one word for a POSIX shell, when it needs it.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=+.,/:@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// warnShellCommand warns about a string command that puts a variable's
// value into the shell's text, and about a whole command that is one
// quoted word.
func (p *parser) warnShellCommand(expr hcl.Expression, v cty.Value) {
	if v.Type() != cty.String {
		return
	}
	if p.shellWarned == nil {
		p.shellWarned = map[hcl.Range]bool{}
	}
	rng := expr.Range()
	if p.shellWarned[rng] {
		return
	}
	p.shellWarned[rng] = true
	if vars := p.rawVarsOf(expr); len(vars) > 0 {
		p.warnf(rng, "Variable in a shell command",
			"This command runs under /bin/sh -c with the value of %s in it unquoted, by raw(...): the shell reads the value as shell code, so whoever sets the variable can run any command here. Keep raw(...) for values you vouch for, or write the command as a list, as in [\"ssh\", \"root@${node.address}\", \"cluster\", \"leave\"].",
			steps.JoinWith(vars, "and"))
	} else if vars := p.varsOf(expr); len(vars) > 0 {
		p.warnf(rng, "Variable in a shell command",
			"This command runs under /bin/sh -c with the value of %s in it. The value is quoted, so it reaches the command as one word; but a program that hands its arguments to another shell (ssh, su -c, sh -c) makes that shell read the value again, unquoted. Write the command as a list, as in [\"ssh\", \"root@${node.address}\", \"cluster\", \"leave\"], and keep such values out of what a remote shell reads.",
			steps.JoinWith(vars, "and"))
	}
	if uv, _ := v.Unmark(); uv.IsKnown() && !uv.IsNull() && isWholeValue(expr) && !isRaw(expr) {
		s := uv.AsString()
		if strings.HasPrefix(s, "'") && strings.ContainsAny(s, " \t\n") {
			p.warnf(rng, "Command is one quoted word",
				"This command is a value, not text written in the command, so the shell gets it quoted as one word: it runs a program named %s. Write the command's text here (a string with ${...} for the values in it), write it as a list, or wrap it in raw(...) if the value is shell code you vouch for.", s)
		}
	}
}

// isWholeValue reports whether a command expression is a value as a whole
// (local.cmd, format(...)), not a template of text.
func isWholeValue(expr hcl.Expression) bool {
	switch e := expr.(type) {
	case *hclsyntax.TemplateExpr, *hclsyntax.ConditionalExpr:
		return false
	case *hclsyntax.ParenthesesExpr:
		return isWholeValue(e.Expression)
	case hclsyntax.Expression:
		return true
	}
	return false
}

// rawVarsOf lists the variables whose values a command puts into the
// shell's text through raw(...).
func (p *parser) rawVarsOf(expr hcl.Expression) []string {
	syn, ok := expr.(hclsyntax.Expression)
	if !ok {
		return nil
	}
	set := map[string]bool{}
	hclsyntax.VisitAll(syn, func(n hclsyntax.Node) hcl.Diagnostics {
		if call, ok := n.(*hclsyntax.FunctionCallExpr); ok && call.Name == "raw" {
			for _, a := range call.Args {
				for _, v := range p.varsOf(a) {
					set[v] = true
				}
			}
		}
		return nil
	})
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// varsOf lists the variables an expression's value comes from: var.NAME,
// directly or through locals.
func (p *parser) varsOf(expr hcl.Expression) []string {
	set := map[string]bool{}
	seen := map[string]bool{}
	var visit func(e hcl.Expression)
	visit = func(e hcl.Expression) {
		for _, t := range e.Variables() {
			name, ok := elementName(t)
			if !ok {
				continue
			}
			switch t.RootName() {
			case "var":
				set["var."+name] = true
			case "local":
				if d, ok := p.locals[name]; ok && !seen[name] {
					seen[name] = true
					visit(d.attr.Expr)
				}
			}
		}
	}
	visit(expr)
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
