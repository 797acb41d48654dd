package lcp

import (
	"encoding/binary"
	"os"
	"strconv"
	"testing"
)

// Row shapes for the benchmarks. Row images follow schema's layout (key
// first, fixed columns, var part) but are built here: lcp imports no
// schema.

// flexRow is a flexAsync row as NDB's flexAsynch writes it: an 8-byte key
// and 25 attributes of 4 bytes, counters derived from the key and the
// attribute number.
func flexRow(dst []byte, k uint64) []byte {
	dst = binary.LittleEndian.AppendUint64(dst[:0], k)
	for a := range uint64(25) {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(k*25+a))
	}
	return dst
}

// flexHashedRow is the same shape with gondb's bench/flexasync values
// (Value: a hash of key, attribute and generation), which look random.
func flexHashedRow(dst []byte, k uint64) []byte {
	dst = binary.LittleEndian.AppendUint64(dst[:0], k)
	for a := range uint64(25) {
		x := k*0x9E3779B97F4A7C15 ^ a<<40
		x ^= x >> 29
		dst = binary.LittleEndian.AppendUint32(dst, uint32(x*0xBF58476D1CE4E5B9>>32))
	}
	return dst
}

// hlrRow is a bench/hlr subscriber row: IMSI key (BIGINT, 15 digits),
// location area, service profile bitmap, status, updated timestamp, then
// the var part (4 end offsets) with MSISDN, VLR and MSC addresses and the
// SMS centre as digit strings.
func hlrRow(dst []byte, i uint64) []byte {
	imsi := uint64(240_07_0000000000) + i
	vlr := (i * 2654435761 >> 7) % 200 // 200 VLRs
	dst = binary.LittleEndian.AppendUint64(dst[:0], imsi)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(vlr*16+i%16))                                                // location area
	dst = binary.LittleEndian.AppendUint32(dst, [8]uint32{0x1f, 0x3f, 0x7f, 0x1ff, 0x11f, 0x0f, 0x3ff, 0x13f}[i%8]) // services
	dst = append(dst, byte(1+i%97/96))                                                                              // status: mostly 1
	dst = binary.LittleEndian.AppendUint64(dst, 1_767_225_600_000_000+i*1_000_003)                                  // updated, µs
	var v [4][]byte
	var buf [64]byte
	v[0] = strconv.AppendUint(append(buf[:0:16], "46"...), 70_000_000_000+i, 10)
	v[1] = strconv.AppendUint(append(buf[16:16:32], "467001"...), 1000+vlr, 10)
	v[2] = strconv.AppendUint(append(buf[32:32:48], "467002"...), 100+vlr/8, 10)
	v[3] = strconv.AppendUint(append(buf[48:48:64], "4670000"...), 100+i%4, 10)
	end := 0
	for _, s := range v {
		end += len(s)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(end))
	}
	for _, s := range v {
		dst = append(dst, s...)
	}
	return dst
}

var shapes = []struct {
	name string
	row  func([]byte, uint64) []byte
}{
	{"flexAsync", flexRow},
	{"flexAsyncHashed", flexHashedRow},
	{"HLR", hlrRow},
}

func writeRows(b *testing.B, dir string, frag uint32, c Codec, n int, mk func([]byte, uint64) []byte) Info {
	w, err := Create(dir, Params{Table: 1, Fragment: frag, ID: 1, Kind: Full, Codec: c})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Abort()
	var r []byte
	for i := range uint64(n) {
		r = mk(r, i*8) // one fragment of eight: every 8th key
		if err := w.AddRow(r); err != nil {
			b.Fatal(err)
		}
	}
	info, err := w.Finish(1)
	if err != nil {
		b.Fatal(err)
	}
	return info
}

// BenchmarkWrite writes a FULL LCP of n rows (fsync included); MB/s is of
// table data (row bytes), ratio = table data / file bytes.
func BenchmarkWrite(b *testing.B) {
	for _, sh := range shapes {
		for _, c := range codecs {
			for _, n := range []int{10_000, 200_000} {
				b.Run(sh.name+"/"+c.String()+"/"+strconv.Itoa(n), func(b *testing.B) {
					dir := b.TempDir()
					var info Info
					frag := uint32(0)
					for b.Loop() {
						info = writeRows(b, dir, frag, c, n, sh.row)
						b.StopTimer()
						os.RemoveAll(FragmentDir(dir, 1, frag))
						frag++
						b.StartTimer()
					}
					b.SetBytes(int64(info.DataBytes))
					b.ReportMetric(float64(info.DataBytes)/float64(info.FileBytes), "ratio")
				})
			}
		}
	}
}

// BenchmarkRestore restores a FULL LCP of 200,000 rows: the checksum pass
// and the decoding pass, records handed to a callback that sums lengths.
func BenchmarkRestore(b *testing.B) {
	for _, sh := range shapes {
		for _, c := range codecs {
			b.Run(sh.name+"/"+c.String(), func(b *testing.B) {
				dir := b.TempDir()
				info := writeRows(b, dir, 0, c, 200_000, sh.row)
				var sum int
				fn := func(_ RecordKind, r []byte) error { sum += len(r); return nil }
				b.SetBytes(int64(info.DataBytes))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := Restore(dir, 1, 0, 1, fn); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(info.DataBytes)/float64(info.FileBytes), "ratio")
			})
		}
	}
}
