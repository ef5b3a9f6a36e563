package lang

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	driverbuiltin "github.com/runbookhq/runbook/drivers/builtin"

	"github.com/google/go-cmp/cmp"

	"github.com/runbookhq/runbook/steps/builtin"
)

// TestShellQuoting runs string commands under a real /bin/sh: each value a
// template puts into the text reaches the command as one word, whatever it
// holds and wherever it stands (outside quotes, inside '...' or "...", in a
// $(...)), and never runs as a command of its own; raw(...) opts out.
func TestShellQuoting(t *testing.T) {
	dir := t.TempDir()
	pwned := filepath.Join(dir, "pwned")
	values := []string{
		"10.0.0.2; touch " + pwned,
		`it's "q" $(touch ` + pwned + ") `touch " + pwned + "` \\ $HOME * ~ | & > " + pwned,
		"two\nlines",
		"",
	}
	for _, v := range values {
		cmds := map[string]struct {
			hcl  string
			want []string
		}{
			"bare":          {`"printf '<%s>\\n' ${var.v}"`, []string{v}},
			"single quotes": {`"printf '<%s>\\n' 'pre ${var.v} post'"`, []string{"pre " + v + " post"}},
			"double quotes": {`"printf '<%s>\\n' \"pre ${var.v} post\""`, []string{"pre " + v + " post"}},
			"substitution":  {`"printf '<%s>\\n' \"$(printf '%s' ${var.v})\""`, []string{strings.TrimRight(v, "\n")}},
			"for":           {`"printf '<%s>\\n' %{for x in [var.v, node.FS2.address]}${x} %{endfor}"`, []string{v, "10.0.0.2; touch " + pwned}},
			"if":            {`"printf '<%s>\\n' %{if var.v != ""}${var.v}%{else}none%{endif}"`, []string{v}},
			"whole value":   {`var.v`, nil},
			"raw":           {`"printf '<%s>\\n' ${raw("a b")}"`, []string{"a", "b"}},
			"node address":  {`"printf '<%s>\\n' ${node.FS2.address}"`, []string{"10.0.0.2; touch " + pwned}},
		}
		if v == "" {
			cmds["if"] = struct {
				hcl  string
				want []string
			}{cmds["if"].hcl, []string{"none"}}
		}
		src := header + `
variable "v" {
  type = string
}
`
		src = strings.Replace(src, `address = "10.0.0.2"`, `address = "10.0.0.2; touch `+pwned+`"`, 1)
		for name, c := range cmds {
			src += "step \"exec\" \"" + strings.ReplaceAll(name, " ", "_") + "\" {\n  command = " + c.hcl + "\n}\n"
		}
		rb, diags := load(t, src, Options{Vars: []string{"v=" + v}})
		if diags.HasErrors() {
			t.Fatalf("value %q: %v", v, diags)
		}
		for _, s := range rb.Steps {
			name := strings.ReplaceAll(strings.TrimPrefix(s.Address, "step.exec."), "_", " ")
			cmd := s.Args.Command("command")
			if cmd.Shell == "" {
				t.Fatalf("%s: not a string command: %+v", name, cmd)
			}
			out, err := exec.Command("/bin/sh", "-c", cmd.Shell).Output()
			if name == "whole value" {
				// One word: the shell looks for a program of that name.
				if err == nil {
					t.Errorf("%s with %q: the shell ran %q", name, v, cmd.Shell)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s with %q: sh -c %q: %v", name, v, cmd.Shell, err)
				continue
			}
			var got []string
			for _, w := range strings.SplitAfter(string(out), ">\n") {
				if w != "" {
					got = append(got, strings.TrimSuffix(strings.TrimPrefix(w, "<"), ">\n"))
				}
			}
			if diff := cmp.Diff(cmds[name].want, got); diff != "" {
				t.Errorf("%s with %q: sh -c %q printed (-want +got):\n%s", name, v, cmd.Shell, diff)
			}
		}
		if _, err := os.Stat(pwned); err == nil {
			t.Fatalf("a value ran as a command: %s exists", pwned)
		}
	}
}

// TestShellQuotingJSON: a string command in HCL's JSON syntax is quoted
// the same way.
func TestShellQuotingJSON(t *testing.T) {
	dir := t.TempDir()
	hcl := strings.Replace(header, `address = "10.0.0.2"`, `address = "10.0.0.2; touch pwned"`, 1)
	if err := os.WriteFile(filepath.Join(dir, "a.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	js := `{"step": {"exec": {"j": {"command": "printf '<%s>\\n' ${node.FS2.address}"}}}}`
	if err := os.WriteFile(filepath.Join(dir, "b.hcl.json"), []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	rb, diags := Load(dir, Options{Registry: builtin.Registry(), Drivers: driverbuiltin.Registry()})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if got, want := rb.Steps[0].Args.Command("command").Shell, `printf '<%s>\n' '10.0.0.2; touch pwned'`; got != want {
		t.Errorf("command = %s; want %s", got, want)
	}
}

// TestShellQuotingHeredoc: a value in the body of a here-document is
// escaped for it (expanded or not, by its delimiter's quoting) and may not
// hold a line break, which could end it; << in $((...)) is a shift.
func TestShellQuotingHeredoc(t *testing.T) {
	dir := t.TempDir()
	pwned := filepath.Join(dir, "pwned")
	cmds := map[string]string{
		"expanded": "<<-EOT\n  cat <<EOF\n  <${var.v}>\n  EOF\n  printf '<%s>\\n' ${var.v}\nEOT",
		"quoted":   "<<-EOT\n  cat <<-'EOF'\n  \t<${var.v}>\n  EOF\n  printf '<%s>\\n' ${var.v}\nEOT",
		"shift":    `"printf '<%s>\\n' $((1<<2)) ${var.v}"`,
	}
	for _, v := range []string{`$(touch ` + pwned + ") `touch " + pwned + "` \\ \"q\" 'q' $HOME", "EOF", "two\nlines"} {
		src := header + "variable \"v\" {\n  type = string\n}\n"
		for name, c := range cmds {
			src += "step \"exec\" \"" + name + "\" {\n  command = " + c + "\n}\n"
		}
		rb, diags := load(t, src, Options{Vars: []string{"v=" + v}})
		if strings.Contains(v, "\n") {
			if got := summaries(diags); !slices.Contains(got, "Invalid value in a command") {
				t.Errorf("value %q in a here-document: %v; want Invalid value in a command", v, diags)
			}
			continue
		}
		if diags.HasErrors() {
			t.Fatalf("value %q: %v", v, diags)
		}
		for _, s := range rb.Steps {
			cmd := s.Args.Command("command").Shell
			out, err := exec.Command("/bin/sh", "-c", cmd).Output()
			if err != nil {
				t.Errorf("%s with %q: sh -c %q: %v", s.Address, v, cmd, err)
				continue
			}
			want := "<" + v + ">\n<" + v + ">\n"
			if strings.HasSuffix(s.Address, "shift") {
				want = "<4>\n<" + v + ">\n"
			}
			if string(out) != want {
				t.Errorf("%s with %q: sh -c %q printed %q; want %q", s.Address, v, cmd, out, want)
			}
		}
		if _, err := os.Stat(pwned); err == nil {
			t.Fatalf("a value ran as a command: %s exists", pwned)
		}
	}
}
