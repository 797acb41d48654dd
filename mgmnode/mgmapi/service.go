package mgmapi

import (
	"context"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// Protocol versions. A change that an older peer cannot ignore raises
// ProtocolVersion; MinProtocolVersion is the oldest still served.
//
//	1: the first management API.
const (
	ProtocolVersion    = 1
	MinProtocolVersion = 1
)

// ServiceName is the gRPC service's full name.
const ServiceName = "gondb.mgm.Management"

// mdVersion is the request metadata key carrying the caller's version.
const mdVersion = "gondb-mgmapi-version"

// Method names, as they appear in the gRPC path /gondb.mgm.Management/<name>.
const (
	MethodAllocNodeID = "AllocNodeID"
	MethodFetchConfig = "FetchConfig"
	MethodSetConfig   = "SetConfig"
	MethodReportState = "ReportState"
	MethodHeartbeat   = "Heartbeat"
	MethodRelease     = "Release"
	MethodSubscribe   = "Subscribe"
	MethodStatus      = "Status"
	MethodCommand     = "Command"
	MethodShutdown    = "Shutdown"
	MethodClusterLog  = "ClusterLog"
	MethodArbitrate   = "Arbitrate"
)

// Service is what a management server implements. Methods are called
// concurrently, one goroutine per call. Errors should be *Error; anything
// else reaches the caller as CodeInternal.
type Service interface {
	AllocNodeID(context.Context, *AllocNodeIDRequest) (*AllocNodeIDReply, error)
	FetchConfig(context.Context, *FetchConfigRequest) (*ConfigReply, error)
	SetConfig(context.Context, *SetConfigRequest) (*ConfigReply, error)
	ReportState(context.Context, *StateReport) (*Empty, error)
	Heartbeat(context.Context, *HeartbeatRequest) (*HeartbeatReply, error)
	Release(context.Context, *NodeRef) (*Empty, error)
	// Subscribe sends the node's events on stream until the node goes
	// away (stream.Context() ends) or the server stops.
	Subscribe(*NodeRef, EventStream) error
	Status(context.Context, *StatusRequest) (*StatusReply, error)
	Command(context.Context, *CommandRequest) (*CommandReply, error)
	Shutdown(context.Context, *ShutdownRequest) (*ShutdownReply, error)
	ClusterLog(context.Context, *ClusterLogRequest) (*ClusterLogReply, error)
	Arbitrate(context.Context, *ArbitrateRequest) (*ArbitrateReply, error)
}

// EventStream is the server side of a subscription. Send is not safe for
// concurrent use: one goroutine sends.
type EventStream interface {
	Context() context.Context
	Send(*Event) error
}

// unary is the method descriptor of a unary call of service S (Service or
// DictionaryService) named service/name.
func unary[S, Req, Rep any](service, name string, call func(S, context.Context, *Req) (*Rep, error)) grpc.MethodDesc {
	full := "/" + service + "/" + name
	return grpc.MethodDesc{
		MethodName: name,
		Handler: func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			req := new(Req)
			if err := dec(req); err != nil {
				return nil, err
			}
			if ic == nil {
				return call(srv.(S), ctx, req)
			}
			return ic(ctx, req, &grpc.UnaryServerInfo{Server: srv, FullMethod: full},
				func(ctx context.Context, r any) (any, error) { return call(srv.(S), ctx, r.(*Req)) })
		},
	}
}

type eventServerStream struct{ grpc.ServerStream }

func (s eventServerStream) Send(e *Event) error { return s.SendMsg(e) }

var serviceDesc = grpc.ServiceDesc{
	ServiceName: ServiceName,
	HandlerType: (*Service)(nil),
	Methods: []grpc.MethodDesc{
		unary(ServiceName, MethodAllocNodeID, Service.AllocNodeID),
		unary(ServiceName, MethodFetchConfig, Service.FetchConfig),
		unary(ServiceName, MethodSetConfig, Service.SetConfig),
		unary(ServiceName, MethodReportState, Service.ReportState),
		unary(ServiceName, MethodHeartbeat, Service.Heartbeat),
		unary(ServiceName, MethodRelease, Service.Release),
		unary(ServiceName, MethodStatus, Service.Status),
		unary(ServiceName, MethodCommand, Service.Command),
		unary(ServiceName, MethodShutdown, Service.Shutdown),
		unary(ServiceName, MethodClusterLog, Service.ClusterLog),
		unary(ServiceName, MethodArbitrate, Service.Arbitrate),
	},
	Streams: []grpc.StreamDesc{{
		StreamName:    MethodSubscribe,
		ServerStreams: true,
		Handler: func(srv any, ss grpc.ServerStream) error {
			req := new(NodeRef)
			if err := ss.RecvMsg(req); err != nil {
				return err
			}
			return srv.(Service).Subscribe(req, eventServerStream{ss})
		},
	}},
	Metadata: "gondb/mgmnode/mgmapi",
}

var subscribeDesc = grpc.StreamDesc{StreamName: MethodSubscribe, ServerStreams: true}

// Register adds the Management service, implemented by impl, to s. s must
// have been made with ServerOptions.
func Register(s *grpc.Server, impl Service) { s.RegisterService(&serviceDesc, impl) }

// ServerOptions are the options a management server's grpc.Server needs:
// the codec, the protocol version check and the error mapping.
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.ForceServerCodecV2(jsonCodec{}),
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if err := checkVersion(ctx); err != nil {
				return nil, toStatus(err)
			}
			rep, err := h(ctx, req)
			return rep, toStatus(err)
		}),
		grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			if err := checkVersion(ss.Context()); err != nil {
				return toStatus(err)
			}
			return toStatus(h(srv, ss))
		}),
	}
}

func checkVersion(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	v := md.Get(mdVersion)
	if len(v) != 1 {
		return Errorf(CodeVersionMismatch, "request without %s metadata: not a gondb management client", mdVersion)
	}
	n, err := strconv.Atoi(v[0])
	if err != nil || n < MinProtocolVersion || n > ProtocolVersion {
		return Errorf(CodeVersionMismatch, "management API protocol version %q is not served here (versions %d to %d)",
			v[0], MinProtocolVersion, ProtocolVersion)
	}
	return nil
}

// DialOptions are the options a client connection to a management server
// needs: the codec, the protocol version in every call's metadata, and
// the mapping of received statuses back to *Error.
func DialOptions() []grpc.DialOption {
	ver := strconv.Itoa(ProtocolVersion)
	return []grpc.DialOption{
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(jsonCodec{})),
		grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, rep any, cc *grpc.ClientConn, inv grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			ctx = metadata.AppendToOutgoingContext(ctx, mdVersion, ver)
			return fromStatus(inv(ctx, method, req, rep, cc, opts...))
		}),
		grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, st grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			ctx = metadata.AppendToOutgoingContext(ctx, mdVersion, ver)
			cs, err := st(ctx, desc, cc, method, opts...)
			if err != nil {
				return nil, fromStatus(err)
			}
			return errMappingStream{cs}, nil
		}),
	}
}

type errMappingStream struct{ grpc.ClientStream }

func (s errMappingStream) RecvMsg(m any) error { return fromStatus(s.ClientStream.RecvMsg(m)) }
func (s errMappingStream) SendMsg(m any) error { return fromStatus(s.ClientStream.SendMsg(m)) }

// Client calls the Management service over a connection made with
// DialOptions. It is as safe for concurrent use as the connection.
type Client struct{ cc grpc.ClientConnInterface }

// NewClient wraps cc.
func NewClient(cc grpc.ClientConnInterface) *Client { return &Client{cc: cc} }

// invoke calls unary method service/name.
func invoke[Req, Rep any](c *Client, ctx context.Context, service, name string, req *Req, opts []grpc.CallOption) (*Rep, error) {
	rep := new(Rep)
	if err := c.cc.Invoke(ctx, "/"+service+"/"+name, req, rep, opts...); err != nil {
		return nil, err
	}
	return rep, nil
}

func (c *Client) AllocNodeID(ctx context.Context, r *AllocNodeIDRequest, o ...grpc.CallOption) (*AllocNodeIDReply, error) {
	return invoke[AllocNodeIDRequest, AllocNodeIDReply](c, ctx, ServiceName, MethodAllocNodeID, r, o)
}

func (c *Client) FetchConfig(ctx context.Context, r *FetchConfigRequest, o ...grpc.CallOption) (*ConfigReply, error) {
	return invoke[FetchConfigRequest, ConfigReply](c, ctx, ServiceName, MethodFetchConfig, r, o)
}

func (c *Client) SetConfig(ctx context.Context, r *SetConfigRequest, o ...grpc.CallOption) (*ConfigReply, error) {
	return invoke[SetConfigRequest, ConfigReply](c, ctx, ServiceName, MethodSetConfig, r, o)
}

func (c *Client) ReportState(ctx context.Context, r *StateReport, o ...grpc.CallOption) (*Empty, error) {
	return invoke[StateReport, Empty](c, ctx, ServiceName, MethodReportState, r, o)
}

func (c *Client) Heartbeat(ctx context.Context, r *HeartbeatRequest, o ...grpc.CallOption) (*HeartbeatReply, error) {
	return invoke[HeartbeatRequest, HeartbeatReply](c, ctx, ServiceName, MethodHeartbeat, r, o)
}

func (c *Client) Release(ctx context.Context, r *NodeRef, o ...grpc.CallOption) (*Empty, error) {
	return invoke[NodeRef, Empty](c, ctx, ServiceName, MethodRelease, r, o)
}

func (c *Client) Status(ctx context.Context, r *StatusRequest, o ...grpc.CallOption) (*StatusReply, error) {
	return invoke[StatusRequest, StatusReply](c, ctx, ServiceName, MethodStatus, r, o)
}

func (c *Client) Command(ctx context.Context, r *CommandRequest, o ...grpc.CallOption) (*CommandReply, error) {
	return invoke[CommandRequest, CommandReply](c, ctx, ServiceName, MethodCommand, r, o)
}

func (c *Client) Shutdown(ctx context.Context, r *ShutdownRequest, o ...grpc.CallOption) (*ShutdownReply, error) {
	return invoke[ShutdownRequest, ShutdownReply](c, ctx, ServiceName, MethodShutdown, r, o)
}

func (c *Client) ClusterLog(ctx context.Context, r *ClusterLogRequest, o ...grpc.CallOption) (*ClusterLogReply, error) {
	return invoke[ClusterLogRequest, ClusterLogReply](c, ctx, ServiceName, MethodClusterLog, r, o)
}

func (c *Client) Arbitrate(ctx context.Context, r *ArbitrateRequest, o ...grpc.CallOption) (*ArbitrateReply, error) {
	return invoke[ArbitrateRequest, ArbitrateReply](c, ctx, ServiceName, MethodArbitrate, r, o)
}

// EventReceiver is the client side of a subscription.
type EventReceiver interface {
	// Recv returns the next event, or the error that ended the stream.
	Recv() (*Event, error)
}

// recvStream is the client side of a server stream of T messages.
type recvStream[T any] struct{ grpc.ClientStream }

func (s recvStream[T]) Recv() (*T, error) {
	e := new(T)
	if err := s.RecvMsg(e); err != nil {
		return nil, err
	}
	return e, nil
}

// openStream opens a server stream, sends its one request and closes the
// sending side.
func openStream[T any](ctx context.Context, c *Client, desc *grpc.StreamDesc, method string, req any, o []grpc.CallOption) (*recvStream[T], error) {
	cs, err := c.cc.NewStream(ctx, desc, method, o...)
	if err != nil {
		return nil, err
	}
	if err := cs.SendMsg(req); err != nil {
		return nil, err
	}
	if err := cs.CloseSend(); err != nil {
		return nil, err
	}
	return &recvStream[T]{cs}, nil
}

// Subscribe opens the node's event stream; cancel ctx to end it.
func (c *Client) Subscribe(ctx context.Context, r *NodeRef, o ...grpc.CallOption) (EventReceiver, error) {
	s, err := openStream[Event](ctx, c, &subscribeDesc, "/"+ServiceName+"/"+MethodSubscribe, r, o)
	if err != nil {
		return nil, err
	}
	return s, nil
}
