package client_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/mgmtest"
	"github.com/gondb/gondb/mgmnode/state"
)

func TestMain(m *testing.M) {
	mgmtest.Main(m)
}

func TestParseConnectString(t *testing.T) {
	tests := []struct {
		in    string
		id    uint32
		addrs []string
		err   string
	}{
		{"", 0, []string{"localhost:1186"}, ""},
		{"mgm1", 0, []string{"mgm1:1186"}, ""},
		{"mgm1:2000, mgm2", 0, []string{"mgm1:2000", "mgm2:1186"}, ""},
		{"nodeid=5,10.0.0.1:1186,10.0.0.2", 5, []string{"10.0.0.1:1186", "10.0.0.2:1186"}, ""},
		{"host=a:1,host=b", 0, []string{"a:1", "b:1186"}, ""},
		{"[::1]:1187,::1,[fe80::1]", 0, []string{"[::1]:1187", "[::1]:1186", "[fe80::1]:1186"}, ""},
		{"a,,b", 0, nil, "empty entry"},
		{"nodeid=0,a", 0, nil, "not a node id"},
		{"nodeid=1,nodeid=2,a", 0, nil, "nodeid given twice"},
		{"nodeid=3", 0, nil, "names no management server"},
		{"bind-address=x,a", 0, nil, `unknown key "bind-address"`},
		{"a:0", 0, nil, "port in 1..65535"},
		{"a:99999", 0, nil, "port in 1..65535"},
		{"a:b:c", 0, nil, "not a host or host:port"},
		{"a b", 0, nil, "not a host"},
	}
	for _, tt := range tests {
		cs, err := client.ParseConnectString(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: %+v, %v; want error with %q", tt.in, cs, err, tt.err)
			}
			continue
		}
		if err != nil || cs.NodeID != tt.id || !reflect.DeepEqual(cs.Addrs, tt.addrs) {
			t.Errorf("%q: %+v, %v; want %d %v", tt.in, cs, err, tt.id, tt.addrs)
		}
	}
}

func opts() client.Options {
	return client.Options{Logger: mgmtest.QuietLogger(), ConnectTimeout: time.Second, CallTimeout: 3 * time.Second}
}

func tctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Dial tries the connect string in order and settles on the first server
// that answers; with none, it says what each one did.
func TestDialFailover(t *testing.T) {
	c := mgmtest.Start(t, mgmtest.Options{})
	conn, err := client.Dial(tctx(t), "127.0.0.1:1,"+c.Addrs[0], opts())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if conn.Addr() != c.Addrs[0] {
		t.Fatalf("Addr %s, want %s", conn.Addr(), c.Addrs[0])
	}
	if _, err := conn.Status(tctx(t)); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if _, err := conn.Status(tctx(t)); !errors.Is(err, client.ErrClosed) {
		t.Fatalf("call after Close: %v", err)
	}

	_, err = client.Dial(tctx(t), "127.0.0.1:1,127.0.0.1:2", opts())
	var nse *client.NoServerError
	if !errors.As(err, &nse) || !errors.Is(err, client.ErrNoServer) || len(nse.Addrs) != 2 ||
		!strings.Contains(err.Error(), "127.0.0.1:1:") || !strings.Contains(err.Error(), "127.0.0.1:2:") {
		t.Fatalf("all dead: %v", err)
	}
}

func TestJoinRefusals(t *testing.T) {
	c := mgmtest.Start(t, mgmtest.Options{})
	for _, tt := range []struct {
		o  client.NodeOptions
		cs string
		in string
	}{
		{client.NodeOptions{Type: mgmapi.TypeMgm}, c.ConnectString, "cannot join"},
		{client.NodeOptions{Type: mgmapi.TypeData}, "nodeid=4," + c.ConnectString, "node id 4 is a [mysqld] section"},
		{client.NodeOptions{Type: mgmapi.TypeData, NodeID: 9}, c.ConnectString, "node id 9 is not in the configuration"},
		{client.NodeOptions{Type: mgmapi.TypeAPI}, "127.0.0.1:1", "no management server answered"},
	} {
		tt.o.Options = opts()
		n, err := client.Join(tctx(t), tt.cs, tt.o)
		if err == nil || !strings.Contains(err.Error(), tt.in) {
			if n != nil {
				n.Close()
			}
			t.Errorf("Join %+v via %q: %v, want %q", tt.o.Type, tt.cs, err, tt.in)
		}
	}
	// nodeid= in the connect string is the node's id.
	n, err := client.Join(tctx(t), "nodeid=6,"+c.ConnectString, client.NodeOptions{Options: opts(), Type: mgmapi.TypeAPI})
	if err != nil || n.ID() != 6 || n.Host() != "127.0.0.1" || n.Type() != mgmapi.TypeAPI {
		t.Fatalf("nodeid=6: %v, %v", n, err)
	}
	n.Close()
	n.Close() // twice is fine
}

// A node whose lease is gone (here revoked behind its back) claims its id
// again, resubscribes and reports its state again; if another process took
// the id meanwhile, the node is lost.
func TestLeaseReclaimAndLoss(t *testing.T) {
	c := mgmtest.Start(t, mgmtest.Options{})
	d := mgmtest.StartDataNode(t, c.ConnectString, 2, true)
	conn, err := client.Dial(tctx(t), c.ConnectString, opts())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	st := c.Stores[0]
	ctx := tctx(t)
	held := func(id uint32) state.NodeLease {
		ls, err := st.HeldNodeIDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			if l.ID == id {
				return l
			}
		}
		return state.NodeLease{}
	}
	first := held(2)
	if err := st.ReleaseNodeID(ctx, first); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for l := held(2); l.Lease == 0 || l.Lease == first.Lease; l = held(2) {
		if time.Now().After(deadline) {
			t.Fatalf("node 2 did not claim its id again: %+v", l)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// It reclaimed as STARTED (no flap to not started), and commands reach it.
	if r, err := conn.Stop(ctx, 5*time.Second, 2); err != nil || !r.Results[0].Delivered || !r.Results[0].Done {
		t.Fatalf("2 STOP after the reclaim: %+v, %v", r, err)
	}
	if cmds := d.Commands(); len(cmds) != 1 || cmds[0].Name != mgmapi.CmdStop {
		t.Fatalf("commands after the reclaim: %+v", cmds)
	}

	// Now another process takes id 2 while the lease is gone.
	second := held(2)
	if err := st.ReleaseNodeID(ctx, second); err != nil {
		t.Fatal(err)
	}
	thief, err := st.ClaimNodeID(ctx, 2, state.KindData, "elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	defer st.ReleaseNodeID(ctx, thief)
	n, err := client.Join(tctx(t), c.ConnectString, client.NodeOptions{Options: opts(), Type: mgmapi.TypeData, NodeID: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	// d's events are read by mgmtest; watch a node of our own instead.
	if err := st.ReleaseNodeID(ctx, held(3)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ClaimNodeID(ctx, 3, state.KindData, "elsewhere"); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-n.Events():
		if ev.Type != client.EventLost || !errors.Is(ev.Err, mgmapi.ErrNodeIDInUse) || !strings.Contains(ev.Err.Error(), "node 3 lost its node id") {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no EventLost")
	}
}
