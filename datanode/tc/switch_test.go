package tc_test

import (
	"slices"
	"testing"

	"github.com/gondb/gondb/datanode/dih"
	"github.com/gondb/gondb/datanode/tc"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// TestSwitchWaitsForOldWrites drives one TC through a node restart's
// distribution switch (DIST_SWITCHREQ) with operations in flight: the
// switch is confirmed only once every write sent before it was answered
// by its chain (prepared or refused) or aborted, since a write still on
// its way to the primary, or parked there behind a lock, would commit on
// the old chain without the starting node after the copy passed its row.
// Reads, and writes sent after the switch, are not waited for.
func TestSwitchWaitsForOldWrites(t *testing.T) {
	l := accountLayout()
	groups, _ := partition.FormNodeGroups([]partition.NodeID{1}, 1)
	d, err := dih.New().WithTable(l, groups, 2)
	if err != nil {
		t.Fatal(err)
	}
	api := signal.Address{Node: 9, Block: gsn.BlockAPI}
	lqh := signal.Address{Node: 1, Block: gsn.BlockLQH}
	president := signal.Address{Node: 2, Block: gsn.BlockRESTART}
	// send sends key operation op on account id as transaction trans.
	send := func(deliver deliverFunc, trans uint64, op uint32, id int64) {
		h := partition.Hash(keyOf(id))
		data := keyOf(id)
		if gsn.IsWrite(op) {
			data = rowOf(l, id, 5)
		}
		deliver(gsn.TCKEYREQ, api, trans, []uint32{op, tableID, 0, 0, uint32(h), uint32(h >> 32)}, data)
	}
	for _, c := range []struct {
		name string
		// before: the operations sent before the switch (transaction
		// 100+i each); answer settles the writes among them.
		before []uint32
		answer func(deliver deliverFunc)
		// waits: the switch waits until answer runs.
		waits bool
	}{
		{name: "no operation", waits: false},
		{name: "a read in flight", before: []uint32{gsn.OpRead}, waits: false},
		{name: "a lock in flight", before: []uint32{gsn.OpReadExclusive}, waits: false},
		{name: "a write prepared", before: []uint32{gsn.OpUpdate}, waits: true,
			answer: func(deliver deliverFunc) {
				deliver(gsn.LQHKEYCONF, lqh, 100, []uint32{0}, nil)
			}},
		{name: "a write refused", before: []uint32{gsn.OpUpdate}, waits: true,
			answer: func(deliver deliverFunc) {
				deliver(gsn.LQHKEYREF, lqh, 100, []uint32{0, 626}, nil)
			}},
		{name: "a write aborted by API", before: []uint32{gsn.OpWrite}, waits: true,
			answer: func(deliver deliverFunc) {
				deliver(gsn.TCROLLBACKREQ, api, 100, nil, nil)
			}},
		{name: "two writes, both answered", before: []uint32{gsn.OpUpdate, gsn.OpDelete}, waits: true,
			answer: func(deliver deliverFunc) {
				deliver(gsn.LQHKEYCONF, lqh, 101, []uint32{0}, nil)
				deliver(gsn.LQHKEYCONF, lqh, 100, []uint32{0}, nil)
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			x := tc.New(tc.Config{Node: 1, Distribution: func() *dih.Distribution { return d }})
			env := &recEnv{}
			deliver := func(n signal.Number, from signal.Address, trans uint64, words []uint32, sect []byte) {
				s := &signal.Signal{Number: n, Sender: from, Receiver: signal.Address{Node: 1, Block: gsn.BlockTC}, TransID: trans}
				s.SetWords(words...)
				if sect != nil {
					s.AddSection(sect)
				}
				x.Handle(env, s)
			}
			for i, o := range c.before {
				send(deliver, uint64(100+i), o, int64(i))
			}
			env.take()
			deliver(gsn.DIST_SWITCHREQ, signal.Address{Node: 1, Block: gsn.BlockRESTART}, 0, []uint32{7, 0, 1, uint32(president.Node)}, nil)
			// A write sent after the switch is not waited for.
			send(deliver, 200, gsn.OpUpdate, 5)
			x.Tick(env)
			confirmed := func() bool { return slices.Contains(env.take(), gsn.DIST_SWITCHCONF) }
			if got := confirmed(); got == c.waits {
				t.Fatalf("switch confirmed %v before the earlier writes were answered, want %v", got, !c.waits)
			}
			if !c.waits {
				return
			}
			c.answer(deliver)
			sent := append([]signal.Signal(nil), env.sent...)
			x.Tick(env)
			sent = append(sent, env.sent...)
			env.take()
			i := slices.IndexFunc(sent, func(s signal.Signal) bool { return s.Number == gsn.DIST_SWITCHCONF })
			if i < 0 {
				t.Fatal("switch not confirmed once the earlier writes were answered")
			}
			s := sent[i]
			if s.Receiver != president || s.NumWords != 4 || s.Words[0] != 7 || s.Words[1] != 0 || s.Words[2] != 1 || s.Words[3] != 1 {
				t.Fatalf("DIST_SWITCHCONF to %v with words %v", s.Receiver, s.Words[:s.NumWords])
			}
			x.Tick(env)
			if confirmed() {
				t.Fatal("switch confirmed twice")
			}
		})
	}
}

// deliverFunc hands the TC under test a signal: number, sender,
// transaction, words, section.
type deliverFunc func(signal.Number, signal.Address, uint64, []uint32, []byte)
