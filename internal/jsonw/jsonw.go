// Package jsonw appends JSON values to a byte slice exactly as
// encoding/json encodes them, without reflection: for the encoders of
// records written by the hundred thousand (the journal, the simulator's
// log).
package jsonw

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"
)

// Time appends t as encoding/json does (time.Time's MarshalJSON:
// RFC 3339 with sub-second precision, quoted).
func Time(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	b, err := t.AppendText(b)
	if err != nil {
		return nil, errors.New("json: error calling MarshalJSON for type time.Time: " + err.Error())
	}
	return append(b, '"'), nil
}

// Float appends f as encoding/json encodes a float64: the
// shortest decimal that reads back as f, in exponent form below 1e-6 and
// from 1e21 on, with a one-digit negative exponent unpadded (1e-7).
func Float(b []byte, f float64) ([]byte, error) {
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

// plain tells the bytes String copies as they are: ASCII but the control
// characters, quote, backslash, <, > and &.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// plainPrefix returns the length of a prefix of s, a multiple of eight,
// whose bytes are all plain: s is read eight bytes at a time, and a word is
// plain when no byte has its high bit set (not ASCII), is below 0x20
// (a control character), or equals '"' or '&' (0x22, 0x26: 0x26 once bit
// 2 is set), '<' or '>' (0x3c, 0x3e: 0x3e once bit 1 is set), or '\\'.
func plainPrefix(s string) int {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	// zero reports whether a byte of v is zero, for v without high bits.
	zero := func(v uint64) bool { return (v-ones)&^v&high != 0 }
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		if w&high != 0 || (w-0x20*ones)&^w&high != 0 ||
			zero((w|0x04*ones)^0x26*ones) || zero((w|0x02*ones)^0x3e*ones) || zero(w^0x5c*ones) {
			break
		}
	}
	return i
}

// String appends s quoted as encoding/json quotes a string: the
// short escapes for quote, backslash and the usual control characters,
// \u00XX for the other control characters and for <, > and &, \ufffd for
// each byte that is not UTF-8, and \u2028 and \u2029 escaped.
func String(b []byte, s string) []byte {
	b = append(b, '"')
	// Most strings (names, addresses, states) need no escape: they are
	// copied whole, found so eight bytes at a time.
	i := plainPrefix(s)
	for i < len(s) && plain[s[i]] {
		i++
	}
	if i == len(s) {
		b = append(b, s...)
		return append(b, '"')
	}
	start := 0
	for i < len(s) {
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

// Object appends a JSON object of keys, in the order given, each with what
// value appends for it: {"k1":v1,"k2":v2}. An error from value ends it.
func Object(b []byte, keys []string, value func(b []byte, key string) ([]byte, error)) ([]byte, error) {
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = String(b, k)
		b = append(b, ':')
		var err error
		if b, err = value(b, k); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}
