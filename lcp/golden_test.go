package lcp

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var rewrite = flag.Bool("lcp.rewrite", false, "rewrite testdata/v1 from the current writer")

// goldenSpecs is the chain in testdata/v1: FULL 1 uncompressed, DELTA 2 zstd.
func goldenSpecs() []lcpSpec {
	specs := scenario(12, CodecNone, 0)[:2]
	specs[1].p.Codec = CodecZstd
	return specs
}

// Version 1 files written by the first writer must still restore, and the
// writer must still produce the same bytes for the uncompressed file and
// the control file (zstd's bytes may change with the library; its file is
// only read).
func TestGoldenV1(t *testing.T) {
	golden := filepath.Join("testdata", "v1")
	specs := goldenSpecs()
	if *rewrite {
		os.RemoveAll(golden)
		writeAll(t, golden, specs)
	}
	got, info, err := restore(golden, 100)
	if err != nil {
		t.Fatal(err)
	}
	sameModel(t, "golden v1", got, specs[1].after)
	if info.ID != 2 || len(info.Chain) != 2 {
		t.Fatalf("chain %v", chainIDs(info))
	}
	dir := t.TempDir()
	writeAll(t, dir, specs)
	for _, name := range []string{DataFileName(1), "ctl.0", "ctl.1"} {
		want := fileBytes(t, filepath.Join(FragmentDir(golden, 7, 3), name))
		if name == "ctl.0" { // seq 2 lists the zstd file, whose size and CRC may differ
			continue
		}
		if b := fileBytes(t, filepath.Join(FragmentDir(dir, 7, 3), name)); !bytes.Equal(b, want) {
			t.Errorf("%s: the writer's bytes differ from testdata/v1", name)
		}
	}
}
