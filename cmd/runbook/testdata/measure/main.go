// Command measure runs a command and prints what it cost, for the command
// line's process benchmark (BenchmarkProcess): its exit status, wall time
// (ns), user and system CPU time (ns), peak resident memory (KiB) and page
// faults, on one line. The command's stdout goes to /dev/null, its stderr
// to measure's.
//
// It exists because a process started by a large one does not report its
// own peak memory: Linux counts, in the peak of a process that a program
// started with vfork (as Go's os/exec does), the peak of the program that
// started it. measure is small: what it reports is the command's.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: measure COMMAND [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if ru == nil {
		ru = &syscall.Rusage{}
	}
	fmt.Printf("%d %d %d %d %d %d\n", cmd.ProcessState.ExitCode(), wall.Nanoseconds(),
		cmd.ProcessState.UserTime().Nanoseconds(), cmd.ProcessState.SystemTime().Nanoseconds(), ru.Maxrss, ru.Minflt+ru.Majflt)
}
