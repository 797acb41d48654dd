package ndbapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/lqh"
	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/datanode/tc"
	"github.com/gondb/gondb/ndbapi"
)

// TestCommitAckMarkersReleased: every committed write leaves commit-ack
// markers on the data nodes until the API acknowledges the commit, which
// it does with its next send; once it has, no marker is left anywhere.
func TestCommitAckMarkersReleased(t *testing.T) {
	cl := startInproc(t, 2, func(c *node.Config) { c.NoOfReplicas = 2 })
	n := cl.ndb(t)
	insertN(t, n, cl.t, 300) // three transactions
	markers := func() (tcs, lqhs int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, nd := range cl.nodes {
			if err := nd.WithTC(ctx, func(x *tc.TC) { tcs += x.Markers() }); err != nil {
				t.Fatal(err)
			}
			if err := nd.WithLQH(ctx, func(l *lqh.LQH) { lqhs += l.Markers() }); err != nil {
				t.Fatal(err)
			}
		}
		return tcs, lqhs
	}
	// The last commit's acknowledgement waits for the Ndb's next send.
	if tcs, lqhs := markers(); tcs != 1 || lqhs != 2 {
		t.Fatalf("after the commits: %d markers in TCs, %d in LQHs; want 1 and 2 (the last commit's, on both replicas)", tcs, lqhs)
	}
	// A read sends the acknowledgement.
	tx, err := n.StartTransaction(cl.t, nil)
	if err != nil {
		t.Fatal(err)
	}
	rb := cl.t.NewRowBuilder()
	tx.Read(cl.t, keyOf(rb, 1), ndbapi.CommittedRead)
	if err := tx.Execute(ndbapi.NoCommit); err != nil {
		t.Fatal(err)
	}
	tx.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		tcs, lqhs := markers()
		if tcs == 0 && lqhs == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the acknowledgement: %d markers in TCs, %d in LQHs, want none", tcs, lqhs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
