package main

import (
	"fmt"
	"io"

	"github.com/fatih/color"
	"github.com/hashicorp/hcl/v2"
)

// fmtView shows what `runbook fmt` did: the names of the files it changed
// (or, with --check, would change) on stdout, problems on stderr.
type fmtView struct {
	stdout, stderr io.Writer
	color          bool
	width          uint
}

func (v *fmtView) Changed(name string)     { fmt.Fprintln(v.stdout, name) }
func (v *fmtView) Unformatted(name string) { fmt.Fprintln(v.stdout, name) }

func (v *fmtView) Skipped(name string) {
	fmt.Fprintf(v.stderr, "Skipping %s: fmt leaves JSON syntax alone.\n", name)
}

func (v *fmtView) Diagnostics(name string, src []byte, diags hcl.Diagnostics) {
	p := &diagPrinter{w: v.stderr, files: singleFile(name, src), width: v.width, color: v.color,
		hint: fmt.Sprintf("`runbook validate --json %s` lists them all", name)}
	p.write(diags)
	fmt.Fprintf(v.stderr, "%s was not formatted: fix its syntax first.\n", name)
}

func (v *fmtView) Error(err error) {
	paint(v.color, color.FgRed, color.Bold).Fprint(v.stderr, "Error:")
	fmt.Fprintf(v.stderr, " %v\n", err)
}
