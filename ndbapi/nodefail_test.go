package ndbapi_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/ndberr"
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
			tc := startPair(t, nil)
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
	tc := startPair(t, nil)
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

// TestTCRestartUnseen: a commit in flight at a TC whose node stops,
// restarts and reconnects while the API is not polling, and of which the
// takeover found no trace (its only operation waited for a lock on the
// failed node), ends with 4010 once the takeover has reported, not 4012
// after TransactionTimeout: the API tells the new connection from the one
// the transaction went out on. A later execution of a transaction begun
// at the old TC fails the same way instead of starting afresh there.
func TestTCRestartUnseen(t *testing.T) {
	tc := startPair(t, func(c *node.Config) {
		c.DeadlockTimeout = time.Minute // the blocked commit waits on
	})
	deadline := time.Now().Add(10 * time.Second)
	for _, nd := range tc.nodes { // both in the view: a stop is a failure
		for {
			st, err := nd.MembershipState(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if st.Phase == qmgr.Running && len(st.Members) == 2 && st.Leased {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no view of both nodes: %+v", st)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	insertN(t, tc.ndb(t), tc.t, 100)
	rb := tc.t.NewRowBuilder()
	holder, blocked, other := tc.ndb(t), tc.ndb(t), tc.ndb(t)
	// A row whose primary replica is on node 1.
	var id int64
	for ; ; id++ {
		tx, err := holder.StartTransaction(tc.t, keyOf(rb, id).AppendKey(nil))
		if err != nil {
			t.Fatal(err)
		}
		if tx.Node() == 1 {
			tx.Read(tc.t, keyOf(rb, id), ndbapi.LockExclusive)
			if err := tx.Execute(ndbapi.NoCommit); err != nil {
				t.Fatal(err)
			}
			defer tx.Close()
			break
		}
		tx.Close()
	}
	// An open transaction begun at node 1's TC.
	open, err := other.StartTransactionOn(1)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	open.Read(tc.t, keyOf(rb, (id+1)%100), ndbapi.CommittedRead)
	if err := open.Execute(ndbapi.NoCommit); err != nil {
		t.Fatal(err)
	}

	tx, err := blocked.StartTransactionOn(1)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	setItem(rb, id, -1)
	tx.Update(tc.t, rb)
	code := -1
	tx.ExecuteAsync(ndbapi.Commit, func(_ *ndbapi.Transaction, err error) { code = ndbapi.Code(err) })
	if k := blocked.SendPollNdb(50*time.Millisecond, 1); k != 0 {
		t.Fatalf("the commit completed (%d) while the row was locked", code)
	}

	tc.nodes[0].Stop()
	for tc.c.TakenOverAt(1) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no takeover report for node 1")
		}
		time.Sleep(5 * time.Millisecond)
	}
	nodeRestart(t, tc.cfgs[0])
	for !slices.Contains(tc.c.Connected(), signal.NodeID(1)) {
		if time.Now().After(deadline) {
			t.Fatal("node 1 did not reconnect")
		}
		time.Sleep(5 * time.Millisecond)
	}
	blocked.PollNdb(time.Minute, 1)
	if code != ndberr.ErrTCNodeFailed.Code {
		t.Fatalf("the blocked commit ended with %d, want %d", code, ndberr.ErrTCNodeFailed.Code)
	}

	setItem(rb, 1002, 2)
	open.Insert(tc.t, rb)
	if err := open.Execute(ndbapi.Commit); ndbapi.Code(err) != ndberr.ErrTCNodeFailed.Code {
		t.Fatalf("committing a transaction begun at the old TC: %v, want %d", err, ndberr.ErrTCNodeFailed.Code)
	}
	r, err := other.StartTransaction(tc.t, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	op := r.Read(tc.t, keyOf(rb, 1002), ndbapi.CommittedRead)
	err = r.Execute(ndbapi.Commit)
	if _, ok := op.Row(); ok {
		t.Errorf("row 1002 committed alone at the restarted TC (%v)", err)
	}
}
