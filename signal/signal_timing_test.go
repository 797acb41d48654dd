package signal

import (
	"testing"

	"github.com/gondb/gondb/internal/benchcpu"
)

// BenchmarkEncodeDecode encodes a frame of 64 signals, validates it as a
// received frame (ParseFrame) and reads every signal back: one hop of the
// codec. Each iteration is one frame; signals/s and ns/signal are per
// signal. keyop is a key request (6 words, an 8-byte key section) read with
// the zero-copy View; keyop-decode decodes into a Signal instead; row100
// also carries a 100-byte row section; +checksum adds the optional CRC32C.
func BenchmarkEncodeDecode(b *testing.B) {
	const perFrame = 64
	for _, c := range []struct {
		name     string
		row      int
		checksum bool
		view     bool
	}{{"keyop", 0, false, true}, {"keyop-decode", 0, false, false}, {"row100", 100, false, true}, {"row100+checksum", 100, true, true}} {
		b.Run(c.name, func(b *testing.B) {
			var sig Signal
			sig.Number = 12
			sig.Sender = Address{Node: 1, Block: 245, Instance: 1}
			sig.Receiver = Address{Node: 2, Block: 247, Instance: 3}
			sig.TransID = 42
			sig.SetWords(1, 2, 3, 4, 5, 6)
			sig.AddSection([]byte("12345678"))
			if c.row > 0 {
				sig.AddSection(make([]byte, c.row))
			}
			w := FrameWriter{Checksum: c.checksum}
			var f Frame
			var d Signal
			var v View
			b.ReportAllocs()
			b.SetBytes(int64(perFrame * sig.EncodedSize()))
			cpu := benchcpu.Start()
			for b.Loop() {
				w.Reset()
				for i := 0; i < perFrame; i++ {
					if err := w.Add(&sig); err != nil {
						b.Fatal(err)
					}
				}
				if err := ParseFrame(w.Bytes(), &f); err != nil {
					b.Fatal(err)
				}
				if c.view {
					for f.NextView(&v) {
					}
				} else {
					for f.Next(&d) {
					}
				}
			}
			cpu.Report(b)
			signals := float64(b.N) * perFrame
			b.ReportMetric(signals/b.Elapsed().Seconds(), "signals/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/signals, "ns/signal")
		})
	}
}
