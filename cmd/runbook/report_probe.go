package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/runbookhq/runbook/runtime/report"
)

// maxProbeFile bounds what report --probe reads: a probe's file holds a
// number per resource.
const maxProbeFile = 1 << 20

// readProbe reads report --probe FILE: an external measurement of each
// resource's downtime, {"source": "...", "downtime_seconds": {"R": 5.7}},
// laid beside the journal's. Every resource it names must be one of the
// runbook's, and every figure a number of seconds, 0 or more.
func readProbe(path string, resources []string) (*report.Probe, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading --probe: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxProbeFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading --probe: %w", err)
	}
	if len(data) > maxProbeFile {
		return nil, fmt.Errorf("--probe %s is larger than %d bytes: want a small JSON object %s", path, maxProbeFile, probeShape)
	}
	var raw struct {
		Source   *string                    `json:"source"`
		Downtime map[string]json.RawMessage `json:"downtime_seconds"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("--probe %s is not %s: %v", path, probeShape, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("--probe %s holds more than one JSON value: want one object %s", path, probeShape)
	}
	if raw.Source == nil || strings.TrimSpace(*raw.Source) == "" {
		return nil, fmt.Errorf("--probe %s has no \"source\": say what measured the downtime (such as \"HTTP probe every 10ms\")", path)
	}
	if raw.Downtime == nil {
		return nil, fmt.Errorf("--probe %s has no \"downtime_seconds\": want the seconds each resource was down, such as {\"POOL1_SERVER\": 5.7}", path)
	}
	p := &report.Probe{Source: *raw.Source, Downtime: map[string]float64{}}
	var unknown []string
	for _, name := range probeNames(raw.Downtime) {
		if !slices.Contains(resources, name) {
			unknown = append(unknown, fmt.Sprintf("%q", name))
			continue
		}
		var v float64
		if err := json.Unmarshal(raw.Downtime[name], &v); err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return nil, fmt.Errorf("--probe %s: downtime_seconds of %s is %s: want a number of seconds, 0 or more", path, name, raw.Downtime[name])
		}
		p.Downtime[name] = v
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("--probe %s names %s, not a resource of the runbook (it has %s)", path, strings.Join(unknown, ", "), strings.Join(resources, ", "))
	}
	return p, nil
}

const probeShape = `{"source": "...", "downtime_seconds": {"RESOURCE": SECONDS, ...}}`

// probeNames is the names of a probe's resources, in order.
func probeNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}
