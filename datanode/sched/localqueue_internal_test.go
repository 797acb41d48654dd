package sched

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gondb/gondb/signal"
)

// TestLocalQueue: queued signals come out as they went in, their sections
// intact after the arena grew under them; what a frame refuses, the queue
// refuses; reset empties it.
func TestLocalQueue(t *testing.T) {
	var q localQueue
	var want []signal.Signal
	for i := 0; i < 200; i++ {
		var s signal.Signal
		s.Number, s.TransID = signal.Number(i), uint64(i)<<40
		s.Receiver = signal.Address{Node: 1, Block: 3, Instance: uint16(i % 4)}
		s.SetWords(uint32(i), uint32(i*7))
		s.AddSection(bytes.Repeat([]byte{byte(i)}, i*37)) // grows the arena many times
		if i%3 == 0 {
			s.AddSection([]byte("second"))
		}
		if err := q.add(&s); err != nil {
			t.Fatal(err)
		}
		s.Sections[0] = nil // the queue must not keep the sender's buffers
		want = append(want, s)
	}
	if q.Len() != 200 {
		t.Fatalf("Len %d, want 200", q.Len())
	}
	for i := range q.sigs {
		got, w := &q.sigs[i], &want[i]
		if got.Number != w.Number || got.TransID != w.TransID || got.Receiver != w.Receiver ||
			got.NumWords != 2 || got.Words[0] != uint32(i) || got.Words[1] != uint32(i*7) || got.Words[2] != 0 {
			t.Fatalf("signal %d: %+v", i, got)
		}
		if !bytes.Equal(got.Section(0), bytes.Repeat([]byte{byte(i)}, i*37)) {
			t.Fatalf("signal %d: section 0 changed", i)
		}
		if i%3 == 0 && string(got.Section(1)) != "second" {
			t.Fatalf("signal %d: section 1 %q", i, got.Section(1))
		}
	}
	var big signal.Signal
	big.AddSection(make([]byte, signal.MaxSectionBytes+1))
	if err := q.add(&big); !errors.Is(err, signal.ErrTooLarge) {
		t.Fatalf("a section over MaxSectionBytes: %v, want ErrTooLarge", err)
	}
	if q.Len() != 200 {
		t.Fatalf("a refused signal was queued: Len %d", q.Len())
	}
	q.reset()
	if q.Len() != 0 || len(q.arena) != 0 {
		t.Fatalf("after reset: %d signals, %d arena bytes", q.Len(), len(q.arena))
	}
}
