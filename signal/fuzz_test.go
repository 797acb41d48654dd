package signal

import (
	"testing"
)

// FuzzParseFrame: arbitrary bytes never panic, never allocate, and a frame
// that parses yields exactly Count signals that re-encode to the same bytes.
func FuzzParseFrame(f *testing.F) {
	var w FrameWriter
	w.Reset()
	for i := 0; i < 5; i++ {
		s := sampleSignal(i)
		w.Add(&s)
	}
	f.Add(append([]byte(nil), w.Bytes()...))
	w.Reset()
	f.Add(append([]byte(nil), w.Bytes()...))
	f.Add([]byte("gS\x01\x00\xff\xff\x00\x00\xff\xff\xff\x7f\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var fr Frame
		var err error
		allocs := testing.AllocsPerRun(1, func() { err = ParseFrame(b, &fr) })
		if allocs > 0 && err == nil {
			t.Fatalf("ParseFrame allocated %v times", allocs)
		}
		if err != nil {
			return
		}
		var out FrameWriter
		out.Reset()
		var s Signal
		n := 0
		for fr.Next(&s) {
			if err := out.Add(&s); err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != fr.Header.Count {
			t.Fatalf("%d signals, header says %d", n, fr.Header.Count)
		}
		if string(out.Bytes()) != string(b) {
			t.Fatalf("re-encoding differs")
		}
	})
}

// FuzzDecodeSignal: one signal from arbitrary bytes; never panics, sections
// stay inside the input.
func FuzzDecodeSignal(f *testing.F) {
	s := sampleSignal(4)
	b, _ := AppendSignal(nil, &s)
	f.Add(b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Signal
		rest, err := DecodeSignal(b, &s)
		if err != nil {
			return
		}
		if len(rest) > len(b) {
			t.Fatal("rest longer than input")
		}
		total := s.EncodedSize()
		if total != len(b)-len(rest) {
			t.Fatalf("consumed %d bytes, encoded size %d", len(b)-len(rest), total)
		}
	})
}
