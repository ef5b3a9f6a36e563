package harness

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// -capture DIR writes crm_mon XML samples from the live cluster to DIR,
// for the pacemaker driver's parsing tests:
//
//	go test ./internal/pacemaker/harness -run TestCluster -capture ../../../drivers/pacemaker/testdata
var capture = flag.String("capture", "", "write crm_mon XML samples to this directory")

const testPrefix = "runbook-pcmk-test"

func TestCluster(t *testing.T) {
	Require(t)
	if removed, err := CleanupLeftovers(testPrefix); err != nil {
		t.Fatalf("cleaning up leftovers: %v", err)
	} else if len(removed) > 0 {
		t.Logf("removed leftovers of crashed runs: %v", removed)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	defer cancel()
	step := func(d time.Duration) context.Context {
		sctx, scancel := context.WithTimeout(ctx, d)
		t.Cleanup(scancel)
		return sctx
	}

	rs := DefaultResources()
	t0 := time.Now()
	c, err := Start(ctx, Options{Prefix: testPrefix, Resources: rs, Logf: t.Logf, Timeout: 60 * time.Second})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	closed := false
	defer func() {
		if t.Failed() && !closed {
			for _, n := range c.Nodes() {
				t.Log(c.LogTail(n, 30))
			}
		}
		if !closed {
			if err := c.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
	}()
	t.Logf("TIMING formation incl. resources: %v", time.Since(t0).Round(time.Millisecond))
	inodes := recordedInodes(c.Dir)
	save := func(name string) {
		if *capture == "" {
			return
		}
		s, err := c.Status(ctx)
		if err != nil {
			t.Errorf("capture %s: %v", name, err)
			return
		}
		if err := os.WriteFile(filepath.Join(*capture, "crm_mon-"+name+".xml"), s.XML, 0o644); err != nil {
			t.Errorf("capture %s: %v", name, err)
		}
	}

	// 3/3 online, everything home.
	online, err := c.Online(ctx)
	if err != nil || strings.Join(online, ",") != "n1,n2,n3" {
		t.Fatalf("Online = %v, %v; want n1,n2,n3", online, err)
	}
	where, err := c.Where(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for r, home := range Homes(rs...) {
		if where[r] != home {
			t.Errorf("%s runs on %q, want its home %s", r, where[r], home)
		}
	}
	save("healthy")

	// Standby n1: rA fails over to n2, rD to n3 (their next preferred).
	timed := func(what string, f func() error) {
		t.Helper()
		t0 := time.Now()
		if err := f(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		t.Logf("TIMING %s: %v", what, time.Since(t0).Round(time.Millisecond))
	}
	wait := func(want map[string]string) func() error {
		return func() error { _, err := c.WaitWhere(step(30*time.Second), want); return err }
	}
	if err := c.Standby(ctx, "n1", true); err != nil {
		t.Fatal(err)
	}
	timed("standby n1 failover", wait(map[string]string{"rA": "n2", "rB": "n2", "rC": "n3", "rD": "n3"}))
	save("standby-n1")
	if s, err := c.Status(ctx); err != nil || !s.Node("n1").Standby {
		t.Errorf("n1 not reported in standby: %v", err)
	}

	// Unstandby: rA (stickiness 0) fails back by itself; rD (INFINITY) stays.
	if err := c.Standby(ctx, "n1", false); err != nil {
		t.Fatal(err)
	}
	timed("unstandby n1 automatic failback", wait(map[string]string{"rA": "n1"}))
	if err := c.Settle(step(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if where, err := c.Where(ctx); err != nil || where["rD"] != "n3" {
		t.Fatalf("rD (INFINITY) should stay on n3 after unstandby, where = %v, %v", where, err)
	}
	save("after-failback")

	// Manual failback of rD: it stays on n1 by stickiness once moved.
	timed("manual failback rD (move+ban, clear)", func() error { return c.MoveResource(step(30*time.Second), "rD", "n1") })
	if err := c.Settle(step(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if where, err := c.Where(ctx); err != nil || where["rD"] != "n1" {
		t.Fatalf("rD should stay on n1 after its constraints are cleared, where = %v, %v", where, err)
	}

	// Rolling upgrade of n2: stop, change marker, start.
	timed("graceful stop n2 (rB to n3)", func() error {
		if err := c.StopNode(step(30*time.Second), "n2"); err != nil {
			return err
		}
		return wait(map[string]string{"rB": "n3"})()
	})
	if s, err := c.Status(ctx); err != nil || s.Node("n2").Online {
		t.Errorf("n2 should be offline after StopNode (err %v)", err)
	}
	save("n2-stopped")
	if err := c.SetVersion("n2", "2.0"); err != nil {
		t.Fatal(err)
	}
	timed("start n2 (online)", func() error { return c.StartNode(step(30*time.Second), "n2") })
	if v, err := c.Version("n2"); err != nil || v != "2.0" {
		t.Errorf("Version(n2) = %q, %v; want 2.0", v, err)
	}
	if out, err := c.Exec(ctx, "n2", "cat", VersionFile); err != nil || strings.TrimSpace(string(out)) != "2.0" {
		t.Errorf("marker inside n2 = %q, %v", out, err)
	}
	if err := c.Settle(step(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if where, err := c.Where(ctx); err != nil || where["rB"] != "n3" {
		t.Errorf("rB (INFINITY) should stay on n3 after n2 rejoins, where = %v, %v", where, err)
	}

	// Power loss of n3: rC fails over to n1, rB to n2.
	if err := c.KillNode(ctx, "n3"); err != nil {
		t.Fatal(err)
	}
	timed("kill n3 until failover", wait(map[string]string{"rC": "n1", "rB": "n2"}))
	save("n3-killed")
	timed("restart n3 after kill (online)", func() error { return c.StartNode(step(30*time.Second), "n3") })
	timed("rC failback to n3", wait(map[string]string{"rC": "n3"}))
	if online, err := c.Online(ctx); err != nil || len(online) != 3 {
		t.Errorf("after restart: Online = %v, %v", online, err)
	}
	if err := c.Settle(step(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	where, err = c.Where(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"rA": "n1", "rB": "n2", "rC": "n3", "rD": "n1"}
	for r, n := range want {
		if where[r] != n {
			t.Errorf("at the end %s runs on %q, want %s", r, where[r], n)
		}
	}

	// Close leaves nothing behind.
	dir := c.Dir
	timed("close", c.Close)
	closed = true
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists after Close (%v)", dir, err)
	}
	if mps, err := mountsUnder(dir); err != nil || len(mps) > 0 {
		t.Errorf("mounts left under %s: %v %v", dir, mps, err)
	}
	if len(inodes) != 4 {
		t.Errorf("recorded namespaces = %v, want hub and 3 nodes", inodes)
	}
	for name, ino := range inodes {
		if pids := procsInNetns(ino); len(pids) > 0 {
			t.Errorf("processes %v left in the network namespace of %s", pids, name)
		}
	}
	if pids := procsMentioning(dir); len(pids) > 0 {
		t.Errorf("processes %v mention %s on their command line", pids, dir)
	}
}

// procsMentioning returns the processes whose command line contains s.
func procsMentioning(s string) []string {
	var found []string
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range cmdlines {
		data, err := os.ReadFile(f)
		if err == nil && strings.Contains(string(data), s) {
			found = append(found, f)
		}
	}
	return found
}

func TestParseStatusRejectsError(t *testing.T) {
	_, err := ParseStatus([]byte(`<pacemaker-result api-version="2.25" request="crm_mon"><status code="102" message="Not connected"/></pacemaker-result>`))
	if err == nil || !strings.Contains(err.Error(), "Not connected") {
		t.Fatalf("ParseStatus error = %v, want Not connected", err)
	}
}

func TestResourceXML(t *testing.T) {
	p, locs, err := resourceXML(Resource{ID: "rA", Prefer: []string{"n1", "n2", "n3"}, Stickiness: FailbackManual})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`id="rA"`, `type="Dummy"`, `name="resource-stickiness" value="INFINITY"`} {
		if !strings.Contains(p, want) {
			t.Errorf("primitive %s lacks %s", p, want)
		}
	}
	wantLocs := []string{
		`<rsc_location id="loc-rA-n1" rsc="rA" node="n1" score="300"></rsc_location>`,
		`<rsc_location id="loc-rA-n2" rsc="rA" node="n2" score="200"></rsc_location>`,
		`<rsc_location id="loc-rA-n3" rsc="rA" node="n3" score="100"></rsc_location>`,
	}
	if strings.Join(locs, "\n") != strings.Join(wantLocs, "\n") {
		t.Errorf("locations:\n%s\nwant:\n%s", strings.Join(locs, "\n"), strings.Join(wantLocs, "\n"))
	}
}

// TestCleanupLeftovers crashes a test process that holds a running cluster
// (SIGKILL, so no Close runs) and checks that CleanupLeftovers takes down
// what it left: processes, namespaces, mounts and the directory.
func TestCleanupLeftovers(t *testing.T) {
	if os.Getenv("RUNBOOK_HARNESS_CRASH_CHILD") == "1" {
		crashChild()
		return
	}
	Require(t)
	if testing.Short() {
		t.Skip("starts a second cluster; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const prefix = "runbook-pcmk-crash"
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCleanupLeftovers$", "-test.v")
	cmd.Env = append(os.Environ(), "RUNBOOK_HARNESS_CRASH_CHILD=1")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var dir string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "CLUSTER "); ok {
			dir = d
			break
		}
	}
	if dir == "" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("the child did not start a cluster")
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	inodes := recordedInodes(dir)
	alive := 0
	for _, ino := range inodes {
		alive += len(procsInNetns(ino))
	}
	if alive == 0 {
		t.Fatalf("the crashed child left no processes: the test proves nothing")
	}
	t.Logf("the crashed run left %d processes in %s", alive, dir)

	removed, err := CleanupLeftovers(prefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != dir {
		t.Errorf("CleanupLeftovers removed %v, want [%s]", removed, dir)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists (%v)", dir, err)
	}
	if mps, _ := mountsUnder(dir); len(mps) > 0 {
		t.Errorf("mounts left: %v", mps)
	}
	for name, ino := range inodes {
		if pids := procsInNetns(ino); len(pids) > 0 {
			t.Errorf("processes %v left in %s", pids, name)
		}
	}
}

// crashChild starts a cluster without resources, says where, and waits to
// be killed.
func crashChild() {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	c, err := Start(ctx, Options{Prefix: "runbook-pcmk-crash", Timeout: 40 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(1)
	}
	fmt.Println("CLUSTER " + c.Dir)
	<-ctx.Done()
	os.Exit(1)
}

// TestParseStatusStartCall reads crm_mon's output of a real cluster: each
// active resource's start call is the one on the node it runs on, not its
// history on a node it left.
func TestParseStatusStartCall(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "drivers", "pacemaker", "testdata", "crm_mon-after-failback.xml"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseStatus(data)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]int{"rA": 26, "rB": 18} {
		r := s.Resource(id)
		if r == nil || r.StartCall != want {
			t.Errorf("%s: %+v, want start call %d", id, r, want)
		}
	}
}
