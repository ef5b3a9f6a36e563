package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/runbookhq/runbook/runtime"
)

// screen is a fixed-size terminal that understands what the run writes:
// text, CR, LF (scrolling at the bottom), colours (ignored), cursor up and
// erase below (the progress area's redraw).
type screen struct {
	rows, cols int
	cells      [][]rune
	r, c       int
}

func newScreen(rows, cols int) *screen {
	s := &screen{rows: rows, cols: cols}
	for range rows {
		s.cells = append(s.cells, s.blank())
	}
	return s
}

func (s *screen) blank() []rune { return []rune(strings.Repeat(" ", s.cols)) }

var escRE = regexp.MustCompile(`^\x1b\[([0-9;?]*)([A-Za-z])`)

func (s *screen) write(t *testing.T, b []byte) {
	in := []rune(string(b))
	for i := 0; i < len(in); i++ {
		switch ch := in[i]; ch {
		case '\r':
			s.c = 0
		case '\n':
			s.r++
			if s.r == s.rows {
				s.cells = append(s.cells[1:], s.blank())
				s.r--
			}
		case 0x1b:
			m := escRE.FindStringSubmatch(string(in[i:]))
			if m == nil {
				t.Fatalf("unknown escape at %q", string(in[i:min(i+10, len(in))]))
			}
			n, _ := strconv.Atoi(m[1])
			switch m[2] {
			case "m":
			case "A":
				s.r = max(s.r-max(n, 1), 0)
			case "J":
				s.cells[s.r] = append(s.cells[s.r][:s.c:s.c], []rune(strings.Repeat(" ", s.cols-s.c))...)
				for r := s.r + 1; r < s.rows; r++ {
					s.cells[r] = s.blank()
				}
			default:
				t.Fatalf("unexpected escape %q", m[0])
			}
			i += len([]rune(m[0])) - 1
		default:
			if s.c < s.cols {
				s.cells[s.r][s.c] = ch
				s.c++
			}
		}
	}
}

func (s *screen) lines() []string {
	var out []string
	for _, l := range s.cells {
		out = append(out, strings.TrimRight(string(l), " "))
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// TestRunLiveOnATerminal runs the seed runbook, with a step that takes a
// second, on a pseudo-terminal of 100x40: the progress area is drawn and
// redrawn in place while the step runs (its step, the steps done of all),
// the event lines go above it, and once the run ends the area is gone: the
// screen ends with the last events and the summary.
func TestRunLiveOnATerminal(t *testing.T) {
	src, err := os.ReadFile("../../runbooks/netware65-rolling-upgrade.hcl")
	if err != nil {
		t.Fatal(err)
	}
	rb := strings.Replace(string(src), `step "media-upgrade" "pools" {`, "step \"exec\" \"pause\" {\n  command = \"sleep 1\"\n}\n\nstep \"media-upgrade\" \"pools\" {", 1)
	dir := t.TempDir()
	path := filepath.Join(dir, "upgrade.hcl")
	if err := os.WriteFile(path, []byte(rb), 0o644); err != nil {
		t.Fatal(err)
	}
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 100}); err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	read := make(chan struct{})
	go func() {
		defer close(read)
		io.Copy(&raw, ptmx) // until the terminal closes (EIO)
	}()
	t.Setenv("NO_COLOR", "")
	os.Unsetenv("NO_COLOR")
	code := run([]string{"run", "--auto-approve", "--state", filepath.Join(dir, "state"), path}, tty, tty, tty)
	tty.Close()
	select {
	case <-read:
	case <-time.After(10 * time.Second):
		t.Fatal("the terminal's output did not end")
	}
	if code != exitOK {
		t.Fatalf("run exited %d:\n%s", code, raw.String())
	}
	out := raw.String()
	for _, want := range []string{"▶ step.exec.pause", "  working", "Steps 7 of 9 done [===============     ]", "\x1b[3A\x1b[J"} {
		if !strings.Contains(out, want) {
			t.Errorf("the terminal never showed %q:\n%q", want, out)
		}
	}
	s := newScreen(40, 100)
	s.write(t, raw.Bytes())
	lines := s.lines()
	end := strings.Join(lines[len(lines)-9:], "\n")
	want := `23:57:00 step.media-upgrade.pools: done in 13m

Run complete: 9 steps done, 0 skipped, 0 failed, 0 left; 1h57m simulated.
Downtime per resource:
  IPRINT_SERVER  10s
  POOL1_SERVER   13m10s
  POOL2_SERVER   13m10s
  POOL3_SERVER   13m10s
Report: ` + filepath.Join(dir, "state", "report.html")
	if end != want {
		t.Errorf("the screen ends:\n%s\n\nwant:\n%s", end, want)
	}
	screen := strings.Join(lines, "\n")
	if strings.Contains(screen, "▶") || strings.Contains(screen, "Steps 9 of 9") {
		t.Errorf("the progress area is left on the screen:\n%s", screen)
	}
	// The events are all there, in order, each once, above where the area was.
	var events []string
	for _, l := range lines {
		if strings.Contains(l, "step.exec.pause: ") {
			events = append(events, l)
		}
	}
	if got := strings.Join(events, "\n"); got != "23:44:00 step.exec.pause: started\n23:44:00 step.exec.pause: done in 0s" {
		t.Errorf("the exec step's events on the screen:\n%s", got)
	}
}

// The area's lines: the step in flight on its node against the plan, what
// it waits for, the steps done of all and the window left.
func TestRunLiveLines(t *testing.T) {
	t0 := time.Date(2000, 1, 1, 22, 0, 0, 0, time.UTC)
	addr := "rolling.upgrade[FS2].upgrade-node.upgrade"
	v := &runLive{human: &runHuman{w: io.Discard}, liveProgress: liveProgress{total: 8, done: 3, nodes: map[string]string{addr: "FS2"},
		predict: map[string]time.Duration{addr: 34*time.Minute + 20*time.Second}, end: t0.Add(4 * time.Hour)}, width: 100}
	v.Event(runtime.Event{Type: runtime.EventStep, Status: runtime.StatusStarted, Step: addr, Time: t0.Add(time.Hour)})
	v.Waiting(addr, "FS2 to rejoin at 6.5", "FS2 is down at 6.0", t0.Add(time.Hour+40*time.Minute))
	for _, c := range []struct{ got, want string }{
		{v.stepLine(), "▶ rolling.upgrade[FS2].upgrade-node.upgrade on FS2  40m of 34m20s predicted (5m40s over)"},
		{v.waitLine(), "  waiting for FS2 to rejoin at 6.5: FS2 is down at 6.0"},
		{v.countLine(), "Steps 3 of 8 done [=======             ]  window: 2h20m left (ends 02:00)"},
	} {
		if c.got != c.want {
			t.Errorf("got  %q\nwant %q", c.got, c.want)
		}
	}
	v.Event(runtime.Event{Type: runtime.EventStep, Status: runtime.StatusDone, Step: addr, Time: t0.Add(2 * time.Hour)})
	if got, want := v.countLine(), "Steps 4 of 8 done [==========          ]  window: 2h left (ends 02:00)"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := v.waitLine(); got != "" {
		t.Errorf("between steps the wait line is %q", got)
	}
	if got := clip("abcdef", 4); got != "abc…" {
		t.Errorf("clip: %q", got)
	}
}

// TestRunLiveAroundPrompt: the progress area is taken away while an approve
// step asks, so that the question and the answer stay whole on the screen,
// and drawn again after.
func TestRunLiveAroundPrompt(t *testing.T) {
	src, err := os.ReadFile("../../runbooks/netware65-rolling-upgrade.hcl")
	if err != nil {
		t.Fatal(err)
	}
	rb := strings.Replace(string(src), `step "media-upgrade" "pools" {`, `step "exec" "pause" {
  command = "sleep 1"
}

step "approve" "media" {
  message = "Upgrade the shared media?"
}

step "exec" "after" {
  command = "sleep 1"
}

step "media-upgrade" "pools" {`, 1)
	dir := t.TempDir()
	path := filepath.Join(dir, "upgrade.hcl")
	if err := os.WriteFile(path, []byte(rb), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := answeringOnTerminal(t, 60, 100, []string{"Enter a value:", "Type yes to approve:"},
		"run", "--state", filepath.Join(dir, "state"), path)
	if code != exitOK {
		t.Fatalf("run exited %d:\n%s", code, out)
	}
	for _, want := range []string{"▶ step.exec.pause", "▶ step.exec.after"} {
		if !strings.Contains(out, want) {
			t.Errorf("the terminal never showed %q", want)
		}
	}
	s := newScreen(60, 100)
	s.write(t, []byte(out))
	screen := strings.Join(s.lines(), "\n")
	if !strings.Contains(screen, "Upgrade the shared media?\n  Type yes to approve: yes\n") {
		t.Errorf("the question and its answer are not whole on the screen:\n%s", screen)
	}
	if strings.Contains(screen, "▶") || strings.Contains(screen, "Steps 1") {
		t.Errorf("the progress area is left on the screen:\n%s", screen)
	}
	if !strings.Contains(screen, "step.approve.media: approved by the operator") {
		t.Errorf("no approval on the screen:\n%s", screen)
	}
}

// With NO_COLOR, a terminal gets the event lines alone: nothing redrawn.
func TestRunLiveNoColor(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 100}); err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	read := make(chan struct{})
	go func() {
		defer close(read)
		io.Copy(&raw, ptmx)
	}()
	t.Setenv("NO_COLOR", "1")
	dir := t.TempDir()
	code := run([]string{"run", "--auto-approve", "--state", filepath.Join(dir, "state"), "../../runbooks/netware65-rolling-upgrade.hcl"}, tty, tty, tty)
	tty.Close()
	<-read
	if code != exitOK {
		t.Fatalf("run exited %d:\n%s", code, raw.String())
	}
	out := raw.String()
	if strings.Contains(out, "\x1b") || strings.Contains(out, "▶") || !strings.Contains(out, "22:00:00 step.install-license.ncs65: started\r\n") {
		t.Errorf("with NO_COLOR the terminal got more than the event lines:\n%q", out)
	}
}
