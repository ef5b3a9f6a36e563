package runtime

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/runbookhq/runbook/cluster"
)

// The journal's records are read back without reflection too (a resumed
// run, status and report read every record): decodeRecord reads the lines
// appendRecord writes and returns false on anything else (a key it does not
// know, an escape in a string, a number it does not expect), which the
// caller then reads with encoding/json. TestRecordDecoding holds the two to
// the same records.

// recordDecoder reads one JSON value after another from b.
type recordDecoder struct {
	b  []byte
	i  int
	ok bool
}

// decodeRecord decodes b into r as encoding/json would, or reports false.
func decodeRecord(b []byte, r *Record) bool {
	d := recordDecoder{b: b, ok: true}
	d.object(func(key []byte) {
		switch string(key) {
		case "type":
			r.Type = d.word()
		case "time":
			r.Time = d.time()
		case "address":
			r.Address = d.str()
		case "status":
			r.Status = d.word()
		case "started":
			r.Started = d.timePtr()
		case "error":
			r.Error = d.str()
		case "continued":
			r.Continued = d.bool()
		case "changes":
			r.Changes = d.delta()
		case "outages":
			r.Outages = d.outages()
		case "op":
			r.Op = d.str()
		case "pgid":
			r.Pgid = d.int()
		case "boot":
			r.Boot = d.str()
		case "ran":
			r.Ran = d.str()
		case "gated":
			r.Gated = d.bool()
		case "outcome":
			r.Outcome = d.word()
		case "ops":
			r.Ops = d.strings()
		case "runbook":
			r.Runbook = d.str()
		case "driver":
			r.Driver = d.word()
		case "command":
			r.Command = d.str()
		case "user":
			r.User = d.str()
		case "host":
			r.Host = d.str()
		case "answer":
			r.Answer = d.word()
		case "answered":
			r.Answered = d.timePtr()
		case "runbook_version":
			r.RunbookVersion = d.str()
		case "sha256":
			r.SHA256 = d.str()
		case "change":
			r.Change = d.change()
		case "message":
			r.Message = d.str()
		case "downtime_seconds":
			if d.null() {
				r.Downtime = nil
				return
			}
			r.Downtime = map[string]Seconds{}
			d.object(func(k []byte) { r.Downtime[string(k)] = Seconds(d.float()) })
		default:
			d.ok = false
		}
	})
	d.ws()
	return d.ok && d.i == len(d.b)
}

func (d *recordDecoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// expect consumes c, or fails.
func (d *recordDecoder) expect(c byte) bool {
	d.ws()
	if !d.ok || d.i >= len(d.b) || d.b[d.i] != c {
		d.ok = false
		return false
	}
	d.i++
	return true
}

// peek returns the next byte that is not white space, 0 at the end.
func (d *recordDecoder) peek() byte {
	d.ws()
	if d.i >= len(d.b) {
		return 0
	}
	return d.b[d.i]
}

// null consumes a null if one comes next.
func (d *recordDecoder) null() bool {
	if d.peek() == 'n' && len(d.b)-d.i >= 4 && string(d.b[d.i:d.i+4]) == "null" {
		d.i += 4
		return true
	}
	return false
}

// object reads an object, calling field with each key, positioned at its
// value; null reads as nothing.
func (d *recordDecoder) object(field func(key []byte)) {
	if d.null() {
		return
	}
	if !d.expect('{') {
		return
	}
	if d.peek() == '}' {
		d.i++
		return
	}
	for d.ok {
		key := d.raw()
		if !d.expect(':') {
			return
		}
		field(key)
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			return
		default:
			d.ok = false
		}
	}
}

// raw reads a string with no escapes and returns its bytes, valid UTF-8.
func (d *recordDecoder) raw() []byte {
	if !d.expect('"') {
		return nil
	}
	start := d.i
	ascii := true
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			s := d.b[start:d.i]
			d.i++
			if !ascii && !utf8.Valid(s) {
				d.ok = false
			}
			return s
		case c == '\\' || c < 0x20:
			d.ok = false
			return nil
		case c >= utf8.RuneSelf:
			ascii = false
		}
		d.i++
	}
	d.ok = false
	return nil
}

func (d *recordDecoder) str() string {
	if d.null() {
		return ""
	}
	return string(d.raw())
}

// word reads a string that is most often one of the journal's words, which
// it returns without a copy.
func (d *recordDecoder) word() string {
	if d.null() {
		return ""
	}
	b := d.raw()
	switch string(b) {
	case RecordStep:
		return RecordStep
	case RecordOp:
		return RecordOp
	case RecordOpEnd:
		return RecordOpEnd
	case RecordChange:
		return RecordChange
	case StatusStarted:
		return StatusStarted
	case StatusDone:
		return StatusDone
	case OpOK:
		return OpOK
	case ChangeNode:
		return ChangeNode
	case ChangeResource:
		return ChangeResource
	case cluster.NodeUp:
		return cluster.NodeUp
	case cluster.NodeDown:
		return cluster.NodeDown
	case cluster.ResourceRunning:
		return cluster.ResourceRunning
	case cluster.ResourceOffline:
		return cluster.ResourceOffline
	case cluster.ResourceUpgrade:
		return cluster.ResourceUpgrade
	}
	return string(b)
}

func (d *recordDecoder) time() time.Time {
	var t time.Time
	if d.null() {
		return t
	}
	// time.Time's UnmarshalJSON reads the quoted text as UnmarshalText.
	if err := t.UnmarshalText(d.raw()); err != nil {
		d.ok = false
	}
	return t
}

func (d *recordDecoder) timePtr() *time.Time {
	if d.null() {
		return nil
	}
	t := d.time()
	return &t
}

func (d *recordDecoder) bool() bool {
	d.ws()
	switch {
	case len(d.b)-d.i >= 4 && string(d.b[d.i:d.i+4]) == "true":
		d.i += 4
		return true
	case len(d.b)-d.i >= 5 && string(d.b[d.i:d.i+5]) == "false":
		d.i += 5
	case d.null():
	default:
		d.ok = false
	}
	return false
}

// number returns the bytes of a number.
func (d *recordDecoder) number() []byte {
	d.ws()
	start := d.i
	for d.i < len(d.b) {
		switch c := d.b[d.i]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
			d.i++
			continue
		}
		break
	}
	if d.i == start {
		d.ok = false
	}
	return d.b[start:d.i]
}

func (d *recordDecoder) int() int {
	if d.null() {
		return 0
	}
	n, err := strconv.ParseInt(string(d.number()), 10, 0)
	if err != nil {
		d.ok = false
	}
	return int(n)
}

func (d *recordDecoder) float() float64 {
	if d.null() {
		d.ok = false // into a map, encoding/json keeps a zero for null; not worth the care
		return 0
	}
	f, err := strconv.ParseFloat(string(d.number()), 64)
	if err != nil {
		d.ok = false
	}
	return f
}

func (d *recordDecoder) strings() []string {
	if d.null() {
		return nil
	}
	if !d.expect('[') {
		return nil
	}
	out := []string{}
	if d.peek() == ']' {
		d.i++
		return out
	}
	for d.ok {
		out = append(out, d.str())
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			return out
		default:
			d.ok = false
		}
	}
	return out
}

func (d *recordDecoder) change() *Change {
	if d.null() {
		return nil
	}
	c := &Change{}
	d.object(func(key []byte) {
		switch string(key) {
		case "kind":
			c.Kind = d.word()
		case "name":
			c.Name = d.str()
		case "from_state":
			c.FromState = d.word()
		case "to_state":
			c.ToState = d.word()
		case "from_node":
			c.FromNode = d.str()
		case "to_node":
			c.ToNode = d.str()
		case "from_version":
			c.FromVersion = d.str()
		case "to_version":
			c.ToVersion = d.str()
		case "product":
			c.Product = d.str()
		case "from_media":
			c.FromMedia = d.str()
		case "to_media":
			c.ToMedia = d.str()
		case "unplanned":
			c.Unplanned = d.bool()
		default:
			d.ok = false
		}
	})
	return c
}

func (d *recordDecoder) delta() *Delta {
	if d.null() {
		return nil
	}
	out := &Delta{}
	d.object(func(key []byte) {
		switch string(key) {
		case "nodes":
			if d.null() {
				out.Nodes = nil
				return
			}
			if out.Nodes == nil {
				out.Nodes = map[string]*cluster.NodeStatus{}
			}
			d.object(func(name []byte) {
				if d.null() {
					out.Nodes[string(name)] = nil
					return
				}
				ns := &cluster.NodeStatus{}
				d.object(func(k []byte) {
					switch string(k) {
					case "version":
						ns.Version = d.str()
					case "state":
						ns.State = d.word()
					case "media_version":
						ns.Media = d.str()
					default:
						d.ok = false
					}
				})
				out.Nodes[string(name)] = ns
			})
		case "resources":
			if d.null() {
				out.Resources = nil
				return
			}
			if out.Resources == nil {
				out.Resources = map[string]*cluster.ResourceStatus{}
			}
			d.object(func(name []byte) {
				if d.null() {
					out.Resources[string(name)] = nil
					return
				}
				rs := &cluster.ResourceStatus{}
				d.object(func(k []byte) {
					switch string(k) {
					case "state":
						rs.State = d.word()
					case "node":
						rs.Node = d.str()
					default:
						d.ok = false
					}
				})
				out.Resources[string(name)] = rs
			})
		case "licenses":
			if d.null() {
				out.Licenses = nil
				return
			}
			ls := d.licenses()
			out.Licenses = &ls
		case "media_version":
			if d.null() {
				out.MediaVersion = nil
				return
			}
			v := d.str()
			out.MediaVersion = &v
		default:
			d.ok = false
		}
	})
	return out
}

func (d *recordDecoder) licenses() []cluster.LicenseStatus {
	if !d.expect('[') {
		return nil
	}
	out := []cluster.LicenseStatus{}
	if d.peek() == ']' {
		d.i++
		return out
	}
	for d.ok {
		var l cluster.LicenseStatus
		d.object(func(k []byte) {
			switch string(k) {
			case "product":
				l.Product = d.str()
			case "version":
				l.Version = d.str()
			default:
				d.ok = false
			}
		})
		out = append(out, l)
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			return out
		default:
			d.ok = false
		}
	}
	return out
}

func (d *recordDecoder) outages() *Outages {
	if d.null() {
		return nil
	}
	out := &Outages{}
	d.object(func(key []byte) {
		switch string(key) {
		case "ended_seconds":
			if d.null() {
				out.Ended = nil
				return
			}
			if out.Ended == nil {
				out.Ended = map[string]float64{}
			}
			d.object(func(k []byte) { out.Ended[string(k)] = d.float() })
		case "since":
			if d.null() {
				out.Since = nil
				return
			}
			if out.Since == nil {
				out.Since = map[string]time.Time{}
			}
			d.object(func(k []byte) { out.Since[string(k)] = d.time() })
		default:
			d.ok = false
		}
	})
	return out
}
