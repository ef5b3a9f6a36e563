package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fatih/color"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/runtime"
)

// statusView shows `runbook status` and picks the exit code.
type statusView interface {
	Status(rep *statusReport) int
}

func (a *app) statusView(t viewType) statusView {
	if t == viewJSON {
		return &statusJSON{w: a.stdout}
	}
	return &statusHuman{w: a.stdout, color: a.color}
}

func statusExit(rep *statusReport) int {
	if rep.Error != "" {
		return exitFailed
	}
	return exitOK
}

type statusHuman struct {
	w     io.Writer
	color bool
}

func (v *statusHuman) Status(rep *statusReport) int {
	bold := paint(v.color, color.Bold)
	bold.Fprintf(v.w, "Runbook %s", rep.Runbook)
	fmt.Fprintf(v.w, ", driver %s, state in %s\n", rep.Driver, rep.StateDir)
	if rep.Holder != nil {
		paint(v.color, color.FgYellow).Fprintf(v.w, "A run holds the lock: %s.\n", rep.Holder)
	}
	fmt.Fprintln(v.w)
	switch {
	case rep.Error != "":
		paint(v.color, color.FgRed, color.Bold).Fprint(v.w, "Error:")
		fmt.Fprintf(v.w, " cannot read the cluster: %s\n", rep.Error)
	case rep.Cluster != nil:
		switch rep.Source {
		case sourceDeclared:
			fmt.Fprintln(v.w, "No run yet; the cluster as the runbook declares it:")
		case sourceJournal:
			fmt.Fprintln(v.w, "The cluster as the journal last recorded it:")
		default:
			fmt.Fprintf(v.w, "The cluster at %s:\n", rep.Time.Format(timeLayout))
		}
		v.cluster(rep.Cluster)
	}
	fmt.Fprintln(v.w)
	counts := map[string]int{}
	for _, s := range rep.Steps {
		counts[s.Status]++
	}
	fmt.Fprintf(v.w, "Steps: %d of %d done", counts[runtime.StatusDone], len(rep.Steps))
	for _, st := range []string{runtime.StatusSkipped, runtime.StatusFailed, runtime.StatusInDoubt, runtime.StatusStarted} {
		if counts[st] > 0 {
			fmt.Fprintf(v.w, ", %d %s", counts[st], st)
		}
	}
	fmt.Fprintln(v.w, ":")
	tw := tabwriter.NewWriter(v.w, 0, 0, 2, ' ', 0)
	for _, s := range rep.Steps {
		p := paint(v.color)
		switch s.Status {
		case runtime.StatusDone:
			p = paint(v.color, color.FgGreen)
		case runtime.StatusFailed, runtime.StatusInDoubt:
			p = paint(v.color, color.FgRed, color.Bold)
		case runtime.StatusStarted:
			p = paint(v.color, color.FgYellow)
		case runtime.StatusSkipped, runtime.StatusPending:
			p = paint(v.color, color.Faint)
		}
		fmt.Fprintf(tw, "  %s\t%s\n", p.Sprint(s.Status), s.Address)
		if s.Error != "" && s.Status != runtime.StatusDone {
			fmt.Fprintf(tw, "  \t  %s\n", s.Error)
		}
		if s.Continued {
			fmt.Fprintf(tw, "  \t  the run went on past it (on_failure = \"continue\"); later runs do not run it again\n")
		}
	}
	tw.Flush()
	return statusExit(rep)
}

func (v *statusHuman) cluster(st *cluster.Status) {
	tw := tabwriter.NewWriter(v.w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  NODE\tVERSION\tSTATE")
	for _, n := range st.NodeNames() {
		ns := st.Nodes[n]
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", n, ns.Version, ns.State)
	}
	tw.Flush()
	tw = tabwriter.NewWriter(v.w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  RESOURCE\tSTATE\tNODE")
	for _, r := range st.ResourceNames() {
		rs := st.Resources[r]
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", r, rs.State, rs.Node)
	}
	tw.Flush()
	var lic []string
	for _, l := range st.Licenses {
		lic = append(lic, l.Product+" "+l.Version)
	}
	if len(lic) == 0 {
		lic = []string{"none"}
	}
	fmt.Fprintf(v.w, "  Licences: %s\n", strings.Join(lic, ", "))
	fmt.Fprintf(v.w, "  Media: %s\n", st.MediaVersion)
	var unread []string
	for _, n := range st.NodeNames() {
		if m := st.Nodes[n].Media; m != "" && cluster.CompareVersions(m, st.MediaVersion) < 0 {
			unread = append(unread, fmt.Sprintf("%s (reads %s)", n, m))
		}
	}
	if len(unread) > 0 {
		paint(v.color, color.FgYellow).Fprintf(v.w, "  Media not yet refreshed on: %s.\n", strings.Join(unread, ", "))
	}
	if vs := st.Versions(); len(vs) > 1 {
		var parts []string
		for _, ver := range vs {
			var on []string
			for _, n := range st.NodeNames() {
				if st.Nodes[n].Version == ver {
					on = append(on, n)
				}
			}
			parts = append(parts, fmt.Sprintf("%s on %s", ver, strings.Join(on, ", ")))
		}
		paint(v.color, color.FgYellow).Fprintf(v.w, "  Mixed versions: %s.\n", strings.Join(parts, "; "))
	}
}

type statusJSON struct{ w io.Writer }

func (v *statusJSON) Status(rep *statusReport) int {
	out := struct {
		Runbook      string                            `json:"runbook"`
		StateDir     string                            `json:"state_dir"`
		Driver       string                            `json:"driver"`
		Source       string                            `json:"source"`
		Time         *time.Time                        `json:"time,omitempty"`
		Nodes        map[string]cluster.NodeStatus     `json:"nodes"`
		Resources    map[string]cluster.ResourceStatus `json:"resources"`
		Licenses     []cluster.LicenseStatus           `json:"licenses"`
		MediaVersion string                            `json:"media_version"`
		Steps        []stepStatus                      `json:"steps"`
		Lock         *runtime.Holder                   `json:"lock,omitempty"`
		Error        string                            `json:"error,omitempty"`
	}{Runbook: rep.Runbook, StateDir: rep.StateDir, Driver: rep.Driver, Source: rep.Source, Steps: rep.Steps, Lock: rep.Holder, Error: rep.Error,
		Nodes: map[string]cluster.NodeStatus{}, Resources: map[string]cluster.ResourceStatus{}, Licenses: []cluster.LicenseStatus{}}
	if !rep.Time.IsZero() {
		out.Time = &rep.Time
	}
	if rep.Cluster != nil {
		out.Nodes, out.Resources, out.MediaVersion = rep.Cluster.Nodes, rep.Cluster.Resources, rep.Cluster.MediaVersion
		if rep.Cluster.Licenses != nil {
			out.Licenses = rep.Cluster.Licenses
		}
	}
	if out.Steps == nil {
		out.Steps = []stepStatus{}
	}
	enc := json.NewEncoder(v.w)
	enc.SetIndent("", "  ")
	enc.Encode(out)
	return statusExit(rep)
}
