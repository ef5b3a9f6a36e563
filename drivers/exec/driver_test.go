package execdriver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/internal/standin/standincheck"
	"github.com/runbookhq/runbook/runtime/procgroup"
	"github.com/runbookhq/runbook/steps"
)

func execCombined(argv ...string) ([]byte, error) {
	return exec.Command(argv[0], argv[1:]...).CombinedOutput()
}

// TestEveryOperation runs the reference procedure on the stand-in through
// the driver, one operation at a time, and audits the stand-in's log.
func TestEveryOperation(t *testing.T) {
	s, d := newStandin(t, threeNodes, Config{})
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	resourceOn := func(st *cluster.Status, res, state, node string) {
		t.Helper()
		if got := st.Resources[res]; got.State != state || got.Node != node {
			t.Errorf("%s is %s on %s; want %s on %s", res, got.State, got.Node, state, node)
		}
	}

	st := mustStatus(t, d)
	if diff := cmp.Diff([]string{"FS1", "FS2", "FS3"}, st.NodeNames()); diff != "" {
		t.Fatalf("nodes (-want +got):\n%s", diff)
	}
	must(d.InstallLicense(ctx, ncs65))
	if st := mustStatus(t, d); !st.HasLicense(ncs65.Product, "6.5") {
		t.Fatalf("licence not installed: %+v", st.Licenses)
	}

	must(d.Leave(ctx, fs1))
	st = mustStatus(t, d)
	if st.Up("FS1") {
		t.Error("FS1 is still up after leave")
	}
	resourceOn(st, "POOL1_SERVER", "running", "FS2")
	must(d.Upgrade(ctx, fs1, "6.5"))
	st = mustStatus(t, d)
	if got := st.Nodes["FS1"]; got != (cluster.NodeStatus{Version: "6.5", State: "up", Media: "6.0"}) {
		t.Errorf("FS1 after upgrade: %+v", got)
	}
	resourceOn(st, "POOL1_SERVER", "running", "FS1") // auto failback

	must(d.Leave(ctx, fs2))
	resourceOn(mustStatus(t, d), "POOL2_SERVER", "running", "FS3")
	must(d.Upgrade(ctx, fs2, "6.5"))
	resourceOn(mustStatus(t, d), "POOL2_SERVER", "running", "FS3") // manual: stays
	must(d.Migrate(ctx, pool2, fs2))
	resourceOn(mustStatus(t, d), "POOL2_SERVER", "running", "FS2")

	must(d.Leave(ctx, fs3))
	resourceOn(mustStatus(t, d), "WEB", "running", "FS1")
	must(d.Upgrade(ctx, fs3, "6.5"))
	st = mustStatus(t, d)
	resourceOn(st, "WEB", "running", "FS3")
	resourceOn(st, "POOL1_SERVER", "running", "FS1")
	resourceOn(st, "POOL2_SERVER", "running", "FS2")

	must(d.Offline(ctx, pool1))
	must(d.Offline(ctx, pool2))
	resourceOn(mustStatus(t, d), "POOL1_SERVER", "upgrade", "FS1") // awaits the media upgrade
	must(d.MediaUpgrade(ctx, fs1))
	if st := mustStatus(t, d); st.MediaVersion != "6.5" {
		t.Errorf("media version %q after media upgrade; want 6.5", st.MediaVersion)
	}
	must(d.MediaRefresh(ctx, fs2))
	must(d.MediaRefresh(ctx, fs3))
	must(d.Online(ctx, pool1, fs1))
	must(d.Online(ctx, pool2, fs2))
	st = mustStatus(t, d)
	resourceOn(st, "POOL1_SERVER", "running", "FS1")
	resourceOn(st, "POOL2_SERVER", "running", "FS2")

	recs := s.records(t)
	if diff := cmp.Diff(standincheck.CL1Operations, standincheck.Operations(recs)); diff != "" {
		t.Errorf("operations (-want +got):\n%s", diff)
	}
	if problems := standincheck.Audit(recs, standincheck.AuditOptions{}); len(problems) > 0 {
		t.Errorf("audit:\n%s", strings.Join(problems, "\n"))
	}
	log := s.log.String()
	wantContains(t, "driver log", log,
		"install licence ncs65 (NetWare 6.5 Cluster Server 6.5): $ "+standinBin+" license add 'NetWare 6.5 Cluster Server' 6.5\n",
		"leave FS1: $ "+standinBin+" leave FS1\n  out| node FS1 left the cluster\n  out| POOL1_SERVER failed over FS1->FS2\n  exit 0",
		"status: $ "+standinBin+" status\n  out| {\"nodes\":")
}

// TestRebootDelay lets the upgraded node stay down for a while, as a real
// reboot does, and waits for it with steps.WaitFor as the steps do.
func TestRebootDelay(t *testing.T) {
	desc := threeNodes
	desc.RebootDelay = "300ms"
	_, d := newStandin(t, desc, Config{})
	ctx := context.Background()
	if err := d.InstallLicense(ctx, ncs65); err != nil {
		t.Fatal(err)
	}
	if err := d.Leave(ctx, fs1); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := d.Upgrade(ctx, fs1, "6.5"); err != nil {
		t.Fatal(err)
	}
	if st := mustStatus(t, d); st.Up("FS1") {
		t.Fatal("FS1 is up at once despite its reboot delay")
	}
	env := &steps.Env{Driver: d, Poll: 50 * time.Millisecond}
	st, err := steps.WaitFor(ctx, env, start.Add(3*time.Second), "FS1 up at 6.5", func(st *cluster.Status) (string, error) {
		if n := st.Nodes["FS1"]; n.State != cluster.NodeUp || n.Version != "6.5" {
			return "FS1 is " + n.State + " at " + n.Version, nil
		}
		return "", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("FS1 rejoined after %s, before its reboot delay", took)
	}
	if got := st.Resources["POOL1_SERVER"]; got.Node != "FS1" {
		t.Errorf("POOL1_SERVER on %s after FS1 rejoined; want it failed back to FS1", got.Node)
	}
}

// TestInDoubtExitCodes: an exit status listed in InDoubtExitCodes (ssh's
// 255 for a dropped connection) leaves the operation in doubt; others fail.
func TestInDoubtExitCodes(t *testing.T) {
	for _, tc := range []struct {
		exit    string
		inDoubt bool
	}{{"255", true}, {"1", false}} {
		ops := cluster.CommandsFunc(func(op string, s cluster.Subject) (cluster.Command, bool, error) {
			return cluster.Command{Shell: "exit " + tc.exit}, true, nil
		})
		d, err := New(Config{Ops: ops, Status: cluster.Command{Shell: "true"}, InDoubtExitCodes: []int{255}})
		if err != nil {
			t.Fatal(err)
		}
		err = d.Leave(context.Background(), fs1)
		if err == nil || errors.Is(err, cluster.ErrInDoubt) != tc.inDoubt {
			t.Errorf("exit %s: err = %v; want in doubt = %v", tc.exit, err, tc.inDoubt)
		}
	}
}

func TestCommandFails(t *testing.T) {
	s, d := newStandin(t, threeNodes, Config{}, "STANDIN_FAULTS=fail:leave:FS2")
	ctx := context.Background()
	if err := d.Leave(ctx, fs1); err != nil {
		t.Fatalf("leave FS1 (not faulted): %v", err)
	}
	err := d.Leave(ctx, fs2)
	if err == nil {
		t.Fatal("leave FS2 succeeded despite the injected failure")
	}
	wantContains(t, "error", err.Error(), "leave FS2: command "+standinBin+" leave FS2 exited with status 1: standin: injected failure of \"leave FS2\"")
	if errors.Is(err, cluster.ErrInDoubt) {
		t.Errorf("a command that exited 1 is in doubt: %v", err)
	}
	var ce *CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 1 {
		t.Errorf("error %#v is not a CommandError with exit code 1", err)
	}
	// A refused operation (the cluster's own error) also carries its stderr.
	err = d.Leave(ctx, fs1)
	if err == nil || !strings.Contains(err.Error(), "standin: node FS1 is not in the cluster") {
		t.Errorf("leave FS1 twice: %v; want the stand-in's refusal", err)
	}
	if st := mustStatus(t, d); !st.Up("FS2") {
		t.Error("the failed leave took FS2 out of the cluster")
	}
	if recs := s.records(t); recs[len(recs)-2].Exit != 1 {
		t.Errorf("the stand-in did not log the failure: %+v", recs[len(recs)-2])
	}
}

// TestCommandHangs: the stand-in's upgrade takes effect and then hangs; the
// per-command timeout kills it and the driver reports the outcome in doubt.
func TestCommandHangs(t *testing.T) {
	_, d := newStandin(t, threeNodes, Config{CommandTimeout: 500 * time.Millisecond, KillGrace: 500 * time.Millisecond},
		"STANDIN_FAULTS=hang-after:upgrade", "STANDIN_HANG=1m")
	ctx := context.Background()
	if err := d.InstallLicense(ctx, ncs65); err != nil {
		t.Fatal(err)
	}
	if err := d.Leave(ctx, fs1); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := d.Upgrade(ctx, fs1, "6.5")
	took := time.Since(start)
	if !errors.Is(err, cluster.ErrInDoubt) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v; want one wrapping ErrInDoubt and DeadlineExceeded", err)
	}
	wantContains(t, "error", err.Error(), "upgrade FS1 to 6.5: command", "did not finish within 500ms (the exec driver's command timeout)")
	if took > 3*time.Second {
		t.Errorf("the hanging command took %s to stop", took)
	}
	// It took effect before it hung: the runtime learns that from status.
	if st := mustStatus(t, d); st.Nodes["FS1"].Version != "6.5" {
		t.Errorf("FS1 at %s; the upgrade took effect before the hang", st.Nodes["FS1"].Version)
	}
}

// TestStepDeadline: the caller's context (the step's deadline) stops a
// command that hangs before it does anything.
func TestStepDeadline(t *testing.T) {
	_, d := newStandin(t, threeNodes, Config{KillGrace: 500 * time.Millisecond}, "STANDIN_FAULTS=hang:leave", "STANDIN_HANG=1m")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := d.Leave(ctx, fs1)
	if !errors.Is(err, cluster.ErrInDoubt) {
		t.Fatalf("err = %v; want in doubt", err)
	}
	wantContains(t, "error", err.Error(), "leave FS1: command", "did not finish before the step's deadline")
}

// TestKillsProcessGroup: a command whose children outlive the shell, and
// which ignores SIGTERM, is killed with its whole process group.
func TestKillsProcessGroup(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		minTook      time.Duration
	}{
		{"term", `echo $$ > pgid; sleep 30 & echo $! > child; wait`, 0},
		{"term-ignored", `trap '' TERM; echo $$ > pgid; sleep 30 & echo $! > child; wait; wait`, 400 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			d := shellDriver(t, dir, tc.script, Config{CommandTimeout: 500 * time.Millisecond, KillGrace: 400 * time.Millisecond})
			start := time.Now()
			err := d.Leave(context.Background(), fs1)
			took := time.Since(start)
			if !errors.Is(err, cluster.ErrInDoubt) {
				t.Fatalf("err = %v; want in doubt", err)
			}
			if took < 500*time.Millisecond+tc.minTook || took > 3*time.Second {
				t.Errorf("took %s", took)
			}
			pgid := readInt(t, filepath.Join(dir, "pgid"))
			child := readInt(t, filepath.Join(dir, "child"))
			if procgroup.Alive(pgid) {
				t.Errorf("process group %d still has a live member after the kill", pgid)
			}
			if procgroup.ProcessAlive(child) {
				t.Errorf("child %d of the command still runs", child)
			}
		})
	}
}

func TestInterrupted(t *testing.T) {
	d := shellDriver(t, t.TempDir(), "sleep 30", Config{KillGrace: 500 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	err := d.Offline(ctx, pool1)
	if !errors.Is(err, cluster.ErrInDoubt) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want in doubt and canceled", err)
	}
	wantContains(t, "error", err.Error(), "offline POOL1_SERVER: command /bin/sh -c 'sleep 30' was interrupted")

	// A context already done starts nothing, so nothing is in doubt.
	err = d.Offline(ctx, pool1)
	if err == nil || errors.Is(err, cluster.ErrInDoubt) {
		t.Errorf("err = %v; want a failure not in doubt", err)
	}
}

// TestKilledBySignal: a command killed by someone else may have acted.
func TestKilledBySignal(t *testing.T) {
	d := shellDriver(t, t.TempDir(), "kill -KILL $$", Config{})
	err := d.Leave(context.Background(), fs1)
	if !errors.Is(err, cluster.ErrInDoubt) {
		t.Fatalf("err = %v; want in doubt", err)
	}
	wantContains(t, "error", err.Error(), "was killed by signal killed")
}

// TestStatusKilledByStopSignal: a status command killed by a signal that
// stops a runbook (as a Ctrl-C sent to the runbook's process group kills a
// command forked at that moment, before it has its own group) runs once
// more; killed again, or by another signal, it fails. An operation's command
// killed so is never run again: it is in doubt.
func TestStatusKilledByStopSignal(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sig    syscall.Signal
		kills  int // runs that kill themselves, first to last
		runs   int
		errors []string
	}{
		{"int", syscall.SIGINT, 1, 2, nil},
		{"term", syscall.SIGTERM, 1, 2, nil},
		{"hup", syscall.SIGHUP, 1, 2, nil},
		{"quit", syscall.SIGQUIT, 1, 2, nil},
		{"int-twice", syscall.SIGINT, 2, 2, []string{"status: command", "was killed by signal interrupt"}},
		{"kill", syscall.SIGKILL, 1, 1, []string{"was killed by signal killed"}},
		{"usr1", syscall.SIGUSR1, 1, 1, []string{"was killed by signal user defined signal 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if signal.Ignored(tc.sig) {
				t.Skipf("%s is ignored in this process, and so in the commands it starts", tc.sig)
			}
			dir := t.TempDir()
			script := fmt.Sprintf(`n=$(($(cat runs 2>/dev/null || echo 0) + 1)); echo $n > runs
if [ $n -le %d ]; then kill -%d $$; exit 9; fi
printf '{"nodes": {"FS1": {"version": "6.5", "state": "up"}}}'`, tc.kills, int(tc.sig))
			d := mustNew(t, Config{Status: cluster.Command{Shell: script}, Dir: dir})
			st, err := d.Status(context.Background())
			if got := readInt(t, filepath.Join(dir, "runs")); got != tc.runs {
				t.Errorf("the status command ran %d times; want %d", got, tc.runs)
			}
			if tc.errors == nil {
				if err != nil {
					t.Fatal(err)
				}
				if !st.Up("FS1") {
					t.Errorf("status = %+v", st)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			wantContains(t, "error", err.Error(), tc.errors...)
		})
	}
	t.Run("operation", func(t *testing.T) {
		if signal.Ignored(syscall.SIGINT) {
			t.Skip("SIGINT is ignored in this process, and so in the commands it starts")
		}
		dir := t.TempDir()
		d := shellDriver(t, dir, `echo x >> runs; kill -INT $$; exit 9`, Config{})
		err := d.Leave(context.Background(), fs1)
		if !errors.Is(err, cluster.ErrInDoubt) {
			t.Fatalf("err = %v; want in doubt", err)
		}
		wantContains(t, "error", err.Error(), "was killed by signal interrupt")
		if got := readFile(t, filepath.Join(dir, "runs")); got != "x\n" {
			t.Errorf("the operation's command ran %d times; want once", strings.Count(got, "x"))
		}
	})
}

func TestStatusInvalidJSON(t *testing.T) {
	_, d := newStandin(t, threeNodes, Config{}, "STANDIN_FAULTS=bad-status")
	_, err := d.Status(context.Background())
	if err == nil {
		t.Fatal("no error for invalid status JSON")
	}
	wantContains(t, "error", err.Error(), "status: command "+standinBin+" status: invalid status JSON:", `its output begins "Cluster CL1: status follows\n{\"nodes\":`)
}

func TestStatusErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cmd   cluster.Command
		cfg   Config
		wants []string
	}{
		{"empty", cluster.Command{Shell: "true"}, Config{}, []string{"status: command /bin/sh -c true printed nothing; it must print the cluster's status JSON"}},
		{"shape", cluster.Command{Argv: []string{"echo", `{"resources": {}}`}}, Config{}, []string{`invalid status JSON: no "nodes" object`}},
		{"state", cluster.Command{Argv: []string{"echo", `{"nodes": {"FS1": {"version": "6.0", "state": "sleeping"}}}`}}, Config{}, []string{`node "FS1" has state "sleeping"`}},
		{"exit", cluster.Command{Shell: "echo 'cluster not running' >&2; exit 3"}, Config{}, []string{"exited with status 3: cluster not running"}},
		{"too-large", cluster.Command{Shell: `printf '{"nodes": {}, "pad": "%0300d"}' 0`}, Config{MaxOutput: 100}, []string{"printed more than 100 bytes"}},
		{"missing", cluster.Command{Argv: []string{"/nonexistent/ncs-admin", "status"}}, Config{}, []string{"status: command /nonexistent/ncs-admin status could not be started"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Status = tc.cmd
			d, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = d.Status(context.Background())
			if err == nil {
				t.Fatal("no error")
			}
			wantContains(t, "error", err.Error(), tc.wants...)
			if errors.Is(err, cluster.ErrInDoubt) {
				t.Errorf("a status failure is in doubt: %v", err)
			}
		})
	}
}

func TestStatusShell(t *testing.T) {
	d, err := New(Config{Status: cluster.Command{Shell: `printf '{"nodes": {"%s": {"version": "6.5", "state": "up"}}, "media_version": "6.0"}' "$NODE"`},
		Env: []string{"NODE=FS9"}})
	if err != nil {
		t.Fatal(err)
	}
	st := mustStatus(t, d)
	if !st.Up("FS9") || st.MediaVersion != "6.0" {
		t.Errorf("status = %+v", st)
	}
}

// TestArgvVsShell: a list runs as argv, so its words reach the command as
// they are; a string runs under /bin/sh -c, which expands them.
func TestArgvVsShell(t *testing.T) {
	dir := t.TempDir()
	word := `it's $X; "quoted" | ${node}`
	ops := cluster.CommandsFunc(func(op string, s cluster.Subject) (cluster.Command, bool, error) {
		switch op {
		case cluster.OpLeave:
			return cluster.Command{Argv: []string{"sh", "-c", `printf '%s\n' "$@" > argv.out`, "sh", word, s.Node.Address}}, true, nil
		case cluster.OpUpgrade:
			return cluster.Command{Shell: "echo " + s.Node.Name + " $X " + s.To + " > shell.out; pwd >> shell.out"}, true, nil
		}
		return cluster.Command{}, false, nil
	})
	d, err := New(Config{Ops: ops, Status: cluster.Command{Argv: []string{"true"}}, Dir: dir, Env: []string{"X=expanded"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Leave(context.Background(), fs1); err != nil {
		t.Fatal(err)
	}
	if err := d.Upgrade(context.Background(), fs1, "6.5"); err != nil {
		t.Fatal(err)
	}
	if got, want := readFile(t, filepath.Join(dir, "argv.out")), word+"\n10.10.0.11\n"; got != want {
		t.Errorf("argv command got %q; want %q", got, want)
	}
	if got, want := readFile(t, filepath.Join(dir, "shell.out")), "FS1 expanded 6.5\n"+dir+"\n"; got != want {
		t.Errorf("shell command got %q; want %q", got, want)
	}
}

// TestOwnProcessGroup: the command leads a process group of its own, so the
// terminal's Ctrl-C (sent to the runbook's foreground group) never reaches it.
func TestOwnProcessGroup(t *testing.T) {
	dir := t.TempDir()
	d := shellDriver(t, dir, `echo $$ > pid; cut -d' ' -f5 /proc/$$/stat > pgid`, Config{})
	if err := d.Leave(context.Background(), fs1); err != nil {
		t.Fatal(err)
	}
	pid, pgid := readInt(t, filepath.Join(dir, "pid")), readInt(t, filepath.Join(dir, "pgid"))
	if pgid != pid {
		t.Errorf("the command (pid %d) is in process group %d; want its own", pid, pgid)
	}
	if own := syscall.Getpgrp(); pgid == own {
		t.Errorf("the command shares the runbook's process group %d", own)
	}
}

func TestNotDeclared(t *testing.T) {
	ops := cluster.CommandsFunc(func(op string, s cluster.Subject) (cluster.Command, bool, error) {
		return cluster.Command{}, false, nil
	})
	for _, d := range []*Driver{mustNew(t, Config{Ops: ops, Status: cluster.Command{Shell: "true"}}), mustNew(t, Config{Status: cluster.Command{Shell: "true"}})} {
		err := d.Migrate(context.Background(), pool2, fs2)
		if !errors.Is(err, ErrNotDeclared) {
			t.Fatalf("err = %v; want ErrNotDeclared", err)
		}
		wantContains(t, "error", err.Error(), `migrate POOL2_SERVER to FS2:`, `has no "migrate" command; add migrate = ["COMMAND", "ARG", ...] (or a shell string) to the exec {} block of the cluster`)
	}
}

func TestOpsError(t *testing.T) {
	ops := cluster.CommandsFunc(func(op string, s cluster.Subject) (cluster.Command, bool, error) {
		return cluster.Command{}, true, errors.New("Unsupported attribute: This object does not have an attribute named \"adress\"")
	})
	d := mustNew(t, Config{Ops: ops, Status: cluster.Command{Shell: "true"}})
	err := d.Leave(context.Background(), fs1)
	wantContains(t, "error", err.Error(), `leave FS1: evaluating the leave command of the exec {} block: Unsupported attribute`)
}

func TestNewNeedsStatus(t *testing.T) {
	_, err := New(Config{})
	if err == nil || !strings.Contains(err.Error(), "add status = [") {
		t.Errorf("err = %v; want one asking for a status command", err)
	}
}

func TestEmptyCommand(t *testing.T) {
	ops := cluster.CommandsFunc(func(op string, s cluster.Subject) (cluster.Command, bool, error) {
		return cluster.Command{Argv: []string{}}, true, nil
	})
	err := mustNew(t, Config{Ops: ops, Status: cluster.Command{Shell: "true"}}).Leave(context.Background(), fs1)
	if err == nil || !strings.Contains(err.Error(), "leave FS1: the command is empty") {
		t.Errorf("err = %v", err)
	}
}

// TestOutputBounded: a command that floods its output is read to the end,
// keeps only MaxOutput bytes, and quotes only the end of its stderr.
func TestOutputBounded(t *testing.T) {
	log := &syncBuffer{}
	d := shellDriver(t, t.TempDir(), `head -c 1000000 /dev/zero | tr '\0' x; head -c 1000000 /dev/zero | tr '\0' y >&2; echo ' the real reason' >&2; exit 1`,
		Config{MaxOutput: 4096, Log: log})
	err := d.Leave(context.Background(), fs1)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if len(msg) > maxErrOutput+500 {
		t.Errorf("error message is %d bytes long", len(msg))
	}
	wantContains(t, "error", msg, "exited with status 1: ...yyyy")
	wantContains(t, "log", log.String(), "out| [995904 more bytes not kept]", "err| [995921 more bytes not kept]")
}

func TestStandinRefusesUnlicensedRejoin(t *testing.T) {
	_, d := newStandin(t, threeNodes, Config{})
	ctx := context.Background()
	if err := d.Leave(ctx, fs1); err != nil {
		t.Fatal(err)
	}
	if err := d.Upgrade(ctx, fs1, "6.5"); err != nil {
		t.Fatal(err)
	}
	if got := mustStatus(t, d).Nodes["FS1"]; got.State != cluster.NodeDown {
		t.Errorf("FS1 is %s at %s; an unlicensed node must not rejoin", got.State, got.Version)
	}

	// Two nodes: the licences ship with both versions.
	two := standincheck.Description{Nodes: threeNodes.Nodes[:2], Licenses: threeNodes.Licenses,
		Resources: []standincheck.Resource{{Name: "R", Preferred: []string{"FS1", "FS2"}}}}
	_, d = newStandin(t, two, Config{})
	if err := d.Leave(ctx, fs1); err != nil {
		t.Fatal(err)
	}
	if err := d.Upgrade(ctx, fs1, "6.5"); err != nil {
		t.Fatal(err)
	}
	if !mustStatus(t, d).Up("FS1") {
		t.Error("FS1 of a two-node cluster did not rejoin")
	}
}

func TestStandinRebootFails(t *testing.T) {
	s, d := newStandin(t, threeNodes, Config{}, "STANDIN_FAULTS=reboot-fails:FS1")
	ctx := context.Background()
	for _, err := range []error{d.InstallLicense(ctx, ncs65), d.Leave(ctx, fs1), d.Upgrade(ctx, fs1, "6.5"), d.Leave(ctx, fs2)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := mustStatus(t, d)
	if diff := cmp.Diff([]string{"FS1", "FS2"}, st.Down()); diff != "" {
		t.Errorf("down nodes (-want +got):\n%s", diff)
	}
	problems := standincheck.Audit(s.records(t), standincheck.AuditOptions{Partial: true})
	want := []string{"#5 (leave FS2): nodes FS1, FS2 were down together (R2)"}
	if diff := cmp.Diff(want, problems); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
}

// TestAuditFindsViolations: the audit catches what a wrong runbook does.
func TestAuditFindsViolations(t *testing.T) {
	desc := threeNodes
	desc.Resources = append(desc.Resources, standincheck.Resource{Name: "LONELY", Preferred: []string{"FS2"}})
	s, d := newStandin(t, desc, Config{})
	ctx := context.Background()
	for _, err := range []error{
		d.Upgrade(ctx, fs1, "6.5"), // no leave, no licence: FS1 stays down
		d.InstallLicense(ctx, ncs65),
		d.Leave(ctx, fs2), // LONELY goes offline; FS1 and FS2 down
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := standincheck.Audit(s.records(t), standincheck.AuditOptions{})
	want := []string{
		"#2 (upgrade FS1 6.5): node FS1 was upgraded without leaving the cluster first (R2)",
		"#2 (upgrade FS1 6.5): node FS1 was upgraded to 6.5 before the licence NetWare 6.5 Cluster Server 6.5 was installed (R1)",
		"#4 (leave FS2): nodes FS1, FS2 were down together (R2)",
		"#4 (leave FS2): resource LONELY is offline, running on no node (R3)",
		"node FS2 was never upgraded",
		"node FS3 was never upgraded",
		"the media were never upgraded (R7)",
		"at the end, resources are not running: LONELY (offline)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
	// The same through the stand-in's audit command.
	out, err := runStandin(s.dir, "audit")
	if err == nil || !strings.Contains(string(out), "standin: audit: 8 problems") {
		t.Errorf("standin audit: %v\n%s", err, out)
	}
}

func shellDriver(t *testing.T, dir, script string, cfg Config) *Driver {
	t.Helper()
	cfg.Ops = cluster.CommandsFunc(func(op string, s cluster.Subject) (cluster.Command, bool, error) {
		return cluster.Command{Shell: script}, true, nil
	})
	cfg.Status = cluster.Command{Shell: "true"}
	cfg.Dir = dir
	return mustNew(t, cfg)
}

func mustNew(t *testing.T, cfg Config) *Driver {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func readInt(t *testing.T, path string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(readFile(t, path)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestStandinConcurrent: the stand-in's file lock keeps concurrent
// invocations from losing updates or interleaving its log.
func TestStandinConcurrent(t *testing.T) {
	s, d := newStandin(t, threeNodes, Config{})
	ctx := context.Background()
	errs := make(chan error, 40)
	for i := 0; i < 20; i++ {
		go func() { _, err := d.Status(ctx); errs <- err }()
		go func() { errs <- d.Migrate(ctx, web, []cluster.Node{fs1, fs2, fs3}[i%3]) }()
	}
	for i := 0; i < 40; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	recs := s.records(t)
	if len(recs) != 41 {
		t.Errorf("%d log records; want 41", len(recs))
	}
	for i, r := range recs {
		if r.Seq != i+1 {
			t.Fatalf("record %d has seq %d", i, r.Seq)
		}
	}
}

func TestLogStatusChanges(t *testing.T) {
	s, d := newStandin(t, threeNodes, Config{LogStatusChanges: true})
	for i := 0; i < 3; i++ {
		mustStatus(t, d)
	}
	if err := d.Leave(context.Background(), fs1); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, d)
	mustStatus(t, d)
	if got := strings.Count(s.log.String(), "status: $ "); got != 2 {
		t.Errorf("%d status commands logged; want 2 (one per distinct output):\n%s", got, s.log.String())
	}
}

// TestReportsProcessGroup: an operation reports its command's process group
// through the context as soon as it started, and the command does nothing
// until the report has returned; a status read reports none.
func TestReportsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	d := shellDriver(t, dir, `echo $$ > pgid`, Config{})
	var reported []int
	var ranFile string
	ctx := cluster.WithCommandStarted(context.Background(), func(c cluster.StartedCommand) {
		pgid := c.Pgid
		ranFile = c.Ran
		reported = append(reported, pgid)
		if !procgroup.Alive(pgid) {
			t.Errorf("process group %d reported, but not running", pgid)
		}
		// The command waits at the gate until the report returns.
		time.Sleep(50 * time.Millisecond)
		if _, err := os.Stat(filepath.Join(dir, "pgid")); err == nil {
			t.Errorf("the command acted before its start was reported")
		}
		if _, err := os.Stat(c.Ran); err == nil || c.Ran == "" {
			t.Errorf("the Ran file %q exists before the gate opened", c.Ran)
		}
	})
	if err := d.Leave(ctx, fs1); err != nil {
		t.Fatal(err)
	}
	if want := []int{readInt(t, filepath.Join(dir, "pgid"))}; !cmp.Equal(reported, want) {
		t.Errorf("reported %v; want the command's group %v", reported, want)
	}
	if _, err := os.Stat(ranFile); err == nil {
		t.Errorf("the Ran file %s is left behind", ranFile)
	}
	if _, err := d.Status(ctx); err == nil || len(reported) != 1 {
		t.Errorf("status: %v, reported %v; want a status error (true prints nothing) and no report", err, reported)
	}
}

// TestGateClosed: a command whose gate is never opened (the runbook died
// before it reported the command's start) runs nothing.
func TestGateClosed(t *testing.T) {
	dir := t.TempDir()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", gateScript, "runbook-gate", filepath.Join(dir, "ran"), "touch", filepath.Join(dir, "acted"))
	cmd.ExtraFiles = []*os.File{r}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	w.Close()
	if err := cmd.Wait(); err == nil || cmd.ProcessState.ExitCode() != 125 {
		t.Errorf("exit %v; want 125", err)
	}
	for _, f := range []string{"acted", "ran"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s exists, although the gate never opened", f)
		}
	}
}
