package main

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/runbookhq/runbook/internal/atomicfile"
	"github.com/runbookhq/runbook/lang"
)

func (a *app) fmtCommand() *cobra.Command {
	var args fmtArgs
	c := &cobra.Command{
		Use:   "fmt [--check] [PATH...]",
		Short: "Rewrite runbook files in the canonical format",
		Long: `Fmt rewrites runbook files in the canonical HCL format, in place, and prints
the name of each file it changed. A directory is searched recursively for
.hcl files (directories whose name starts with a dot are skipped; .hcl.json
files are JSON and left alone). "-" formats standard input to standard output.
With no PATH, fmt formats the current directory.

A file with a syntax error is not touched: fmt prints the error and exits 1.
With --check, fmt writes nothing, lists the files that are not formatted, and
exits 1 if there are any.`,
		Example: `  runbook fmt runbooks/
  runbook fmt --check .          # in CI
  runbook fmt - < upgrade.hcl`,
		RunE: func(cmd *cobra.Command, pos []string) error {
			if err := args.finish(pos); err != nil {
				return usageError{err}
			}
			return exitWith(a.fmt(&args))
		},
	}
	args.bind(c.Flags())
	return c
}

// fmt formats the files and returns the exit code.
func (a *app) fmt(args *fmtArgs) int {
	v := &fmtView{stdout: a.stdout, stderr: a.stderr, color: a.color, width: columns(a.stderr)}
	if args.stdin() {
		return a.fmtStdin(args, v)
	}
	failed, unformatted := false, false
	for _, root := range args.Paths {
		if strings.HasSuffix(root, ".json") {
			v.Skipped(root)
			continue
		}
		files, err := fmtCollect(root)
		if err != nil {
			v.Error(err)
			failed = true
		}
		for _, name := range files {
			changed, err := fmtFile(name, args.Check, v)
			switch {
			case err != nil:
				failed = true
			case changed && args.Check:
				unformatted = true
				v.Unformatted(name)
			case changed:
				v.Changed(name)
			}
		}
	}
	if failed || unformatted {
		return exitFailed
	}
	return exitOK
}

func (a *app) fmtStdin(args *fmtArgs, v *fmtView) int {
	src, err := io.ReadAll(a.stdin)
	if err != nil {
		v.Error(fmt.Errorf("reading standard input: %w", err))
		return exitFailed
	}
	const name = "<stdin>"
	out, diags := lang.Format(src, name)
	if diags.HasErrors() {
		v.Diagnostics(name, src, diags)
		return exitFailed
	}
	if args.Check {
		if !bytes.Equal(src, out) {
			return exitFailed
		}
		return exitOK
	}
	if _, err := a.stdout.Write(out); err != nil {
		v.Error(err)
		return exitFailed
	}
	return exitOK
}

// fmtCollect returns the files to format under root: root itself if it is a
// file, else the .hcl files below it, in lexical order.
func fmtCollect(root string) ([]string, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{root}, nil
	}
	var files []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir // .git, .runbook (state), ...
			}
			return nil
		}
		if d.Type().IsRegular() && strings.HasSuffix(d.Name(), ".hcl") {
			files = append(files, path)
		}
		return nil
	})
	return files, err
}

// fmtFile formats one file and reports whether it was (check: would be)
// changed. Errors have been reported to v.
func fmtFile(name string, check bool, v *fmtView) (bool, error) {
	src, err := os.ReadFile(name)
	if err != nil {
		v.Error(err)
		return false, err
	}
	out, diags := lang.Format(src, name)
	if diags.HasErrors() {
		v.Diagnostics(name, src, diags)
		return false, diags
	}
	if bytes.Equal(src, out) {
		return false, nil
	}
	if check {
		return true, nil
	}
	if err := writeFileAtomic(name, out); err != nil {
		v.Error(err)
		return false, err
	}
	return true, nil
}

// writeFileAtomic replaces the file's content by data through a temporary
// file renamed over it, so that a reader never sees half a file and a crash
// leaves the old file whole. The file keeps its permissions; a symbolic link
// stays a link, and its target is replaced.
func writeFileAtomic(name string, data []byte) error {
	if real, err := filepath.EvalSymlinks(name); err == nil {
		name = real
	}
	info, err := os.Stat(name)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(name, data, info.Mode().Perm(), true)
}

// singleFile returns the map the diagnostic writer needs to show source.
func singleFile(name string, src []byte) map[string]*hcl.File {
	return map[string]*hcl.File{name: {Bytes: src}}
}
