// Package procgroup tells whether a process group still runs on this
// machine: the exec driver uses it to know when a command it stopped has
// ended, and the runtime to know whether a command an earlier run started
// (and journaled) may still be at work.
package procgroup

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Alive reports whether the process group pgid has a member that has not
// exited. Zombies do not count: an exited process whose parent has not
// reaped it yet (a child of the command reparented to an init that reaps
// slowly) holds no resources and does no work. The leader's pid stays
// reserved as the group's id while any member lives, so a live group with
// that id is the same group, unless every member ended and the id was
// reused since.
func Alive(pgid int) bool {
	if pgid <= 0 {
		return false
	}
	if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return true // no /proc: trust kill(2)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if state, pg, ok := procStat(pid); ok && pg == pgid && state != 'Z' && state != 'X' {
			return true
		}
	}
	return false
}

// ProcessAlive reports whether pid exists and is not a zombie.
func ProcessAlive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	state, _, ok := procStat(pid)
	return !ok || (state != 'Z' && state != 'X')
}

// BootID identifies this boot of this machine ("" where the system does
// not say): a process group recorded under another boot id is long gone,
// whatever its number.
func BootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// procStat reads a process's state and process group from /proc/PID/stat:
// "PID (COMM) STATE PPID PGRP ...", where COMM may hold spaces and parens.
func procStat(pid int) (state byte, pgrp int, ok bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := bytes.Fields(data[i+1:])
	if len(f) < 3 || len(f[0]) != 1 {
		return 0, 0, false
	}
	pgrp, err = strconv.Atoi(string(f[2]))
	if err != nil {
		return 0, 0, false
	}
	return f[0][0], pgrp, true
}
