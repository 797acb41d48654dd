package store

import (
	"encoding/binary"
	"testing"

	"github.com/gondb/gondb/datanode/mem"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
)

// testTable has every storage path: a fixed key, a nullable fixed column
// with an ordered index, var columns (a BLOB big enough to chain) and CHAR.
func testTable() *schema.Table {
	return &schema.Table{
		ID: 1, Name: "t", Version: 1,
		Columns: []schema.Column{
			{Name: "id", Type: schema.TypeBigInt},
			{Name: "a", Type: schema.TypeInt, Nullable: true},
			{Name: "v", Type: schema.TypeVarchar, Length: 40, Nullable: true},
			{Name: "b", Type: schema.TypeBlob, Nullable: true},
			{Name: "c", Type: schema.TypeChar, Length: 10, Charset: schema.CharsetLatin1},
		},
		PrimaryKey: []int{0},
		Indexes:    []schema.Index{{Name: "ia", Kind: schema.IndexOrdered, Columns: []int{1}}},
	}
}

func newTestFragment(t testing.TB, tbl *schema.Table, poolBytes int64) (*Fragment, *mem.Pool) {
	t.Helper()
	l, err := schema.NewLayout(tbl)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := mem.NewPool(poolBytes)
	if err != nil {
		t.Fatal(err)
	}
	f := NewFragment(pool, l, 0)
	t.Cleanup(func() { f.Close(); pool.Close() })
	return f, pool
}

// keyOf returns the key image and partition hash of an int64 key.
func keyOf(id int64) ([]byte, uint64) {
	k := binary.LittleEndian.AppendUint64(nil, uint64(id))
	return k, partition.Hash(k)
}
