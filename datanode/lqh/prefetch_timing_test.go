package lqh

import (
	"fmt"
	"testing"
	"time"

	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// nullEnv is a block.Env that drops what is sent.
type nullEnv struct{}

func (nullEnv) Self() signal.Address        { return signal.Address{Node: 1, Block: gsn.BlockLQH} }
func (nullEnv) Now() time.Duration          { return 0 }
func (nullEnv) Send(s *signal.Signal) error { return nil }

// BenchmarkKeyReqBatch runs committed reads of random rows of a
// 1,000,000-row table in batches of 512 LQHKEYREQs, as a round's local
// queue hands them to LQH, with and without Prefetch before each batch.
// ns/op is per read.
func BenchmarkKeyReqBatch(b *testing.B) {
	const rows, batch = 1_000_000, 512
	layout, err := schema.NewLayout(&schema.Table{ID: 7, Name: "flex", Version: 1, PrimaryKey: []int{0},
		Columns: func() []schema.Column {
			cols := []schema.Column{{Name: "k", Type: schema.TypeBigInt, Unsigned: true}}
			for a := 0; a < 25; a++ {
				cols = append(cols, schema.Column{Name: fmt.Sprintf("a%d", a), Type: schema.TypeInt, Unsigned: true})
			}
			return cols
		}()})
	if err != nil {
		b.Fatal(err)
	}
	l, tbl := singleNodeLQH(b, layout, 1<<30)
	rb := schema.NewRowBuilder(layout)
	keyOf := func(k uint64) ([]byte, uint64, uint32) {
		rb.Reset()
		rb.SetUint64(0, k)
		key := rb.AppendKey(nil)
		h := partition.Hash(layout.DistributionKey(key, nil))
		frag, _ := tbl.Locate(h)
		return key, h, frag
	}
	for k := uint64(0); k < rows; k++ {
		key, h, frag := keyOf(k)
		rb.Reset()
		rb.SetUint64(0, k)
		for a := 1; a <= 25; a++ {
			rb.SetUint64(a, k+uint64(a))
		}
		f, _ := l.Fragment(layout.Table.ID, frag)
		ref, err := f.PrepareInsert(1, h, rb.AppendRow(nil))
		if err == nil {
			err = f.Commit(ref, 1)
		}
		if err != nil {
			b.Fatal(err)
		}
		_ = key
	}
	// 64 batches of random keys, built once.
	var batches [64][batch]signal.Signal
	for i := range batches {
		for j := range batches[i] {
			key, h, frag := keyOf(uint64((i*batch+j)*7919) % rows)
			s := &batches[i][j]
			s.Number, s.Receiver, s.TransID = gsn.LQHKEYREQ, signal.Address{Node: 1, Block: gsn.BlockLQH}, uint64(j)
			s.SetWords(gsn.OpRead, layout.Table.ID, frag, 0, uint32(h), uint32(h>>32), 0, 1, 1, 1, 0)
			s.AddSection(key)
		}
	}
	for _, prefetch := range []bool{false, true} {
		b.Run(fmt.Sprintf("prefetch=%v", prefetch), func(b *testing.B) {
			var env nullEnv
			n := 0
			for b.Loop() {
				sigs := batches[n%len(batches)][:]
				n++
				if prefetch {
					l.Prefetch(sigs)
				}
				for j := range sigs {
					l.Handle(env, &sigs[j])
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*batch), "ns/read")
		})
	}
}
