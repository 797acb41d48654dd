package tcp_test

import (
	"testing"
	"time"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
	"github.com/gondb/gondb/transport/tcp"
	"github.com/gondb/gondb/transport/transporttest"
)

// TestAPINodesDialWhateverTheIDs: API nodes (DialOnly) listen on no port
// and dial the data nodes that list them as Clients, with a lower id (2)
// and a higher one (9) than the data node (5); frames flow both ways. A
// lower id that is not a client is still refused: node 5 dials node 4.
func TestAPINodesDialWhateverTheIDs(t *testing.T) {
	srvLog := &logBuffer{}
	srv := &node{id: 5, rc: transporttest.NewCollector(), log: srvLog}
	cfg := testConfig(srv.id, srv.rc)
	cfg.Logger = srvLog.logger()
	cfg.Peers = map[signal.NodeID]string{2: "", 9: "", 4: "127.0.0.1:1"}
	cfg.Clients = []signal.NodeID{2, 9}
	srv.tr = start(t, cfg)

	var apis []*node
	for _, id := range []signal.NodeID{2, 9} {
		a := &node{id: id, rc: transporttest.NewCollector(), log: &logBuffer{}}
		c := testConfig(id, a.rc)
		c.Listen = ""
		c.DialOnly = true
		c.Peers = map[signal.NodeID]string{srv.id: srv.tr.Addr()}
		a.tr = start(t, c)
		if a.tr.Addr() != "" {
			t.Fatalf("API node %d listens on %s", id, a.tr.Addr())
		}
		apis = append(apis, a)
	}
	for _, a := range apis {
		transporttest.WaitState(t, a.tr, srv.id, transport.StateConnected, transporttest.ConnectTimeout)
		transporttest.WaitState(t, srv.tr, a.id, transport.StateConnected, transporttest.ConnectTimeout)
		exchange(t, a, srv)
		exchange(t, srv, a)
	}

	// Node 4 is a data node with a lower id: node 5 dials it, so its own
	// dial is refused.
	c := dialRaw(t, srv.tr.Addr())
	if _, err := c.Write(hello(4, srv.id)); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, c)
	srvLog.waitLog(t, "connection refused", "this node dials node 4")

	// An API node reconnects after the data node restarts on the same port.
	addr := srv.tr.Addr()
	srv.tr.Close()
	transporttest.WaitState(t, apis[0].tr, srv.id, transport.StateDisconnected, transporttest.ConnectTimeout)
	cfg.Listen = addr
	var err error
	for range 50 { // the port may linger a moment
		if srv.tr, err = tcp.New(cfg); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.tr.Close() })
	transporttest.WaitState(t, srv.tr, apis[0].id, transport.StateConnected, transporttest.ConnectTimeout)
	exchange(t, srv, apis[0])
}

func TestClientConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*tcp.Config)
		ok     bool
	}{
		{"data node with a lower-id client", func(c *tcp.Config) {
			c.Peers = map[signal.NodeID]string{1: ""}
			c.Clients = []signal.NodeID{1}
		}, true},
		{"client not a peer", func(c *tcp.Config) {
			c.Peers = map[signal.NodeID]string{3: ""}
			c.Clients = []signal.NodeID{1}
		}, false},
		{"dial-only without listen address", func(c *tcp.Config) {
			c.Listen = ""
			c.DialOnly = true
			c.Peers = map[signal.NodeID]string{1: "127.0.0.1:1", 3: "127.0.0.1:2"}
		}, true},
		{"dial-only peer without address", func(c *tcp.Config) {
			c.DialOnly = true
			c.Peers = map[signal.NodeID]string{1: "127.0.0.1:1", 3: ""}
		}, false},
		{"dial-only with clients", func(c *tcp.Config) {
			c.DialOnly = true
			c.Peers = map[signal.NodeID]string{1: "127.0.0.1:1"}
			c.Clients = []signal.NodeID{1}
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig(2, transporttest.NewCollector())
			tc.mutate(&c)
			if err := c.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
