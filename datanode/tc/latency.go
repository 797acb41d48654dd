package tc

import (
	"math/bits"
	"time"

	"github.com/gondb/gondb/block"
)

// Latency histograms. The TC times every transaction from the request that
// created it (its first TCKEYREQ or SCAN_TABREQ) to the commit answer it
// sends the API (TCCOMMITCONF) or to the abort decision (abortTx: the
// TCKEYREF, TCROLLBACKREP or, for a requested rollback, the start of the
// ABORT round), and every scan from its SCAN_TABREQ to its end (the last
// fragment done, closed by the API, refused, or closed by commit or abort).
// The clock is block.Env.Now, read at most once per signal (TC.now). A
// Histogram is fixed arrays of plain counters on the TC's thread: an
// observation neither allocates nor locks. Read them there (node.Do).

// LatencyBuckets is the number of buckets of a Histogram. Bucket i <
// LatencyBuckets-1 counts durations below BucketBound(i) = 2^i µs (and, for
// i > 0, at least 2^(i-1) µs); the last counts the rest, from 2^27 µs
// (about 134 s) up.
const LatencyBuckets = 29

// BucketBound is the upper bound of bucket i (i < LatencyBuckets-1): a
// duration d is in bucket i when BucketBound(i-1) <= d < BucketBound(i).
func BucketBound(i int) time.Duration { return time.Microsecond << i }

// Histogram counts durations in fixed log2 buckets.
type Histogram struct {
	// Counts are the observations by bucket (not cumulative).
	Counts [LatencyBuckets]uint64
	// Count is the number of observations, Sum their total in nanoseconds.
	Count, Sum uint64
}

// Observe adds one duration (a negative one counts as 0).
func (h *Histogram) Observe(d time.Duration) {
	d = max(d, 0)
	i := min(bits.Len64(uint64(d/time.Microsecond)), LatencyBuckets-1)
	h.Counts[i]++
	h.Count++
	h.Sum += uint64(d)
}

// Add adds o's observations to h.
func (h *Histogram) Add(o *Histogram) {
	for i, c := range o.Counts {
		h.Counts[i] += c
	}
	h.Count += o.Count
	h.Sum += o.Sum
}

// Latency are a TC's latency histograms.
type Latency struct {
	// Commit: committed transactions, first request to TCCOMMITCONF.
	Commit Histogram
	// Abort: aborted transactions (failed operations, time-outs, API
	// rollbacks), first request to the abort decision.
	Abort Histogram
	// Scan: scans, SCAN_TABREQ to the scan's end.
	Scan Histogram
}

// Add adds o's observations to l.
func (l *Latency) Add(o *Latency) {
	l.Commit.Add(&o.Commit)
	l.Abort.Add(&o.Abort)
	l.Scan.Add(&o.Scan)
}

// clock is the TC's reading of block.Env.Now for the signal (or tick)
// being handled: read on first use, forgotten when the next one begins.
type clock struct {
	now  time.Duration
	read bool
}

// now is env.Now, read at most once per signal.
func (t *TC) now(env block.Env) time.Duration {
	if !t.clk.read {
		t.clk.now, t.clk.read = env.Now(), true
	}
	return t.clk.now
}
