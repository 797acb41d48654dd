package sched

import (
	"testing"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
)

const (
	sigData signal.Number = 3
	sigMore signal.Number = 4
)

// burstSender sends bursts of burst signals to sink, keeping window bursts
// in flight; the sink acknowledges each burst.
type burstSender struct {
	block.Handlers
	sink          signal.Address
	burst, window int
	total, sent   int
	started       bool
}

func (b *burstSender) sendBurst(env block.Env) {
	var s signal.Signal
	s.Number = sigData
	s.Receiver = b.sink
	s.SetWords(1, 2, 3, 4, 5, 6)
	s.AddSection([]byte("12345678"))
	for i := 0; i < b.burst && b.sent < b.total; i++ {
		env.Send(&s)
		b.sent++
	}
}

func (b *burstSender) Handle(env block.Env, s *signal.Signal) { b.Dispatch(env, s) }
func (b *burstSender) Tick(env block.Env) {
	if !b.started {
		b.started = true
		for i := 0; i < b.window; i++ {
			b.sendBurst(env)
		}
	}
}

type burstSink struct {
	block.Handlers
	burst, total, got int
	done              chan struct{}
}

func (k *burstSink) Handle(env block.Env, s *signal.Signal) { k.Dispatch(env, s) }
func (k *burstSink) Tick(block.Env)                         {}

// BenchmarkCrossThreadSignals streams key-op-sized signals from a block on
// one thread to a block on another; ns/op is per signal (both threads'
// work: encode into the batch, hand-off, decode, dispatch).
func BenchmarkCrossThreadSignals(b *testing.B) {
	const burst, window = 256, 8
	snd := &burstSender{sink: signal.Address{Block: 2}, burst: burst, window: window, total: b.N}
	snk := &burstSink{burst: burst, total: b.N, done: make(chan struct{})}
	snd.On(sigMore, func(env block.Env, s *signal.Signal) { snd.sendBurst(env) })
	snk.On(sigData, func(env block.Env, s *signal.Signal) {
		snk.got++
		if snk.got == snk.total {
			close(snk.done)
		}
		if snk.got%burst == 0 {
			env.Send(&signal.Signal{Number: sigMore, Receiver: signal.Address{Block: 1}})
		}
	})
	s, err := New(Config{Node: 1, TickInterval: time.Millisecond, Threads: []ThreadSpec{
		{Name: "src", Blocks: []BlockSpec{{ID: 1, Block: snd}}},
		{Name: "dst", Blocks: []BlockSpec{{ID: 2, Block: snk}}},
	}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	s.Start()
	<-snk.done
	b.StopTimer()
	s.Stop()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signals/s")
}
