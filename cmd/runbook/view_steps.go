package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fatih/color"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/runbookhq/runbook/steps"
)

// stepsView shows the step types of the registry.
type stepsView interface {
	List(types []steps.Type)
	Type(t steps.Type)
	// Unknown reports a type the registry does not have, with the closest
	// name ("" if none is close) and every name.
	Unknown(name, suggestion string, names []string)
}

func (a *app) stepsView(asJSON bool) stepsView {
	if asJSON {
		return &stepsJSON{stdout: a.stdout, stderr: a.stderr}
	}
	return &stepsHuman{stdout: a.stdout, stderr: a.stderr, color: a.color, width: columns(a.stdout)}
}

type stepsHuman struct {
	stdout, stderr io.Writer
	color          bool
	width          uint
}

func (v *stepsHuman) List(types []steps.Type) {
	fmt.Fprintln(v.stdout, "Step types:")
	fmt.Fprintln(v.stdout)
	wide := 0
	for _, t := range types {
		wide = max(wide, len(t.Name()))
	}
	indent := strings.Repeat(" ", 2+wide+3)
	for _, t := range types {
		doc := wrapIndent(t.Doc(), indent, v.width)
		fmt.Fprintf(v.stdout, "  %-*s   %s\n", wide, t.Name(), strings.TrimPrefix(doc, indent))
	}
	fmt.Fprintln(v.stdout)
	fmt.Fprintln(v.stdout, "Every step also accepts "+commonAttrNames()+".")
	fmt.Fprintln(v.stdout, "Run 'runbook steps TYPE' for a type's attributes and an example.")
}

func commonAttrNames() string {
	var names []string
	for _, a := range steps.CommonAttrs {
		names = append(names, a.Name)
	}
	return strings.Join(names, ", ")
}

func (v *stepsHuman) Type(t steps.Type) {
	bold := paint(v.color, color.Bold)
	bold.Fprint(v.stdout, t.Name())
	fmt.Fprintln(v.stdout)
	fmt.Fprintln(v.stdout, wrapIndent(t.Doc(), "  ", v.width))
	fmt.Fprintln(v.stdout)
	fmt.Fprintf(v.stdout, "Default timeout: %s\n", shortDuration(t.DefaultTimeout()))
	if t.Mutates() {
		fmt.Fprintln(v.stdout, `Changes cluster state: yes (on_failure = "continue" is not allowed)`)
	} else {
		fmt.Fprintln(v.stdout, "Changes cluster state: no")
	}
	fmt.Fprintln(v.stdout)
	bold.Fprint(v.stdout, "Attributes:")
	fmt.Fprintln(v.stdout)
	if len(t.Attrs()) == 0 {
		fmt.Fprintln(v.stdout, "  (none of its own)")
	}
	for _, a := range t.Attrs() {
		v.attr(a, t)
	}
	fmt.Fprintln(v.stdout)
	bold.Fprint(v.stdout, "Attributes every step accepts:")
	fmt.Fprintln(v.stdout)
	for _, a := range steps.CommonAttrs {
		v.attr(a, t)
	}
	fmt.Fprintln(v.stdout)
	bold.Fprint(v.stdout, "Example:")
	fmt.Fprintln(v.stdout)
	fmt.Fprintln(v.stdout)
	for _, line := range strings.Split(strings.TrimSuffix(string(exampleBlock(t)), "\n"), "\n") {
		if line == "" {
			fmt.Fprintln(v.stdout)
		} else {
			fmt.Fprintln(v.stdout, "  "+line)
		}
	}
}

// attr prints one attribute: its name and facts on one line, its doc below.
func (v *stepsHuman) attr(a steps.Attr, t steps.Type) {
	facts := []string{a.Kind.String()}
	if a.Required {
		facts = append(facts, "required")
	} else {
		facts = append(facts, "optional")
	}
	if d := attrDefault(a, t); d != "" && len(a.Enum) > 0 {
		facts = append(facts, fmt.Sprintf("default: %q", d))
	} else if d != "" {
		facts = append(facts, "default: "+d)
	}
	if len(a.Enum) > 0 {
		facts = append(facts, "one of "+quoteList(a.Enum))
	}
	fmt.Fprintf(v.stdout, "  %s (%s)\n", a.Name, strings.Join(facts, "; "))
	if a.Doc != "" {
		fmt.Fprintln(v.stdout, wrapIndent(a.Doc, "      ", v.width))
	}
}

func (v *stepsHuman) Unknown(name, suggestion string, _ []string) {
	paint(v.color, color.FgRed, color.Bold).Fprint(v.stderr, "Error:")
	fmt.Fprintf(v.stderr, " unknown step type %q.", name)
	if suggestion != "" {
		fmt.Fprintf(v.stderr, " Did you mean %q?", suggestion)
	}
	fmt.Fprintln(v.stderr)
	fmt.Fprintln(v.stderr, "Run 'runbook steps' for the list of step types.")
}

// attrDefault is the default to show for a: a common attribute's "the step
// type's default" becomes that default.
func attrDefault(a steps.Attr, t steps.Type) string {
	if a.Name == "timeout" && t != nil && t.DefaultTimeout() > 0 {
		return shortDuration(t.DefaultTimeout())
	}
	return a.Default
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// shortDuration prints 45m rather than 45m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// wrapIndent word-wraps s to width (0: no wrapping), indenting every line.
func wrapIndent(s, indent string, width uint) string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		line := indent
		for _, word := range strings.Fields(para) {
			if line != indent && width > 0 && uint(len(line)+1+len(word)) > width {
				lines = append(lines, line)
				line = indent
			}
			if line != indent {
				line += " "
			}
			line += word
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// exampleValues are example values of attributes whose kind alone says too
// little, by name.
var exampleValues = map[string]string{
	"message": `"Upgrade the shared media? This takes every pool offline."`,
	"dir":     `"scripts"`,
	"env":     `["TICKET=CHG-1234"]`,
	"grace":   `"5m"`,
}

// exampleValue is a placeholder value of a's kind, written as HCL.
func exampleValue(a steps.Attr) string {
	if v, ok := exampleValues[a.Name]; ok {
		return v
	}
	if len(a.Enum) > 0 {
		return fmt.Sprintf("%q", a.Enum[0])
	}
	switch a.Kind {
	case steps.KindVersion:
		return `"6.5"`
	case steps.KindDuration:
		return `"45m"`
	case steps.KindBool:
		return "true"
	case steps.KindNumber:
		return "1"
	case steps.KindNode:
		return "node.FS1"
	case steps.KindNodeList:
		return "[node.FS1, node.FS2]"
	case steps.KindResource:
		return "resource.POOL1_SERVER"
	case steps.KindResourceList:
		return "[resource.POOL1_SERVER, resource.POOL2_SERVER]"
	case steps.KindLicense:
		return "license.ncs65"
	case steps.KindCommand:
		return `["echo", "done"]`
	case steps.KindStringList:
		return `["a", "b"]`
	default:
		return `"text"`
	}
}

// exampleBlock is a step block of type t: its required attributes set, its
// optional ones and the timeout commented out with their example values.
func exampleBlock(t steps.Type) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "step %q \"NAME\" {\n", t.Name())
	var optional []steps.Attr
	for _, a := range t.Attrs() {
		if a.Required {
			fmt.Fprintf(&b, "%s = %s\n", a.Name, exampleValue(a))
		} else {
			optional = append(optional, a)
		}
	}
	for _, a := range optional {
		fmt.Fprintf(&b, "# %s = %s\n", a.Name, exampleValue(a))
	}
	if t.DefaultTimeout() > 0 {
		fmt.Fprintf(&b, "# timeout = %q\n", shortDuration(t.DefaultTimeout()))
	}
	b.WriteString("}\n")
	return hclwrite.Format([]byte(b.String()))
}

type stepsJSON struct{ stdout, stderr io.Writer }

type jsonStepType struct {
	Name                  string     `json:"name"`
	Doc                   string     `json:"doc"`
	DefaultTimeout        string     `json:"default_timeout"`
	DefaultTimeoutSeconds float64    `json:"default_timeout_seconds"`
	Mutates               bool       `json:"mutates"`
	Attributes            []jsonAttr `json:"attributes"`
	CommonAttributes      []jsonAttr `json:"common_attributes"`
	Example               string     `json:"example"`
}

type jsonAttr struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Required bool     `json:"required"`
	Default  string   `json:"default,omitempty"`
	Enum     []string `json:"enum,omitempty"`
	Doc      string   `json:"doc"`
}

func newJSONStepType(t steps.Type) jsonStepType {
	attrs := func(as []steps.Attr) []jsonAttr {
		out := make([]jsonAttr, 0, len(as))
		for _, a := range as {
			out = append(out, jsonAttr{Name: a.Name, Type: a.Kind.String(), Required: a.Required,
				Default: attrDefault(a, t), Enum: a.Enum, Doc: a.Doc})
		}
		return out
	}
	return jsonStepType{Name: t.Name(), Doc: t.Doc(),
		DefaultTimeout: shortDuration(t.DefaultTimeout()), DefaultTimeoutSeconds: t.DefaultTimeout().Seconds(),
		Mutates: t.Mutates(), Attributes: attrs(t.Attrs()), CommonAttributes: attrs(steps.CommonAttrs),
		Example: string(exampleBlock(t))}
}

func (v *stepsJSON) encode(x any) {
	enc := json.NewEncoder(v.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(x)
}

func (v *stepsJSON) List(types []steps.Type) {
	out := make([]jsonStepType, 0, len(types))
	for _, t := range types {
		out = append(out, newJSONStepType(t))
	}
	v.encode(out)
}

func (v *stepsJSON) Type(t steps.Type) { v.encode(newJSONStepType(t)) }

// Unknown prints an object on stdout, for the program that asked for
// JSON, and the error on stderr, for the person who reads its log.
func (v *stepsJSON) Unknown(name, suggestion string, names []string) {
	msg := fmt.Sprintf("unknown step type %q", name)
	if suggestion != "" {
		msg += fmt.Sprintf("; did you mean %q?", suggestion)
	}
	v.encode(struct {
		Error      string   `json:"error"`
		Name       string   `json:"name"`
		DidYouMean string   `json:"did_you_mean,omitempty"`
		StepTypes  []string `json:"step_types"`
	}{msg, name, suggestion, names})
	fmt.Fprintf(v.stderr, "Error: %s\n", msg)
}
