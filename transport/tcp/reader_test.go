package tcp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/gondb/gondb/signal"
)

// chunkReader returns at most n bytes per Read, like a slow socket.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(b []byte) (int, error) { return c.r.Read(b[:min(len(b), c.n)]) }

func testFrames(t *testing.T) [][]byte {
	var frames [][]byte
	var w signal.FrameWriter
	for _, n := range []int{0, 1, 3, 64, 1} {
		w.Reset()
		for i := 0; i < n; i++ {
			var s signal.Signal
			s.Number = signal.Number(i)
			s.SetWords(uint32(i), 6)
			s.AddSection(bytes.Repeat([]byte{byte(n)}, 8))
			if err := w.Add(&s); err != nil {
				t.Fatal(err)
			}
		}
		frames = append(frames, bytes.Clone(w.Bytes()))
	}
	// One frame larger than the first read buffer, to exercise growth.
	w.Reset()
	var s signal.Signal
	s.AddSection(bytes.Repeat([]byte{0xAB}, signal.MaxSectionBytes))
	if err := w.Add(&s); err != nil {
		t.Fatal(err)
	}
	return append(frames, bytes.Clone(w.Bytes()))
}

func TestFrameReaderSplitsStream(t *testing.T) {
	frames := testFrames(t)
	stream := bytes.Join(frames, nil)
	for _, chunk := range []int{1, 7, 16, 100, readChunk, 1 << 30} {
		fr := frameReader{buf: make([]byte, readChunk)}
		src := &chunkReader{r: bytes.NewReader(stream), n: chunk}
		for i, want := range frames {
			got, err := fr.next(src)
			if err != nil {
				t.Fatalf("chunk %d: frame %d: %v", chunk, i, err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("chunk %d: frame %d differs", chunk, i)
			}
		}
		if _, err := fr.next(src); err != io.EOF {
			t.Fatalf("chunk %d: after the last frame: %v", chunk, err)
		}
	}
}

// lyingHeader claims a payload of n bytes and one signal.
func lyingHeader(n uint32) []byte {
	h := []byte{'g', 'S', signal.CurrentVersion, 0, 1, 0, 0, 0}
	h = binary.LittleEndian.AppendUint32(h, n)
	return binary.LittleEndian.AppendUint32(h, 0)
}

func TestFrameReaderLyingLength(t *testing.T) {
	tests := []struct {
		name    string
		arrived int // payload bytes that actually follow the header
		maxBuf  int // the buffer may be at most this large
	}{
		{"nothing follows", 0, readChunk},
		{"a little follows", 1000, readChunk},
		{"100 KiB follow", 100 << 10, 2 * readChunk},
		{"1 MiB follows", 1 << 20, 2 << 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stream := append(lyingHeader(signal.MaxFrameBytes), make([]byte, tc.arrived)...)
			fr := frameReader{buf: make([]byte, readChunk)}
			_, err := fr.next(&chunkReader{r: bytes.NewReader(stream), n: 4096})
			if err != io.EOF {
				t.Fatalf("next = %v, want EOF (the frame never completes)", err)
			}
			if len(fr.buf) > tc.maxBuf {
				t.Fatalf("buffer grew to %d bytes for %d that arrived (limit %d)", len(fr.buf), tc.arrived, tc.maxBuf)
			}
		})
	}
}

func TestFrameReaderRefusesBadHeaders(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"bad magic", append([]byte("xx"), lyingHeader(0)[2:]...), signal.ErrMalformed},
		{"too large", lyingHeader(signal.MaxFrameBytes + 1), signal.ErrTooLarge},
		{"count the payload cannot hold", lyingHeader(3), signal.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fr := frameReader{buf: make([]byte, readChunk)}
			if _, err := fr.next(bytes.NewReader(tc.b)); !errors.Is(err, tc.want) {
				t.Fatalf("next = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestFrameReaderShrinksWhenIdle(t *testing.T) {
	frames := testFrames(t)
	big := frames[len(frames)-1]
	small := frames[1]
	fr := frameReader{buf: make([]byte, readChunk)}
	src := bytes.NewReader(append(bytes.Clone(big), small...))
	if _, err := fr.next(src); err != nil {
		t.Fatal(err)
	}
	if _, err := fr.next(src); err != nil {
		t.Fatal(err)
	}
	if len(fr.buf) != readChunk {
		t.Fatalf("after a large frame, buffer stays at %d bytes", len(fr.buf))
	}
}

func TestBackoff(t *testing.T) {
	const lo, hi = 50, 2000
	a := newBackoff(lo, hi, 1, 2)
	b := newBackoff(lo, hi, 1, 2)
	base := lo
	for i := 0; i < 12; i++ {
		d, e := a.next(), b.next()
		if d != e {
			t.Fatalf("attempt %d: same seed gave %v and %v", i, d, e)
		}
		if int(d) < base/2 || int(d) > base {
			t.Fatalf("attempt %d: delay %v outside [%d, %d]", i, d, base/2, base)
		}
		base = min(2*base, hi)
	}
	a.reset()
	if d := a.next(); d > lo {
		t.Fatalf("after reset: %v", d)
	}
}

// FuzzFrameReader feeds arbitrary streams, in arbitrary read sizes, to the
// frame reader: it must never panic, every frame it returns must carry a
// valid header and exactly its length, and its buffer must stay within
// twice the bytes that arrived (plus the first chunk), whatever the
// length fields claim.
func FuzzFrameReader(f *testing.F) {
	var w signal.FrameWriter
	w.Reset()
	var s signal.Signal
	s.SetWords(1, 2, 3)
	if err := w.Add(&s); err != nil {
		f.Fatal(err)
	}
	f.Add(bytes.Repeat(w.Bytes(), 3), uint16(7))
	f.Add(lyingHeader(signal.MaxFrameBytes), uint16(4096))
	f.Add(append(lyingHeader(70000), make([]byte, 70000)...), uint16(1000))
	f.Fuzz(func(t *testing.T, stream []byte, chunk uint16) {
		fr := frameReader{buf: make([]byte, readChunk)}
		src := &chunkReader{r: bytes.NewReader(stream), n: int(chunk)%8192 + 1}
		for {
			b, err := fr.next(src)
			if len(fr.buf) > max(readChunk, 2*len(stream)) {
				t.Fatalf("buffer of %d bytes for a stream of %d", len(fr.buf), len(stream))
			}
			if err != nil {
				return
			}
			h, herr := signal.ParseFrameHeader(b)
			if herr != nil || len(b) != signal.FrameHeaderSize+h.PayloadLen {
				t.Fatalf("returned a frame of %d bytes with header %+v, %v", len(b), h, herr)
			}
		}
	})
}
