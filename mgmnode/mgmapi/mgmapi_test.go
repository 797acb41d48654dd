package mgmapi

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// The names on the wire are the protocol: pin them.
func TestEnumNames(t *testing.T) {
	pins := map[string]string{
		TypeData.String(): "data", TypeMgm.String(): "mgm", TypeSQL.String(): "sql", TypeAPI.String(): "api",
		StatusNotConnected.String(): "NOT_CONNECTED", StatusNotStarted.String(): "NOT_STARTED",
		StatusStarting.String(): "STARTING", StatusStarted.String(): "STARTED", StatusStopping.String(): "STOPPING",
		string(CmdStop): "STOP", string(CmdStart): "START", string(CmdRestart): "RESTART",
		string(EventSubscribed): "subscribed", string(EventCommand): "command", string(EventConfig): "config",
		TypeData.Section(): "[ndbd]", TypeSQL.Section(): "[mysqld]",
		StatusStopping.Words(): "shutting down", StatusNotStarted.Words(): "not started",
	}
	for got, want := range pins {
		if got != want {
			t.Errorf("name %q, want %q", got, want)
		}
	}
	for _, s := range []NodeStatus{StatusNotConnected, StatusNotStarted, StatusStarting, StatusStarted, StatusStopping} {
		b, err := s.MarshalText()
		var back NodeStatus
		if err != nil || back.UnmarshalText(b) != nil || back != s {
			t.Errorf("status %v: round trip %v, %v", s, back, err)
		}
	}
	for _, ty := range []NodeType{TypeData, TypeMgm, TypeSQL, TypeAPI} {
		b, err := ty.MarshalText()
		var back NodeType
		if err != nil || back.UnmarshalText(b) != nil || back != ty {
			t.Errorf("type %v: round trip %v, %v", ty, back, err)
		}
	}
	// A newer peer's value reads as unknown rather than failing the message.
	var s NodeStatus
	if err := s.UnmarshalText([]byte("SINGLE_USER")); err != nil || s.Valid() || s.Words() != "unknown" {
		t.Errorf("unknown status: %v, %v", s, err)
	}
	if _, err := NodeStatus(0).MarshalText(); err == nil {
		t.Error("status 0 marshals")
	}
	if _, err := NodeType(9).MarshalText(); err == nil {
		t.Error("type 9 marshals")
	}
}

func TestCodec(t *testing.T) {
	c := jsonCodec{}
	in := &StatusReply{ConfigGeneration: 3, MgmNodeID: 1, Nodes: []NodeInfo{{
		NodeID: 2, Type: TypeData, Host: "10.0.0.2", Status: StatusStarting, StartPhase: 4, NodeGroup: 0,
		Memory:        []MemoryUsage{{Resource: "Data", Used: 1 << 40, Total: 1<<63 + 5, PageSize: 32768}},
		LastHeartbeat: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC),
	}}}
	b, err := c.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"configGeneration":3,"mgmNodeId":1,"nodes":[{"nodeId":2,"type":"data","host":"10.0.0.2","status":"STARTING","startPhase":4,"nodeGroup":0,` +
		`"memory":[{"resource":"Data","used":1099511627776,"total":9223372036854775813,"pageSize":32768}],"lastHeartbeat":"2025-01-02T03:04:05.000000006Z"}]}`
	if got := string(b.Materialize()); got != want {
		t.Fatalf("wire form\n got %s\nwant %s", got, want)
	}
	out := new(StatusReply)
	if err := c.Unmarshal(b, out); err != nil || !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip: %+v, %v", out, err)
	}
	// Unknown fields are ignored; garbage is an error, not a panic.
	var e Event
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer([]byte(`{"seq":2,"type":"command","new":[1,2]}`))}, &e); err != nil || e.Seq != 2 {
		t.Fatalf("unknown field: %+v, %v", e, err)
	}
	for _, bad := range []string{`{"seq":"x"}`, `{`, ``, `[]`} {
		if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer([]byte(bad))}, &e); err == nil {
			t.Errorf("%q decodes", bad)
		}
	}
	if _, err := c.Marshal(&StateReport{Status: 0}); err == nil {
		t.Error("a report without a status encodes")
	}
	if _, err := json.Marshal(AllocNodeIDRequest{Type: TypeAPI}); err != nil {
		t.Error(err)
	}
}

// stub implements Service with canned answers.
type stub struct {
	Service // nil: methods not overridden panic, and tests do not call them
	alloc   func(context.Context, *AllocNodeIDRequest) (*AllocNodeIDReply, error)
}

func (s *stub) AllocNodeID(ctx context.Context, r *AllocNodeIDRequest) (*AllocNodeIDReply, error) {
	return s.alloc(ctx, r)
}

func (s *stub) Subscribe(r *NodeRef, st EventStream) error {
	for i := range 3 {
		if err := st.Send(&Event{Seq: uint64(i + 1), Type: EventCommand, Command: &Command{Name: CmdStop}}); err != nil {
			return err
		}
	}
	return Errorf(CodeLeaseExpired, "node %d: gone", r.NodeID)
}

func serve(t *testing.T, svc Service) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(ServerOptions()...)
	Register(s, svc)
	go s.Serve(l)
	t.Cleanup(s.Stop)
	return l.Addr().String()
}

func TestErrorsAndVersionOverGRPC(t *testing.T) {
	addr := serve(t, &stub{alloc: func(_ context.Context, r *AllocNodeIDRequest) (*AllocNodeIDReply, error) {
		switch r.NodeID {
		case 1:
			return &AllocNodeIDReply{NodeID: 1, Lease: 77, Host: "h"}, nil
		case 2:
			return nil, Errorf(CodeNoFreeNodeID, "all 2 [api] slots are in use")
		case 3:
			return nil, errors.New("etcd exploded")
		}
		return nil, context.DeadlineExceeded
	}})
	cc, err := grpc.NewClient(addr, append(DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	c := NewClient(cc)
	ctx := context.Background()
	tests := []struct {
		id     uint32
		is     error
		msg    string
		code   codes.Code
		unavai bool
	}{
		{2, ErrNoFreeNodeID, "all 2 [api] slots are in use", 0, false},
		{3, ErrInternal, "etcd exploded", 0, false},
		{4, nil, "", codes.DeadlineExceeded, false},
	}
	if r, err := c.AllocNodeID(ctx, &AllocNodeIDRequest{Type: TypeAPI, NodeID: 1}); err != nil || r.Lease != 77 {
		t.Fatalf("ok call: %+v, %v", r, err)
	}
	for _, tt := range tests {
		_, err := c.AllocNodeID(ctx, &AllocNodeIDRequest{Type: TypeAPI, NodeID: tt.id})
		if tt.is != nil && (!errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.msg)) {
			t.Errorf("id %d: %v, want %v with %q", tt.id, err, tt.is, tt.msg)
		}
		if tt.code != 0 && status.Code(err) != tt.code {
			t.Errorf("id %d: %v, want code %v", tt.id, err, tt.code)
		}
		if IsUnavailable(err) {
			t.Errorf("id %d: %v counts as unavailable", tt.id, err)
		}
	}

	// A stream delivers its events, then the handler's error as *Error.
	rcv, err := c.Subscribe(ctx, &NodeRef{NodeID: 5, Lease: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		e, err := rcv.Recv()
		if err != nil || e.Seq != uint64(i) || e.Command.Name != CmdStop {
			t.Fatalf("event %d: %+v, %v", i, e, err)
		}
	}
	if _, err := rcv.Recv(); !errors.Is(err, ErrLeaseExpired) || err.Error() != "node 5: gone" {
		t.Fatalf("end of stream: %v", err)
	}

	// A caller speaking another protocol version is refused before the
	// handler runs.
	for _, md := range []metadata.MD{nil, metadata.Pairs(mdVersion, "99"), metadata.Pairs(mdVersion, "x")} {
		raw, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.ForceCodecV2(jsonCodec{})))
		if err != nil {
			t.Fatal(err)
		}
		ctx := metadata.NewOutgoingContext(context.Background(), md)
		err = raw.Invoke(ctx, "/"+ServiceName+"/"+MethodAllocNodeID, &AllocNodeIDRequest{Type: TypeAPI, NodeID: 1}, new(AllocNodeIDReply))
		raw.Close()
		if err = fromStatus(err); !errors.Is(err, ErrVersionMismatch) {
			t.Errorf("metadata %v: %v, want a version mismatch", md, err)
		}
	}

	// A server that is gone is "unavailable": the client tries another.
	dead, err := grpc.NewClient("127.0.0.1:1", append(DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	if _, err := NewClient(dead).Status(ctx, &StatusRequest{}); !IsUnavailable(err) {
		t.Errorf("dead server: %v, want unavailable", err)
	}
	if !IsUnavailable(Errorf(CodeShuttingDown, "bye")) {
		t.Error("shutting-down is not unavailable")
	}
}

func TestErrorMapping(t *testing.T) {
	for code, gc := range grpcCodes {
		st, _ := status.FromError(toStatus(Errorf(code, "text %d", 1)))
		if st.Code() != gc || st.Message() != string(code)+": text 1" {
			t.Errorf("%s: %v %q", code, st.Code(), st.Message())
		}
		back := fromStatus(st.Err())
		if !errors.Is(back, &Error{Code: code}) || back.Error() != "text 1" {
			t.Errorf("%s: back %v", code, back)
		}
	}
	// A status that is not ours stays as it is.
	other := status.Error(codes.NotFound, "nope: whatever")
	if fromStatus(other) != other {
		t.Error("foreign status rewritten")
	}
	if toStatus(nil) != nil || fromStatus(nil) != nil {
		t.Error("nil error mapped")
	}
}

// The wire names of a rolling restart and of a node restart's progress.
func TestCodecRolling(t *testing.T) {
	c := jsonCodec{}
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	in := &StatusReply{ConfigGeneration: 1, MgmNodeID: 1, Nodes: []NodeInfo{{NodeID: 3, Type: TypeData, Status: StatusStarting, StartPhase: 3,
		NodeRestart: &NodeRestartProgress{Step: "copying", FragmentsCopied: 5, Fragments: 12, RowsCopied: 1 << 40}}},
		Rolling: &RollingRestart{ID: 7, MgmNodeID: 1, Command: Command{Name: CmdRestart, Initial: true}, Began: at, Nodes: []RollingNode{
			{NodeID: 3, State: RollingRestarting, Began: at},
			{NodeID: 2, State: RollingWaiting},
			{NodeID: 4, NodeGroup: 1, State: RollingSkipped, Note: "not connected"}}}}
	b, err := c.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"configGeneration":1,"mgmNodeId":1,"nodes":[{"nodeId":3,"type":"data","status":"STARTING","startPhase":3,"nodeGroup":0,` +
		`"nodeRestart":{"step":"copying","fragmentsCopied":5,"fragments":12,"rowsCopied":1099511627776}}],` +
		`"rolling":{"id":7,"mgmNodeId":1,"command":{"name":"RESTART","initial":true},"began":"2025-01-02T03:04:05Z","nodes":[` +
		`{"nodeId":3,"nodeGroup":0,"state":"restarting","began":"2025-01-02T03:04:05Z"},{"nodeId":2,"nodeGroup":0,"state":"waiting"},` +
		`{"nodeId":4,"nodeGroup":1,"state":"skipped","note":"not connected"}]}}`
	if got := string(b.Materialize()); got != want {
		t.Fatalf("wire form\n got %s\nwant %s", got, want)
	}
	out := new(StatusReply)
	if err := c.Unmarshal(b, out); err != nil || !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip: %+v, %v", out, err)
	}
	if !out.Rolling.Running() {
		t.Error("a rolling restart without an end is not running")
	}
	rep, err := c.Marshal(&CommandReply{Results: []CommandResult{{NodeID: 2, Delivered: true}}, Note: "NodeFailover is off"})
	if err != nil || string(rep.Materialize()) != `{"results":[{"nodeId":2,"delivered":true}],"note":"NodeFailover is off"}` {
		t.Fatalf("CommandReply: %s, %v", rep.Materialize(), err)
	}
}
