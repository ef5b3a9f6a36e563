package redact

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	r := New([]string{"s3cr3t", `pa"ss<w>rd`, "it's", "", "s3cr3t-longer"})
	for in, want := range map[string]string{
		"token s3cr3t here":              "token (sensitive) here",
		"s3cr3t-longer and s3cr3ts3cr3t": "(sensitive) and (sensitive)(sensitive)",
		`{"v":"pa\"ss\u003cw\u003erd"}`:  `{"v":"(sensitive)"}`,
		`{"v":"pa\"ss<w>rd"}`:            `{"v":"(sensitive)"}`,
		`echo 'it'\''s'`:                 `echo '(sensitive)'`,
		"nothing s3cr to hide, s3cr3":    "nothing s3cr to hide, s3cr3",
		"":                               "",
	} {
		if got := r.String(in); got != want {
			t.Errorf("String(%q) = %q; want %q", in, got, want)
		}
	}
	if New(nil) != nil || New([]string{""}) != nil {
		t.Error("New with no secrets is not nil")
	}
	var none *Redactor
	if got := none.String("s3cr3t"); got != "s3cr3t" {
		t.Errorf("nil Redactor changed %q", got)
	}
}

// TestWriter: a secret cut across writes is still hidden, and what is held
// back comes out at Flush.
func TestWriter(t *testing.T) {
	r := New([]string{"s3cr3t"})
	var out bytes.Buffer
	w := r.NewWriter(&out)
	text := "a s3cr3t, another s3cr3t and s3cr"
	for i := 0; i < len(text); i++ {
		if _, err := w.Write([]byte{text[i]}); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := out.String(), "a (sensitive), another (sensitive) and "; got != want {
		t.Errorf("before Flush: %q; want %q", got, want)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "a (sensitive), another (sensitive) and s3cr"; got != want {
		t.Errorf("after Flush: %q; want %q", got, want)
	}
	// A secret that starts another is waited for.
	out.Reset()
	w = New([]string{"s3cr3t", "s3cr3t-longer"}).NewWriter(&out)
	for _, s := range []string{"x s3cr3t-lo", "nger y"} {
		w.Write([]byte(s))
	}
	w.Flush()
	if got, want := out.String(), "x (sensitive) y"; got != want {
		t.Errorf("longer secret: %q; want %q", got, want)
	}
	// Every cut of a JSON line.
	b, _ := json.Marshal(map[string]string{"cmd": "curl -H 'token: s3cr3t'"})
	for cut := 0; cut <= len(b); cut++ {
		out.Reset()
		w := r.NewWriter(&out)
		w.Write(b[:cut])
		w.Write(b[cut:])
		w.Flush()
		if strings.Contains(out.String(), "s3cr3t") || !strings.Contains(out.String(), Mask) {
			t.Errorf("cut at %d: %s", cut, out.String())
		}
	}
}

// BenchmarkWriter measures hiding 4 secrets in a command's output streamed
// in 4 KiB writes (the exec driver's and the runbook's own output).
func BenchmarkWriter(b *testing.B) {
	r := New([]string{"s3cr3t-token-1", "another secret", "p@ss'word", "1234567"})
	line := []byte("2026-11-29T18:28:29.437Z leave FS1: $ /bin/sh -c 'TOKEN=... /usr/sbin/ncs-admin leave FS1' node FS1 left the cluster\n")
	chunk := bytes.Repeat(line, 4096/len(line))
	w := r.NewWriter(io.Discard)
	b.SetBytes(int64(len(chunk)))
	for i := 0; i < b.N; i++ {
		w.Write(chunk)
	}
	w.Flush()
}
