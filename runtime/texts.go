package runtime

import (
	"strings"
	"time"
)

// texts is where a run makes its many short strings (what each change
// event says, each operation's key): cut from a few large strings rather
// than allocated one by one. A strings.Builder never changes what it has
// written, so each string cut from it stays as it was made; a chunk lives
// as long as one of its strings does.
type texts struct {
	b strings.Builder
}

// textChunk is how many bytes a chunk holds.
const textChunk = 16 << 10

// join returns the parts joined, as a + b + ... would.
func (t *texts) join(parts ...string) string {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n == 0 {
		return ""
	}
	start := t.room(n)
	for _, p := range parts {
		t.b.WriteString(p)
	}
	return t.b.String()[start:]
}

// room makes room for n more bytes in the current chunk, a new one if it
// has not, and returns where they start.
func (t *texts) room(n int) int {
	if t.b.Cap()-t.b.Len() < n {
		t.b = strings.Builder{}
		t.b.Grow(max(textChunk, n))
	}
	return t.b.Len()
}

// joinDuration returns prefix + fmtDuration(d).
func (t *texts) joinDuration(prefix string, d time.Duration) string {
	var buf [24]byte
	b := appendDuration(buf[:0], d)
	start := t.room(len(prefix) + len(b))
	t.b.WriteString(prefix)
	t.b.Write(b)
	return t.b.String()[start:]
}

// change is c.String().
func (t *texts) change(c *Change) string {
	w := c.words()
	return t.join(w[:]...)
}
