package runtime

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/runbookhq/runbook/cluster"
)

// The journal's records are encoded by hand, byte for byte as encoding/json
// encodes a Record (its field order, omitempty, sorted map keys, HTML-safe
// string escapes), without reflection: a simulated run of 10,000 nodes
// writes some 200,000 of them. TestRecordEncoding holds the two to the same
// bytes.

// appendRecord appends the JSON encoding of r to b.
func appendRecord(b []byte, r *Record) ([]byte, error) {
	var err error
	b = append(b, `{"type":`...)
	b = appendJSONString(b, r.Type)
	b = append(b, `,"time":`...)
	if b, err = appendJSONTime(b, r.Time); err != nil {
		return nil, err
	}
	b = appendField(b, "address", r.Address)
	b = appendField(b, "status", r.Status)
	if r.Started != nil {
		b = append(b, `,"started":`...)
		if b, err = appendJSONTime(b, *r.Started); err != nil {
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
			b = appendJSONString(b, op)
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
		if b, err = appendJSONTime(b, *r.Answered); err != nil {
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
		b = append(b, `,"downtime_seconds":{`...)
		for i, k := range sortedKeys(r.Downtime) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			if b, err = appendJSONFloat(b, float64(r.Downtime[k])); err != nil {
				return nil, err
			}
		}
		b = append(b, '}')
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
	return appendJSONString(b, v)
}

func appendChange(b []byte, c *Change) []byte {
	b = append(b, `{"kind":`...)
	b = appendJSONString(b, c.Kind)
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
	if len(d.Nodes) > 0 {
		b = append(b, `"nodes":{`...)
		for i, k := range sortedKeys(d.Nodes) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			ns := d.Nodes[k]
			if ns == nil {
				b = append(b, "null"...)
				continue
			}
			b = append(b, `{"version":`...)
			b = appendJSONString(b, ns.Version)
			b = append(b, `,"state":`...)
			b = appendJSONString(b, ns.State)
			b = appendField(b, "media_version", ns.Media)
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	if len(d.Resources) > 0 {
		sep()
		b = append(b, `"resources":{`...)
		for i, k := range sortedKeys(d.Resources) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			rs := d.Resources[k]
			if rs == nil {
				b = append(b, "null"...)
				continue
			}
			b = append(b, `{"state":`...)
			b = appendJSONString(b, rs.State)
			b = append(b, `,"node":`...)
			b = appendJSONString(b, rs.Node)
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	if d.Licenses != nil {
		sep()
		b = append(b, `"licenses":`...)
		b = appendLicenses(b, *d.Licenses)
	}
	if d.MediaVersion != nil {
		sep()
		b = append(b, `"media_version":`...)
		b = appendJSONString(b, *d.MediaVersion)
	}
	return append(b, '}')
}

func appendLicenses(b []byte, ls []cluster.LicenseStatus) []byte {
	if ls == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, l := range ls {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"product":`...)
		b = appendJSONString(b, l.Product)
		b = append(b, `,"version":`...)
		b = appendJSONString(b, l.Version)
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendOutages(b []byte, o *Outages) ([]byte, error) {
	var err error
	b = append(b, '{')
	if len(o.Ended) > 0 {
		b = append(b, `"ended_seconds":{`...)
		for i, k := range sortedKeys(o.Ended) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			if b, err = appendJSONFloat(b, o.Ended[k]); err != nil {
				return nil, err
			}
		}
		b = append(b, '}')
	}
	if len(o.Since) > 0 {
		if len(o.Ended) > 0 {
			b = append(b, ',')
		}
		b = append(b, `"since":{`...)
		for i, k := range sortedKeys(o.Since) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			if b, err = appendJSONTime(b, o.Since[k]); err != nil {
				return nil, err
			}
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// appendJSONTime appends t as encoding/json does (time.Time's MarshalJSON:
// RFC 3339 with sub-second precision, quoted).
func appendJSONTime(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	b, err := t.AppendText(b)
	if err != nil {
		return nil, errors.New("json: error calling MarshalJSON for type time.Time: " + err.Error())
	}
	return append(b, '"'), nil
}

// appendJSONFloat appends f as encoding/json encodes a float64: the
// shortest decimal that reads back as f, in exponent form below 1e-6 and
// from 1e21 on, with a one-digit negative exponent unpadded (1e-7).
func appendJSONFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, errors.New("json: unsupported value: " + strconv.FormatFloat(f, 'g', -1, 64))
	}
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json quotes a string: the
// short escapes for quote, backslash and the usual control characters,
// \u00XX for the other control characters and for <, > and &, \ufffd for
// each byte that is not UTF-8, and \u2028 and \u2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
