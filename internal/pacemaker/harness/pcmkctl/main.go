// Command pcmkctl acts on the nodes of a running harness cluster
// (internal/pacemaker/harness) from a process of its own, such as the
// upgrade command of a runbook run by `runbook run --driver pacemaker`:
//
//	pcmkctl [-timeout 2m] DIR upgrade NODE VERSION   graceful stop, version marker, start
//	pcmkctl [-timeout 2m] DIR stop|start|kill NODE
//	pcmkctl DIR version NODE                          prints the version marker
//
// DIR is the cluster's directory (harness.Cluster.Dir). It signals only the
// daemons the harness started, found from their pid files. Each stop and
// start is timed in DIR/pcmkctl.log, one JSON object a line, so that a test
// can tell the cluster's own work from the time spent around it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/runbookhq/runbook/internal/pacemaker/harness"
)

// LogFile is the timing log in the cluster's directory.
const LogFile = "pcmkctl.log"

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	fs := flag.NewFlagSet("pcmkctl", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 2*time.Minute, "bound on the whole operation")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: pcmkctl [-timeout D] DIR upgrade NODE VERSION | DIR stop|start|kill|version NODE")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	a := fs.Args()
	if len(a) < 3 || (a[1] == "upgrade") != (len(a) == 4) || len(a) > 4 {
		fs.Usage()
		return 2
	}
	dir, op, node := a[0], a[1], a[2]
	c, err := harness.Attach(dir, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pcmkctl:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	timed := func(what string, f func() error) error {
		t0 := time.Now()
		err := f()
		logTiming(c.Dir, node, what, t0, time.Now(), err)
		return err
	}
	switch op {
	case "upgrade":
		err = timed("stop", func() error { return c.StopNode(ctx, node) })
		if err == nil {
			err = c.SetVersion(node, a[3])
		}
		if err == nil {
			err = timed("start", func() error { return c.StartNode(ctx, node) })
		}
	case "stop":
		err = timed("stop", func() error { return c.StopNode(ctx, node) })
	case "start":
		err = timed("start", func() error { return c.StartNode(ctx, node) })
	case "kill":
		err = c.KillNode(ctx, node)
	case "version":
		var v string
		if v, err = c.Version(node); err == nil {
			fmt.Println(v)
		}
	default:
		fs.Usage()
		return 2
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pcmkctl: %s %s: %v\n", op, node, err)
		return 1
	}
	return 0
}

// Timing is one line of LogFile.
type Timing struct {
	Node  string    `json:"node"`
	Op    string    `json:"op"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Error string    `json:"error,omitempty"`
}

func logTiming(dir, node, op string, start, end time.Time, err error) {
	t := Timing{Node: node, Op: op, Start: start, End: end}
	if err != nil {
		t.Error = err.Error()
	}
	line, _ := json.Marshal(t)
	f, ferr := os.OpenFile(filepath.Join(dir, LogFile), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if ferr != nil {
		return
	}
	defer f.Close()
	_, _ = f.Write(append(line, '\n'))
}
