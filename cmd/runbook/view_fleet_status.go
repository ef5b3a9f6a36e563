package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// writeFleetStatusJSON writes fleet status --json: the report, indented.
func writeFleetStatusJSON(w io.Writer, rep *fleetStatusReport) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(rep)
}

// writeFleetStatus writes fleet status: a line a cluster (where it stands,
// its steps done, on which runner, at which step, why), then the totals.
func writeFleetStatus(w io.Writer, rep *fleetStatusReport) {
	width := 0
	for _, c := range rep.Clusters {
		width = max(width, len(c.Cluster))
	}
	for _, c := range rep.Clusters {
		line := fmt.Sprintf("%-*s  %-7s  %d/%d steps", width, c.Cluster, c.Status, c.Done, c.Steps)
		var more []string
		if c.Runner != "" {
			more = append(more, "on "+c.Runner)
		}
		if c.Step != "" {
			where := "at "
			if c.Status == standRolling {
				where = "step "
			}
			more = append(more, where+c.Step)
		}
		if c.Why != "" {
			more = append(more, c.Why)
		}
		if len(more) > 0 {
			line += ": " + strings.Join(more, "; ")
		}
		fmt.Fprintln(w, line)
	}
	if len(rep.Slots) > 0 {
		fmt.Fprintln(w)
	}
	for _, sl := range rep.Slots {
		fmt.Fprintf(w, "%s%s.\n", strings.ToUpper(sl.Why[:1]), sl.Why[1:])
	}
	t := rep.Totals
	fmt.Fprintf(w, "\n%s: %d done, %d rolling, %d failed, %d waiting.\n", plural(len(rep.Clusters), "cluster"), t[standDone], t[standRolling], t[standFailed], t[standWaiting])
}
