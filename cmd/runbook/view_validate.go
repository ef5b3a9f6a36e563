package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/fatih/color"
	"github.com/hashicorp/hcl/v2"

	"github.com/runbookhq/runbook/lang"
)

// validateView shows the result of `runbook validate` and picks the exit code.
type validateView interface {
	Results(files map[string]*hcl.File, diags hcl.Diagnostics) int
}

func (a *app) validateView(t viewType) validateView {
	switch t {
	case viewJSON:
		return &validateJSON{w: a.stdout}
	case viewGitHub:
		return &validateGitHub{w: a.stdout}
	default:
		return &validateHuman{w: a.stdout, color: a.color, width: columns(a.stdout)}
	}
}

func validateExit(diags hcl.Diagnostics) int {
	if diags.HasErrors() {
		return exitFailed
	}
	return exitOK
}

// validateHuman prints each diagnostic with its source, then one line of summary.
type validateHuman struct {
	w     io.Writer
	color bool
	width uint
}

func (v *validateHuman) Results(files map[string]*hcl.File, diags hcl.Diagnostics) int {
	p := &diagPrinter{w: v.w, files: files, width: v.width, color: v.color}
	p.write(diags)
	errs, warns := countDiags(diags)
	switch {
	case errs > 0:
		paint(v.color, color.FgRed, color.Bold).Fprintf(v.w, "The runbook is invalid:")
		fmt.Fprintf(v.w, " %s, %s.\n", plural(errs, "error"), plural(warns, "warning"))
	case warns > 0:
		paint(v.color, color.FgGreen, color.Bold).Fprintf(v.w, "Success!")
		fmt.Fprintf(v.w, " The runbook is valid, with %s.\n", plural(warns, "warning"))
	default:
		paint(v.color, color.FgGreen, color.Bold).Fprintf(v.w, "Success!")
		fmt.Fprintf(v.w, " The runbook is valid.\n")
	}
	return validateExit(diags)
}

// validateJSON prints one object: whether the runbook is valid, the counts,
// and every diagnostic (the README's "validate --json").
type validateJSON struct{ w io.Writer }

type jsonValidate struct {
	Valid        bool             `json:"valid"`
	ErrorCount   int              `json:"error_count"`
	WarningCount int              `json:"warning_count"`
	Diagnostics  []jsonDiagnostic `json:"diagnostics"`
}

type jsonDiagnostic struct {
	Severity string     `json:"severity"`
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail"`
	Range    *jsonRange `json:"range,omitempty"`
	// Rule, Step, Node and Nodes say what a finding about a step is about,
	// when it is known (lang.DiagnosticInfo).
	Rule  string   `json:"rule,omitempty"`
	Step  string   `json:"step,omitempty"`
	Node  string   `json:"node,omitempty"`
	Nodes []string `json:"nodes,omitempty"`
}

type jsonRange struct {
	Filename string  `json:"filename"`
	Start    jsonPos `json:"start"`
	End      jsonPos `json:"end"`
}

type jsonPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// newJSONDiagnostics converts diagnostics to their JSON shape; never nil, so
// that no diagnostics print as [].
func newJSONDiagnostics(diags hcl.Diagnostics) []jsonDiagnostic {
	out := make([]jsonDiagnostic, 0, len(diags))
	for _, d := range diags {
		jd := jsonDiagnostic{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			jd.Severity = "warning"
		}
		if r := d.Subject; r != nil {
			jd.Range = &jsonRange{Filename: r.Filename,
				Start: jsonPos{r.Start.Line, r.Start.Column}, End: jsonPos{r.End.Line, r.End.Column}}
		}
		if info, ok := hcl.DiagnosticExtra[*lang.DiagnosticInfo](d); ok {
			jd.Rule, jd.Step, jd.Node, jd.Nodes = info.Rule, info.Step, info.Node, info.Nodes
		}
		out = append(out, jd)
	}
	return out
}

func (v *validateJSON) Results(_ map[string]*hcl.File, diags hcl.Diagnostics) int {
	errs, warns := countDiags(diags)
	out := jsonValidate{Valid: errs == 0, ErrorCount: errs, WarningCount: warns, Diagnostics: newJSONDiagnostics(diags)}
	enc := json.NewEncoder(v.w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(out)
	return validateExit(diags)
}

// writeDiagnosticsEvent prints, as one line of run --json, the diagnostics
// of a runbook that is invalid: validateJSON's object with "type":
// "diagnostics".
func writeDiagnosticsEvent(w io.Writer, diags hcl.Diagnostics) {
	errs, warns := countDiags(diags)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(struct {
		Type string `json:"type"`
		jsonValidate
	}{"diagnostics", jsonValidate{Valid: errs == 0, ErrorCount: errs, WarningCount: warns, Diagnostics: newJSONDiagnostics(diags)}})
}

// validateGitHub prints GitHub Actions workflow commands, which the runner
// turns into annotations on the lines of the pull request, then the summary.
type validateGitHub struct{ w io.Writer }

func (v *validateGitHub) Results(_ map[string]*hcl.File, diags hcl.Diagnostics) int {
	for _, d := range diags {
		fmt.Fprintln(v.w, githubAnnotation(d))
	}
	errs, warns := countDiags(diags)
	switch {
	case errs > 0:
		fmt.Fprintf(v.w, "The runbook is invalid: %s, %s.\n", plural(errs, "error"), plural(warns, "warning"))
	case warns > 0:
		fmt.Fprintf(v.w, "The runbook is valid, with %s.\n", plural(warns, "warning"))
	default:
		fmt.Fprintln(v.w, "The runbook is valid.")
	}
	return validateExit(diags)
}

// githubAnnotation renders d as an ::error or ::warning workflow command.
func githubAnnotation(d *hcl.Diagnostic) string {
	cmd := "error"
	if d.Severity == hcl.DiagWarning {
		cmd = "warning"
	}
	var props []string
	if r := d.Subject; r != nil {
		props = append(props,
			"file="+githubProperty(r.Filename),
			fmt.Sprintf("line=%d", r.Start.Line),
			fmt.Sprintf("col=%d", r.Start.Column),
			fmt.Sprintf("endLine=%d", r.End.Line),
			fmt.Sprintf("endColumn=%d", r.End.Column))
	}
	props = append(props, "title="+githubProperty(d.Summary))
	msg := d.Detail
	if msg == "" {
		msg = d.Summary
	}
	return "::" + cmd + " " + strings.Join(props, ",") + "::" + githubData(msg)
}

// githubData escapes a workflow command's message (toCommandValue and
// escapeData in actions/toolkit).
var githubData = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace

// githubProperty escapes a workflow command's property value (escapeProperty
// in actions/toolkit).
var githubProperty = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace
