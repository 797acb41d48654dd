package ordidx

import (
	"cmp"
	"encoding/binary"
	"fmt"
)

// Row states of the test comparator. It panics on reading a row that the
// index may not read: never inserted, or deleted and not pinned by a cursor.
const (
	rowFree   uint8 = 0
	rowLive   uint8 = 1
	rowPinned uint8 = 2 // deleted, kept readable for a cursor positioned on it
	rowDead   uint8 = 3
)

// twoCols is a two-column index (a, b int32) over rows kept in slices
// indexed by row id. A search key is 4 or 8 bytes: a, or a and b, each a
// little-endian int32; 4 bytes is a prefix key.
type twoCols struct {
	a, b  []int32
	state []uint8
}

var _ Comparator = (*twoCols)(nil)

func newTwoCols(rows int) *twoCols {
	return &twoCols{a: make([]int32, rows), b: make([]int32, rows), state: make([]uint8, rows)}
}

func (c *twoCols) readable(r uint32) {
	if s := c.state[r]; s != rowLive && s != rowPinned {
		panic(fmt.Sprintf("comparator: read of row %d in state %d", r, s))
	}
}

func (c *twoCols) CompareRows(x, y uint32) int {
	c.readable(x)
	c.readable(y)
	if v := cmp.Compare(c.a[x], c.a[y]); v != 0 {
		return v
	}
	return cmp.Compare(c.b[x], c.b[y])
}

func (c *twoCols) CompareKey(key []byte, r uint32) int {
	c.readable(r)
	if v := cmp.Compare(int32(binary.LittleEndian.Uint32(key)), c.a[r]); v != 0 || len(key) == 4 {
		return v
	}
	return cmp.Compare(int32(binary.LittleEndian.Uint32(key[4:])), c.b[r])
}

// key encodes a search key of one (prefix) or two columns.
func key(cols ...int32) []byte {
	k := make([]byte, 0, 8)
	for _, v := range cols {
		k = binary.LittleEndian.AppendUint32(k, uint32(v))
	}
	return k
}

// fullKey encodes row r's whole key.
func (c *twoCols) fullKey(r uint32) []byte { return key(c.a[r], c.b[r]) }

// keyCmp compares a search key with (a, b) the way CompareKey does.
func keyCmp(k []byte, a, b int32) int {
	if v := cmp.Compare(int32(binary.LittleEndian.Uint32(k)), a); v != 0 || len(k) == 4 {
		return v
	}
	return cmp.Compare(int32(binary.LittleEndian.Uint32(k[4:])), b)
}

// int64Keys is the benchmark index: one int64 column in a slice indexed by
// row id, searched with 8-byte little-endian keys.
type int64Keys []int64

var _ Comparator = int64Keys(nil)

func (k int64Keys) CompareRows(a, b uint32) int { return cmp.Compare(k[a], k[b]) }

func (k int64Keys) CompareKey(key []byte, r uint32) int {
	return cmp.Compare(int64(binary.LittleEndian.Uint64(key)), k[r])
}
