package ndbapi_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/signal"
)

// TestNodeFailure stops one data node of two (NoOfReplicas=2) while a
// client updates rows: the survivor detects the failure, settles the
// transactions in flight, becomes primary of every fragment and GCP
// master, and the client goes on with nothing but temporary or
// unknown-result errors. Every row keeps its last committed value.
func TestNodeFailure(t *testing.T) {
	for _, victim := range []int{0, 1} { // node 1: the president and GCP master
		t.Run([]string{"president", "other"}[victim], func(t *testing.T) {
			tc := startInproc(t, 2, func(c *node.Config) {
				c.NoOfReplicas = 2
				c.Membership.Enabled = true
				c.Membership.HeartbeatIntervalDbDb = 50 * time.Millisecond
				c.Membership.Arbitration = qmgr.ArbitrationDisabled
				c.EpochInterval = 20 * time.Millisecond
			})
			const rows = 200
			insertN(t, tc.ndb(t), tc.t, rows)
			want := make([]int64, rows) // last committed value; -1: unknown
			for i := range want {
				want[i] = int64(i) * 10
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var mu sync.Mutex
			var failedAt, firstAfter time.Time
			var committed, temporary, unknown int
			var other error
			done := make(chan struct{})
			ndb := tc.ndb(t)
			go func() {
				defer close(done)
				rb := tc.t.NewRowBuilder()
				for i := 0; ctx.Err() == nil; i++ {
					id := int64(i % rows)
					val := int64(i) + 1_000_000
					tx, err := ndb.StartTransaction(tc.t, nil)
					if err == nil {
						setItem(rb, id, val)
						tx.Update(tc.t, rb)
						err = tx.Execute(ndbapi.Commit)
						tx.Close()
					}
					var ne *ndbapi.Error
					mu.Lock()
					switch {
					case err == nil:
						committed++
						want[id] = val
						if !failedAt.IsZero() && firstAfter.IsZero() {
							firstAfter = time.Now()
						}
					case errors.As(err, &ne) && ne.UnknownResult():
						unknown++
						want[id] = -1
					case errors.As(err, &ne) && ne.Temporary():
						temporary++
					default:
						if other == nil {
							other = err
						}
					}
					mu.Unlock()
					if err != nil {
						time.Sleep(5 * time.Millisecond)
					}
				}
			}()
			time.Sleep(200 * time.Millisecond)
			mu.Lock()
			before := committed
			failedAt = time.Now()
			mu.Unlock()
			tc.nodes[victim].Stop()
			deadline := time.Now().Add(10 * time.Second)
			for {
				mu.Lock()
				n := committed
				mu.Unlock()
				if n > before+200 || time.Now().After(deadline) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			cancel()
			<-done
			if other != nil {
				t.Fatalf("a permanent error: %v", other)
			}
			if committed <= before+200 {
				t.Fatalf("%d transactions committed after the failure, want more than 200 (%d temporary errors, %d unknown)",
					committed-before, temporary, unknown)
			}
			t.Logf("committed %d before the failure, %d after; %d temporary errors, %d unknown results; first commit %v after the stop",
				before, committed-before, temporary, unknown, firstAfter.Sub(failedAt))

			// Every row holds its last committed value, read from the
			// survivor.
			rb := tc.t.NewRowBuilder()
			r := tc.ndb(t)
			for id := int64(0); id < rows; id++ {
				tx, err := r.StartTransaction(tc.t, nil)
				if err != nil {
					t.Fatal(err)
				}
				op := tx.Read(tc.t, keyOf(rb, id), ndbapi.CommittedRead)
				if err := tx.Execute(ndbapi.Commit); err != nil {
					t.Fatalf("reading %d: %v", id, err)
				}
				row, ok := op.Row()
				if !ok {
					t.Fatalf("row %d missing", id)
				}
				got := row.Int64(1)
				if w := want[id]; w != -1 && got != w {
					t.Errorf("row %d: %d, want %d", id, got, w)
				}
				tx.Close()
			}
		})
	}
}

// TestTakeoverReportAfterRestart: each takeover is reported to the API
// (TC_TAKEOVERREP), also when the survivor that runs it is a node that was
// itself restarted (a node restart) since the last one, and with writes
// in flight no commit ends with an unknown result.
func TestTakeoverReportAfterRestart(t *testing.T) {
	tc := startInproc(t, 2, func(c *node.Config) {
		c.NoOfReplicas = 2
		c.Membership.Enabled = true
		c.Membership.HeartbeatIntervalDbDb = 50 * time.Millisecond
		c.Membership.Arbitration = qmgr.ArbitrationDisabled
		c.EpochInterval = 20 * time.Millisecond
	})
	const rows = 100
	insertN(t, tc.ndb(t), tc.t, rows)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for w := 0; w < 2; w++ {
		ndb := tc.ndb(t)
		wg.Go(func() {
			rb := tc.t.NewRowBuilder()
			for i := 0; ctx.Err() == nil; i++ {
				const batch = 32
				for k := 0; k < batch; k++ {
					tx, err := ndb.StartTransaction(tc.t, nil)
					if err != nil {
						mu.Lock()
						codes[ndbapi.Code(err)]++
						mu.Unlock()
						continue
					}
					setItem(rb, int64((i*batch+k)%rows), int64(i))
					tx.Update(tc.t, rb)
					tx.ExecuteAsync(ndbapi.Commit, func(tx *ndbapi.Transaction, err error) {
						mu.Lock()
						codes[ndbapi.Code(err)]++
						mu.Unlock()
						tx.Close()
					})
				}
				for ndb.Pending() > 0 {
					ndb.SendPollNdb(time.Second, 0)
				}
			}
		})
	}
	waitReport := func(n signal.NodeID, after int64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for tc.c.TakenOverAt(n) <= after {
			if time.Now().After(deadline) {
				t.Fatalf("no takeover report for node %d", n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	time.Sleep(200 * time.Millisecond)
	tc.nodes[0].Stop()
	waitReport(1, 0)
	nodeRestart(t, tc.cfgs[0])
	time.Sleep(300 * time.Millisecond)
	before := tc.c.TakenOverAt(2)
	tc.nodes[1].Stop()
	waitReport(2, before)
	time.Sleep(300 * time.Millisecond)
	cancel()
	wg.Wait()
	t.Logf("outcomes by code: %v", codes)
	if codes[0] == 0 || codes[4011] != 0 || codes[4012] != 0 {
		t.Fatalf("outcomes by code %v: want commits and no unknown result", codes)
	}
}
