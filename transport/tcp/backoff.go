package tcp

import (
	"math/rand/v2"
	"time"
)

// backoff is the dialing side's delay between attempts: exponential from
// min to max, with "equal jitter" (half the delay fixed, half random) from
// a seeded source, so peers that lost a node at the same moment do not
// redial in lock step, and a test run is reproducible.
type backoff struct {
	min, max, cur time.Duration
	rng           *rand.Rand
}

func newBackoff(min, max time.Duration, seed, stream uint64) *backoff {
	return &backoff{min: min, max: max, rng: rand.New(rand.NewPCG(seed, stream))}
}

// next returns the delay before the next attempt and doubles the base.
func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	}
	d := b.cur
	b.cur = min(2*b.cur, b.max)
	half := d / 2
	return half + time.Duration(b.rng.Int64N(int64(d-half)+1))
}

// reset starts again from min (after a connection succeeded).
func (b *backoff) reset() { b.cur = 0 }
