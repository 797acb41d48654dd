package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/mgmtest"
)

// storedGrant reads the arbitrator's etcd record of cluster c.
func storedGrant(t *testing.T, c *mgmtest.Cluster) mgmapi.ArbitrationGrant {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.Stores[0].Endpoints(), DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	r, err := cli.Get(tctx(t), c.Stores[0].Prefix()+"arbitration/view")
	if err != nil || len(r.Kvs) != 1 {
		t.Fatalf("read the record: %v, %d keys", err, len(r.Kvs))
	}
	var g mgmapi.ArbitrationGrant
	if err := json.Unmarshal(r.Kvs[0].Value, &g); err != nil {
		t.Fatalf("record %s: %v", r.Kvs[0].Value, err)
	}
	return g
}

// TestArbitrateView: the cases of qmgr.FirstAsker's contract through a
// management server and its etcd: the first proposal of a (generation,
// base) wins, its repeat is granted (from another president too, node
// lists in any order), another proposal and older bases are refused,
// newer ones granted.
func TestArbitrateView(t *testing.T) {
	c := mgmtest.Start(t, mgmtest.Options{DataNodes: 4})
	conn := dial(t, c.ConnectString)
	ctx := tctx(t)
	a := mgmapi.ArbitrateViewRequest{Base: 5, Proposed: []uint32{2, 4}, Side: []uint32{2, 4}, President: 2}
	b := mgmapi.ArbitrateViewRequest{Base: 5, Proposed: []uint32{3, 5}, Side: []uint32{3, 5}, President: 3}
	steps := []struct {
		name    string
		req     mgmapi.ArbitrateViewRequest
		granted bool
		held    [2]uint64 // the (generation, base) of the grant in the reply
		grants  uint64    // and its count
		reason  string
	}{
		{"first asker wins", a, true, [2]uint64{0, 5}, 1, ""},
		{"other proposal refused", b, false, [2]uint64{0, 5}, 1, "was granted to node 2"},
		{"repeat granted", a, true, [2]uint64{0, 5}, 1, ""},
		{"repeat by a new president, lists unordered", mgmapi.ArbitrateViewRequest{Base: 5, Proposed: []uint32{4, 2, 4}, Side: []uint32{4}, President: 4},
			true, [2]uint64{0, 5}, 1, ""},
		{"loser asks again", b, false, [2]uint64{0, 5}, 1, "was granted"},
		{"lower base refused", mgmapi.ArbitrateViewRequest{Base: 4, Proposed: a.Proposed, President: 2}, false, [2]uint64{0, 5}, 1, "older"},
		{"higher base granted", mgmapi.ArbitrateViewRequest{Base: 6, Proposed: b.Proposed, President: 3}, true, [2]uint64{0, 6}, 2, ""},
		{"the old base is now refused even to its winner", a, false, [2]uint64{0, 6}, 2, "older"},
		{"a new generation starts again at base 1", mgmapi.ArbitrateViewRequest{Generation: 1, Base: 1, Proposed: a.Proposed, President: 2},
			true, [2]uint64{1, 1}, 3, ""},
		{"an older generation is refused whatever its base", mgmapi.ArbitrateViewRequest{Base: 9, Proposed: a.Proposed, President: 2},
			false, [2]uint64{1, 1}, 3, "older"},
	}
	for _, st := range steps {
		rep, err := conn.ArbitrateView(ctx, &st.req)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if rep.Granted != st.granted || rep.Grant == nil || [2]uint64{rep.Grant.Generation, rep.Grant.Base} != st.held ||
			rep.Grant.Grants != st.grants || !strings.Contains(rep.Reason, st.reason) || (st.granted && rep.Reason != "") {
			t.Fatalf("%s: %+v (grant %+v), want granted=%v held %v grants %d reason %q",
				st.name, rep, rep.Grant, st.granted, st.held, st.grants, st.reason)
		}
	}
	g := storedGrant(t, c)
	if g.Generation != 1 || g.Base != 1 || !slices.Equal(g.Proposed, []uint32{2, 4}) || g.President != 2 || g.GrantedBy != 1 ||
		g.Grants != 3 || g.GrantedAt.IsZero() {
		t.Fatalf("stored grant %+v", g)
	}

	// Invalid requests are errors, not verdicts.
	for _, bad := range []mgmapi.ArbitrateViewRequest{
		{Base: 7, Proposed: []uint32{2}},
		{Base: 7, President: 2},
		{Base: 7, Proposed: []uint32{2, 0}, President: 2},
		{Base: 7, Proposed: []uint32{2}, Side: []uint32{256}, President: 2},
		{Base: 7, Proposed: []uint32{2}, President: 300},
	} {
		if rep, err := conn.ArbitrateView(ctx, &bad); !errors.Is(err, mgmapi.ErrInvalid) {
			t.Errorf("%+v: %+v, %v; want invalid", bad, rep, err)
		}
	}
	if g2 := storedGrant(t, c); g2.Base != 1 || g2.Grants != 3 {
		t.Fatalf("an invalid request changed the record: %+v", g2)
	}

	events, err := conn.ClusterLog(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var granted, refused int
	for _, e := range events {
		if e.Category != "Arbitration" {
			continue
		}
		switch {
		case strings.Contains(e.Text, "arbitration granted to node"):
			granted++
		case strings.Contains(e.Text, "arbitration refused to node"):
			refused++
		}
	}
	if granted != 3 || refused != 5 { // repeats are not logged in the cluster log
		t.Errorf("cluster log: %d grants, %d refusals: %+v", granted, refused, events)
	}
}

// TestArbitrateViewRace: sides of a split ask two management servers
// sharing one etcd at the same moment; in every round exactly one
// proposal is granted, and afterwards every server grants it again and
// refuses the others.
func TestArbitrateViewRace(t *testing.T) {
	c := mgmtest.Start(t, mgmtest.Options{MgmNodes: 2, DataNodes: 4})
	conns := []*client.Conn{dial(t, c.Addrs[0]), dial(t, c.Addrs[1])}
	ctx := tctx(t)
	rounds := 12
	if testing.Short() {
		rounds = 4
	}
	const sides = 4 // two through each server
	proposal := func(side int) []uint32 { return []uint32{3 + uint32(side), 7} }
	for round := 1; round <= rounds; round++ {
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			granted = make([]bool, sides)
			errs    = make([]error, sides)
		)
		for side := range sides {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req := &mgmapi.ArbitrateViewRequest{Generation: 2, Base: uint64(round), Proposed: proposal(side),
					Side: []uint32{3 + uint32(side)}, President: 3 + uint32(side)}
				<-start
				rep, err := conns[side%2].ArbitrateView(ctx, req)
				if err == nil {
					granted[side] = rep.Granted
				}
				errs[side] = err
			}()
		}
		close(start)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		winner := slices.Index(granted, true)
		if winner < 0 || slices.Index(granted[winner+1:], true) >= 0 {
			t.Fatalf("round %d: granted %v, want exactly one", round, granted)
		}
		if g := storedGrant(t, c); g.Base != uint64(round) || !slices.Equal(g.Proposed, proposal(winner)) || g.Grants != uint64(round) {
			t.Fatalf("round %d: winner %d, stored %+v", round, winner, g)
		}
		for side := range sides {
			for i, conn := range conns {
				rep, err := conn.ArbitrateView(ctx, &mgmapi.ArbitrateViewRequest{Generation: 2, Base: uint64(round),
					Proposed: proposal(side), President: 3 + uint32(side)})
				if err != nil || rep.Granted != (side == winner) {
					t.Fatalf("round %d: side %d asks server %d again: %+v, %v (winner %d)", round, side, i+1, rep, err, winner)
				}
			}
		}
	}
}

// A stopping or stopped management server sends the request on to the
// next one of the connect string, which answers from the same record.
func TestArbitrateViewFailover(t *testing.T) {
	c := mgmtest.Start(t, mgmtest.Options{MgmNodes: 2, DataNodes: 2})
	conn := dial(t, c.ConnectString)
	ctx := tctx(t)
	req := &mgmapi.ArbitrateViewRequest{Base: 3, Proposed: []uint32{3}, Side: []uint32{3}, President: 3}
	if rep, err := conn.ArbitrateView(ctx, req); err != nil || !rep.Granted || rep.Grant.GrantedBy != 1 {
		t.Fatalf("through server 1: %+v, %v", rep, err)
	}
	c.StopServer(0)
	if rep, err := conn.ArbitrateView(ctx, req); err != nil || !rep.Granted || rep.Grant.GrantedBy != 1 {
		t.Fatalf("repeat through server 2: %+v, %v", rep, err)
	}
	other := &mgmapi.ArbitrateViewRequest{Base: 3, Proposed: []uint32{4}, Side: []uint32{4}, President: 4}
	if rep, err := conn.ArbitrateView(ctx, other); err != nil || rep.Granted {
		t.Fatalf("other side through server 2: %+v, %v", rep, err)
	}
	if conn.Addr() != c.Addrs[1] {
		t.Errorf("current server %s, want %s", conn.Addr(), c.Addrs[1])
	}
	// Nothing answers: an error, no verdict.
	c.StopServer(1)
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if rep, err := conn.ArbitrateView(sctx, req); err == nil {
		t.Fatalf("no server: %+v", rep)
	}
}
