package state

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// ArbitrationRequest is one side of a split cluster asking to go on.
type ArbitrationRequest struct {
	// Ticket identifies the membership round the split happened in; both
	// sides of one split carry the same ticket, and every new membership
	// gets a higher one.
	Ticket uint64
	// Requester is the node asking (the side's president).
	Requester uint32
	// SideNodes are the data nodes on the requester's side.
	SideNodes []uint32
}

// ArbitrationDecision is the arbitrator's record of a round's winner.
type ArbitrationDecision struct {
	Ticket    uint64    `json:"ticket"`
	Winner    uint32    `json:"winner"`
	Side      []uint32  `json:"side"`
	DecidedAt time.Time `json:"decidedAt"`
}

// Arbitrate answers a side that cannot prove it is the majority. Granted
// is true exactly when err is nil; a refusal is an error matching
// ErrArbitrationLost, and any other error (etcd unreachable) must be taken
// as a refusal too: a side goes on only when it holds the grant.
//
// The rules, per ticket (membership round):
//   - The first request for a ticket higher than any seen wins. The
//     decision is written in one etcd transaction that compares the round
//     record's revision, so of two concurrent requests, through one mgmd or
//     two sharing the etcd, exactly one wins.
//   - The win is held as an etcd lease of Options.ArbitrationTimeout.
//     While it is held, a request for the same ticket from a node of the
//     winning side is granted again (a retry after a lost reply, or another
//     node of that side); every other request for the ticket is refused.
//   - After the lease ends the round stays decided: every request for that
//     ticket is refused (the winner has had its answer; a late side must
//     not win too). The round record itself never expires.
//   - A request for a ticket lower than the last decided one is refused: it
//     comes from a membership that has been replaced.
func (s *Store) Arbitrate(ctx context.Context, req ArbitrationRequest) (bool, error) {
	if req.Ticket == 0 || req.Requester == 0 || req.Requester > MaxNodeID {
		return false, fmt.Errorf("arbitrate: ticket %d requester %d: %w", req.Ticket, req.Requester, ErrInvalidArgument)
	}
	side := slices.Clone(req.SideNodes)
	if !slices.Contains(side, req.Requester) {
		side = append(side, req.Requester)
	}
	slices.Sort(side)
	side = slices.Compact(side)

	ctx, cancel, err := s.ctx(ctx)
	if err != nil {
		return false, err
	}
	defer cancel()
	roundKey, grantKey := s.k.arbRound(), s.k.arbGrant()
	for {
		r, err := s.cli.Txn(ctx).Then(clientv3.OpGet(roundKey), clientv3.OpGet(grantKey)).Commit()
		if err != nil {
			return false, s.etcdErr("arbitrate", err)
		}
		var round, grant *ArbitrationDecision
		var roundRev int64
		if kvs := r.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
			roundRev = kvs[0].ModRevision
			if round, err = decodeDecision(roundKey, kvs[0].Value); err != nil {
				return false, err
			}
		}
		if kvs := r.Responses[1].GetResponseRange().Kvs; len(kvs) > 0 {
			if grant, err = decodeDecision(grantKey, kvs[0].Value); err != nil {
				return false, err
			}
		}
		if round != nil && round.Ticket > req.Ticket {
			return false, fmt.Errorf("arbitrate ticket %d for node %d: stale, round %d is decided: %w",
				req.Ticket, req.Requester, round.Ticket, ErrArbitrationLost)
		}
		if round != nil && round.Ticket == req.Ticket {
			if grant != nil && grant.Ticket == req.Ticket && slices.Contains(grant.Side, req.Requester) {
				return true, nil
			}
			return false, fmt.Errorf("arbitrate ticket %d for node %d: node %d won with side %v at %s: %w",
				req.Ticket, req.Requester, round.Winner, round.Side, round.DecidedAt.Format(time.RFC3339Nano), ErrArbitrationLost)
		}

		// A new round: try to be its first request.
		d := ArbitrationDecision{Ticket: req.Ticket, Winner: req.Requester, Side: side, DecidedAt: time.Now()}
		b, err := json.Marshal(&d)
		if err != nil {
			return false, err
		}
		g, err := s.cli.Grant(ctx, ttlSeconds(s.opts.ArbitrationTimeout))
		if err != nil {
			return false, s.etcdErr("arbitrate: grant lease", err)
		}
		tr, err := s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(roundKey), "=", roundRev)).
			Then(clientv3.OpPut(roundKey, string(b)), clientv3.OpPut(grantKey, string(b), clientv3.WithLease(g.ID))).
			Commit()
		if err != nil {
			s.revoke(g.ID)
			return false, s.etcdErr("arbitrate", err)
		}
		if tr.Succeeded {
			s.log.Info("arbitration granted", "ticket", req.Ticket, "node", req.Requester, "side", side)
			return true, nil
		}
		s.revoke(g.ID) // someone decided first; read their decision
	}
}

// Arbitration returns the last decided round, and whether its grant lease
// is still held. ok is false when no round was ever decided.
func (s *Store) Arbitration(ctx context.Context) (d ArbitrationDecision, held, ok bool, err error) {
	ctx, cancel, err := s.ctx(ctx)
	if err != nil {
		return d, false, false, err
	}
	defer cancel()
	r, err := s.cli.Txn(ctx).Then(clientv3.OpGet(s.k.arbRound()), clientv3.OpGet(s.k.arbGrant())).Commit()
	if err != nil {
		return d, false, false, s.etcdErr("read arbitration", err)
	}
	kvs := r.Responses[0].GetResponseRange().Kvs
	if len(kvs) == 0 {
		return d, false, false, nil
	}
	p, err := decodeDecision(s.k.arbRound(), kvs[0].Value)
	if err != nil {
		return d, false, false, err
	}
	if g := r.Responses[1].GetResponseRange().Kvs; len(g) > 0 {
		gd, err := decodeDecision(s.k.arbGrant(), g[0].Value)
		if err != nil {
			return d, false, false, err
		}
		held = gd.Ticket == p.Ticket
	}
	return *p, held, true, nil
}

func decodeDecision(key string, val []byte) (*ArbitrationDecision, error) {
	var d ArbitrationDecision
	if err := json.Unmarshal(val, &d); err != nil {
		return nil, corrupt(key, err)
	}
	return &d, nil
}
