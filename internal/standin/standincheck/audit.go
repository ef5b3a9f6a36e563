package standincheck

import (
	"fmt"
	"sort"
	"strings"

	"github.com/runbookhq/runbook/cluster"
)

// AuditOptions tune Audit.
type AuditOptions struct {
	// Partial accepts a run that stopped before the end: nodes not upgraded
	// yet and no media upgrade are then no problem.
	Partial bool
}

// Audit checks a stand-in log against the reference procedure and returns
// what it found wrong, in log order; none means the run was sound:
//
//   - no two nodes were ever down together (R2);
//   - no resource was ever without a running node outside the media
//     upgrade, which spans from its first offline to its last online and only
//     excuses shared resources (R3, R7);
//   - each node was upgraded exactly once, after it left (R2), and after the
//     licences its version needs (R1);
//   - the media upgrade came last, once, with every shared resource offline,
//     then a refresh on every other node, then each resource online on the
//     node it ran on before (R7).
func Audit(recs []Record, opts AuditOptions) []string {
	a := &auditor{}
	if len(recs) == 0 || recs[0].Kind != KindInit || recs[0].Description == nil {
		return []string{"the log does not start with the stand-in's init record"}
	}
	desc := recs[0].Description
	shared := map[string]bool{}
	for _, r := range desc.Resources {
		shared[r.Name] = r.Shared
	}

	// The media upgrade's window: from its first offline to its last online
	// (or the end of the log, if the resources are not all back).
	first, last := -1, len(recs)
	for i := range recs {
		if op := opName(&recs[i]); op == "offline" && first < 0 {
			first = i
		} else if op == "online" {
			last = i
		}
	}
	if first >= 0 && last < len(recs) && !allAvailable(recs[len(recs)-1].Snapshot, shared) {
		last = len(recs)
	}

	var (
		upgrades    = map[string]int{}
		left        = map[string]bool{}
		installed   = map[string]bool{} // product + " " + version
		mediaOn     string
		refreshed   = map[string]bool{}
		ranOn       = map[string]string{} // resource -> node before its offline
		prev        = recs[0].Snapshot
		prevDown    = ""
		unavailable = map[string]bool{}
	)
	for i := 1; i < len(recs); i++ {
		r := &recs[i]
		st := r.Snapshot
		where := fmt.Sprintf("#%d", r.Seq)
		if r.Kind == KindCommand {
			where += " (" + r.Op() + ")"
		} else if len(r.Events) > 0 {
			where += " (" + strings.Join(r.Events, "; ") + ")"
		}
		if st == nil {
			a.addf("%s: the record has no snapshot", where)
			continue
		}
		if down := st.Down(); len(down) > 1 && strings.Join(down, ",") != prevDown {
			a.addf("%s: nodes %s were down together (R2)", where, strings.Join(down, ", "))
			prevDown = strings.Join(down, ",")
		} else if len(down) <= 1 {
			prevDown = ""
		}
		inWindow := first >= 0 && i >= first && i <= last
		for _, name := range st.ResourceNames() {
			rs := st.Resources[name]
			ok := available(rs) || (inWindow && shared[name])
			if !ok && !unavailable[name] {
				a.addf("%s: resource %s is %s, running on no node (R3)", where, name, rs.State)
			}
			unavailable[name] = !ok
		}

		if r.Kind != KindCommand || r.Exit != 0 || len(r.Args) == 0 {
			prev = st
			continue
		}
		args := r.Args
		switch args[0] {
		case "license":
			if len(args) == 4 {
				installed[args[2]+" "+args[3]] = true
			}
		case "leave":
			left[arg(args, 1)] = true
		case "upgrade":
			node, to := arg(args, 1), arg(args, 2)
			upgrades[node]++
			if !left[node] {
				a.addf("%s: node %s was upgraded without leaving the cluster first (R2)", where, node)
			}
			left[node] = false
			if mediaOn != "" {
				a.addf("%s: node %s was upgraded after the media upgrade (R7)", where, node)
			}
			for _, l := range desc.Licenses {
				min := l.MinNodes
				if min == 0 {
					min = 3
				}
				lic := cluster.License{Product: l.Product, Version: l.Version}
				if len(desc.Nodes) >= min && lic.Covers(to) && !installed[l.Product+" "+l.Version] {
					a.addf("%s: node %s was upgraded to %s before the licence %s %s was installed (R1)", where, node, to, l.Product, l.Version)
				}
			}
		case "offline":
			if prev != nil {
				ranOn[arg(args, 1)] = prev.Resources[arg(args, 1)].Node
			}
		case "media-upgrade":
			node := arg(args, 1)
			if mediaOn != "" {
				a.addf("%s: the media were upgraded a second time (R7)", where)
			}
			mediaOn = node
			refreshed[node] = true
			for _, n := range desc.Nodes {
				if upgrades[n.Name] == 0 {
					a.addf("%s: the media were upgraded while node %s was not upgraded yet (R7)", where, n.Name)
				}
			}
			if prev != nil {
				for _, name := range prev.ResourceNames() {
					if shared[name] && available(prev.Resources[name]) {
						a.addf("%s: the media were upgraded while resource %s was still %s on %s (R7a)", where, name, prev.Resources[name].State, prev.Resources[name].Node)
					}
				}
			}
		case "media-refresh":
			node := arg(args, 1)
			if mediaOn == "" {
				a.addf("%s: media refreshed on %s before the media upgrade (R7b)", where, node)
			}
			refreshed[node] = true
		case "online":
			res, node := arg(args, 1), arg(args, 2)
			if was, ok := ranOn[res]; ok && was != node {
				a.addf("%s: resource %s was brought online on %s; it ran on %s before the media upgrade (R7c)", where, res, node, was)
			}
			if shared[res] && mediaOn != "" && !refreshed[node] {
				a.addf("%s: resource %s was brought online on %s before the media were refreshed there (R7b)", where, res, node)
			}
		}
		prev = st
	}

	for _, n := range desc.Nodes {
		switch c := upgrades[n.Name]; {
		case c > 1:
			a.addf("node %s was upgraded %d times (R2)", n.Name, c)
		case c == 0 && !opts.Partial:
			a.addf("node %s was never upgraded", n.Name)
		}
	}
	if !opts.Partial {
		hasShared := false
		for _, r := range desc.Resources {
			hasShared = hasShared || r.Shared
		}
		if hasShared && mediaOn == "" {
			a.addf("the media were never upgraded (R7)")
		}
		if mediaOn != "" {
			var missing []string
			for _, n := range desc.Nodes {
				if !refreshed[n.Name] {
					missing = append(missing, n.Name)
				}
			}
			if len(missing) > 0 {
				a.addf("the media were never refreshed on %s (R7b)", strings.Join(missing, ", "))
			}
		}
		if end := recs[len(recs)-1].Snapshot; end != nil {
			var off []string
			for _, name := range end.ResourceNames() {
				if end.Resources[name].State != cluster.ResourceRunning {
					off = append(off, name+" ("+end.Resources[name].State+")")
				}
			}
			sort.Strings(off)
			if len(off) > 0 {
				a.addf("at the end, resources are not running: %s", strings.Join(off, ", "))
			}
		}
	}
	return a.problems
}

type auditor struct{ problems []string }

func (a *auditor) addf(format string, args ...any) {
	a.problems = append(a.problems, fmt.Sprintf(format, args...))
}

func opName(r *Record) string {
	if r.Kind != KindCommand || r.Exit != 0 || len(r.Args) == 0 {
		return ""
	}
	return r.Args[0]
}

func arg(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}

// available reports whether a resource serves.
func available(rs cluster.ResourceStatus) bool { return rs.State == cluster.ResourceRunning }

func allAvailable(st *cluster.Status, shared map[string]bool) bool {
	if st == nil {
		return false
	}
	for name, rs := range st.Resources {
		if shared[name] && rs.State != cluster.ResourceRunning {
			return false
		}
	}
	return true
}
