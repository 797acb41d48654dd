package store

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gondb/gondb/datanode/mem"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
)

// TestUniqueIndexAsHiddenTable keeps a unique index on msisdn the way the
// transaction coordinator will: every base write also writes the hidden
// table, a duplicate value is refused there, and a lookup by the unique
// value reads the hidden row and then the base row.
func TestUniqueIndexAsHiddenTable(t *testing.T) {
	tbl := &schema.Table{ID: 10, Name: "sub", Version: 1, PrimaryKey: []int{0},
		Columns: []schema.Column{
			{Name: "imsi", Type: schema.TypeBigInt, Unsigned: true},
			{Name: "msisdn", Type: schema.TypeVarchar, Length: 15, Charset: schema.CharsetLatin1, Nullable: true},
		},
		Indexes: []schema.Index{{Name: "msisdn", Kind: schema.IndexUniqueHash, Columns: []int{1}}},
	}
	base, err := schema.NewLayout(tbl)
	if err != nil {
		t.Fatal(err)
	}
	ui, err := schema.NewUniqueIndex(base, 0, 11)
	if err != nil {
		t.Fatal(err)
	}
	pool, _ := mem.NewPool(1 << 20)
	defer pool.Close()
	bf := NewFragment(pool, base, 0)
	hf := NewFragment(pool, ui.Hidden, 0)
	defer bf.Close()
	defer hf.Close()
	b := schema.NewRowBuilder(base)

	insert := func(tx TxID, imsi uint64, msisdn *string) error {
		b.Reset()
		b.SetUint64(0, imsi)
		if msisdn != nil {
			b.SetString(1, *msisdn)
		}
		row := b.AppendRow(nil)
		bref, err := bf.PrepareInsert(tx, partition.Hash(base.Key(row)), row)
		if err != nil {
			return err
		}
		hrow, indexed := ui.AppendRow(nil, base.RowOf(row))
		if indexed {
			href, err := hf.PrepareInsert(tx, partition.Hash(ui.Hidden.Key(hrow)), hrow)
			if errors.Is(err, ndberr.ErrRowExists) {
				bf.Abort(bref)
				return ndberr.ErrUniqueExists
			}
			if err != nil {
				t.Fatal(err)
			}
			must(hf.Commit(href, 1))
		}
		return bf.Commit(bref, 1)
	}
	s := func(v string) *string { return &v }
	if err := insert(1, 100, s("4670001")); err != nil {
		t.Fatal(err)
	}
	if err := insert(2, 101, s("4670001")); !errors.Is(err, ndberr.ErrUniqueExists) {
		t.Fatalf("duplicate unique value: %v, want ErrUniqueExists", err)
	}
	if _, err := bf.Read(partition.Hash(keyU(101)), keyU(101), nil); err == nil {
		t.Fatal("refused base row is visible")
	}
	// NULLs never collide and are not indexed.
	for imsi := uint64(200); imsi < 203; imsi++ {
		if err := insert(TxID(imsi), imsi, nil); err != nil {
			t.Fatalf("NULL unique value: %v", err)
		}
	}
	if hf.Stats().Rows != 1 {
		t.Fatalf("hidden table has %d rows, want 1", hf.Stats().Rows)
	}
	// Lookup by unique value: hidden row -> base key -> base row.
	b.Reset()
	b.SetUint64(0, 0)
	b.SetString(1, "4670001")
	hkey, _ := ui.AppendKey(nil, base.RowOf(b.AppendRow(nil)))
	hrow, err := hf.Read(partition.Hash(hkey), hkey, nil)
	if err != nil {
		t.Fatal(err)
	}
	bkey := ui.BaseKey(hrow)
	if !bytes.Equal(bkey, keyU(100)) {
		t.Fatalf("hidden row points at %x", bkey)
	}
	row, err := bf.Read(partition.Hash(bkey), bkey, nil)
	if err != nil || base.RowOf(row).Uint64(0) != 100 {
		t.Fatalf("base row via unique index: %v", err)
	}
}

func keyU(v uint64) []byte {
	k, _ := keyOf(int64(v))
	return k
}
