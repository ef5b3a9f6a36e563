package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/runbookhq/runbook/runtime/report"
)

// The page shows a probe's column only when there is a probe: its source
// in the header, a figure for each resource it watched, "not measured" for
// the others.
func TestReportPageProbeColumn(t *testing.T) {
	probed := 5.7
	rep := &report.Report{Outcome: "completed", Downtime: []report.Downtime{
		{Resource: "web", PredictedSeconds: 6, MeasuredSeconds: 5.5, ProbeSeconds: &probed},
		{Resource: "db", PredictedSeconds: 1, MeasuredSeconds: 1},
	}}
	var without bytes.Buffer
	if err := renderReport(&without, rep); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(without.String(), ">Probe</th>") || strings.Contains(without.String(), `class="num probe"`) {
		t.Errorf("a report without --probe has a probe column")
	}
	rep.Probe = &report.ProbeInfo{Source: `curl <every> 10ms`}
	var with bytes.Buffer
	if err := renderReport(&with, rep); err != nil {
		t.Fatal(err)
	}
	page := with.String()
	for _, want := range []string{
		`<th class="num" title="curl &lt;every&gt; 10ms">Probe</th>`,
		`<td class="num measured" data-seconds=5.5>5.5s<td class="num probe" data-seconds=5.7>5.7s<td>`,
		`<td class="num measured" data-seconds=1>1s<td class="num probe">not measured<td>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}
