package server

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/gondb/gondb/mgmnode/config"
	"github.com/gondb/gondb/mgmnode/mgmapi"
)

// The arbitrator of the data nodes' view changes (mgmapi.ArbitrationService,
// datanode/qmgr's Arbitrator contract): for one (generation, base failure
// number) it grants one proposed view, ever, whichever management server
// is asked.
//
// The last grant is one etcd key, <prefix>arbitration/view, holding a
// viewGrant (JSON). A request reads it and decides: a (generation, base)
// below the record's is refused; the record's own is granted when it
// proposes the recorded set and refused otherwise; a higher one is
// written over the record by a transaction that compares the key's
// ModRevision with the one read (0: no key yet), and granted when that
// transaction succeeds. When it fails, another request was recorded
// meanwhile, and the request is decided again against the new record. So
// of any number of concurrent requests for one (generation, base),
// through one management server or several sharing the etcd, exactly one
// proposal is ever written, and every later request for it is answered
// from the record: a repeat by the winning side (a new president, or a
// retry after a lost reply) is granted again, every other proposal
// refused. The record never expires; a higher (generation, base)
// replaces it.
//
// mgmnode/state keeps its keys private and has no transaction of this
// shape, so the arbiter talks to the Store's etcd (Store.Endpoints)
// through a client of its own, made at the first request and closed when
// the server stops.

// arbitrationKey is the record's key after the Store's prefix. It sits
// beside state's arbitration/round and arbitration/grant (the Management
// service's ticket arbitration), which it never touches.
const arbitrationKey = "arbitration/view"

const (
	// arbitrationEtcdTimeout bounds one request's etcd work (and the
	// client's dial): a healthy etcd commits a one-key transaction in
	// milliseconds; one that has not in 1.5 s is electing a leader or is
	// cut off from its quorum, and the data node is better served asking
	// another management server (store-unavailable) within its
	// ArbitrationTimeout (7.5 s by default).
	arbitrationEtcdTimeout = 1500 * time.Millisecond
	// arbitrationCASAttempts bounds the read and compare-and-swap loop.
	// A lost swap means another grant was recorded meanwhile, which
	// almost always decides the request at the next read; eight lost in
	// a row is a storm of ever newer bases, and the node asks again.
	arbitrationCASAttempts = 8
)

// viewGrant is the stored record (JSON; readers ignore unknown fields).
// Node lists are sorted and without repeats.
type viewGrant struct {
	Generation uint64    `json:"generation"`
	Base       uint64    `json:"base"`
	Proposed   []uint32  `json:"proposed"`
	Side       []uint32  `json:"side,omitempty"`
	President  uint32    `json:"president"`
	GrantedAt  time.Time `json:"grantedAt"`
	GrantedBy  uint32    `json:"grantedBy"`
	Grants     uint64    `json:"grants"`
}

func (g *viewGrant) api() *mgmapi.ArbitrationGrant {
	return &mgmapi.ArbitrationGrant{Generation: g.Generation, Base: g.Base, Proposed: g.Proposed, Side: g.Side,
		President: g.President, GrantedAt: g.GrantedAt, GrantedBy: g.GrantedBy, Grants: g.Grants}
}

// compare orders records by (generation, base).
func (g *viewGrant) compare(o *viewGrant) int {
	if c := cmp.Compare(g.Generation, o.Generation); c != 0 {
		return c
	}
	return cmp.Compare(g.Base, o.Base)
}

// arbiter serves mgmapi.ArbitrationService for a Server.
type arbiter struct {
	s   *Server
	key string
	now func() time.Time

	mu  sync.Mutex
	cli *clientv3.Client // made at the first request, closed when s stops
}

var _ mgmapi.ArbitrationService = (*arbiter)(nil)

// newArbiter is the arbitrator of s; s.ctx must be set (it ends the
// arbiter's etcd client).
func newArbiter(s *Server) *arbiter {
	return &arbiter{s: s, key: s.st.Prefix() + arbitrationKey, now: time.Now}
}

// client returns the arbiter's etcd client, making it at the first call.
func (a *arbiter) client() (*clientv3.Client, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cli != nil {
		return a.cli, nil
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   a.s.st.Endpoints(),
		DialTimeout: arbitrationEtcdTimeout,
		// Errors reach the caller and the server's log through
		// ArbitrateView; the etcd client's own chatter is dropped.
		Logger:               zap.NewNop(),
		DialKeepAliveTime:    arbitrationEtcdTimeout,
		DialKeepAliveTimeout: arbitrationEtcdTimeout,
	})
	if err != nil {
		return nil, err
	}
	a.cli = cli
	context.AfterFunc(a.s.ctx, func() { cli.Close() })
	return cli, nil
}

// ArbitrateView decides a request by the rules above.
func (a *arbiter) ArbitrateView(ctx context.Context, req *mgmapi.ArbitrateViewRequest) (*mgmapi.ArbitrateViewReply, error) {
	if err := a.s.live(); err != nil {
		return nil, err
	}
	want, err := checkViewRequest(req)
	if err != nil {
		return nil, err
	}
	cli, err := a.client()
	if err != nil {
		return nil, mgmapi.Errorf(mgmapi.CodeStoreUnavailable, "arbitration: etcd client for %v: %v", a.s.st.Endpoints(), err)
	}
	ectx, cancel := context.WithTimeout(ctx, arbitrationEtcdTimeout)
	defer cancel()
	held, granted, fresh, err := a.decide(ectx, cli, want)
	if err != nil {
		switch {
		case a.s.stopping.Load():
			return nil, mgmapi.Errorf(mgmapi.CodeShuttingDown, "management server %d is stopping", a.s.cfg.NodeID)
		case ctx.Err() != nil:
			return nil, ctx.Err() // the caller gave up
		}
		var ae *mgmapi.Error
		if errors.As(err, &ae) {
			a.s.log.Error("mgmd: arbitration", "err", err)
			return nil, err
		}
		a.s.log.Warn("mgmd: arbitration: etcd", "generation", want.Generation, "base", want.Base,
			"president", want.President, "err", err)
		return nil, mgmapi.Errorf(mgmapi.CodeStoreUnavailable, "arbitration of node %d's request: etcd: %v", want.President, err)
	}
	rep := &mgmapi.ArbitrateViewReply{Granted: granted, Grant: held.api()}
	me := a.s.cfg.NodeID
	switch {
	case fresh:
		a.s.clog.add(mgmapi.SeverityInfo, "Arbitration", want.President,
			"Node %d: arbitration granted to node %d: view %v after failure number %d (generation %d), side %v; grant %d",
			me, want.President, want.Proposed, want.Base, want.Generation, want.Side, held.Grants)
	case granted:
		a.s.log.Info("mgmd: arbitration granted again (repeated request)", "president", want.President,
			"proposed", want.Proposed, "base", want.Base, "generation", want.Generation, "side", want.Side)
	default:
		if want.compare(&held) < 0 {
			rep.Reason = fmt.Sprintf("generation %d failure number %d is older than the granted generation %d failure number %d",
				want.Generation, want.Base, held.Generation, held.Base)
		} else {
			rep.Reason = fmt.Sprintf("view %v after failure number %d was granted to node %d at %s, not view %v",
				held.Proposed, held.Base, held.President, held.GrantedAt.UTC().Format(time.RFC3339Nano), want.Proposed)
		}
		a.s.clog.add(mgmapi.SeverityWarning, "Arbitration", want.President,
			"Node %d: arbitration refused to node %d: view %v after failure number %d (generation %d), side %v: %s",
			me, want.President, want.Proposed, want.Base, want.Generation, want.Side, rep.Reason)
	}
	return rep, nil
}

// decide reads the record and grants, refuses, or records want. held is
// the record after the call; fresh says want was written now.
func (a *arbiter) decide(ctx context.Context, kv clientv3.KV, want viewGrant) (held viewGrant, granted, fresh bool, err error) {
	for range arbitrationCASAttempts {
		r, err := kv.Get(ctx, a.key)
		if err != nil {
			return held, false, false, err
		}
		var rev int64
		next := want
		next.Grants = 1
		if len(r.Kvs) > 0 {
			rev = r.Kvs[0].ModRevision
			var cur viewGrant
			if err := json.Unmarshal(r.Kvs[0].Value, &cur); err != nil {
				return held, false, false, mgmapi.Errorf(mgmapi.CodeInternal,
					"arbitration record %s at revision %d does not decode (delete it to arbitrate again): %v", a.key, rev, err)
			}
			switch c := want.compare(&cur); {
			case c < 0:
				return cur, false, false, nil
			case c == 0:
				return cur, slices.Equal(cur.Proposed, want.Proposed), false, nil
			}
			next.Grants = cur.Grants + 1
		}
		next.GrantedAt, next.GrantedBy = a.now(), a.s.cfg.NodeID
		b, err := json.Marshal(&next)
		if err != nil {
			return held, false, false, err
		}
		tr, err := kv.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(a.key), "=", rev)).
			Then(clientv3.OpPut(a.key, string(b))).
			Commit()
		if err != nil {
			// The put may have been applied: the next request (this
			// node's again, through any server) finds it and, as a
			// repeat, is granted.
			return held, false, false, err
		}
		if tr.Succeeded {
			return next, true, true, nil
		}
	}
	return held, false, false, fmt.Errorf("%s changed %d times while deciding; ask again", a.key, arbitrationCASAttempts)
}

// checkViewRequest validates req and returns it as a record: node lists
// sorted without repeats.
func checkViewRequest(req *mgmapi.ArbitrateViewRequest) (viewGrant, error) {
	if req.President == 0 || req.President > config.MaxNodeID {
		return viewGrant{}, mgmapi.Errorf(mgmapi.CodeInvalid, "arbitration request: president %d is not a node id (1..%d)", req.President, config.MaxNodeID)
	}
	proposed, err := nodeList("proposed", req.Proposed)
	if err != nil {
		return viewGrant{}, err
	}
	if len(proposed) == 0 {
		return viewGrant{}, mgmapi.Errorf(mgmapi.CodeInvalid, "arbitration request from node %d proposes an empty view", req.President)
	}
	side, err := nodeList("side", req.Side)
	if err != nil {
		return viewGrant{}, err
	}
	return viewGrant{Generation: req.Generation, Base: req.Base, Proposed: proposed, Side: side, President: req.President}, nil
}

func nodeList(what string, ids []uint32) ([]uint32, error) {
	out := slices.Clone(ids)
	slices.Sort(out)
	out = slices.Compact(out)
	for _, id := range out {
		if id == 0 || id > config.MaxNodeID {
			return nil, mgmapi.Errorf(mgmapi.CodeInvalid, "arbitration request: %s node %d is not a node id (1..%d)", what, id, config.MaxNodeID)
		}
	}
	return out, nil
}
