package ndbapi_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/ndbapi"
)

// TestNodeRestart stops one data node of two (NoOfReplicas=2) under
// updates, inserts more rows while it is down, and starts it again: the
// node restart copies its replicas from the survivor while the updates go
// on, then it takes back its primaries. Then the survivor is stopped, and
// every row must be read from the restarted node alone with its last
// committed value: the copy missed nothing and lost no concurrent write.
func TestNodeRestart(t *testing.T) {
	tc := startPair(t, nil)
	const rows = 600
	insertN(t, tc.ndb(t), tc.t, rows/2)
	var mu sync.Mutex
	want := make([]int64, rows) // last committed value; -1: unknown, -2: never inserted
	for i := range want {
		want[i] = int64(i) * 10
		if i >= rows/2 {
			want[i] = -2
		}
	}
	var committed, temporary, unknown int
	var other error
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	ndb := tc.ndb(t)
	go func() {
		defer close(done)
		rb := tc.t.NewRowBuilder()
		for i := 0; ctx.Err() == nil; i++ {
			id := int64(i % rows)
			val := int64(i) + 1_000_000
			mu.Lock()
			insert := want[id] == -2
			mu.Unlock()
			tx, err := ndb.StartTransaction(tc.t, nil)
			if err == nil {
				setItem(rb, id, val)
				if insert {
					tx.Insert(tc.t, rb)
				} else {
					tx.Update(tc.t, rb)
				}
				err = tx.Execute(ndbapi.Commit)
				tx.Close()
			}
			var ne *ndbapi.Error
			mu.Lock()
			switch {
			case err == nil:
				committed++
				want[id] = val
			case errors.As(err, &ne) && ne.UnknownResult():
				unknown++
				want[id] = -1
			case errors.As(err, &ne) && ne.Temporary():
				temporary++
			case insert && errors.As(err, &ne) && ne.Code == 630:
				// An insert whose first try had an unknown result did
				// commit: update it from now on.
				want[id] = -1
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
	commits := func() int {
		mu.Lock()
		defer mu.Unlock()
		return committed
	}
	waitCommits := func(n int, what string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for c := commits(); commits() < c+n; {
			if time.Now().After(deadline) {
				t.Fatalf("%s: fewer than %d commits in 20 s (%d temporary errors, %d unknown, other %v)", what, n, temporary, unknown, other)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitCommits(100, "before the stop")
	tc.nodes[1].Stop()
	waitCommits(rows, "while node 2 is down")

	started := make(chan struct{})
	cfg := tc.cfgs[1]
	cfg.Membership.Starting = true
	cfg.Membership.OnStarted = func() { close(started) }
	began := time.Now()
	nd, err := node.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nd.Stop)
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("node 2's node restart did not finish in 30 s")
	}
	t.Logf("node restart of node 2 took %v", time.Since(began))
	waitCommits(200, "after the node restart")
	cancel()
	<-done
	if other != nil {
		t.Fatalf("a permanent error: %v", other)
	}

	// Node 2 alone must now hold every row with its last value.
	tc.nodes[0].Stop()
	rb := tc.t.NewRowBuilder()
	r := tc.ndb(t)
	read := func(id int64) (int64, bool, error) {
		tx, err := r.StartTransaction(tc.t, nil)
		if err != nil {
			return 0, false, err
		}
		defer tx.Close()
		op := tx.Read(tc.t, keyOf(rb, id), ndbapi.CommittedRead)
		if err := tx.Execute(ndbapi.Commit); err != nil {
			var ne *ndbapi.Error
			if errors.As(err, &ne) && ne.Code == 626 {
				return 0, false, nil
			}
			return 0, false, err
		}
		row, ok := op.Row()
		if !ok {
			return 0, false, nil
		}
		return row.Int64(1), true, nil
	}
	for id := int64(0); id < rows; id++ {
		var got int64
		var ok bool
		var err error
		for try := 0; try < 200; try++ { // until node 1's failure is handled
			if got, ok, err = read(id); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("reading %d from node 2: %v", id, err)
		}
		switch w := want[id]; {
		case w == -2:
			if ok {
				t.Errorf("row %d: %d, want none", id, got)
			}
		case !ok && w != -1:
			t.Errorf("row %d missing on node 2, want %d", id, w)
		case ok && w >= 0 && got != w:
			t.Errorf("row %d: %d on node 2, want %d", id, got, w)
		}
	}
	t.Logf("%d commits, %d temporary errors, %d unknown results", committed, temporary, unknown)
}
