package datanodeproc

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/mgmtest"
	"github.com/gondb/gondb/signal"
)

// arbCall is one ArbitrateView call the fake holds until the test answers.
type arbCall struct {
	ctx    context.Context
	req    *mgmapi.ArbitrateViewRequest
	answer chan arbAnswer
}

type arbAnswer struct {
	rep *mgmapi.ArbitrateViewReply
	err error
}

// arbFake is a ViewArbitrator whose calls the test answers one by one.
type arbFake struct{ calls chan arbCall }

func (f *arbFake) ArbitrateView(ctx context.Context, req *mgmapi.ArbitrateViewRequest) (*mgmapi.ArbitrateViewReply, error) {
	c := arbCall{ctx: ctx, req: req, answer: make(chan arbAnswer, 1)}
	f.calls <- c
	select {
	case a := <-c.answer:
		return a.rep, a.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (f *arbFake) next(t *testing.T) arbCall {
	t.Helper()
	select {
	case c := <-f.calls:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no ArbitrateView call")
		return arbCall{}
	}
}

// arbWait polls a with req until the verdict is not Pending (or 10 s).
func arbWait(t *testing.T, a *MgmArbitrator, req qmgr.ArbitrationRequest) qmgr.Verdict {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if v := a.Arbitrate(req); v != qmgr.Pending {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("no verdict for %+v within 10s; stats %+v", req, a.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// arbWaitStats polls until cond holds for a's counters (or 10 s).
func arbWaitStats(t *testing.T, a *MgmArbitrator, what string, cond func(ArbitratorStats) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond(a.Stats()) {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10s: %s; stats %+v", what, a.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func arbOpts() ArbitratorOptions {
	return ArbitratorOptions{Logger: mgmtest.QuietLogger(), Retry: -1}
}

// TestArbitratorPolling: Arbitrate never waits; a request is asked once
// while in flight, its verdict is kept, an error leaves it Pending and the
// next poll asks again, a new request abandons the old one, Close ends it.
func TestArbitratorPolling(t *testing.T) {
	f := &arbFake{calls: make(chan arbCall, 4)}
	a := NewMgmArbitrator(f, arbOpts())
	defer a.Close()
	reqA := qmgr.ArbitrationRequest{Generation: 3, Base: 5, Proposed: qmgr.SetOf(1, 3), Side: qmgr.SetOf(1, 3), President: 1}
	reqB := qmgr.ArbitrationRequest{Generation: 3, Base: 6, Proposed: qmgr.SetOf(1), Side: qmgr.SetOf(1), President: 1}

	// Pending while in flight, one call only.
	for range 5 {
		if v := a.Arbitrate(reqA); v != qmgr.Pending {
			t.Fatalf("in flight: %v", v)
		}
	}
	c := f.next(t)
	want := &mgmapi.ArbitrateViewRequest{Generation: 3, Base: 5, Proposed: []uint32{1, 3}, Side: []uint32{1, 3}, President: 1}
	if c.req.Generation != want.Generation || c.req.Base != want.Base || !slices.Equal(c.req.Proposed, want.Proposed) ||
		!slices.Equal(c.req.Side, want.Side) || c.req.President != want.President {
		t.Fatalf("on the wire: %+v, want %+v", c.req, want)
	}
	if s := a.Stats(); s.Attempts != 1 || s.Requests != 1 {
		t.Fatalf("stats %+v", s)
	}

	// An error: no verdict; the next poll asks again.
	c.answer <- arbAnswer{err: errors.New("no management server answered")}
	arbWaitStats(t, a, "the failure noted", func(s ArbitratorStats) bool { return s.Failures == 1 })
	if v := a.Arbitrate(reqA); v != qmgr.Pending {
		t.Fatalf("after an error: %v", v)
	}
	c = f.next(t)
	c.answer <- arbAnswer{rep: &mgmapi.ArbitrateViewReply{Granted: true}}
	if v := arbWait(t, a, reqA); v != qmgr.Granted {
		t.Fatalf("verdict %v", v)
	}
	// Kept: no more calls for it.
	if v := a.Arbitrate(reqA); v != qmgr.Granted || a.Stats().Attempts != 2 {
		t.Fatalf("again: %v, %+v", v, a.Stats())
	}

	// A new request abandons the one in flight; its late answer is dropped.
	a.Arbitrate(reqB)
	cb := f.next(t)
	if v := a.Arbitrate(reqA); v != qmgr.Pending {
		t.Fatalf("reqA asked anew: %v", v)
	}
	ca := f.next(t)
	select {
	case <-cb.ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the abandoned call's context was not cancelled")
	}
	cb.answer <- arbAnswer{rep: &mgmapi.ArbitrateViewReply{Granted: true}}
	ca.answer <- arbAnswer{rep: &mgmapi.ArbitrateViewReply{Reason: "view {2,4} was granted"}}
	if v := arbWait(t, a, reqA); v != qmgr.Refused {
		t.Fatalf("reqA the second time: %v", v)
	}
	if s := a.Stats(); s.Requests != 3 || s.Granted != 1 || s.Refused != 1 {
		t.Fatalf("stats %+v", s)
	}

	// Close ends the call in flight; Arbitrate answers Pending after it.
	a.Arbitrate(reqB)
	f.next(t)
	a.Close()
	if v := a.Arbitrate(reqB); v != qmgr.Pending {
		t.Fatalf("after Close: %v", v)
	}
}

// TestArbitratorWithMgmd: two presidents of the halves of a split ask a
// real management server through MgmArbitrators: the first is granted,
// the other refused, a new president of the winning side repeating the
// request is granted; with no management server left, requests stay
// Pending.
func TestArbitratorWithMgmd(t *testing.T) {
	c := mgmtest.Start(t, mgmtest.Options{DataNodes: 4})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := client.Dial(ctx, c.ConnectString, client.Options{Logger: mgmtest.QuietLogger(), ConnectTimeout: time.Second, CallTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	d := c.DataNodeIDs // 4 data nodes, 2 replicas: groups {d0,d1} and {d2,d3}
	n := func(i int) qmgr.NodeSet { return qmgr.SetOf(qmgrNode(d[i])) }
	left := n(0).Union(n(2))
	right := n(1).Union(n(3))
	reqL := qmgr.ArbitrationRequest{Generation: 1, Base: 4, Proposed: left, Side: left, President: qmgrNode(d[0])}
	reqR := qmgr.ArbitrationRequest{Generation: 1, Base: 4, Proposed: right, Side: right, President: qmgrNode(d[1])}

	aL := NewMgmArbitrator(conn, arbOpts())
	defer aL.Close()
	if v := aL.Arbitrate(reqL); v != qmgr.Pending {
		t.Fatalf("first poll: %v, want Pending", v)
	}
	if v := arbWait(t, aL, reqL); v != qmgr.Granted {
		t.Fatalf("left: %v", v)
	}
	aR := NewMgmArbitrator(conn, arbOpts())
	defer aR.Close()
	if v := arbWait(t, aR, reqR); v != qmgr.Refused {
		t.Fatalf("right: %v", v)
	}
	// The left side's president fails; its successor repeats the request.
	succ := reqL
	succ.President, succ.Side = qmgrNode(d[2]), n(2)
	aS := NewMgmArbitrator(conn, arbOpts())
	defer aS.Close()
	if v := arbWait(t, aS, succ); v != qmgr.Granted {
		t.Fatalf("successor: %v", v)
	}

	// No management server: no verdict, attempts go on.
	c.StopServer(0)
	next := qmgr.ArbitrationRequest{Generation: 1, Base: 5, Proposed: n(2), Side: n(2), President: qmgrNode(d[2])}
	aN := NewMgmArbitrator(conn, arbOpts())
	defer aN.Close()
	for {
		if v := aN.Arbitrate(next); v != qmgr.Pending {
			t.Fatalf("without a management server: %v", v)
		}
		if aN.Stats().Failures >= 2 {
			break
		}
		time.Sleep(5 * time.Millisecond)
		if ctx.Err() != nil {
			t.Fatalf("no failed attempts: %+v", aN.Stats())
		}
	}
}

func qmgrNode(id uint32) signal.NodeID { return signal.NodeID(id) }
