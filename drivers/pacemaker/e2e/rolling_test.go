package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runbookhq/runbook/internal/pacemaker/harness"
)

const prefix = "runbook-pcmk-e2e"

var (
	root       string // the module's root
	runbookBin string
	pcmkctlBin string
)

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	root = filepath.Join(wd, "..", "..", "..")
	bin, err := os.MkdirTemp("", prefix+"-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(bin)
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/runbook", "./internal/pacemaker/harness/pcmkctl")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the runbook and pcmkctl binaries: %v\n%s", err, out)
		return 1
	}
	runbookBin, pcmkctlBin = filepath.Join(bin, "runbook"), filepath.Join(bin, "pcmkctl")
	return m.Run()
}

// touchSources opens every file the binaries are built from, and the
// runbooks they run, so that go test's cache of this package's result is
// keyed on them: the test binary itself does not import the runtime, the
// language or the command, and a cached pass after a change to them would
// be a pass of code that no longer exists. It must run inside a test: go
// test records the files a test opens, not those TestMain opens before
// m.Run.
func touchSources(root string) error {
	var dirs []string
	for _, d := range []string{"cmd", "lang", "runtime", "steps", "runbooks"} {
		dirs = append(dirs, filepath.Join(root, d))
	}
	dirs = append(dirs, filepath.Join(root, "go.mod"), filepath.Join(root, "go.sum"))
	for _, d := range dirs {
		err := filepath.WalkDir(d, func(path string, e os.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			if ext := filepath.Ext(path); ext != ".go" && ext != ".hcl" && ext != ".mod" && ext != ".sum" {
				return nil
			}
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			return f.Close()
		})
		if err != nil {
			return fmt.Errorf("reading the sources: %w", err)
		}
	}
	return nil
}

// reportFile is where the downtime and timing report is written, besides
// the test log.
func reportFile() string {
	if f := os.Getenv("RUNBOOK_PCMK_REPORT"); f != "" {
		return f
	}
	return filepath.Join(os.TempDir(), "runbook-pacemaker-e2e-report.txt")
}

// TestRollingUpgrade rolls the harness's cluster with
// runbooks/pacemaker-rolling-upgrade.hcl: (a) a rehearsal on the simulator,
// (b) the live run under the probe, (c) a run to the next version in which
// a second node dies in the middle of an upgrade, then the resumed run.
func TestRollingUpgrade(t *testing.T) {
	if err := touchSources(root); err != nil {
		t.Fatal(err)
	}
	harness.Require(t)
	tStart := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 330*time.Second)
	defer cancel()
	if removed, err := harness.CleanupLeftovers(prefix); err != nil {
		t.Fatal(err)
	} else if len(removed) > 0 {
		t.Logf("removed leftovers of crashed runs: %v", removed)
	}

	rs := harness.DefaultResources()
	homes := harness.Homes(rs...)
	c, err := harness.Start(ctx, harness.Options{Prefix: prefix, Resources: rs, Logf: t.Logf, Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	dir, inodes := c.Dir, c.Inodes()
	closed := false
	defer func() {
		if t.Failed() && !closed {
			for _, n := range c.Nodes() {
				t.Log(c.LogTail(n, 25))
			}
		}
		if !closed {
			if err := c.Close(); err != nil {
				t.Error(err)
			}
		}
	}()
	t.Logf("TIMING cluster up: %v", time.Since(tStart).Round(time.Millisecond))
	initial := constraints(ctx, t, c)
	book := filepath.Join(root, "runbooks", "pacemaker-rolling-upgrade.hcl")
	vars := []string{"--var", "harness_dir=" + c.Dir, "--var", "pcmkctl=" + pcmkctlBin}

	// (a) The rehearsal.
	sim := runbook(ctx, t, 30*time.Second, nil, append([]string{"run", "--driver", "sim", "--auto-approve", "--json", "--state", t.TempDir()}, append(vars, book)...)...)
	if sim.exit != 0 || sim.summary == nil {
		t.Fatalf("rehearsal: exit %d, stderr:\n%s", sim.exit, sim.stderr)
	}
	predicted := sim.summary.DowntimeSeconds

	// (b) The live run, under the probes.
	names := sortedKeys(homes)
	p := startProbe(ctx, c, nil)
	fp := startFileProbe(c, names)
	liveState := t.TempDir()
	live := runbook(ctx, t, 100*time.Second, nil, append([]string{"run", "--auto-approve", "--json", "--state", liveState}, append(vars, book)...)...)
	samples := p.stop()
	fileDown, _ := fp.stop()
	if live.exit != 0 {
		t.Fatalf("live run: exit %d, stderr:\n%s\nlast events:\n%s", live.exit, live.stderr, live.tail(15))
	}
	t.Logf("TIMING live run: %v, %d probe samples", live.wall.Round(time.Millisecond), len(samples))
	schema := live.window("step.media-upgrade.schema")
	a := analyse(samples, homes, schema)
	for _, v := range a.violations {
		t.Error(v)
	}
	for _, g := range a.glitches {
		t.Log(g)
	}
	checkEnd(ctx, t, c, homes, "2.0", initial)
	// The runtime's downtime (the driver's, from the executor's log)
	// against the 10 ms probe.
	bound := downtimeBound(t)
	for _, r := range names {
		if diff := live.summary.DowntimeSeconds[r] - fileDown[r].Seconds(); diff > bound || diff < -bound {
			t.Errorf("%s: the run says %.3fs of downtime, the 10 ms probe saw %.3fs (bound %.1fs)", r, live.summary.DowntimeSeconds[r], fileDown[r].Seconds(), bound)
		}
	}
	// A failover is a move, never an alarm.
	for _, e := range live.events {
		if e.Alarm {
			t.Errorf("alarm in the live run: %s %s %s", e.Time.Format("15:04:05.000"), e.Step, e.Message)
		}
	}
	// rD is not shared: the media step leaves it running, never restarted.
	if a.inSchema["rD"] != 0 {
		t.Errorf("rD (not shared) was down %v in the schema step", a.inSchema["rD"])
	}
	if before, after := startCallAround(samples, "rD", schema); before != after {
		t.Errorf("rD (not shared) restarted in the schema step: start call %d, then %d", before, after)
	}

	// (d) The report: predicted against measured downtime, and the
	// runtime's share of the window.
	work := a.work(readTimings(t, c.Dir, live.start, live.start.Add(live.wall)), homes)
	var b strings.Builder
	fmt.Fprintf(&b, "Rolling upgrade of the harness cluster (3 nodes, 4 resources) with %s\n\n", filepath.Base(book))
	fmt.Fprintf(&b, "%-9s %12s %14s %16s %14s %14s\n", "resource", "predicted", "measured", "of which schema", "measured", "runtime says")
	fmt.Fprintf(&b, "%-9s %12s %14s %16s %14s %14s\n", "", "(simulator)", "(crm_mon, 100ms)", "(crm_mon)", "(files, 10ms)", "(live run)")
	for _, r := range sortedKeys(homes) {
		fmt.Fprintf(&b, "%-9s %11.1fs %13.1fs %15.1fs %13.3fs %13.3fs\n", r, predicted[r], a.downtime[r].Seconds(), a.inSchema[r].Seconds(), fileDown[r].Seconds(), live.summary.DowntimeSeconds[r])
	}
	fmt.Fprintf(&b, "\nwall time of the live run (runbook run, process start to exit): %v\n", live.wall.Round(time.Millisecond))
	total := time.Duration(0)
	for _, k := range work.order {
		fmt.Fprintf(&b, "  %-34s %v\n", k, work.d[k].Round(time.Millisecond))
		total += work.d[k]
	}
	fmt.Fprintf(&b, "cluster's own work (sum of the above): %v\n", total.Round(time.Millisecond))
	fmt.Fprintf(&b, "runtime's share of the window: %v (%.0f%%)\n", (live.wall - total).Round(time.Millisecond), 100*(live.wall-total).Seconds()/live.wall.Seconds())
	t.Log("\n" + b.String())
	if err := os.WriteFile(reportFile(), []byte(b.String()), 0o644); err != nil {
		t.Error(err)
	} else {
		t.Logf("report written to %s", reportFile())
	}
	checkReport(ctx, t, liveState, append(vars, book), live, fileDown)

	// (c) Roll on to 3.0; n3 dies hard while n2 is being upgraded.
	vars3 := append(vars, "--var", "from_version=2.0", "--var", "target_version=3.0")
	state := t.TempDir()
	n2Out := make(chan struct{})
	var once sync.Once
	p = startProbe(ctx, c, func(s sample) {
		if n, ok := s.nodes["n2"]; ok && !n.online {
			once.Do(func() { close(n2Out) })
		}
	})
	killed := make(chan error, 1)
	kctx, kcancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-n2Out:
			t.Logf("n2 is out for its upgrade: killing n3")
			killed <- c.KillNode(ctx, "n3")
		case <-kctx.Done():
			killed <- fmt.Errorf("n2 never went out: %w", kctx.Err())
		}
	}()
	broken := runbook(ctx, t, 75*time.Second, nil, append([]string{"run", "--auto-approve", "--json", "--state", state}, append(vars3, book)...)...)
	kcancel()
	p.stop()
	if err := <-killed; err != nil {
		t.Fatalf("killing n3: %v (run exit %d)", err, broken.exit)
	}
	failed := broken.failedStep()
	if broken.exit != 1 || failed == nil || !strings.Contains(failed.Message, "n3") {
		t.Fatalf("the run with n3 killed: exit %d, failed step %+v; want exit 1 and a message naming n3\nstderr:\n%s\nlast events:\n%s", broken.exit, failed, broken.stderr, broken.tail(15))
	}
	t.Logf("the run stopped: %s: %s", failed.Step, failed.Message)
	if err := c.StartNode(ctx, "n3"); err != nil {
		t.Fatal(err)
	}
	sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
	err = c.Settle(sctx)
	scancel()
	if err != nil {
		t.Fatal(err)
	}
	resumed := runbook(ctx, t, 90*time.Second, nil, append([]string{"run", "--auto-approve", "--json", "--state", state}, append(vars3, book)...)...)
	if resumed.exit != 0 {
		t.Fatalf("resumed run: exit %d, stderr:\n%s\nlast events:\n%s", resumed.exit, resumed.stderr, resumed.tail(15))
	}
	t.Logf("TIMING run with the kill %v, resumed run %v", broken.wall.Round(time.Millisecond), resumed.wall.Round(time.Millisecond))
	checkEnd(ctx, t, c, homes, "3.0", initial)

	// (e) Roll on to 4.0, killing runbook (SIGKILL) at the worst points,
	// each time resuming at once: during the leave of n1, during the
	// failback move of rD, in the upgrade of n2 once it rejoined in standby
	// (its upgrade command finishes on its own), and after the schema
	// upgrade, with the shared resources stopped.
	kills := killRoll(ctx, t, c, names, predicted, fileDown, append(vars, "--var", "from_version=3.0", "--var", "target_version=4.0", book))
	checkEnd(ctx, t, c, homes, "4.0", initial)
	b.WriteString(kills)
	if err := os.WriteFile(reportFile(), []byte(b.String()), 0o644); err != nil {
		t.Error(err)
	}

	// (f) Operator bans, before a roll to 5.0: rC banned from n1 and n2 has
	// nowhere to go when n3 leaves; rA banned from n2, its failover node
	// from n1, would go to n3. The run refuses before any node leaves,
	// naming both; nothing changes.
	for _, ban := range [][2]string{{"rC", "n1"}, {"rC", "n2"}, {"rA", "n2"}} {
		if _, err := c.Exec(ctx, anyRunning(c), "crm_resource", "--ban", "--resource", ban[0], "--node", ban[1]); err != nil {
			t.Fatal(err)
		}
	}
	banned := runbook(ctx, t, 60*time.Second, nil, append([]string{"run", "--auto-approve", "--json", "--state", t.TempDir()},
		append(vars, "--var", "from_version=4.0", "--var", "target_version=5.0", book)...)...)
	// plan --driver pacemaker makes the same check, and changes nothing.
	pctx, pcancel := context.WithTimeout(ctx, 60*time.Second)
	plan := exec.CommandContext(pctx, runbookBin, append([]string{"plan", "--driver", "pacemaker"},
		append(vars, "--var", "from_version=4.0", "--var", "target_version=5.0", book)...)...)
	var planErr bytes.Buffer
	plan.Stderr = &planErr
	perr := plan.Run()
	pcancel()
	if plan.ProcessState == nil || plan.ProcessState.ExitCode() != 1 || !strings.Contains(planErr.String(), "cli-ban-rA-on-n2") || !strings.Contains(planErr.String(), "would have nowhere to run when n3 leaves") {
		t.Errorf("plan --driver pacemaker with the bans: %v, stderr:\n%s", perr, planErr.String())
	}
	var drifts []string
	for _, e := range banned.events {
		if e.Type == "drift" {
			drifts = append(drifts, e.Message)
		}
	}
	joined := strings.Join(drifts, "\n")
	if banned.exit != 1 || !strings.Contains(joined, "resource rC: would have nowhere to run when n3 leaves") || !strings.Contains(joined, "cli-ban-rC-on-n1") ||
		!strings.Contains(joined, "resource rA: would go to n3 when n1 leaves, not to n2") || !strings.Contains(joined, "cli-ban-rA-on-n2") {
		t.Errorf("the run with the bans: exit %d, drift:\n%s\nstderr:\n%s", banned.exit, joined, banned.stderr)
	}
	if st, err := c.Status(ctx); err != nil {
		t.Error(err)
	} else {
		for _, n := range c.Nodes() {
			if ns := st.Node(n); ns == nil || !ns.Online || ns.Standby {
				t.Errorf("%s left the cluster although the run was refused: %+v", n, ns)
			}
		}
	}
	if _, err := c.WaitWhere(ctx, homes); err != nil {
		t.Errorf("resources not home after the refused run: %v", err)
	}
	for _, r := range []string{"rC", "rA"} {
		if _, err := c.Exec(ctx, anyRunning(c), "crm_resource", "--clear", "--resource", r); err != nil {
			t.Fatal(err)
		}
	}
	checkEnd(ctx, t, c, homes, "4.0", initial)

	// Nothing left behind.
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	closed = true
	_ = b
	for _, r := range harness.Remains(dir, inodes) {
		t.Errorf("left behind: %s", r)
	}
	t.Logf("TIMING whole test (from the lock): %v", time.Since(tStart).Round(time.Millisecond))
}

// checkEnd asserts the end state of a roll: every node online at version,
// every resource on its home node, the constraints as they were and no
// standby attribute left.
func checkEnd(ctx context.Context, t *testing.T, c *harness.Cluster, homes map[string]string, version string, initial []string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := c.WaitWhere(wctx, homes); err != nil {
		t.Errorf("resources not home at the end: %v", err)
	}
	s, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if on := s.OnlineNodes(); len(on) != 3 {
		t.Errorf("online at the end: %v", on)
	}
	for _, n := range c.Nodes() {
		if v, err := c.Version(n); err != nil || v != version {
			t.Errorf("%s at version %q (%v), want %s", n, v, err, version)
		}
		if ns := s.Node(n); ns == nil || ns.Standby {
			t.Errorf("%s in standby at the end", n)
		}
	}
	got := constraints(ctx, t, c)
	if strings.Join(got, " ") != strings.Join(initial, " ") {
		t.Errorf("constraints at the end: %v; before the run: %v", got, initial)
	}
	for _, id := range got {
		if strings.HasPrefix(id, "cli-") || strings.HasPrefix(id, "runbook-") {
			t.Errorf("constraint %s left behind", id)
		}
	}
	out, err := c.Exec(ctx, anyRunning(c), "cibadmin", "--query", "--scope", "nodes")
	if err != nil || strings.Contains(string(out), "standby") {
		t.Errorf("standby attributes left in the CIB's nodes: %s %v", out, err)
	}
	out, err = c.Exec(ctx, anyRunning(c), "cibadmin", "--query", "--scope", "resources")
	if err != nil || strings.Contains(string(out), "target-role") || strings.Contains(string(out), "runbook-offline") {
		t.Errorf("target-role or the driver's mark left in the CIB's resources: %s %v", out, err)
	}
}

func anyRunning(c *harness.Cluster) string {
	for _, n := range c.Nodes() {
		if c.Running(n) {
			return n
		}
	}
	return "n1"
}

// constraints returns the ids of every constraint in the CIB, sorted.
func constraints(ctx context.Context, t *testing.T, c *harness.Cluster) []string {
	t.Helper()
	out, err := c.Exec(ctx, anyRunning(c), "cibadmin", "--query", "--scope", "constraints")
	if err != nil {
		t.Fatal(err)
	}
	var x struct {
		Any []struct {
			ID string `xml:"id,attr"`
		} `xml:",any"`
	}
	if err := xml.Unmarshal(out, &x); err != nil {
		t.Fatalf("constraints %s: %v", out, err)
	}
	var ids []string
	for _, e := range x.Any {
		ids = append(ids, e.ID)
	}
	sort.Strings(ids)
	return ids
}

// A run of the runbook binary.
type run struct {
	exit     int
	start    time.Time
	wall     time.Duration
	events   []event
	summary  *event
	stderr   string
	timedOut bool // stopped by the test for taking too long
}

type event struct {
	Type            string             `json:"type"`
	Time            time.Time          `json:"time"`
	Step            string             `json:"step"`
	Status          string             `json:"status"`
	Message         string             `json:"message"`
	Alarm           bool               `json:"alarm"`
	DowntimeSeconds map[string]float64 `json:"downtime_seconds"`
}

func runbook(ctx context.Context, t *testing.T, timeout time.Duration, env []string, args ...string) *run {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, runbookBin, args...)
	cmd.Env = append(append(os.Environ(), "NO_COLOR=1"), env...)
	// Past its time, the run is interrupted as an operator would (Ctrl-C),
	// so that it says where it was; killed only if that does not stop it.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	r := &run{start: time.Now()}
	err := cmd.Run()
	r.wall = time.Since(r.start)
	r.stderr = stderr.String()
	if cmd.ProcessState != nil {
		r.exit = cmd.ProcessState.ExitCode()
	}
	r.timedOut = cctx.Err() != nil
	defer func() {
		if r.timedOut || (err != nil && r.exit <= 0) {
			t.Fatalf("runbook %s: %v (stopped after %v, time allowed %v)\nstderr:\n%s\nlast events:\n%s", strings.Join(args, " "), err, r.wall.Round(time.Millisecond), timeout, r.stderr, r.tail(25))
		}
	}()
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Errorf("runbook output is not JSON lines: %q: %v", sc.Text(), err)
			continue
		}
		r.events = append(r.events, e)
		if e.Type == "summary" {
			r.summary = &r.events[len(r.events)-1]
		}
	}
	return r
}

// window returns when the step started and ended, as its events say.
func (r *run) window(step string) [2]time.Time {
	var w [2]time.Time
	for _, e := range r.events {
		if e.Type == "step" && e.Step == step {
			switch e.Status {
			case "started":
				w[0] = e.Time
			case "done", "failed":
				w[1] = e.Time
			}
		}
	}
	return w
}

func (r *run) failedStep() *event {
	for i := range r.events {
		if e := &r.events[i]; e.Type == "step" && e.Status == "failed" {
			return e
		}
	}
	return nil
}

func (r *run) tail(n int) string {
	var lines []string
	for _, e := range r.events {
		lines = append(lines, fmt.Sprintf("%s %s %s %s %s", e.Time.Format("15:04:05.000"), e.Type, e.Step, e.Status, e.Message))
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// The probe: crm_mon every 100 ms.

type nodeState struct{ online, standby bool }

type sample struct {
	t     time.Time
	nodes map[string]nodeState
	where map[string][]string // resource -> the nodes it is active on
	start map[string]int      // resource -> its start call where it runs (harness.ResourceStatus.StartCall)
}

type probe struct {
	done    chan struct{}
	wg      sync.WaitGroup
	samples []sample
}

const maxSamples = 3000 // 5 minutes at 100 ms: the probe is bounded

func startProbe(ctx context.Context, c *harness.Cluster, onSample func(sample)) *probe {
	p := &probe{done: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		dc := ""
		for len(p.samples) < maxSamples {
			st, err := read(ctx, c, dc)
			if err == nil {
				dc = st.DC
				s := sample{t: time.Now(), nodes: map[string]nodeState{}, where: map[string][]string{}, start: map[string]int{}}
				for _, n := range st.Nodes {
					s.nodes[n.Name] = nodeState{online: n.Online, standby: n.Standby}
				}
				for _, r := range st.Resources {
					if r.Active {
						s.where[r.ID] = r.Nodes
						s.start[r.ID] = r.StartCall
					}
				}
				p.samples = append(p.samples, s)
				if onSample != nil {
					onSample(s)
				}
			}
			select {
			case <-p.done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return p
}

// read reads crm_mon on the DC of the last sample, else on the first node
// that answers, and keeps only a view from inside the cluster: a node that
// has just started sees the others offline until it has joined.
func read(ctx context.Context, c *harness.Cluster, dc string) (*harness.Status, error) {
	order := append([]string{dc}, c.Nodes()...)
	var errs []string
	for i, n := range order {
		if n == "" || (i > 0 && n == dc) || !c.Running(n) {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		out, err := c.Exec(sctx, n, "crm_mon", "--output-as=xml", "--inactive")
		cancel()
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		st, err := harness.ParseStatus(out)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if self := st.Node(n); st.DC == "" || !st.Quorum || self == nil || !self.Online {
			errs = append(errs, n+" is not in the cluster yet")
			continue
		}
		return st, nil
	}
	return nil, fmt.Errorf("no node answers from inside the cluster: %s", strings.Join(errs, "; "))
}

func (p *probe) stop() []sample {
	close(p.done)
	p.wg.Wait()
	return p.samples
}

// outage is a stretch of samples in which a resource did not run on
// exactly one node.
type outage struct {
	resource    string
	from, to    time.Time // first sample without it, first sample with it again
	before, aft string    // where it ran before and after
	// The executor's call id of its last start, before and after: the same
	// on the same node means it never stopped, however crm_mon showed it.
	startBefore, startAfter int
}

type analysis struct {
	samples    []sample
	outages    []outage
	downtime   map[string]time.Duration
	inSchema   map[string]time.Duration // the part of downtime in the schema step
	violations []string
	// glitches are the outages that were only crm_mon's view: the resource
	// looked stopped, yet it was never stopped and started again.
	glitches []string
}

// analyse checks the samples of the live run: never two nodes out at once,
// no resource down but while it moves or in the schema step, and measures
// each resource's downtime.
func analyse(samples []sample, homes map[string]string, schema [2]time.Time) *analysis {
	a := &analysis{samples: samples, downtime: map[string]time.Duration{}, inSchema: map[string]time.Duration{}}
	if len(samples) < 10 {
		a.violations = append(a.violations, fmt.Sprintf("only %d probe samples", len(samples)))
		return a
	}
	for _, s := range samples {
		var out []string
		for n, ns := range s.nodes {
			if !ns.online || ns.standby {
				out = append(out, n)
			}
		}
		if len(out) > 1 {
			sort.Strings(out)
			a.violations = append(a.violations, fmt.Sprintf("%s: %v out at once", s.t.Format("15:04:05.000"), out))
		}
		for r, on := range s.where {
			if len(on) > 1 {
				a.violations = append(a.violations, fmt.Sprintf("%s: %s active on %v", s.t.Format("15:04:05.000"), r, on))
			}
		}
	}
	inSchema := func(o outage) bool {
		return !schema[0].IsZero() && !o.from.Before(schema[0].Add(-500*time.Millisecond)) &&
			(schema[1].IsZero() || !o.to.After(schema[1].Add(500*time.Millisecond)))
	}
	for _, r := range sortedKeys(homes) {
		var cur *outage
		last, lastStart := "", 0
		for _, s := range samples {
			on := s.where[r]
			if len(on) == 1 {
				if cur != nil {
					cur.to, cur.aft, cur.startAfter = s.t, on[0], s.start[r]
					if cur.before == cur.aft && cur.startBefore != 0 && cur.startBefore == cur.startAfter {
						a.glitches = append(a.glitches, fmt.Sprintf("%s looked stopped on %s for %v (%s), but its start (call %d) is unchanged: crm_mon's view, not a stop",
							r, cur.before, cur.to.Sub(cur.from).Round(time.Millisecond), cur.from.Format("15:04:05.000"), cur.startBefore))
					} else {
						a.outages = append(a.outages, *cur)
						a.downtime[r] += cur.to.Sub(cur.from)
					}
					cur = nil
				}
				last, lastStart = on[0], s.start[r]
				continue
			}
			if cur == nil {
				cur = &outage{resource: r, from: s.t, before: last, startBefore: lastStart}
			}
		}
		if cur != nil {
			a.violations = append(a.violations, fmt.Sprintf("%s is not running at the end of the run (since %s)", r, cur.from.Format("15:04:05.000")))
		}
	}
	for _, o := range a.outages {
		d := o.to.Sub(o.from)
		switch {
		case inSchema(o):
			a.inSchema[o.resource] += d
		case o.before == o.aft:
			a.violations = append(a.violations, fmt.Sprintf("%s stopped on %s for %v (%s) and came back on the same node (start call %d, then %d): not a move, not the schema step",
				o.resource, o.before, d.Round(time.Millisecond), o.from.Format("15:04:05.000"), o.startBefore, o.startAfter))
		case d > 10*time.Second:
			a.violations = append(a.violations, fmt.Sprintf("%s took %v to move %s → %s", o.resource, d.Round(time.Millisecond), o.before, o.aft))
		}
	}
	return a
}

// timing is one line of pcmkctl's log.
type timing struct {
	Node  string    `json:"node"`
	Op    string    `json:"op"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// readTimings reads the stops and starts pcmkctl timed in [from, to].
func readTimings(t *testing.T, dir string, from, to time.Time) []timing {
	data, err := os.ReadFile(filepath.Join(dir, "pcmkctl.log"))
	if err != nil {
		t.Errorf("pcmkctl's timings: %v", err)
		return nil
	}
	var out []timing
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var tm timing
		if json.Unmarshal([]byte(line), &tm) != nil {
			continue
		}
		if !tm.Start.Before(from) && !tm.End.After(to) {
			out = append(out, tm)
		}
	}
	return out
}

type work struct {
	order []string
	d     map[string]time.Duration
}

func (w *work) add(k string, d time.Duration) {
	if _, ok := w.d[k]; !ok {
		w.order = append(w.order, k)
	}
	w.d[k] += d
}

// work sums the cluster's own work during the live run: per node, the
// failover after standby and the failback after unstandby (probe), the
// graceful stop and the start until the node is online again (pcmkctl's
// own timing of what it waited for); then the schema step's stop and
// start of the resources (probe).
func (a *analysis) work(tms []timing, homes map[string]string) *work {
	w := &work{d: map[string]time.Duration{}}
	homed := map[string][]string{}
	for r, h := range homes {
		homed[h] = append(homed[h], r)
	}
	settled := func(s sample, n string) bool { // nothing on n, everything running
		for _, r := range sortedKeys(homes) {
			on := s.where[r]
			if len(on) != 1 || on[0] == n {
				return false
			}
		}
		return true
	}
	home := func(s sample, n string) bool {
		for _, r := range homed[n] {
			if on := s.where[r]; len(on) != 1 || on[0] != n {
				return false
			}
		}
		return true
	}
	var lastFailback time.Time
	for _, n := range []string{"n1", "n2", "n3"} {
		// failover: standby seen, until nothing runs on n.
		i := a.first(0, func(s sample) bool { ns := s.nodes[n]; return ns.online && ns.standby })
		if i < 0 {
			continue
		}
		if j := a.first(i, func(s sample) bool { return settled(s, n) }); j >= 0 {
			w.add("standby → failover", a.samples[j].t.Sub(a.samples[i].t))
		}
		for _, tm := range tms {
			if tm.Node == n {
				w.add(tm.Op+" (pcmkctl: "+map[string]string{"stop": "graceful stop", "start": "start until online"}[tm.Op]+")", tm.End.Sub(tm.Start))
			}
		}
		// failback: back online and out of standby, until its resources are home.
		k := a.first(i, func(s sample) bool { ns := s.nodes[n]; return ns.online && !ns.standby })
		if k < 0 {
			continue
		}
		if j := a.first(k, func(s sample) bool { return home(s, n) }); j >= 0 {
			w.add("unstandby → failback", a.samples[j].t.Sub(a.samples[k].t))
			lastFailback = a.samples[j].t
		}
	}
	// schema: the first resource stopped after the last failback, until
	// all run again.
	if i := a.first(0, func(s sample) bool {
		if !s.t.After(lastFailback) {
			return false
		}
		for r := range homes {
			if len(s.where[r]) != 1 {
				return true
			}
		}
		return false
	}); i >= 0 {
		if j := a.first(i, func(s sample) bool { return settled(s, "") }); j >= 0 {
			w.add("schema step: resources stopped → started", a.samples[j].t.Sub(a.samples[i].t))
		}
	}
	return w
}

// first returns the index of the first sample from i on that satisfies f,
// or -1.
func (a *analysis) first(i int, f func(sample) bool) int {
	for ; i < len(a.samples); i++ {
		if f(a.samples[i]) {
			return i
		}
	}
	return -1
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// reportHTML is where the live run's report, with the 10 ms probe's
// downtime beside the journal's, is written.
func reportHTML() string {
	if f := os.Getenv("RUNBOOK_PCMK_REPORT_HTML"); f != "" {
		return f
	}
	return filepath.Join(os.TempDir(), "runbook-pacemaker-e2e-report.html")
}

// checkReport checks the report of the live run: the run wrote it to its
// state directory; `runbook report --probe` lays the 10 ms file probe's
// downtime beside the journal's, and its --json says what the probe
// measured and what the run measured.
func checkReport(ctx context.Context, t *testing.T, state string, bookArgs []string, live *run, fileDown map[string]time.Duration) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(state, "report.html")); err != nil {
		t.Errorf("the live run wrote no report: %v", err)
	}
	probed := map[string]float64{}
	for r, d := range fileDown {
		probed[r] = d.Seconds()
	}
	data, err := json.Marshal(map[string]any{"source": "files polled every 10 ms by the e2e test", "downtime_seconds": probed})
	if err != nil {
		t.Fatal(err)
	}
	probeFile := filepath.Join(t.TempDir(), "probe.json")
	if err := os.WriteFile(probeFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	report := func(args ...string) []byte {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(cctx, runbookBin, append(append([]string{"report", "--probe", probeFile, "--state", state}, args...), bookArgs...)...)
		cmd.Env = append(os.Environ(), "NO_COLOR=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("runbook report %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return out
	}
	report("-o", reportHTML())
	t.Logf("report with the probe written to %s", reportHTML())
	var rep struct {
		Probe *struct {
			Source string `json:"source"`
		} `json:"probe"`
		Downtime []struct {
			Resource        string   `json:"resource"`
			MeasuredSeconds float64  `json:"measured_seconds"`
			ProbeSeconds    *float64 `json:"probe_seconds"`
		} `json:"downtime"`
	}
	if err := json.Unmarshal(report("--json"), &rep); err != nil {
		t.Fatalf("report --json: %v", err)
	}
	if rep.Probe == nil || rep.Probe.Source == "" {
		t.Errorf("report --json names no probe: %+v", rep.Probe)
	}
	seen := map[string]bool{}
	for _, d := range rep.Downtime {
		seen[d.Resource] = true
		want, ok := probed[d.Resource]
		switch {
		case !ok:
			t.Errorf("the report has resource %s, which the probe did not watch", d.Resource)
		case d.ProbeSeconds == nil:
			t.Errorf("%s: the report has no probe column; the probe measured %.3fs", d.Resource, want)
		case *d.ProbeSeconds != want:
			t.Errorf("%s: the report's probe column says %vs, the probe measured %vs", d.Resource, *d.ProbeSeconds, want)
		}
		if diff := d.MeasuredSeconds - live.summary.DowntimeSeconds[d.Resource]; diff > 0.001 || diff < -0.001 {
			t.Errorf("%s: the report measured %.3fs of downtime, the run's summary %.3fs", d.Resource, d.MeasuredSeconds, live.summary.DowntimeSeconds[d.Resource])
		}
	}
	for r := range probed {
		if !seen[r] {
			t.Errorf("the report has no downtime row for %s", r)
		}
	}
}
