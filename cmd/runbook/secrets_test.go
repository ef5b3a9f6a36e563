package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	execdriver "github.com/runbookhq/runbook/drivers/exec"

	"github.com/runbookhq/runbook/internal/teststore"
	"github.com/runbookhq/runbook/runtime"
	"github.com/runbookhq/runbook/stores/local"
)

// secretCore is the part of the test's secret that no quoting changes: if
// any encoding of the secret got through, it holds this.
const secretCore = "Zq9wK3pX"

// secret is a sensitive value with the characters JSON, Go and the shell
// quote.
const secret = secretCore + `-it's "x" <y>&$HOME`

// sensitiveRunbook adds to the stand-in runbook a sensitive variable, and
// uses it where a value can leak: a string command of the exec block (the
// command gets it; exec.log shows the command), local commands that print it
// on stdout and stderr, one that fails with it in its output (the error goes
// to the journal), the approve step's message; and a step that copies the
// lock's holder record (with the command line) into the state directory.
func sensitiveRunbook(t *testing.T, e *execEnv) {
	t.Helper()
	data, err := os.ReadFile(e.hcl)
	if err != nil {
		t.Fatal(err)
	}
	src := string(data)
	for old, new := range map[string]string{
		`variable "standin" {`:                                                            "variable \"token\" {\n  type      = string\n  sensitive = true\n}\n\nvariable \"standin\" {",
		`leave           = [var.standin, "leave", node.name]`:                             `leave           = "TOKEN=${var.token} ${var.standin} leave ${node.name}"`,
		`message = "Upgrade the shared media? Every pool goes offline until it is done."`: `message = "Upgrade the shared media with ${var.token}?"`,
		`step "exec" "backup" {`: `step "exec" "notify" {
  command = ["sh", "-c", "echo notify with \"$1\"; echo warn with \"$1\" >&2; cp \"$2\" holder-seen.json; printf %s \"$1\" > token-seen", "sh", var.token, "` + filepath.Join(e.state, local.HolderFile) + `"]
}

step "exec" "fails" {
  command    = "echo failing with ${var.token} >&2; exit 3"
  on_failure = "continue"
}

step "exec" "backup" {`,
	} {
		if !strings.Contains(src, old) {
			t.Fatalf("standin.hcl has no %q", old)
		}
		src = strings.Replace(src, old, new, 1)
	}
	if err := os.WriteFile(e.hcl, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSensitiveNeverWritten runs a runbook with a sensitive variable given
// on the command line, on the exec driver against the stand-in and on the
// simulator, then looks for the value in everything written: stdout and
// stderr of run, status, status --json, plan and validate, and every file of
// the state directories (journal, exec.log, run.log, holder, snapshot, the
// simulator's). It finds nothing, and every file is its owner's alone.
func TestSensitiveNeverWritten(t *testing.T) {
	t.Parallel()
	e := newExecEnv(t, 100*time.Millisecond)
	sensitiveRunbook(t, e)
	// The step copies the holder record beside the runbook.
	copied := filepath.Join(filepath.Dir(e.hcl), "holder-seen.json")

	code, out := e.run(nil, "--var", "token="+secret)
	if code != exitOK || !strings.Contains(out, "notify with (sensitive)") || !strings.Contains(out, "warn with (sensitive)") {
		t.Fatalf("run: exit %d; want 0, with the local commands' output redacted:\n%s", code, out)
	}
	if !strings.Contains(out, "failing with (sensitive)") {
		t.Errorf("the failed step's output is not shown, redacted:\n%s", out)
	}
	// The stand-in got the real value: the command ran with it.
	outputs := map[string]string{"run": out}
	sim := e.state + "-sim"
	code, out = e.start(nil, "run", "--auto-approve", "--driver", "sim", "--state", sim, "--var", "token="+secret, e.hcl).wait(t)
	if code != exitOK {
		t.Fatalf("run --driver sim: exit %d\n%s", code, out)
	}
	outputs["run --driver sim"] = out
	for name, args := range map[string][]string{
		"status":          {"status", "--state", e.state, "--var", "token=" + secret, e.hcl},
		"status --json":   {"status", "--json", "--state", e.state, "--var", "token=" + secret, e.hcl},
		"plan":            {"plan", "--var", "token=" + secret, e.hcl},
		"validate":        {"validate", "--var", "token=" + secret, e.hcl},
		"validate --json": {"validate", "--json", "--var", "token=" + secret, e.hcl},
	} {
		_, out := e.start(nil, args...).wait(t)
		outputs[name] = out
	}
	for name, out := range outputs {
		if strings.Contains(out, secretCore) {
			t.Errorf("%s printed the sensitive value:\n%s", name, out)
		}
	}
	// The commands got the real value.
	if b, err := os.ReadFile(filepath.Join(filepath.Dir(e.hcl), "token-seen")); err != nil || string(b) != secret {
		t.Errorf("the local command was given %q (%v); want the sensitive value itself", b, err)
	}

	b, err := os.ReadFile(copied)
	if err != nil {
		t.Fatalf("the holder record was not copied: %v", err)
	}
	if strings.Contains(string(b), secretCore) || !strings.Contains(string(b), "token=(redacted)") {
		t.Errorf("the lock's holder record: %s", b)
	}
	files := 0
	for _, dir := range []string{e.state, sim} {
		teststore.CheckModes(t, dir)
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			files++
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if strings.Contains(string(b), secretCore) {
				t.Errorf("%s holds the sensitive value:\n%s", path, b)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{local.JournalFile, execdriver.LogName, runLogFile, runtime.SnapshotBlob} {
		if _, err := os.Stat(filepath.Join(e.state, f)); err != nil {
			t.Errorf("the exec run's state directory has no %s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(sim, "sim.json")); err != nil {
		t.Errorf("the simulator's state directory has no sim.json: %v", err)
	}
	execLog, _ := os.ReadFile(filepath.Join(e.state, execdriver.LogName))
	if !regexp.MustCompile(`leave FS1: .*TOKEN=.*\(sensitive\)`).Match(execLog) {
		t.Errorf("exec.log does not show the leave command, redacted:\n%s", execLog)
	}
}

// TestExecShellInjection: a node address that holds shell syntax reaches a
// string command of the exec block as one word, under a real /bin/sh: the
// run completes, and the command hidden in the address never runs.
func TestExecShellInjection(t *testing.T) {
	t.Parallel()
	e := newExecEnv(t, 100*time.Millisecond)
	pwned := filepath.Join(t.TempDir(), "pwned")
	data, err := os.ReadFile(e.hcl)
	if err != nil {
		t.Fatal(err)
	}
	src := string(data)
	for old, new := range map[string]string{
		`leave           = [var.standin, "leave", node.name]`: `leave           = "ADDRESS=${node.address} ${var.standin} leave ${node.name}"`,
		"node \"FS2\" {\n  address = \"127.0.0.1\"":           "node \"FS2\" {\n  address = \"10.0.0.2; touch " + pwned + "\"",
	} {
		if !strings.Contains(src, old) {
			t.Fatalf("standin.hcl has no %q", old)
		}
		src = strings.Replace(src, old, new, 1)
	}
	if err := os.WriteFile(e.hcl, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := e.run(nil)
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(pwned); err == nil {
		t.Fatalf("the address's command ran: %s exists\n%s", pwned, out)
	}
	e.audit(false)
	execLog, _ := os.ReadFile(filepath.Join(e.state, execdriver.LogName))
	if !strings.Contains(string(execLog), "leave FS2: $ /bin/sh -c ") {
		t.Errorf("exec.log has no leave of FS2 through the shell:\n%s", execLog)
	}
}

// TestAuditApprovals: at a terminal, the journal records who confirmed the
// run (on its run record) and who answered the approve step, when and
// what: no (the run stops there), then yes in the resumed run.
func TestAuditApprovals(t *testing.T) {
	t.Parallel()
	e := newExecEnv(t, 0)
	args := []string{"run", "--state", e.state, e.hcl}
	p := e.startPTY(nil, args...)
	p.answer(t, "Enter a value:", "yes\r")
	p.answer(t, "Type yes to approve:", "no\r")
	if code, out := p.wait(t); code != exitStopped {
		t.Fatalf("exit %d; want %d\n%s", code, exitStopped, out)
	}
	p = e.startPTY(nil, args...)
	p.answer(t, "Enter a value:", "yes\r")
	p.answer(t, "Type yes to approve:", "yes\r")
	if code, out := p.wait(t); code != exitOK {
		t.Fatalf("resumed run: exit %d; want 0\n%s", code, out)
	}
	recs, err := runtime.ReadJournal(local.New(e.state))
	if err != nil {
		t.Fatal(err)
	}
	var runs, answers []string
	for _, r := range recs {
		switch r.Type {
		case runtime.RecordRun:
			if r.User == "" || r.Host == "" || r.Answered == nil || r.Answered.After(r.Time) {
				t.Errorf("run record without who confirmed it, or when: %+v", r)
			}
			runs = append(runs, r.Answer)
		case runtime.RecordApproval:
			if r.User == "" || r.Host == "" || r.Time.IsZero() || r.Address != stepApprove {
				t.Errorf("approval record without who, when or the step: %+v", r)
			}
			answers = append(answers, r.Answer)
		}
	}
	if strings.Join(runs, ",") != "yes,yes" || strings.Join(answers, ",") != "no,yes" {
		t.Errorf("the journal's run confirmations %q and approvals %q; want [yes yes] and [no yes]", runs, answers)
	}
}
