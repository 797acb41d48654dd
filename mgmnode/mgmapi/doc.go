// Package mgmapi is the management API's wire contract: the messages that
// data nodes, SQL nodes, API nodes and the management client exchange with
// a management server (gondb mgmd), the gRPC service they travel on, the
// codec, the protocol version and the error codes.
//
// # Service and codec
//
// The service is declared by hand (no protoc, no generated code), as
// transport/grpcx does:
//
//	service gondb.mgm.Management {
//	  rpc AllocNodeID(AllocNodeIDRequest) returns (AllocNodeIDReply);
//	  rpc FetchConfig(FetchConfigRequest) returns (ConfigReply);
//	  rpc SetConfig(SetConfigRequest)     returns (ConfigReply);
//	  rpc ReportState(StateReport)        returns (Empty);
//	  rpc Heartbeat(HeartbeatRequest)     returns (HeartbeatReply);
//	  rpc Release(NodeRef)                returns (Empty);
//	  rpc Subscribe(NodeRef)              returns (stream Event);
//	  rpc Status(StatusRequest)           returns (StatusReply);
//	  rpc Command(CommandRequest)         returns (CommandReply);
//	  rpc Shutdown(ShutdownRequest)       returns (ShutdownReply);
//	  rpc ClusterLog(ClusterLogRequest)   returns (ClusterLogReply);
//	  rpc Arbitrate(ArbitrateRequest)     returns (ArbitrateReply);
//	}
//
// Two more services share the server and the connection (so that this
// interface stays as it is): gondb.mgm.Dictionary (dict.go, the schema
// dictionary) and gondb.mgm.Arbitration (arbitration.go, the data nodes'
// arbitrator: rpc ArbitrateView(ArbitrateViewRequest) returns
// (ArbitrateViewReply)). A server without one answers Unimplemented.
//
// Messages are JSON objects (the "gondb-mgm-json" codec, forced on both
// sides; content-subtype application/grpc+gondb-mgm-json). Management
// traffic is a few messages per node per second, so readability and
// forward compatibility matter more than bytes: a reader ignores fields it
// does not know, a writer leaves out fields at their zero value where the
// tag says omitempty, and enums travel as their names ("STARTED"), never
// as numbers. JSON has no byte order; integers are decimal, 64-bit ones
// exact. docs/mgmapi.md describes every message.
//
// # Protocol version
//
// Every call carries the caller's protocol version in the request metadata
// key "gondb-mgmapi-version" (DialOptions adds it). A server refuses a
// version outside MinProtocolVersion..ProtocolVersion with
// CodeVersionMismatch before the handler runs.
//
// # Errors
//
// A handler's *Error travels as a gRPC status whose message is
// "<code>: <text>" (and whose gRPC code fits: NotFound, AlreadyExists, ...).
// DialOptions' interceptors turn it back into an *Error on the client, so
// callers test errors.Is(err, mgmapi.ErrNoFreeNodeID) and never parse
// strings. Transport failures stay gRPC statuses (codes.Unavailable), which
// is how a client knows to try the next management server.
//
// # Imports
//
// mgmapi imports only the standard library and gRPC. It never imports
// mgmnode/state (etcd) or the rest of gondb, so every node kind can link
// the management client without pulling in an etcd server.
package mgmapi
