package node_test

import (
	"errors"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/ndberr"
)

// startTinyRedo is startDurable with the smallest redo log the config
// allows (4 files of 128 KiB per part) and online LCPs.
func startTinyRedo(t *testing.T, dir string, initial bool) *durableNode {
	t.Helper()
	return startDurableWith(t, dir, initial, func(c *node.Config) {
		c.RedoFiles, c.RedoFileSize, c.RedoBuffer = 4, 128<<10, 128<<10
		c.OnlineLCP = true
	})
}

// tryApply is apply that returns the error instead of failing.
func (d *durableNode) tryApply(ids []int64, value int64, op string) (uint64, error) {
	tx, err := d.ndb.StartTransaction(d.t, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Close()
	rb := d.t.NewRowBuilder()
	for _, id := range ids {
		rb.Reset()
		rb.SetInt64(0, id)
		rb.SetInt64(1, value)
		if op == "delete" {
			tx.Delete(d.t, rb)
		} else {
			tx.Write(d.t, rb)
		}
	}
	if err := tx.Execute(ndbapi.Commit); err != nil {
		return 0, err
	}
	return tx.GCI(), nil
}

// TestOnlineLCPReleasesRedo writes many times what the redo ring holds
// (updates of the same rows, inserts, deletes) while LCPs run: writes keep
// succeeding (410s, if any, are temporary and retried), LCPs (FULL and
// DELTA with deleted keys) complete, the redo tails move, and a restart
// gives back exactly the saved contents, twice.
func TestOnlineLCPReleasesRedo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ndb_1_fs")
	txs := 3000
	if testing.Short() {
		txs = 1200
	}
	rng := rand.New(rand.NewPCG(7, 7))
	want := map[int64]int64{}
	d := startTinyRedo(t, dir, true)
	defer func() { d.stop() }()
	for round := 0; round < 2; round++ {
		var last uint64
		overloads := 0
		for i := 0; i < txs; i++ {
			op := "write"
			ids := make([]int64, 20)
			base := rng.Int64N(2000)
			for j := range ids {
				ids[j] = base + int64(j)*97
			}
			if rng.IntN(5) == 0 { // delete those of ids that exist
				op = "delete"
				ids = ids[:0]
				for j := int64(0); j < 20; j++ {
					if _, ok := want[base+j*97]; ok {
						ids = append(ids, base+j*97)
					}
				}
				if len(ids) == 0 {
					continue
				}
			}
			value := int64(round*1_000_000 + i)
			var gci uint64
			for attempt := 0; ; attempt++ {
				var err error
				gci, err = d.tryApply(ids, value, op)
				if err == nil {
					break
				}
				if !ndbapi.IsTemporary(err) || attempt > 2000 {
					t.Fatalf("round %d tx %d: %v (after %d attempts)", round, i, err, attempt)
				}
				if errors.Is(err, ndberr.ErrRedoLogOverloaded) {
					overloads++
				}
				time.Sleep(time.Millisecond)
			}
			last = max(last, gci)
			for _, id := range ids {
				if op == "delete" {
					delete(want, id)
				} else {
					want[id] = value
				}
			}
		}
		d.waitSaved(t, last)
		st := d.stats(t)
		var written, tail uint64
		for _, u := range st.Redo {
			written += u.Head
			tail += u.Tail
		}
		t.Logf("round %d: %d rows, redo written %d B, tails %d B, 410s retried %d, lcp %+v", round, len(want), written, tail, overloads, st.LCP)
		var ring uint64
		for _, u := range st.Redo {
			ring = max(ring, u.Size)
		}
		if written < 2*ring {
			t.Fatalf("round %d: only %d redo bytes written, the test needs more than the ring (%d)", round, written, ring)
		}
		if tail == 0 || st.LCP.Fragments == 0 || st.LCP.Rounds == 0 {
			t.Fatalf("round %d: redo tails did not move or no LCP completed: tail %d, %+v", round, tail, st.LCP)
		}
		if st.LCP.Delta == 0 || st.LCP.Deleted == 0 {
			t.Fatalf("round %d: no DELTA LCP with deleted keys: %+v", round, st.LCP)
		}
		d.stop()

		d = startTinyRedo(t, dir, false)
		st = d.stats(t)
		if st.Restore.GCI < last {
			t.Fatalf("round %d: restored GCI %d, below the saved %d", round, st.Restore.GCI, last)
		}
		got := d.contents(t)
		if len(got) != len(want) {
			t.Fatalf("round %d: %d rows after restart, want %d (restore %+v)", round, len(got), len(want), st.Restore)
		}
		for id, v := range want {
			if g, ok := got[id]; !ok || g != v {
				t.Fatalf("round %d: row %d = %d (present %v), want %d", round, id, g, ok, v)
			}
		}
		t.Logf("round %d: restart %+v", round, st.Restore)
	}
}
