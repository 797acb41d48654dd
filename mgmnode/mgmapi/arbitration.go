package mgmapi

import (
	"context"
	"time"

	"google.golang.org/grpc"
)

// The arbitrator of the data nodes' view changes (datanode/qmgr's
// Arbitrator contract) is a third gRPC service on the same server and
// connection, gondb.mgm.Arbitration, so that the Management service's
// interface stays as it is. Every management server answers from the
// shared etcd; no forwarding between servers.
//
// It replaces nothing: the Management service's Arbitrate (a ticket per
// membership round, the grant held as a lease) stays for its callers. A
// server that predates this service answers codes.Unimplemented, which a
// data node takes as no verdict (its ArbitrationTimeout decides).
const ArbitrationServiceName = "gondb.mgm.Arbitration"

// MethodArbitrateView is /gondb.mgm.Arbitration/ArbitrateView.
const MethodArbitrateView = "ArbitrateView"

// ArbitrateViewRequest is one side of a split data node cluster asking to
// commit its next view (qmgr.ArbitrationRequest). Node sets travel as
// lists of node ids; order and repeats do not matter.
//
// The rules (one grant per (Generation, Base), ever): the first request
// of a (Generation, Base) above the last granted one is granted and
// recorded; a request with the recorded (Generation, Base) is granted if
// it proposes the recorded set (a new president of the winning side
// repeating the request) and refused otherwise; a request below the
// recorded (Generation, Base) is refused. (Generation, Base) pairs are
// ordered by Generation, then Base.
type ArbitrateViewRequest struct {
	// Generation is the cluster's system start.
	Generation uint64 `json:"generation"`
	// Base is the failure number of the view both sides start from.
	Base uint64 `json:"base"`
	// Proposed is the membership the side wants to commit next; at least
	// one node.
	Proposed []uint32 `json:"proposed"`
	// Side are the data nodes on the asking side (for logs).
	Side []uint32 `json:"side,omitempty"`
	// President is the asking node.
	President uint32 `json:"president"`
}

// ArbitrateViewReply is the verdict. Only Granted lets the side go on; a
// refusal is final for the request. An error (any server's) is no
// verdict: the side asks again or its ArbitrationTimeout decides.
type ArbitrateViewReply struct {
	Granted bool `json:"granted"`
	// Grant is the grant recorded after the call: the request's own when
	// Granted, the one that beats it when refused.
	Grant *ArbitrationGrant `json:"grant,omitempty"`
	// Reason says why not, when refused.
	Reason string `json:"reason,omitempty"`
}

// ArbitrationGrant is the arbitrator's record of the last granted view.
type ArbitrationGrant struct {
	Generation uint64   `json:"generation"`
	Base       uint64   `json:"base"`
	Proposed   []uint32 `json:"proposed"`
	Side       []uint32 `json:"side,omitempty"`
	President  uint32   `json:"president"`
	// GrantedAt is when it was granted, by the management server
	// GrantedBy (node id).
	GrantedAt time.Time `json:"grantedAt"`
	GrantedBy uint32    `json:"grantedBy"`
	// Grants counts the grants recorded for the cluster so far, this one
	// included (repeats of a granted request are not counted).
	Grants uint64 `json:"grants"`
}

// ArbitrationService is what a management server implements for the
// arbitrator. Methods are called concurrently.
type ArbitrationService interface {
	ArbitrateView(context.Context, *ArbitrateViewRequest) (*ArbitrateViewReply, error)
}

var arbitrationDesc = grpc.ServiceDesc{
	ServiceName: ArbitrationServiceName,
	HandlerType: (*ArbitrationService)(nil),
	Methods: []grpc.MethodDesc{
		unary(ArbitrationServiceName, MethodArbitrateView, ArbitrationService.ArbitrateView),
	},
	Metadata: "gondb/mgmnode/mgmapi",
}

// RegisterArbitration adds the Arbitration service, implemented by impl,
// to s (made with ServerOptions, which also apply to it).
func RegisterArbitration(s *grpc.Server, impl ArbitrationService) {
	s.RegisterService(&arbitrationDesc, impl)
}

func (c *Client) ArbitrateView(ctx context.Context, r *ArbitrateViewRequest, o ...grpc.CallOption) (*ArbitrateViewReply, error) {
	return invoke[ArbitrateViewRequest, ArbitrateViewReply](c, ctx, ArbitrationServiceName, MethodArbitrateView, r, o)
}
