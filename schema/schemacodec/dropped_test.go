package schemacodec

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"reflect"
	"strings"
	"testing"

	"github.com/gondb/gondb/schema"
)

// sampleDropped is sample after DROP INDEX o: its place stays.
func sampleDropped() *schema.Table {
	t := sample()
	t.Version = 3
	t.Indexes[0] = schema.Index{Kind: schema.IndexDropped}
	return t
}

// goldenDropped is sampleDropped's version 2 image. It must never change.
const goldenDropped = "" +
	"4754424c" + "02" + "03" + "0000" + // magic, version 2, ReadBackup|FullyReplicated, reserved
	"07000000" + "03000000" + "0100" + "74" + // id 7, version 3, name "t"
	"0300" + // 3 columns
	"0200" + "6964" + "05" + "01" + "00" + "00" + "00000000" + "0000" + "0000" + // id BIGINT UNSIGNED
	"0100" + "73" + "0a" + "02" + "08" + "00" + "0a000000" + "0000" + "0000" + // s VARCHAR(10) NULL latin1
	"0100" + "64" + "08" + "00" + "00" + "00" + "00000000" + "0a00" + "0200" + // d DECIMAL(10,2)
	"0100" + "0000" + // primary key (0)
	"0100" + "0000" + // distribution key (0)
	"0200" + // 2 indexes
	"0000" + "03" + "0000" + // a dropped index's place: no name, kind 3, no columns
	"0100" + "75" + "02" + "0100" + "0200" // u unique hash (2)

func sealed(t *testing.T, h string) []byte {
	t.Helper()
	b, err := hex.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// A table with a dropped index's place is written as version 2; every
// other table stays version 1 (TestGolden), and version 2 reads both.
func TestDroppedIndexVersion2(t *testing.T) {
	want := sealed(t, goldenDropped)
	got, err := Encode(sampleDropped())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encoding changed:\n got %x\nwant %x", got, want)
	}
	dec, l, err := DecodeValid(want)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(dec, sampleDropped()) || len(l.Table.Indexes) != 2 {
		t.Fatalf("decoded %+v, want %+v", dec, sampleDropped())
	}
	// A version 1 image saying kind 3 is corrupt: version 1 had no such kind.
	v1 := append([]byte(nil), want...)
	v1[4] = Version1
	v1 = reseal(v1)
	if _, err := Decode(v1); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "needs format version 2") {
		t.Fatalf("version 1 image with a dropped index: %v, want ErrCorrupt", err)
	}
	// The version 1 golden image relabelled version 2 reads the same.
	g := goldenBytes(t)
	g[4] = Version2
	if dec, err := Decode(reseal(g)); err != nil || !reflect.DeepEqual(dec, sample()) {
		t.Fatalf("version 2 reading a version 1 table: %+v, %v", dec, err)
	}
}
