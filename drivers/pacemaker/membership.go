package pacemaker

import (
	"context"
	"maps"
	"slices"
	"strings"
)

// Corosync's membership is the first to know that a node died: it drops a
// node whose token is lost within corosync's token and consensus timeouts,
// while Pacemaker's own view (crm_mon) can show a killed node online for
// seconds more, and shows nothing at all while a new DC is elected. The
// driver reads both, so that a node lost in the middle of another node's
// upgrade stops the run at once, whatever state Pacemaker's controllers
// are in.

// membersCommand lists the nodes in the current corosync membership.
var membersCommand = []string{"corosync-quorumtool", "-l", "-p"}

// members reads the current corosync membership on node. ok is false when
// it cannot be told: the command failed, or printed no membership whose
// local node is one of the cluster's names (a nodelist without names
// lists addresses, which the runbook does not know).
func (d *Driver) members(ctx context.Context, node string) (set map[string]bool, ok bool) {
	out, err := d.call(ctx, node, membersCommand...)
	if err != nil {
		return nil, false
	}
	set, local := parseMembers(string(out))
	if local == "" || !slices.Contains(d.cfg.Nodes, local) {
		return nil, false
	}
	return set, true
}

// parseMembers parses `corosync-quorumtool -l -p`:
//
//	Membership information
//	----------------------
//	    Nodeid      Votes    Qdevice Name
//	         1          1         NR n1 (local)
//	         3          1         NR n3
//
// It returns the names listed and the one marked (local), "" if none is.
func parseMembers(out string) (map[string]bool, string) {
	set := map[string]bool{}
	local := ""
	col := -1
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if f[0] == "Nodeid" {
			col = slices.Index(f, "Name")
			continue
		}
		if col < 0 || len(f) <= col || strings.TrimLeft(f[0], "0123456789") != "" {
			continue
		}
		set[f[col]] = true
		if len(f) > col+1 && f[col+1] == "(local)" {
			local = f[col]
		}
	}
	return set, local
}

// lostMembers returns the cluster's nodes missing from the membership
// that the run did not take out: not in standby, not being upgraded.
func (d *Driver) lostMembers(members map[string]bool, standby map[string]bool) []string {
	var lost []string
	for _, n := range d.cfg.Nodes {
		if !members[n] && !standby[n] && !d.upgrading[n] {
			lost = append(lost, n)
		}
	}
	return lost
}

// lostWithoutDC is the check made while no node answers with a DC: the
// membership read on any node that answers, against the standby nodes of
// the last status read. nil when no node is lost, or it cannot be told.
func (d *Driver) lostWithoutDC(ctx context.Context) *LostError {
	d.mu.Lock()
	standby := d.standbyNodes
	order := append([]string{d.via}, d.cfg.Nodes...) // the node that answered last first
	d.mu.Unlock()
	if standby == nil {
		return nil // no status read yet: the standby nodes are not known
	}
	for i, n := range order {
		if n == "" || (i > 0 && n == order[0]) {
			continue
		}
		set, ok := d.members(ctx, n)
		if !ok {
			continue
		}
		d.mu.Lock()
		lost := d.lostMembers(set, standby)
		d.mu.Unlock()
		if len(lost) == 0 {
			return nil
		}
		return &LostError{Nodes: lost, Members: slices.Sorted(maps.Keys(set))}
	}
	return nil
}
