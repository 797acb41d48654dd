package lcp

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var rewrite = flag.Bool("lcp.rewrite", false, "rewrite testdata/v<CurrentVersion> from the current writer")

// goldenSpecs is the chain in the golden directories: FULL 1 uncompressed,
// DELTA 2 zstd.
func goldenSpecs() []lcpSpec {
	specs := scenario(12, CodecNone, 0)[:2]
	specs[1].p.Codec = CodecZstd
	return specs
}

// Files of every supported version, written by the writer of their time,
// must still restore (testdata/v1, v2, ...).
func TestGoldenRestore(t *testing.T) {
	for v := MinSupportedVersion; v <= CurrentVersion; v++ {
		golden := filepath.Join("testdata", "v"+string(rune('0'+v)))
		got, info, err := restore(golden, 100)
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		sameModel(t, "golden "+golden, got, goldenSpecs()[1].after)
		if info.ID != 2 || len(info.Chain) != 2 {
			t.Fatalf("v%d: chain %v", v, chainIDs(info))
		}
	}
}

// The writer must still produce the current version's bytes for the
// uncompressed file and the control file (zstd's bytes may change with
// the library; its file is only read). -lcp.rewrite writes them anew, for
// a new format version.
func TestGoldenBytes(t *testing.T) {
	golden := filepath.Join("testdata", "v"+string(rune('0'+CurrentVersion)))
	specs := goldenSpecs()
	if *rewrite {
		os.RemoveAll(golden)
		writeAll(t, golden, specs)
	}
	dir := t.TempDir()
	writeAll(t, dir, specs)
	for _, name := range []string{DataFileName(1), "ctl.1"} { // ctl.0 (seq 2) lists the zstd file, whose size and CRC may differ
		want := fileBytes(t, filepath.Join(FragmentDir(golden, 7, 3), name))
		if b := fileBytes(t, filepath.Join(FragmentDir(dir, 7, 3), name)); !bytes.Equal(b, want) {
			t.Errorf("%s: the writer's bytes differ from %s", name, golden)
		}
	}
}
