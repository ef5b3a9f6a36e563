package runtime

import (
	"strconv"
	"time"

	"github.com/runbookhq/runbook/cluster"
	"github.com/runbookhq/runbook/internal/jsonw"
	"github.com/runbookhq/runbook/internal/sorted"
)

// The journal's records are encoded by hand, byte for byte as encoding/json
// encodes a Record (its field order, omitempty, sorted map keys, HTML-safe
// string escapes), without reflection: a simulated run of 10,000 nodes
// writes some 200,000 of them. TestRecordEncoding holds the two to the same
// bytes.

// appendRecord appends the JSON encoding of r to b.
func appendRecord(b []byte, r *Record) ([]byte, error) {
	return appendRecordWith(b, r, nil)
}

// appendRecordWith is appendRecord, with the times that tc encoded last
// copied from it (tc may be nil).
func appendRecordWith(b []byte, r *Record, tc *timeCache) ([]byte, error) {
	var err error
	b = append(b, `{"type":`...)
	b = jsonw.String(b, r.Type)
	b = append(b, `,"time":`...)
	if b, err = tc.append(b, r.Time); err != nil {
		return nil, err
	}
	b = appendField(b, "address", r.Address)
	b = appendField(b, "status", r.Status)
	if r.Started != nil {
		b = append(b, `,"started":`...)
		if b, err = tc.append(b, *r.Started); err != nil {
			return nil, err
		}
	}
	b = appendField(b, "error", r.Error)
	if r.Continued {
		b = append(b, `,"continued":true`...)
	}
	if r.Changes != nil {
		b = append(b, `,"changes":`...)
		b = appendDelta(b, r.Changes)
	}
	if r.Outages != nil {
		b = append(b, `,"outages":`...)
		if b, err = appendOutages(b, r.Outages); err != nil {
			return nil, err
		}
	}
	b = appendField(b, "op", r.Op)
	if r.Pgid != 0 {
		b = append(b, `,"pgid":`...)
		b = strconv.AppendInt(b, int64(r.Pgid), 10)
	}
	b = appendField(b, "boot", r.Boot)
	b = appendField(b, "ran", r.Ran)
	if r.Gated {
		b = append(b, `,"gated":true`...)
	}
	b = appendField(b, "outcome", r.Outcome)
	if len(r.Ops) > 0 {
		b = append(b, `,"ops":[`...)
		for i, op := range r.Ops {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.String(b, op)
		}
		b = append(b, ']')
	}
	b = appendField(b, "runbook", r.Runbook)
	b = appendField(b, "driver", r.Driver)
	b = appendField(b, "command", r.Command)
	b = appendField(b, "user", r.User)
	b = appendField(b, "host", r.Host)
	b = appendField(b, "answer", r.Answer)
	if r.Answered != nil {
		b = append(b, `,"answered":`...)
		if b, err = jsonw.Time(b, *r.Answered); err != nil {
			return nil, err
		}
	}
	b = appendField(b, "runbook_version", r.RunbookVersion)
	b = appendField(b, "sha256", r.SHA256)
	if r.Change != nil {
		b = append(b, `,"change":`...)
		b = appendChange(b, r.Change)
	}
	b = appendField(b, "message", r.Message)
	if len(r.Downtime) > 0 {
		b = append(b, `,"downtime_seconds":`...)
		if b, err = jsonw.Object(b, sorted.Keys(r.Downtime), func(b []byte, k string) ([]byte, error) {
			return jsonw.Float(b, float64(r.Downtime[k]))
		}); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendSnapshot appends the snapshot's JSON, as encoding/json encodes a
// snapshot.
func appendSnapshot(b []byte, t time.Time, st *cluster.Status) ([]byte, error) {
	b = append(b, `{"time":`...)
	b, err := jsonw.Time(b, t)
	if err != nil {
		return nil, err
	}
	b = append(b, `,"status":`...)
	if st == nil {
		b = append(b, "null"...)
	} else {
		b = st.AppendJSON(b)
	}
	return append(b, '}'), nil
}

// appendField appends ,"name":"v" unless v is empty (omitempty).
func appendField(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return jsonw.String(b, v)
}

func appendChange(b []byte, c *Change) []byte {
	b = append(b, `{"kind":`...)
	b = jsonw.String(b, c.Kind)
	b = appendField(b, "name", c.Name)
	b = appendField(b, "from_state", c.FromState)
	b = appendField(b, "to_state", c.ToState)
	b = appendField(b, "from_node", c.FromNode)
	b = appendField(b, "to_node", c.ToNode)
	b = appendField(b, "from_version", c.FromVersion)
	b = appendField(b, "to_version", c.ToVersion)
	b = appendField(b, "product", c.Product)
	b = appendField(b, "from_media", c.FromMedia)
	b = appendField(b, "to_media", c.ToMedia)
	if c.Unplanned {
		b = append(b, `,"unplanned":true`...)
	}
	return append(b, '}')
}

func appendDelta(b []byte, d *Delta) []byte {
	b = append(b, '{')
	sep := func() {
		if b[len(b)-1] != '{' {
			b = append(b, ',')
		}
	}
	var keys [8]string
	if len(d.Nodes) > 0 {
		b = append(b, `"nodes":`...)
		b, _ = jsonw.Object(b, sortedKeys(d.Nodes, &keys), func(b []byte, k string) ([]byte, error) {
			if ns := d.Nodes[k]; ns != nil {
				return ns.AppendJSON(b), nil
			}
			return append(b, "null"...), nil
		})
	}
	if len(d.Resources) > 0 {
		sep()
		b = append(b, `"resources":`...)
		b, _ = jsonw.Object(b, sortedKeys(d.Resources, &keys), func(b []byte, k string) ([]byte, error) {
			if rs := d.Resources[k]; rs != nil {
				return rs.AppendJSON(b), nil
			}
			return append(b, "null"...), nil
		})
	}
	if d.Licenses != nil {
		sep()
		b = append(b, `"licenses":`...)
		b = cluster.AppendLicensesJSON(b, *d.Licenses)
	}
	if d.MediaVersion != nil {
		sep()
		b = append(b, `"media_version":`...)
		b = jsonw.String(b, *d.MediaVersion)
	}
	return append(b, '}')
}

// sortedKeys returns m's keys in order, in room's array when they fit: a
// step's changes name a node or two.
func sortedKeys[V any](m map[string]V, room *[8]string) []string {
	if len(m) > len(room) {
		return sorted.Keys(m)
	}
	keys := room[:0]
	for k := range m {
		keys = append(keys, k)
	}
	// An insertion sort: a few keys.
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// timeCache is the times encoded last and their encodings: a run's
// records come in runs of the same time, and a step's end record has its
// start's time too.
type timeCache struct {
	t    [2]time.Time
	enc  [2][]byte
	next int
}

// append appends t as jsonw.Time does; tc may be nil.
func (tc *timeCache) append(b []byte, t time.Time) ([]byte, error) {
	if tc == nil {
		return jsonw.Time(b, t)
	}
	for i := range tc.t {
		if len(tc.enc[i]) > 0 && t == tc.t[i] {
			return append(b, tc.enc[i]...), nil
		}
	}
	start := len(b)
	b, err := jsonw.Time(b, t)
	if err != nil {
		return nil, err
	}
	i := tc.next
	tc.t[i], tc.enc[i], tc.next = t, append(tc.enc[i][:0], b[start:]...), 1-i
	return b, nil
}

// appendCompact appends the JSON encoding of the record c keeps, as
// appendRecordWith encodes it: only the fields a compact record may have.
func appendCompact(b []byte, c *compact, tc *timeCache) ([]byte, error) {
	if c.full != nil {
		return appendRecordWith(b, c.full, tc)
	}
	var err error
	b = append(b, `{"type":`...)
	b = jsonw.String(b, compactTypes[c.typ])
	b = append(b, `,"time":`...)
	if b, err = tc.append(b, c.Time); err != nil {
		return nil, err
	}
	b = appendField(b, "address", c.Address)
	b = appendField(b, "status", compactStatuses[c.status])
	if c.Started != nil {
		b = append(b, `,"started":`...)
		if b, err = tc.append(b, *c.Started); err != nil {
			return nil, err
		}
	}
	if c.Continued {
		b = append(b, `,"continued":true`...)
	}
	if c.Changes != nil {
		b = append(b, `,"changes":`...)
		b = appendDelta(b, c.Changes)
	}
	if c.Outages != nil {
		b = append(b, `,"outages":`...)
		if b, err = appendOutages(b, c.Outages); err != nil {
			return nil, err
		}
	}
	b = appendField(b, "op", c.Op)
	if c.Gated {
		b = append(b, `,"gated":true`...)
	}
	b = appendField(b, "outcome", compactOutcomes[c.outcome])
	if c.Change != nil {
		b = append(b, `,"change":`...)
		b = appendChange(b, c.Change)
	}
	return append(b, '}'), nil
}

func appendOutages(b []byte, o *Outages) ([]byte, error) {
	var err error
	var keys [8]string
	b = append(b, '{')
	if len(o.Ended) > 0 {
		b = append(b, `"ended_seconds":`...)
		if b, err = jsonw.Object(b, sortedKeys(o.Ended, &keys), func(b []byte, k string) ([]byte, error) {
			return jsonw.Float(b, o.Ended[k])
		}); err != nil {
			return nil, err
		}
	}
	if len(o.Since) > 0 {
		if len(o.Ended) > 0 {
			b = append(b, ',')
		}
		b = append(b, `"since":`...)
		if b, err = jsonw.Object(b, sortedKeys(o.Since, &keys), func(b []byte, k string) ([]byte, error) {
			return jsonw.Time(b, o.Since[k])
		}); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}
