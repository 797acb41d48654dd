package lcp

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// A zstd file whose rows do not compress stores its blocks as is, and goes
// back to compressing when the rows do again; every row restores.
func TestRawBlocks(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	var recs []rec
	want := model{}
	add := func(k uint64, random bool) {
		b := make([]byte, 200)
		binary.LittleEndian.PutUint64(b, k)
		if random {
			for i := 8; i < len(b); i += 8 {
				binary.LittleEndian.PutUint64(b[i:], rng.Uint64())
			}
		}
		recs = append(recs, rec{RecordRow, b})
		want[k] = string(b)
	}
	// 4 KiB blocks: about 20 rows each. 60 blocks of random rows, then
	// 150 of zeros.
	for k := uint64(0); k < 1200; k++ {
		add(k, true)
	}
	for k := uint64(1200); k < 4200; k++ {
		add(k, false)
	}
	w, err := Create(dir, Params{Table: 7, Fragment: 3, ID: 1, Kind: Full, StartGCI: 1, Codec: CodecZstd, BlockSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	for _, r := range recs {
		if err := w.AddRow(r.b); err != nil {
			t.Fatal(err)
		}
	}
	raw := w.rawBlocks
	info, err := w.Finish(2)
	if err != nil {
		t.Fatal(err)
	}
	raw = max(raw, w.rawBlocks)
	// The random blocks, then up to rawBlockRun zero blocks before the
	// next try compresses again.
	if raw < 55 || raw > 60+rawBlockRun+1 {
		t.Errorf("%d blocks stored as is, want the ~60 random ones and at most %d more", raw, rawBlockRun+1)
	}
	if info.FileBytes > 1200*200+40*4096 {
		t.Errorf("file of %d bytes: the zero rows were not compressed", info.FileBytes)
	}
	got, _, err := restore(dir, 10)
	if err != nil {
		t.Fatal(err)
	}
	sameModel(t, "raw and compressed blocks", got, want)
}
