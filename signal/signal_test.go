package signal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"unsafe"
)

func sampleSignal(i int) Signal {
	var s Signal
	s.Number = Number(100 + i%7)
	s.Sender = Address{Node: 1, Block: 245, Instance: uint16(i % 4)}
	s.Receiver = Address{Node: 2, Block: 247, Instance: 1}
	s.TransID = uint64(i) * 0x9E3779B97F4A7C15
	s.SetWords(uint32(i), 2, 3, 0xFFFFFFFF)
	if i%3 != 0 {
		s.AddSection([]byte("key-bytes"))
		s.AddSection(bytes.Repeat([]byte{byte(i)}, i%200))
	}
	return s
}

func equalSignals(a, b *Signal) bool {
	if a.Number != b.Number || a.Sender != b.Sender || a.Receiver != b.Receiver || a.TransID != b.TransID ||
		a.NumWords != b.NumWords || a.NumSects != b.NumSects || a.Words != b.Words {
		return false
	}
	for i := 0; i < int(a.NumSects); i++ {
		if !bytes.Equal(a.Sections[i], b.Sections[i]) {
			return false
		}
	}
	return true
}

func TestFrameRoundTrip(t *testing.T) {
	var w FrameWriter
	w.Reset()
	var sent []Signal
	for i := 0; i < 300; i++ {
		s := sampleSignal(i)
		if err := w.Add(&s); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, s)
	}
	b := w.Bytes()
	// Golden header bytes: byte order is part of the format.
	if b[0] != 'g' || b[1] != 'S' || b[2] != 1 || binary.LittleEndian.Uint16(b[4:]) != 300 {
		t.Fatalf("header % x", b[:16])
	}
	var f Frame
	if err := ParseFrame(b, &f); err != nil {
		t.Fatal(err)
	}
	var got Signal
	for i := range sent {
		if !f.Next(&got) {
			t.Fatalf("frame ended after %d signals", i)
		}
		if !equalSignals(&got, &sent[i]) {
			t.Fatalf("signal %d: got %+v want %+v", i, got, sent[i])
		}
	}
	if f.Next(&got) {
		t.Fatal("extra signal")
	}
}

// TestGoldenSignalEncoding pins the byte layout of one signal.
func TestGoldenSignalEncoding(t *testing.T) {
	var s Signal
	s.Number = 0x0102
	s.Sender = Address{Node: 3, Block: 4, Instance: 5}
	s.Receiver = Address{Node: 6, Block: 7, Instance: 8}
	s.TransID = 0x1112131415161718
	s.SetWords(0xA1A2A3A4)
	s.AddSection([]byte{0xEE})
	got, err := AppendSignal(nil, &s)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		0x02, 0x01, 1, 1, // number, words, sections
		3, 0, 4, 0, 5, 0, // sender
		6, 0, 7, 0, 8, 0, // receiver
		0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11, // trans id
		0xA4, 0xA3, 0xA2, 0xA1, // word
		1, 0, 0, 0, // section length
		0xEE,
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encoding\n got % x\nwant % x", got, want)
	}
}

func TestParseFrameRejects(t *testing.T) {
	w := FrameWriter{Checksum: true}
	w.Reset()
	s := sampleSignal(1)
	w.Add(&s)
	good := append([]byte(nil), w.Bytes()...)
	tests := []struct {
		name   string
		mutate func([]byte) []byte
		want   error
	}{
		{"bad magic", func(b []byte) []byte { b[0] = 'x'; return b }, ErrMalformed},
		{"future version", func(b []byte) []byte { b[2] = 9; return b }, ErrVersion},
		{"unknown flag", func(b []byte) []byte { b[3] |= 2; return b }, ErrMalformed},
		{"checksum without flag", func(b []byte) []byte { b[3] = 0; return b }, ErrMalformed},
		{"checksum", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }, ErrChecksum},
		{"truncated", func(b []byte) []byte { return b[:len(b)-1] }, ErrMalformed},
		{"count lies high", func(b []byte) []byte { binary.LittleEndian.PutUint16(b[4:], 60000); return b }, ErrMalformed},
		{"payload length huge", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[8:], 1<<31); return b }, ErrTooLarge},
		{"short header", func(b []byte) []byte { return b[:10] }, ErrShortBuffer},
	}
	for _, tt := range tests {
		var f Frame
		err := ParseFrame(tt.mutate(append([]byte(nil), good...)), &f)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestSectionLengthLieIsMalformed(t *testing.T) {
	s := sampleSignal(1)
	b, _ := AppendSignal(nil, &s)
	// The first section length sits after the header and 4 words.
	binary.LittleEndian.PutUint32(b[signalHeaderSize+16:], 1<<19)
	var d Signal
	if _, err := DecodeSignal(b, &d); !errors.Is(err, ErrMalformed) {
		t.Fatalf("lying section length: %v", err)
	}
}

func TestEncodeDecodeAllocateNothing(t *testing.T) {
	var w FrameWriter
	s := sampleSignal(2)
	w.Reset()
	w.Add(&s)
	var f Frame
	var d Signal
	allocs := testing.AllocsPerRun(100, func() {
		w.Reset()
		for i := 0; i < 64; i++ {
			w.Add(&s)
		}
		if err := ParseFrame(w.Bytes(), &f); err != nil {
			t.Fatal(err)
		}
		for f.Next(&d) {
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per frame", allocs)
	}
}

func TestLimits(t *testing.T) {
	var s Signal
	s.AddSection(make([]byte, MaxSectionBytes+1))
	if _, err := AppendSignal(nil, &s); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized section: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("26 words did not panic")
		}
	}()
	s.SetWords(make([]uint32, MaxWords+1)...)
}

func TestViewMatchesSignal(t *testing.T) {
	var w FrameWriter
	w.Reset()
	var sent []Signal
	for i := 0; i < 50; i++ {
		s := sampleSignal(i)
		w.Add(&s)
		sent = append(sent, s)
	}
	var f Frame
	if err := ParseFrame(w.Bytes(), &f); err != nil {
		t.Fatal(err)
	}
	var v View
	var d Signal
	for i := 0; f.NextView(&v); i++ {
		s := &sent[i]
		if v.Number() != s.Number || v.Sender() != s.Sender || v.Receiver() != s.Receiver || v.TransID() != s.TransID ||
			v.NumWords() != int(s.NumWords) || v.NumSections() != int(s.NumSects) || v.Word(99) != 0 || v.Section(5) != nil {
			t.Fatalf("view %d header differs", i)
		}
		for j := 0; j < int(s.NumWords); j++ {
			if v.Word(j) != s.Words[j] {
				t.Fatalf("view %d word %d", i, j)
			}
		}
		for j := 0; j < int(s.NumSects); j++ {
			if !bytes.Equal(v.Section(j), s.Sections[j]) {
				t.Fatalf("view %d section %d", i, j)
			}
		}
		v.Decode(&d)
		if !equalSignals(&d, s) {
			t.Fatalf("view %d decode differs", i)
		}
		enc, _ := AppendSignal(nil, s)
		if !bytes.Equal(v.Bytes(), enc) {
			t.Fatalf("view %d bytes differ", i)
		}
	}
}

func TestAddEncodedAndOpenTrusted(t *testing.T) {
	var src FrameWriter
	src.Reset()
	for i := 0; i < 10; i++ {
		s := sampleSignal(i)
		src.Add(&s)
	}
	var f Frame
	if err := ParseFrame(src.Bytes(), &f); err != nil {
		t.Fatal(err)
	}
	var dst FrameWriter
	dst.Reset()
	var v View
	for f.NextView(&v) {
		if err := dst.AddEncoded(v.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(dst.Bytes(), src.Bytes()) {
		t.Fatal("re-routed frame differs from the original")
	}
	var g Frame
	if err := OpenTrusted(dst.Bytes(), &g); err != nil || g.Header.Count != 10 {
		t.Fatalf("OpenTrusted: %v", err)
	}
	if err := OpenTrusted(dst.Bytes()[:20], &g); err == nil {
		t.Fatal("OpenTrusted accepted a truncated frame")
	}
}

// TestSignalLayoutMatchesWire pins the struct layout the little-endian
// fast path relies on: header fields at their wire offsets, words after.
func TestSignalLayoutMatchesWire(t *testing.T) {
	var s Signal
	offsets := []struct {
		name string
		got  uintptr
		want uintptr
	}{
		{"Number", unsafe.Offsetof(s.Number), 0},
		{"NumWords", unsafe.Offsetof(s.NumWords), 2},
		{"NumSects", unsafe.Offsetof(s.NumSects), 3},
		{"Sender", unsafe.Offsetof(s.Sender), 4},
		{"Receiver", unsafe.Offsetof(s.Receiver), 10},
		{"TransID", unsafe.Offsetof(s.TransID), 16},
		{"Words", unsafe.Offsetof(s.Words), signalHeaderSize},
	}
	for _, o := range offsets {
		if o.got != o.want {
			t.Errorf("Signal.%s at offset %d, wire has it at %d", o.name, o.got, o.want)
		}
	}
	if unsafe.Sizeof(Address{}) != 6 {
		t.Errorf("Address is %d bytes, want 6", unsafe.Sizeof(Address{}))
	}
}
