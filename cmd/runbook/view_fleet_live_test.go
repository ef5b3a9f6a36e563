package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/runbookhq/runbook/runtime"
)

// fleetBooks writes the seed runbook three times, as clusters east, west
// and north on the simulator, each with a step that takes a second before
// the media upgrade (so that the area is drawn while it runs).
func fleetBooks(t *testing.T, dir string) []string {
	t.Helper()
	src, err := os.ReadFile("../../runbooks/netware65-rolling-upgrade.hcl")
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, name := range []string{"east", "west", "north"} {
		rb := strings.Replace(string(src), `runbook "netware65-rolling-upgrade" {`, `runbook "`+name+`" {`, 1)
		rb = strings.Replace(rb, `step "media-upgrade" "pools" {`, "step \"exec\" \"pause\" {\n  command = \"sleep 1\"\n}\n\nstep \"media-upgrade\" \"pools\" {", 1)
		path := filepath.Join(dir, name+".hcl")
		if err := os.WriteFile(path, []byte(rb), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	return paths
}

// onTerminal runs runbook with its stdin, stdout and stderr a
// pseudo-terminal of rows x cols, and returns its exit code and all it
// wrote.
func onTerminal(t *testing.T, rows, cols uint16, args ...string) (int, []byte) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: rows, Cols: cols}); err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	read := make(chan struct{})
	go func() {
		defer close(read)
		io.Copy(&raw, ptmx) // until the terminal closes (EIO)
	}()
	code := run(args, tty, tty, tty)
	tty.Close()
	select {
	case <-read:
	case <-time.After(10 * time.Second):
		t.Fatal("the terminal's output did not end")
	}
	return code, raw.Bytes()
}

// answeringOnTerminal runs runbook on a pseudo-terminal of rows x cols, as
// onTerminal does, typing "yes" at each of prompts in turn once it shows;
// it returns the exit code and all the terminal showed. Every wait is
// bounded.
func answeringOnTerminal(t *testing.T, rows, cols uint16, prompts []string, args ...string) (int, string) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: rows, Cols: cols}); err != nil {
		t.Fatal(err)
	}
	var raw syncBuffer
	read := make(chan struct{})
	go func() {
		defer close(read)
		io.Copy(&raw, ptmx) // until the terminal closes (EIO)
	}()
	t.Setenv("NO_COLOR", "")
	os.Unsetenv("NO_COLOR")
	done := make(chan int, 1)
	go func() { done <- run(args, tty, tty, tty) }()
	for _, prompt := range prompts {
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(raw.String(), prompt) {
			if time.Now().After(deadline) {
				t.Fatalf("no %q on the terminal:\n%q", prompt, raw.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		if _, err := ptmx.Write([]byte("yes\r")); err != nil {
			t.Fatal(err)
		}
	}
	var code int
	select {
	case code = <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("runbook %s did not end", args[0])
	}
	tty.Close()
	select {
	case <-read:
	case <-time.After(10 * time.Second):
		t.Fatal("the terminal's output did not end")
	}
	return code, raw.String()
}

// TestFleetLiveOnATerminal rolls three simulated clusters, two at a time,
// on a pseudo-terminal of 120x200 (tall enough to keep every line): the area shows a line per rolling
// cluster (its step in flight, the steps done of all) and the fleet's line
// (done, rolling, failed, waiting of all; the window left), redrawn in
// place; the event lines, prefixed with their cluster, go above it; once
// the fleet ends the area is gone and the screen ends with the summary.
func TestFleetLiveOnATerminal(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("NO_COLOR", "")
	os.Unsetenv("NO_COLOR")
	args := append([]string{"fleet", "run", "--auto-approve", "--max-concurrency", "2", "--window", "4h", "--state", filepath.Join(dir, "state")}, fleetBooks(t, dir)...)
	code, raw := onTerminal(t, 200, 120, args...)
	out := string(raw)
	if code != exitOK {
		t.Fatalf("fleet run exited %d:\n%s", code, out)
	}
	for _, want := range []string{
		"▶ east [7/9] step.exec.pause  0s",
		"▶ west [7/9] step.exec.pause  0s",
		"▶ north [7/9] step.exec.pause  0s",
		"  working",
		"Fleet: 0 done, 2 rolling, 0 failed, 1 waiting of 3  window: 2h16m left (ends 02:00)",
		"Fleet: 2 done, 1 rolling, 0 failed, 0 waiting of 3  window: 2h16m left (ends 02:00)",
		"\x1b[3A\x1b[J", // two clusters' lines and the fleet's, redrawn
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the terminal never showed %q:\n%q", want, out)
		}
	}
	s := newScreen(200, 120)
	s.write(t, raw)
	lines := s.lines()
	screen := strings.Join(lines, "\n")
	if strings.Contains(screen, "▶") || strings.Contains(screen, "Fleet: 2 done") || strings.Contains(screen, "of 3  window") {
		t.Errorf("the progress area is left on the screen:\n%s", screen)
	}
	end := strings.Join(lines[len(lines)-4:], "\n")
	want := `Fleet: 3 clusters: 3 done, 0 failed, 0 stopped, 0 not started.
  east   done
  west   done
  north  done`
	if end != want {
		t.Errorf("the screen ends:\n%s\n\nwant:\n%s", end, want)
	}
	// Each cluster's events are there, in order, each once, prefixed.
	for _, name := range []string{"east", "west", "north"} {
		var events []string
		for _, l := range lines {
			if strings.HasPrefix(l, name+" | ") && strings.Contains(l, "step.exec.pause: ") {
				events = append(events, l)
			}
		}
		if got, want := strings.Join(events, "\n"), name+" | 23:44:00 step.exec.pause: started\n"+name+" | 23:44:00 step.exec.pause: done in 0s"; got != want {
			t.Errorf("%s's exec step on the screen:\n%s\nwant:\n%s", name, got, want)
		}
	}
}

// With NO_COLOR, fleet run on a terminal prints the event lines alone:
// nothing redrawn.
func TestFleetLiveNoColor(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("NO_COLOR", "1")
	args := append([]string{"fleet", "run", "--auto-approve", "--max-concurrency", "2", "--state", filepath.Join(dir, "state")}, fleetBooks(t, dir)[:2]...)
	code, raw := onTerminal(t, 40, 100, args...)
	out := string(raw)
	if code != exitOK {
		t.Fatalf("fleet run exited %d:\n%s", code, out)
	}
	if strings.Contains(out, "\x1b") || strings.Contains(out, "▶") || !strings.Contains(out, "east | 22:00:00 step.install-license.ncs65: started\r\n") {
		t.Errorf("with NO_COLOR the terminal got more than the event lines:\n%q", out)
	}
}

// The area's lines: a cluster's step in flight on its node against the
// plan and what it waits for; the fleet's counts and the least window left.
func TestFleetLiveLines(t *testing.T) {
	t0 := time.Date(2000, 1, 1, 22, 0, 0, 0, time.UTC)
	addr := "rolling.upgrade[FS2].upgrade-node.upgrade"
	v := &fleetLive{fleetHuman: &fleetHuman{w: io.Discard}, total: 6, width: 200, standing: map[*fleetCluster]string{}}
	east, west := &fleetCluster{Name: "east"}, &fleetCluster{Name: "west"}
	for c, s := range map[*fleetCluster]string{{}: fleetDone, {}: fleetFailed, {}: fleetStopped, east: standRolling, west: standRolling} {
		v.standing[c] = s
	}
	e := &fleetLiveCluster{runHuman: &runHuman{w: io.Discard}, v: v, name: "east", c: east, liveProgress: liveProgress{total: 8, done: 3,
		nodes: map[string]string{addr: "FS2"}, predict: map[string]time.Duration{addr: 34*time.Minute + 20*time.Second}, end: t0.Add(4 * time.Hour)}}
	w := &fleetLiveCluster{runHuman: &runHuman{w: io.Discard}, v: v, name: "west", c: west, liveProgress: liveProgress{total: 8, end: t0.Add(5 * time.Hour)}}
	v.rolling = []*fleetLiveCluster{e, w}
	e.Event(runtime.Event{Type: runtime.EventStep, Status: runtime.StatusStarted, Step: addr, Time: t0.Add(time.Hour)})
	e.Waiting(addr, "FS2 to rejoin at 6.5", "FS2 is down at 6.0", t0.Add(time.Hour+40*time.Minute))
	w.Waiting("step.x", "ignored: no step in flight", "", t0.Add(time.Hour))
	for _, c := range []struct{ got, want string }{
		{e.line(), "▶ east [3/8] rolling.upgrade[FS2].upgrade-node.upgrade on FS2  40m of 34m20s (5m40s over)  waiting for FS2 to rejoin at 6.5: FS2 is down at 6.0"},
		{w.line(), "▶ west [0/8] between steps"},
		{v.fleetLine(), "Fleet: 1 done, 2 rolling, 1 failed, 2 waiting of 6  window: 2h20m left (ends 02:00)"},
	} {
		if c.got != c.want {
			t.Errorf("got  %q\nwant %q", c.got, c.want)
		}
	}
	e.Event(runtime.Event{Type: runtime.EventStep, Status: runtime.StatusDone, Step: addr, Time: t0.Add(2 * time.Hour)})
	if got, want := e.line(), "▶ east [4/8] between steps"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// A cluster that ended leaves the area, and is counted as it ended.
	v.stand(east, fleetDone)
	if got, want := v.fleetLine(), "Fleet: 2 done, 1 rolling, 1 failed, 2 waiting of 6  window: 4h left (ends 03:00)"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if len(v.rolling) != 1 || v.rolling[0] != w {
		t.Errorf("the rolling clusters after east ended: %v", v.rolling)
	}
	// A slot held by a command that outlived its runner is said last.
	h := &slotHold{Slot: 2, Work: slotWork{Cluster: "north"}, Cmd: runtime.LiveCommand{Pgid: 4242}}
	v.held = []string{h.Short()}
	if got, want := v.fleetLine(), "Fleet: 2 done, 1 rolling, 1 failed, 2 waiting of 6  window: 4h left (ends 03:00)  slot 2 held by north's command (process group 4242), which outlived its runner"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestFleetLiveAroundPrompt: the area is taken away while a cluster's
// approve step asks, so that the question and the answer stay whole on the
// screen, and drawn again after.
func TestFleetLiveAroundPrompt(t *testing.T) {
	dir := t.TempDir()
	paths := fleetBooks(t, dir)[:1]
	src, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	rb := strings.Replace(string(src), `step "media-upgrade" "pools" {`, "step \"approve\" \"media\" {\n  message = \"Upgrade the shared media?\"\n}\n\nstep \"exec\" \"after\" {\n  command = \"sleep 1\"\n}\n\nstep \"media-upgrade\" \"pools\" {", 1)
	if err := os.WriteFile(paths[0], []byte(rb), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := answeringOnTerminal(t, 100, 120, []string{"Enter a value:", "Type yes to approve:"},
		append([]string{"fleet", "run", "--state", filepath.Join(dir, "state")}, paths...)...)
	if code != exitOK {
		t.Fatalf("fleet run exited %d:\n%s", code, out)
	}
	for _, want := range []string{"▶ east [7/11] step.exec.pause", "▶ east [9/11] step.exec.after"} {
		if !strings.Contains(out, want) {
			t.Errorf("the terminal never showed %q", want)
		}
	}
	s := newScreen(100, 120)
	s.write(t, []byte(out))
	screen := strings.Join(s.lines(), "\n")
	if !strings.Contains(screen, "east: Upgrade the shared media?\n  Type yes to approve: yes\n") {
		t.Errorf("the question and its answer are not whole on the screen:\n%s", screen)
	}
	if strings.Contains(screen, "▶") || strings.Contains(screen, "rolling, 0 failed") {
		t.Errorf("the progress area is left on the screen:\n%s", screen)
	}
}
