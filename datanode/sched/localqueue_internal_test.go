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

// BenchmarkLocalQueue is one key operation's worth of signals between
// blocks on a thread (a request with a key and a 100-byte row, an answer
// with the row) through the local queue; BenchmarkLocalFrame the same
// through an encoded frame, the way before the queue.
func BenchmarkLocalQueue(b *testing.B) {
	req, conf := benchSignals()
	var q localQueue
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for k := 0; k < 64; k++ {
			q.add(&req)
			q.add(&conf)
		}
		n := 0
		for j := range q.sigs {
			n += int(q.sigs[j].NumWords) + len(q.sigs[j].Section(0))
		}
		q.reset()
	}
}

func BenchmarkLocalFrame(b *testing.B) {
	req, conf := benchSignals()
	var w signal.FrameWriter
	var f signal.Frame
	var s signal.Signal
	w.Reset()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for k := 0; k < 64; k++ {
			w.Add(&req)
			w.Add(&conf)
		}
		n := 0
		if err := signal.OpenTrusted(w.Bytes(), &f); err != nil {
			b.Fatal(err)
		}
		for f.Next(&s) {
			n += int(s.NumWords) + len(s.Section(0))
		}
		w.Reset()
	}
}

func benchSignals() (req, conf signal.Signal) {
	req.SetWords(5, 1, 3, 0, 0xdeadbeef, 0xfeed, 0, 1, 1, 1, 0)
	req.AddSection(make([]byte, 8))
	req.AddSection(make([]byte, 104))
	conf.SetWords(0)
	conf.AddSection(make([]byte, 112))
	return req, conf
}
