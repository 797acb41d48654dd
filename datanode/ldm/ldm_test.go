package ldm

import (
	"encoding/binary"
	"testing"

	"github.com/gondb/gondb/datanode/mem"
	"github.com/gondb/gondb/datanode/store"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
)

func TestLDMExecutesThroughRings(t *testing.T) {
	tbl := &schema.Table{Name: "t", Version: 1, PrimaryKey: []int{0}, Columns: []schema.Column{
		{Name: "id", Type: schema.TypeBigInt}, {Name: "v", Type: schema.TypeInt},
	}}
	l, err := schema.NewLayout(tbl)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := mem.NewPool(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	frag := store.NewFragment(pool, l, 0)
	defer frag.Close()
	w, err := Start(Config{Name: "ldm0", Fragments: []*store.Fragment{frag}, RingSize: 64, GCI: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	b := schema.NewRowBuilder(l)
	row := func(id, v int64) []byte {
		b.Reset()
		b.SetInt64(0, id)
		b.SetInt64(1, v)
		return b.AppendRow(nil)
	}
	key := func(id int64) ([]byte, uint64) {
		k := binary.LittleEndian.AppendUint64(nil, uint64(id))
		return k, partition.Hash(k)
	}
	k1, h1 := key(1)
	k2, h2 := key(2)
	steps := []struct {
		req  Request
		code int
	}{
		{Request{Kind: OpInsert, Hash: h1, Data: row(1, 10)}, 0},
		{Request{Kind: OpInsert, Hash: h1, Data: row(1, 11)}, ndberr.ErrRowExists.Code},
		{Request{Kind: OpRead, Hash: h1, Data: k1}, 0},
		{Request{Kind: OpRead, Hash: h2, Data: k2}, ndberr.ErrNoSuchRow.Code},
		{Request{Kind: OpUpdate, Hash: h1, Data: row(1, 12)}, 0},
		{Request{Kind: OpDelete, Hash: h1, Data: k1}, 0},
		{Request{Kind: OpDelete, Hash: h1, Data: k1}, ndberr.ErrNoSuchRow.Code},
		{Request{Kind: OpRead, Frag: 9, Hash: h1, Data: k1}, ndberr.ErrNoSuchTable.Code},
	}
	reqs := make([]Request, len(steps))
	for i, s := range steps {
		reqs[i] = s.req
		reqs[i].Tag = uint64(i)
	}
	if n := w.Submit(reqs); n != len(reqs) {
		t.Fatalf("submitted %d of %d", n, len(reqs))
	}
	got := make([]Reply, 0, len(reqs))
	buf := make([]Reply, 16)
	for len(got) < len(reqs) {
		n := w.Replies(buf)
		got = append(got, buf[:n]...)
	}
	for i, r := range got {
		if r.Tag != uint64(i) {
			t.Fatalf("reply %d has tag %d: replies out of order", i, r.Tag)
		}
		if int(r.Code) != steps[i].code {
			t.Errorf("step %d: code %d, want %d", i, r.Code, steps[i].code)
		}
	}
	if got[2].Len != uint32(l.FixedSize) {
		t.Errorf("read returned %d bytes, want %d", got[2].Len, l.FixedSize)
	}
}
