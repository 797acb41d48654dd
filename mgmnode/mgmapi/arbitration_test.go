package mgmapi

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// The Arbitration service's names and messages on the wire are protocol:
// pin them.
func TestArbitrationWireForm(t *testing.T) {
	if ArbitrationServiceName != "gondb.mgm.Arbitration" || MethodArbitrateView != "ArbitrateView" {
		t.Fatalf("names: %s/%s", ArbitrationServiceName, MethodArbitrateView)
	}
	c := jsonCodec{}
	tests := []struct {
		in   any
		out  any
		want string
	}{
		{&ArbitrateViewRequest{Generation: 1 << 40, Base: 7, Proposed: []uint32{1, 3}, Side: []uint32{1}, President: 1},
			new(ArbitrateViewRequest),
			`{"generation":1099511627776,"base":7,"proposed":[1,3],"side":[1],"president":1}`},
		{&ArbitrateViewRequest{Base: 7, Proposed: []uint32{2}, President: 2},
			new(ArbitrateViewRequest),
			`{"generation":0,"base":7,"proposed":[2],"president":2}`},
		{&ArbitrateViewReply{Granted: true, Grant: &ArbitrationGrant{Generation: 1, Base: 7, Proposed: []uint32{1, 3},
			President: 1, GrantedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), GrantedBy: 49, Grants: 2}},
			new(ArbitrateViewReply),
			`{"granted":true,"grant":{"generation":1,"base":7,"proposed":[1,3],"president":1,"grantedAt":"2025-01-02T03:04:05Z","grantedBy":49,"grants":2}}`},
		{&ArbitrateViewReply{Reason: "no"}, new(ArbitrateViewReply), `{"granted":false,"reason":"no"}`},
	}
	for _, tt := range tests {
		b, err := c.Marshal(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(b.Materialize()); got != tt.want {
			t.Errorf("wire form\n got %s\nwant %s", got, tt.want)
		}
		if err := c.Unmarshal(b, tt.out); err != nil || !reflect.DeepEqual(tt.in, tt.out) {
			t.Errorf("round trip: %+v, %v", tt.out, err)
		}
	}
}

// A server without the Arbitration service (an older mgmd) answers
// Unimplemented, which is not "unavailable": the caller gets no verdict
// and does not fail over in a loop. store-unavailable does fail over.
func TestArbitrationUnimplementedAndStoreUnavailable(t *testing.T) {
	addr := serve(t, &stub{})
	cc, err := grpc.NewClient(addr, append(DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	_, err = NewClient(cc).ArbitrateView(context.Background(), &ArbitrateViewRequest{Base: 1, Proposed: []uint32{1}, President: 1})
	if status.Code(err) != codes.Unimplemented || IsUnavailable(err) {
		t.Fatalf("older server: %v", err)
	}

	e := Errorf(CodeStoreUnavailable, "etcd: context deadline exceeded")
	if !IsUnavailable(e) || !errors.Is(e, ErrStoreUnavailable) {
		t.Fatalf("%v is not unavailable", e)
	}
	st, _ := status.FromError(toStatus(e))
	if st.Code() != codes.Unavailable || !IsUnavailable(fromStatus(st.Err())) {
		t.Fatalf("on the wire: %v", st)
	}
}
