package sim

import (
	"strconv"
	"time"

	"github.com/zeebo/xxh3"

	"github.com/gondb/gondb/signal"
)

// contentHash summarizes an encoded signal for its trace line.
func contentHash(b []byte) uint64 { return xxh3.Hash(b) }

// The trace hash is FNV-1a, 64 bits, over the trace's text: simple,
// allocation-free, the same on every architecture (hash/maphash is seeded
// per process) and easy to recompute from a kept trace. A message's content
// is summarized in its line by xxh3, which is faster over longer input.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnv(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

// tracer records every delivery, loss, refusal and fault as one text line.
// Each line is formatted into a reusable buffer and folded into a running
// FNV-1a hash, so the hash is exactly the hash of the full trace; the full
// text is kept only when asked (Config.KeepTrace).
type tracer struct {
	keep  bool
	line  []byte
	full  []byte
	hash  uint64
	lines uint64
}

func (t *tracer) begin(now time.Duration, what string) {
	t.line = appendTime(t.line[:0], now)
	t.line = append(t.line, ' ')
	t.line = append(t.line, what...)
}

func (t *tracer) str(s string) {
	t.line = append(t.line, s...)
}

func (t *tracer) num(label string, v uint64) {
	t.line = append(t.line, ' ')
	t.line = append(t.line, label...)
	t.line = strconv.AppendUint(t.line, v, 10)
}

func (t *tracer) hex(label string, v uint64) {
	t.line = append(t.line, ' ')
	t.line = append(t.line, label...)
	t.line = strconv.AppendUint(t.line, v, 16)
}

func (t *tracer) node(n signal.NodeID) {
	t.line = append(t.line, ' ')
	t.line = strconv.AppendUint(t.line, uint64(n), 10)
}

func (t *tracer) addr(a signal.Address) {
	t.line = strconv.AppendUint(t.line, uint64(a.Node), 10)
	t.line = append(t.line, '/')
	t.line = strconv.AppendUint(t.line, uint64(a.Block), 10)
	t.line = append(t.line, '.')
	t.line = strconv.AppendUint(t.line, uint64(a.Instance), 10)
}

// route writes " a->b" for two nodes.
func (t *tracer) route(from, to signal.NodeID) {
	t.node(from)
	t.line = append(t.line, "->"...)
	t.line = strconv.AppendUint(t.line, uint64(to), 10)
}

func (t *tracer) end() {
	t.line = append(t.line, '\n')
	t.hash = fnv(t.hash, t.line)
	t.lines++
	if t.keep {
		t.full = append(t.full, t.line...)
	}
}

// appendTime writes d as seconds with nine decimals ("1.250000000"), so
// lines sort and compare as text and never depend on time.Duration.String.
func appendTime(b []byte, d time.Duration) []byte {
	b = strconv.AppendInt(b, int64(d/time.Second), 10)
	// 1e9 + the fraction has ten digits: overwrite the leading 1 with '.'.
	n := len(b)
	b = strconv.AppendInt(b, int64(time.Second+d%time.Second), 10)
	b[n] = '.'
	return b
}
