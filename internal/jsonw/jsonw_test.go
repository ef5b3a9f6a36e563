package jsonw

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// TestString holds String to encoding/json's bytes: every byte alone and
// between others, strings of plain bytes with one to escape at each place,
// and random strings of bytes that need care.
func TestString(t *testing.T) {
	var cases []string
	for c := range 256 {
		cases = append(cases, string([]byte{byte(c)}), "ab"+string([]byte{byte(c)})+"cd")
	}
	for i := range 20 {
		for _, odd := range []string{`"`, `\`, "<", ">", "&", "\n", "\x01", "\u2028", "\u2029", "é", "\xff", "😀"} {
			plain := bytes.Repeat([]byte("x"), 20)
			cases = append(cases, string(plain[:i])+odd+string(plain[i:]))
		}
	}
	cases = append(cases, "", "plain", "rolling.all[N0].upgrade-node.up")
	r := rand.New(rand.NewPCG(3, 4))
	pool := []string{"a", "Z", "0", " ", `"`, `\`, "<", ">", "&", "\t", "\x00", "\x7f", "\u2028", "\u2029", "é", "☃", "😀", "\xc3", "\xff", "\xe2\x80"}
	for range 2000 {
		var s string
		for range r.IntN(12) {
			s += pool[r.IntN(len(pool))]
		}
		cases = append(cases, s)
	}
	for _, s := range cases {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		got := String([]byte("x"), s)
		if !bytes.Equal(got[1:], want) || got[0] != 'x' {
			t.Errorf("String(%q) = %s, want %s", s, got[1:], want)
		}
	}
}
