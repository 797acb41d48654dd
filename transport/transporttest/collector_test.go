package transporttest

import (
	"testing"
	"time"

	"github.com/gondb/gondb/signal"
)

func TestCollectorCopiesAndHolds(t *testing.T) {
	var w signal.FrameWriter
	w.Reset()
	s := SeqSignal(1, 2, 3)
	if err := w.Add(&s); err != nil {
		t.Fatal(err)
	}
	frame := w.Bytes()
	deliver := func(c *Collector) {
		var f signal.Frame
		if err := signal.ParseFrame(frame, &f); err != nil {
			t.Fatal(err)
		}
		c.Frame(1, &f)
	}

	c := NewCollector()
	deliver(c)
	for i := signal.FrameHeaderSize; i < len(frame); i++ {
		frame[i] ^= 0xFF // the transporter reuses its buffer
	}
	got := c.Frames()
	if len(got) != 1 || got[0].From != 1 || len(got[0].Signals) != 1 || !EqualSignals(&got[0].Signals[0], &s) {
		t.Fatalf("recorded %+v, want %+v", got, s)
	}
	for i := signal.FrameHeaderSize; i < len(frame); i++ {
		frame[i] ^= 0xFF
	}

	c.Hold(t)
	done := make(chan struct{})
	go func() { deliver(c); close(done) }()
	select {
	case <-done:
		t.Fatal("Frame returned while the collector was held")
	case <-time.After(10 * time.Millisecond): // a held Frame must stay blocked; this bounds how long we look
	}
	c.Release()
	<-done
	if f, n := c.Count(); f != 2 || n != 2 {
		t.Fatalf("Count() = %d frames, %d signals", f, n)
	}
}
