// Command standin is a stand-in cluster manager for tests of the exec driver
// and the runtime: a small model of a Novell Cluster Services cluster (the
// reference procedure of the README) driven by commands like those of the
// README's exec driver example.
//
// It keeps its state in a directory (-dir, or $STANDIN_DIR) so that separate
// invocations see one cluster, guards it with a file lock, and appends every
// command it receives to log.jsonl (see package standincheck, which reads
// and audits it).
//
//	standin init FILE|-              start from a JSON description (standincheck.Description)
//	standin status                   print the status JSON
//	standin license add PRODUCT VERSION
//	standin leave NODE               the node leaves; its resources fail over
//	standin upgrade NODE TO          the node installs TO, reboots and rejoins
//	standin migrate RES NODE
//	standin offline RES
//	standin online RES NODE
//	standin media-upgrade NODE
//	standin media-refresh NODE
//	standin fault add KIND[:TARGET] | fault clear
//	standin audit [-partial]         check the log (standincheck.Audit)
//
// Resources are running, offline, comatose (brought online where it cannot
// run: on a node that has not refreshed the upgraded media), or upgrade: a
// shared resource taken offline once every node runs a version above the
// media's, awaiting the media upgrade, as in the simulator (drivers/sim).
// The description's offline_as = "offline" reports the latter as offline on
// no node. Each node reports the media version it has read.
//
// An upgraded node stays down for the description's reboot_delay
// ($STANDIN_REBOOT_DELAY overrides it) and rejoins at the first command after
// it: there is no daemon.
//
// Faults come from `fault add` and from $STANDIN_FAULTS (comma-separated):
//
//	fail:CMD[:ARG]        CMD (with first argument ARG) exits 1, changing nothing
//	hang:CMD[:ARG]        CMD sleeps $STANDIN_HANG (default 1h) before doing anything
//	hang-after:CMD[:ARG]  CMD takes effect, then sleeps before it exits
//	block:CMD[:ARG]       CMD waits at a gate before doing anything (below)
//	block-after:CMD[:ARG] CMD takes effect, then waits at a gate before it exits
//	bad-status            status prints invalid JSON
//	reboot-fails:NODE     the node does not come back from its reboot
//
// A gate lets a test hold a command in flight for as long as it wants, and
// know that it is: the first command a block fault matches creates, in the
// directory $STANDIN_GATE, the file CMD[:ARG].before (or .after) holding
// its process group, then waits (at most $STANDIN_HANG) until the test
// creates CMD[:ARG].before.go (or .after.go), holding no lock meanwhile. A
// later command the same fault matches finds the file there and does not
// wait: an operation issued twice shows in the log, and does not hang.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gofrs/flock"

	"github.com/runbookhq/runbook/internal/standin/standincheck"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// usageError is a malformed command line: exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("standin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", os.Getenv("STANDIN_DIR"), "state directory (default $STANDIN_DIR)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	args = fs.Args()
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: standin [-dir DIR] COMMAND ARGS...")
		return 2
	}
	if *dir == "" {
		fmt.Fprintln(stderr, "standin: no state directory: set STANDIN_DIR or pass -dir")
		return 2
	}
	err := dispatch(*dir, args, stdin, stdout)
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "standin: "+err.Error())
		return 2
	default:
		fmt.Fprintln(stderr, "standin: "+err.Error())
		return 1
	}
}

func dispatch(dir string, args []string, stdin io.Reader, stdout io.Writer) error {
	switch args[0] {
	case "init":
		if len(args) != 2 {
			return usageError{"usage: standin init FILE|-"}
		}
		return initCluster(dir, args[1], stdin)
	case "audit":
		afs := flag.NewFlagSet("audit", flag.ContinueOnError)
		partial := afs.Bool("partial", false, "accept a run that stopped before the end")
		if err := afs.Parse(args[1:]); err != nil {
			return usageError{err.Error()}
		}
		recs, err := standincheck.ReadLog(dir)
		if err != nil {
			return err
		}
		problems := standincheck.Audit(recs, standincheck.AuditOptions{Partial: *partial})
		for _, p := range problems {
			fmt.Fprintln(stdout, p)
		}
		if len(problems) > 0 {
			return fmt.Errorf("audit: %d problems", len(problems))
		}
		return nil
	}
	if err := checkArgs(args); err != nil {
		return err
	}
	faults := envFaults()
	if f := faults.match("hang", args); f != "" {
		time.Sleep(hangFor())
	}
	if f := faults.match("block", args); f != "" {
		if err := gate(f, "before"); err != nil {
			return err
		}
	}
	return withCluster(dir, args, faults, stdout)
}

// gate holds the command at the gate of the block fault f, if it is the
// first to reach it: see the package's doc.
func gate(f, point string) error {
	dir := os.Getenv("STANDIN_GATE")
	if dir == "" {
		return errors.New("a block fault needs a gate directory: set STANDIN_GATE")
	}
	_, target, _ := strings.Cut(f, ":")
	name := filepath.Join(dir, target+"."+point)
	file, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return nil // passed once already
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(file, "%d\n", syscall.Getpgrp())
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	for end := time.Now().Add(hangFor()); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(name + ".go"); err == nil {
			return nil
		}
	}
	return fmt.Errorf("the gate %s was not opened within %s", name, hangFor())
}

// arity gives each cluster command's argument count (after its name).
var arity = map[string]int{
	"status": 0, "leave": 1, "upgrade": 2, "migrate": 2, "offline": 1, "online": 2,
	"media-upgrade": 1, "media-refresh": 1,
}

func checkArgs(args []string) error {
	switch args[0] {
	case "license":
		if len(args) != 4 || args[1] != "add" {
			return usageError{"usage: standin license add PRODUCT VERSION"}
		}
		return nil
	case "fault":
		if (len(args) == 3 && args[1] == "add") || (len(args) == 2 && args[1] == "clear") {
			return nil
		}
		return usageError{"usage: standin fault add KIND[:TARGET] | standin fault clear"}
	}
	n, ok := arity[args[0]]
	if !ok {
		return usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
	if len(args)-1 != n {
		return usageError{fmt.Sprintf("%s takes %d arguments, got %d", args[0], n, len(args)-1)}
	}
	return nil
}

func hangFor() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("STANDIN_HANG")); err == nil {
		return d
	}
	return time.Hour
}

func initCluster(dir, file string, stdin io.Reader) error {
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return err
	}
	var desc standincheck.Description
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&desc); err != nil {
		return fmt.Errorf("%s: %v", file, err)
	}
	st, err := newState(desc)
	if err != nil {
		return fmt.Errorf("%s: %v", file, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	lock := flock.New(filepath.Join(dir, standincheck.LockFile))
	if err := lock.Lock(); err != nil {
		return err
	}
	defer lock.Unlock()
	if err := os.Remove(filepath.Join(dir, standincheck.LogFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := appendLog(dir, st, standincheck.Record{Kind: standincheck.KindInit, Description: &desc}); err != nil {
		return err
	}
	return st.save(dir)
}

// withCluster runs one cluster command under the lock.
func withCluster(dir string, args []string, faults faultSet, stdout io.Writer) error {
	if _, err := os.Stat(filepath.Join(dir, standincheck.StateFile)); err != nil {
		return fmt.Errorf("no cluster in %s: run standin init FILE first", dir)
	}
	lock := flock.New(filepath.Join(dir, standincheck.LockFile))
	if err := lock.Lock(); err != nil {
		return err
	}
	locked := true
	defer func() {
		if locked {
			lock.Unlock()
		}
	}()
	st, err := load(dir)
	if err != nil {
		return err
	}
	faults = append(faults, st.Faults...)

	// Nodes whose reboot has ended rejoin before the command is seen.
	for _, ev := range st.advance(time.Now(), faults) {
		if err := appendLog(dir, st, standincheck.Record{Kind: standincheck.KindEvent, Events: []string{ev}}); err != nil {
			return err
		}
	}

	rec := standincheck.Record{Kind: standincheck.KindCommand, Args: args, Runner: runner()}
	var cmdErr error
	var output []byte
	if f := faults.match("fail", args); f != "" {
		rec.Fault = f
		cmdErr = fmt.Errorf("injected failure of %q", strings.Join(args, " "))
	} else if args[0] == "status" {
		output, err = json.Marshal(st.status())
		if err != nil {
			return err
		}
		if faults.has("bad-status") {
			rec.Fault = "bad-status"
			output = append([]byte("Cluster CL1: status follows\n"), output[:len(output)/2]...)
		}
		output = append(output, '\n')
	} else {
		// A failed command changes nothing: it works on a copy.
		next := st.clone()
		rec.Events, cmdErr = next.apply(args, time.Now(), faults)
		if cmdErr == nil {
			st = next
		}
	}
	if cmdErr != nil {
		rec.Exit, rec.Error = 1, cmdErr.Error()
	}
	if err := appendLog(dir, st, rec); err != nil {
		return err
	}
	if err := st.save(dir); err != nil {
		return err
	}
	lock.Unlock()
	locked = false

	if cmdErr != nil {
		return cmdErr
	}
	if _, err := stdout.Write(output); err != nil {
		return err
	}
	for _, ev := range rec.Events {
		fmt.Fprintln(stdout, ev)
	}
	if f := faults.match("hang-after", args); f != "" {
		time.Sleep(hangFor())
	}
	if f := faults.match("block-after", args); f != "" {
		return gate(f, "after")
	}
	return nil
}

func appendLog(dir string, st *state, rec standincheck.Record) error {
	st.Seq++
	rec.Seq = st.Seq
	rec.Time = time.Now().UTC()
	rec.Snapshot = st.status()
	line, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, standincheck.LogFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// runner is the nearest ancestor process named runbook (through the shell
// of the exec driver's gate), from /proc; 0 if none.
func runner() int {
	pid := os.Getppid()
	for range 4 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return 0
		}
		// pid (comm) state ppid ...
		s := string(b)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open {
			return 0
		}
		if s[open+1:close] == "runbook" {
			return pid
		}
		f := strings.Fields(s[close+1:])
		if len(f) < 2 {
			return 0
		}
		ppid, err := strconv.Atoi(f[1])
		if err != nil {
			return 0
		}
		pid = ppid
	}
	return 0
}
