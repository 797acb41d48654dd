package lcp

import (
	"bytes"
	"io"
	"sync"

	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
)

// Encoders and decoders are costly to build (zstd keeps its tables and
// window), so they are pooled and reused: once warm, compressing or
// decompressing a block allocates nothing.
var (
	zstdEncoders = sync.Pool{New: func() any {
		e, err := zstd.NewWriter(nil,
			zstd.WithEncoderLevel(zstd.SpeedFastest),
			zstd.WithEncoderConcurrency(1),
			zstd.WithEncoderCRC(false), // every block has its own CRC32C
			zstd.WithWindowSize(1<<20))
		if err != nil {
			panic("lcp: zstd encoder options: " + err.Error())
		}
		return e
	}}
	zstdDecoders = sync.Pool{New: func() any {
		d, err := zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxMemory(maxBlockBytes),
			zstd.WithDecodeAllCapLimit(true))
		if err != nil {
			panic("lcp: zstd decoder options: " + err.Error())
		}
		return d
	}}
	zlibWriters = sync.Pool{New: func() any {
		w, err := zlib.NewWriterLevel(io.Discard, zlib.BestSpeed)
		if err != nil {
			panic("lcp: zlib level: " + err.Error())
		}
		return w
	}}
)

// compressor compresses blocks for one writer.
type compressor struct {
	codec Codec
	zstd  *zstd.Encoder
	zlib  *zlib.Writer
	out   bytes.Buffer // zlib's output
}

func newCompressor(c Codec) *compressor {
	cp := &compressor{codec: c}
	switch c {
	case CodecZstd:
		cp.zstd = zstdEncoders.Get().(*zstd.Encoder)
	case CodecZlib:
		cp.zlib = zlibWriters.Get().(*zlib.Writer)
	}
	return cp
}

// compress returns src encoded, appended to dst[:0]; for CodecNone it
// returns src itself.
func (cp *compressor) compress(dst, src []byte) ([]byte, error) {
	switch cp.codec {
	case CodecZstd:
		return cp.zstd.EncodeAll(src, dst[:0]), nil
	case CodecZlib:
		cp.out.Reset()
		cp.zlib.Reset(&cp.out)
		if _, err := cp.zlib.Write(src); err != nil {
			return dst, err
		}
		if err := cp.zlib.Close(); err != nil {
			return dst, err
		}
		return append(dst[:0], cp.out.Bytes()...), nil
	}
	return src, nil
}

// release returns the pooled encoder; the compressor is unusable after.
func (cp *compressor) release() {
	if cp.zstd != nil {
		zstdEncoders.Put(cp.zstd)
		cp.zstd = nil
	}
	if cp.zlib != nil {
		cp.zlib.Reset(io.Discard)
		zlibWriters.Put(cp.zlib)
		cp.zlib = nil
	}
}

// decompressor decodes blocks for one reader.
type decompressor struct {
	zstd *zstd.Decoder
	zlib io.ReadCloser
	src  bytes.Reader
}

// decompress decodes src of codec c into dst[:0], which must come out as
// exactly n bytes; it returns a reason when it does not.
func (d *decompressor) decompress(c Codec, dst, src []byte, n int) ([]byte, string) {
	if cap(dst) < n {
		dst = make([]byte, 0, n)
	}
	dst = dst[:0]
	switch c {
	case CodecNone:
		return append(dst, src...), ""
	case CodecZstd:
		if d.zstd == nil {
			d.zstd = zstdDecoders.Get().(*zstd.Decoder)
		}
		out, err := d.zstd.DecodeAll(src, dst[:0:n])
		if err != nil {
			return dst, "zstd: " + err.Error()
		}
		if len(out) != n {
			return dst, "decompressed length differs from the block header"
		}
		return out, ""
	case CodecZlib:
		d.src.Reset(src)
		var err error
		if d.zlib == nil {
			d.zlib, err = zlib.NewReader(&d.src)
		} else {
			err = d.zlib.(zlib.Resetter).Reset(&d.src, nil)
		}
		if err != nil {
			return dst, "zlib: " + err.Error()
		}
		dst = dst[:n]
		if _, err := io.ReadFull(d.zlib, dst); err != nil {
			return dst, "zlib: " + err.Error()
		}
		var one [1]byte
		if m, err := d.zlib.Read(one[:]); m != 0 || err != io.EOF {
			return dst, "zlib: data after the declared length"
		}
		return dst, ""
	}
	return dst, "unknown codec"
}

func (d *decompressor) release() {
	if d.zstd != nil {
		zstdDecoders.Put(d.zstd)
		d.zstd = nil
	}
}
