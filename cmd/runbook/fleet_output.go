package main

import (
	"io"
	"strings"
	"sync"
)

// firstLine is the first line of s.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// lineSink writes whole lines to w, one write a line, one writer at a
// time: the clusters' lines never mix within a line.
type lineSink struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *lineSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// prefixWriter prefixes each line with a cluster's name, and passes on
// whole lines only.
type prefixWriter struct {
	mu     sync.Mutex
	prefix string
	sink   io.Writer
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(b)
	var out []byte
	for len(b) > 0 {
		i := strings.IndexByte(string(b), '\n')
		if i < 0 {
			p.buf = append(p.buf, b...)
			break
		}
		out = append(out, p.prefix...)
		out = append(out, p.buf...)
		out = append(out, b[:i+1]...)
		p.buf = p.buf[:0]
		b = b[i+1:]
	}
	if len(out) > 0 {
		p.sink.Write(out)
	}
	return n, nil
}

// Flush writes a last line that has no newline yet.
func (p *prefixWriter) Flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.buf) > 0 {
		p.sink.Write(append(append([]byte(p.prefix), p.buf...), '\n'))
		p.buf = p.buf[:0]
	}
}
