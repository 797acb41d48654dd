package grpcx

import (
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/gondb/gondb/signal"
)

// The hand-written service: gondb.Transport/Frames, bidirectional streaming.
const (
	serviceName  = "gondb.Transport"
	framesName   = "Frames"
	framesMethod = "/" + serviceName + "/" + framesName
)

// Hello metadata keys (see the package doc).
const (
	mdNodeID = "gondb-node-id" // the sender's own id (request and response)
	mdPeerID = "gondb-peer-id" // the id the dialer means to reach (request)
)

// framesServer is what the service's handler is registered on.
type framesServer interface {
	serveFrames(grpc.ServerStream) error
}

var framesStreamDesc = grpc.StreamDesc{
	StreamName:    framesName,
	ServerStreams: true,
	ClientStreams: true,
}

var serviceDesc = grpc.ServiceDesc{
	ServiceName: serviceName,
	HandlerType: (*framesServer)(nil),
	Streams: []grpc.StreamDesc{{
		StreamName:    framesName,
		ServerStreams: true,
		ClientStreams: true,
		Handler: func(srv any, ss grpc.ServerStream) error {
			return srv.(framesServer).serveFrames(ss)
		},
	}},
	Metadata: "gondb/transport/grpcx",
}

// helloID reads one node id from metadata.
func helloID(md metadata.MD, key string) (signal.NodeID, error) {
	v := md.Get(key)
	if len(v) != 1 {
		return 0, errNoHello
	}
	n, err := strconv.ParseUint(v[0], 10, 16)
	if err != nil || n == 0 || n > signal.MaxNodeID {
		return 0, errBadNodeID
	}
	return signal.NodeID(n), nil
}

func idString(id signal.NodeID) string { return strconv.Itoa(int(id)) }
