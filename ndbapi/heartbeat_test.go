package ndbapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/signal"
)

// TestAPIHeartbeats: an API node registers with every data node's QMGR
// and heartbeats it. When an API node that holds a row lock stops (its
// process died: no heartbeats, no commit, no rollback), the data nodes
// take it for failed after the missed heartbeats and abort its
// transaction, so another API gets the lock; with no transaction
// inactivity time-out configured, nothing else would release it.
func TestAPIHeartbeats(t *testing.T) {
	const other signal.NodeID = apiID + 1
	cl := startInproc(t, 2, func(c *node.Config) {
		c.NoOfReplicas = 2
		c.APINodes = []signal.NodeID{apiID, other}
		c.InactiveTimeout = 0
		c.Membership.Enabled = true
		c.Membership.HeartbeatIntervalDbDb = 50 * time.Millisecond
		c.Membership.HeartbeatIntervalDbApi = 50 * time.Millisecond
	})
	insertN(t, cl.ndb(t), cl.t, 10)

	o := cl.opts
	o.NodeID = other
	c2, err := ndbapi.ConnectDirect(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	registered := func(api signal.NodeID) bool {
		for _, nd := range cl.nodes {
			st, err := nd.MembershipState(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, a := range st.APIs {
				found = found || a.Node == api && !a.Failing
			}
			if !found {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(10 * time.Second)
	for !registered(apiID) || !registered(other) {
		if time.Now().After(deadline) {
			t.Fatal("the API nodes did not register with every data node's QMGR")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if conf, _ := c2.Registrations(); conf == 0 {
		t.Fatal("no API_REGCONF counted")
	}

	// API 51 locks row 3 and goes silent.
	n2, err := c2.NewNdb()
	if err != nil {
		t.Fatal(err)
	}
	rb := cl.t.NewRowBuilder()
	tx2, err := n2.StartTransaction(cl.t, nil)
	if err != nil {
		t.Fatal(err)
	}
	tx2.Read(cl.t, keyOf(rb, 3), ndbapi.LockExclusive)
	if err := tx2.Execute(ndbapi.NoCommit); err != nil {
		t.Fatal(err)
	}
	c2.Close()

	// API 50 gets the lock once the data nodes failed API 51.
	n := cl.ndb(t)
	deadline = time.Now().Add(20 * time.Second)
	for tries := 1; ; tries++ {
		tx, err := n.StartTransaction(cl.t, nil)
		if err != nil {
			t.Fatal(err)
		}
		tx.Read(cl.t, keyOf(rb, 3), ndbapi.LockExclusive)
		err = tx.Execute(ndbapi.Commit)
		tx.Close()
		if err == nil {
			t.Logf("lock granted at try %d", tries)
			break
		}
		if !ndbapi.IsTemporary(err) {
			t.Fatalf("locking the row: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the failed API's lock was never released: %v", err)
		}
	}
	failures := uint64(0)
	for _, nd := range cl.nodes {
		st, err := nd.MembershipState(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		failures += st.APIFailures
	}
	if failures == 0 {
		t.Fatal("no data node counted the API failure")
	}
}
