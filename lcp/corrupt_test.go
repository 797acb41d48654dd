package lcp

import (
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// region is a damaged byte and where the reader must report the damage.
type region struct {
	name    string
	at      int64 // the byte flipped
	startAt int64 // the reported offset: where the region starts
}

// layout walks a good data file and returns its regions: the file
// header, each block's header and payload, the footer.
func layout(t testing.TB, b []byte) []region {
	t.Helper()
	rs := []region{
		{"file header magic", 0, 0}, {"file header version", 4, 0}, {"file header kind", 5, 0},
		{"file header table", 8, 0}, {"file header start GCI", 24, 0}, {"file header crc", 44, 0},
	}
	off := int64(fileHeaderSize)
	for n := 0; ; n++ {
		if [4]byte(b[off:off+4]) == magicFooter {
			break
		}
		stored := int64(le.Uint32(b[off+12:]))
		if n == 0 || off+blockHeaderSize+stored+footerSize == int64(len(b)) { // first and last block
			p := off + blockHeaderSize
			rs = append(rs,
				region{"block magic", off, off}, region{"block codec", off + 4, off},
				region{"block length", off + 9, off}, region{"block stored length", off + 13, off},
				region{"block record count", off + 16, off}, region{"block payload crc", off + 21, off},
				region{"block header crc", off + 26, off},
				region{"payload first byte", p, p}, region{"payload middle", p + stored/2, p},
				region{"payload last byte", p + stored - 1, p})
		}
		off += blockHeaderSize + stored
	}
	return append(rs,
		region{"footer magic", off, off}, region{"footer blocks", off + 8, off}, region{"footer rows", off + 16, off},
		region{"footer data bytes", off + 33, off}, region{"footer offset", off + 40, off},
		region{"footer chain crc", off + 57, off}, region{"footer crc", off + 62, off})
}

func wantCorrupt(t testing.TB, what string, err error, file string, off int64) {
	t.Helper()
	var ce *CorruptError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCorruption) {
		t.Fatalf("%s: want a *CorruptError, got %v", what, err)
	}
	if ce.File != file || (off >= 0 && ce.Offset != off) {
		t.Fatalf("%s: error at %s offset %d, want %s offset %d (%s)", what, ce.File, ce.Offset, file, off, ce.Reason)
	}
}

// Flip a byte in every kind of region of a FULL and a DELTA file: the reader
// reports the file and the region's offset, and Restore falls back to the
// older restore point without delivering a record of the damaged chain.
func TestCorruptFlip(t *testing.T) {
	for _, c := range []Codec{CodecZstd, CodecNone} {
		if c == CodecNone && testing.Short() {
			continue
		}
		pristine := t.TempDir()
		specs := scenario(300, c, 4<<10)
		writeAll(t, pristine, specs)
		for _, target := range []struct {
			id, maxGCI uint64
			fallback   uint64 // restore point when target is damaged
		}{{4, 100, 3}, {5, 100, 4}, {2, 20, 1}} {
			good := fileBytes(t, dataPath(pristine, target.id))
			for _, r := range layout(t, good) {
				what := c.String() + " LCP " + itoa(int(target.id)) + " " + r.name
				dir := t.TempDir()
				copyDir(t, pristine, dir)
				path := dataPath(dir, target.id)
				bad := append([]byte(nil), good...)
				bad[r.at] ^= 0x10
				if err := os.WriteFile(path, bad, 0o644); err != nil {
					t.Fatal(err)
				}
				_, err := VerifyFile(path)
				wantCorrupt(t, what+": VerifyFile", err, path, r.startAt)

				got, info, err := restore(dir, target.maxGCI)
				if err != nil {
					t.Fatalf("%s: restore: %v", what, err)
				}
				if info.ID != target.fallback {
					t.Fatalf("%s: restore point %d, want %d", what, info.ID, target.fallback)
				}
				if info.OnlyTooNew() {
					t.Fatalf("%s: a corrupt checkpoint counted as only too new", what)
				}
				sameModel(t, what, got, specs[target.fallback-1].after)
				var found bool
				for _, sk := range info.Skipped {
					if sk.Err != nil {
						wantCorrupt(t, what+": skipped", sk.Err, path, r.startAt)
						found = true
					}
				}
				if !found {
					t.Fatalf("%s: no corruption in Skipped %+v", what, info.Skipped)
				}
			}
		}
	}
}

// With no older chain to fall back to, damage means no usable LCP, and fn
// is never called.
func TestCorruptNoFallback(t *testing.T) {
	dir := t.TempDir()
	specs := scenario(100, CodecZstd, 0)
	writeAll(t, dir, specs[:1])
	path := dataPath(dir, 1)
	b := fileBytes(t, path)
	b[fileHeaderSize+blockHeaderSize+3] ^= 1
	os.WriteFile(path, b, 0o644)
	calls := 0
	_, err := Restore(dir, 7, 3, 100, func(RecordKind, []byte) error { calls++; return nil })
	if !errors.Is(err, ErrNoUsableLCP) || calls != 0 {
		t.Fatalf("%v after %d records", err, calls)
	}
	wantCorrupt(t, "no fallback", err, path, fileHeaderSize+blockHeaderSize)
	// A missing file is not corruption, but just as unusable.
	os.Remove(path)
	if _, _, err := restore(dir, 100); !errors.Is(err, ErrNoUsableLCP) || errors.Is(err, ErrCorruption) {
		t.Fatalf("missing file: %v", err)
	}
}

// A file from a newer format version is refused with a clear reason.
func TestUnknownVersion(t *testing.T) {
	dir := t.TempDir()
	writeAll(t, dir, scenario(10, CodecNone, 0)[:1])
	path := dataPath(dir, 1)
	b := fileBytes(t, path)
	b[4] = CurrentVersion + 1
	le.PutUint32(b[44:], crc(b[:44]))
	os.WriteFile(path, b, 0o644)
	_, err := VerifyFile(path)
	wantCorrupt(t, "version", err, path, 0)
	if ce := (*CorruptError)(nil); !errors.As(err, &ce) || ce.Reason != "unsupported format version "+strconv.Itoa(int(CurrentVersion)+1) {
		t.Fatalf("reason: %v", err)
	}
}

// Truncate a data file at every offset: VerifyFile (which has no control
// file to compare sizes with) and Restore both find it.
func TestCorruptTruncated(t *testing.T) {
	pristine := t.TempDir()
	specs := scenario(300, CodecZstd, 4<<10)
	writeAll(t, pristine, specs)
	for _, target := range []struct{ id, fallback uint64 }{{5, 4}, {4, 3}} {
		good := fileBytes(t, dataPath(pristine, target.id))
		dir := t.TempDir()
		copyDir(t, pristine, dir)
		path := dataPath(dir, target.id)
		step := 1
		if testing.Short() {
			step = 29
		}
		for cut := 0; cut < len(good); cut += step {
			if err := os.WriteFile(path, good[:cut], 0o644); err != nil {
				t.Fatal(err)
			}
			what := "LCP " + itoa(int(target.id)) + " cut at " + itoa(cut)
			_, err := VerifyFile(path)
			wantCorrupt(t, what, err, path, -1)
			if ce := err.(*CorruptError); ce.Offset > int64(cut) {
				t.Fatalf("%s: reported at offset %d, past the end", what, ce.Offset)
			}
			if cut%(11*step) != 0 {
				continue
			}
			got, info, err := restore(dir, 100)
			if err != nil || info.ID != target.fallback {
				t.Fatalf("%s: restore point %d: %v", what, info.ID, err)
			}
			sameModel(t, what, got, specs[target.fallback-1].after)
		}
		// Bytes appended after the footer are damage too.
		os.WriteFile(path, append(append([]byte(nil), good...), 0), 0o644)
		_, err := VerifyFile(path)
		wantCorrupt(t, "appended byte", err, path, int64(len(good)))
	}
}

// A damaged control copy is passed over for the other one.
func TestCorruptControlCopy(t *testing.T) {
	pristine := t.TempDir()
	specs := scenario(50, CodecZstd, 0)
	writeAll(t, pristine, specs) // seq 5 in ctl.1 (LCPs 1-5), seq 4 in ctl.0 (1-4)
	good := fileBytes(t, filepath.Join(FragmentDir(pristine, 7, 3), "ctl.1"))
	for _, at := range []int{0, 4, 8, 16, 24, ctlHeaderSize, ctlHeaderSize + 16, ctlHeaderSize + 33,
		ctlHeaderSize + 4*ctlEntrySize + 72, len(good) - 1} {
		dir := t.TempDir()
		copyDir(t, pristine, dir)
		bad := append([]byte(nil), good...)
		bad[at] ^= 0x04
		os.WriteFile(filepath.Join(FragmentDir(dir, 7, 3), "ctl.1"), bad, 0o644)
		got, info, err := restore(dir, 100)
		if err != nil || info.ID != 4 || len(info.Skipped) == 0 || info.Skipped[0].ID != 0 {
			t.Fatalf("byte %d: point %d skipped %+v: %v", at, info.ID, info.Skipped, err)
		}
		sameModel(t, "control byte "+itoa(at), got, specs[3].after)
	}
}

// reseal recomputes every checksum of a (possibly damaged) data file, as
// far as its structure goes, so that the fuzzer reaches the decompression
// and record parsing behind the CRCs.
func reseal(b []byte) []byte {
	b = append([]byte(nil), b...)
	if len(b) < fileHeaderSize {
		return b
	}
	le.PutUint32(b[44:], crc(b[:44]))
	off := fileHeaderSize
	var chain uint32
	var blocks uint64
	for off+blockHeaderSize <= len(b) && [4]byte(b[off:off+4]) == magicBlock {
		n := int(le.Uint32(b[off+12:]))
		if n > len(b)-off-blockHeaderSize {
			return b
		}
		le.PutUint32(b[off+20:], crc(b[off+blockHeaderSize:off+blockHeaderSize+n]))
		le.PutUint32(b[off+24:], crc(b[off:off+24]))
		chain = crc32.Update(chain, castagnoli, b[off:off+24])
		off += blockHeaderSize + n
		blocks++
	}
	if off+footerSize <= len(b) && [4]byte(b[off:off+4]) == magicFooter {
		le.PutUint64(b[off+8:], blocks)
		le.PutUint64(b[off+40:], uint64(off))
		le.PutUint32(b[off+56:], chain)
		le.PutUint32(b[off+60:], crc(b[off:off+60]))
	}
	return b
}

// FuzzRestore restores a chain whose DELTA file is replaced by the fuzzer's
// bytes. Restore must never panic, and must give either the DELTA's rows
// exactly or (skipping it, with a reason) the FULL's. The bytes, resealed
// with good checksums, must not make VerifyFile panic either.
func FuzzRestore(f *testing.F) {
	pristine := f.TempDir()
	specs := scenario(120, CodecZstd, 4<<10)[:2]
	writeAll(f, pristine, specs)
	good := fileBytes(f, dataPath(pristine, 2))
	f.Add(good)
	for _, cut := range []int{0, 10, fileHeaderSize, fileHeaderSize + 30, len(good) / 2, len(good) - 1} {
		f.Add(good[:cut])
	}
	for _, r := range layout(f, good) {
		bad := append([]byte(nil), good...)
		bad[r.at] ^= 0xff
		f.Add(bad)
		f.Add(reseal(bad))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		copyDir(t, pristine, dir)
		path := dataPath(dir, 2)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, info, err := restore(dir, 100)
		switch {
		case err != nil:
			t.Fatalf("restore: %v", err) // the FULL is always there to fall back to
		case info.ID == 2:
			sameModel(t, "delta", got, specs[1].after)
		case info.ID == 1:
			sameModel(t, "fallback", got, specs[0].after)
			if len(info.Skipped) != 1 || info.Skipped[0].Err == nil {
				t.Fatalf("fallback without a reason: %+v", info.Skipped)
			}
		default:
			t.Fatalf("restore point %d", info.ID)
		}
		for _, d := range [][]byte{data, reseal(data)} {
			os.WriteFile(path, d, 0o644)
			if _, err := VerifyFile(path); err != nil && !errors.Is(err, ErrCorruption) {
				t.Fatalf("VerifyFile: %v is not corruption", err)
			}
		}
	})
}
