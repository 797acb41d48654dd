package client

import (
	"context"
	"time"

	"github.com/gondb/gondb/mgmnode/mgmapi"
)

// arbitrateAttempt bounds ArbitrateView's call to one management server.
// The server gives up on its etcd after 1.5 s (store-unavailable) and the
// client then tries the next server; 2.5 s also moves on from a server
// that does not answer at all, so that with two or three servers a
// verdict still arrives within the data nodes' ArbitrationTimeout (7.5 s
// by default).
const arbitrateAttempt = 2500 * time.Millisecond

// ArbitrateView asks the arbitrator to grant a side of a split data node
// cluster its next view (mgmapi.ArbitrateViewRequest has the rules). A
// reply is a verdict: rep.Granted, or a refusal with rep.Reason, final for
// that request. An error is no verdict: the servers could not be reached
// or could not reach etcd (each server of the connect string is tried, at
// most 2.5 s each), the request was invalid, or the server predates the
// arbitration service (codes.Unimplemented). Asking again with the same
// request is always safe: a granted request is granted again.
func (c *Conn) ArbitrateView(ctx context.Context, req *mgmapi.ArbitrateViewRequest) (*mgmapi.ArbitrateViewReply, error) {
	return callEach(c, ctx, arbitrateAttempt, func(ctx context.Context, cl *mgmapi.Client) (*mgmapi.ArbitrateViewReply, error) {
		return cl.ArbitrateView(ctx, req)
	})
}
