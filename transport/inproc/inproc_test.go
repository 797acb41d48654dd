package inproc_test

import (
	"errors"
	"testing"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
	"github.com/gondb/gondb/transport/inproc"
	"github.com/gondb/gondb/transport/transporttest"
)

func join(t testing.TB, n *inproc.Network, self signal.NodeID, sendBuf int, peers ...signal.NodeID) (*inproc.Transporter, *transporttest.Collector) {
	t.Helper()
	c := transporttest.NewCollector()
	cfg := inproc.DefaultConfig()
	cfg.Self, cfg.Peers, cfg.Receiver, cfg.Logger = self, peers, c, nil
	if sendBuf > 0 {
		cfg.SendBufferBytes = sendBuf
	}
	tr, err := n.Join(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr, c
}

func TestConformance(t *testing.T) {
	transporttest.RunConformance(t, func(t *testing.T, o transporttest.PairOptions) transporttest.Pair {
		n := inproc.NewNetwork()
		a, ra := join(t, n, 1, o.SendBufferBytes, 2)
		b, rb := join(t, n, 2, o.SendBufferBytes, 1)
		return transporttest.Pair{A: a, B: b, AID: 1, BID: 2, RA: ra, RB: rb}
	})
}

func TestConfigValidate(t *testing.T) {
	good := inproc.DefaultConfig()
	good.Self, good.Peers, good.Receiver = 1, []signal.NodeID{2, 3}, transporttest.NewCollector()
	tests := []struct {
		name   string
		mutate func(*inproc.Config)
		ok     bool
	}{
		{"default", func(*inproc.Config) {}, true},
		{"self zero", func(c *inproc.Config) { c.Self = 0 }, false},
		{"self too big", func(c *inproc.Config) { c.Self = signal.MaxNodeID + 1 }, false},
		{"self as peer", func(c *inproc.Config) { c.Peers = []signal.NodeID{1} }, false},
		{"duplicate peer", func(c *inproc.Config) { c.Peers = []signal.NodeID{2, 2} }, false},
		{"peer zero", func(c *inproc.Config) { c.Peers = []signal.NodeID{0} }, false},
		{"no send buffer", func(c *inproc.Config) { c.SendBufferBytes = 0 }, false},
		{"no receiver", func(c *inproc.Config) { c.Receiver = nil }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			c.Peers = append([]signal.NodeID(nil), good.Peers...)
			tc.mutate(&c)
			before := c
			err := c.Validate()
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, inproc.ErrConfig)) {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
			if c.Self != before.Self || c.SendBufferBytes != before.SendBufferBytes {
				t.Fatal("Validate changed the config")
			}
		})
	}
}

func frame(t testing.TB, seq uint64) []byte {
	var w signal.FrameWriter
	w.Reset()
	s := transporttest.SeqSignal(1, 2, seq)
	if err := w.Add(&s); err != nil {
		t.Fatal(err)
	}
	return w.Bytes()
}

func TestDisconnectConnect(t *testing.T) {
	n := inproc.NewNetwork()
	a, _ := join(t, n, 1, 0, 2, 3)
	b, rb := join(t, n, 2, 0, 1)
	_, rc := join(t, n, 3, 0, 1)

	n.Disconnect(1, 2)
	transporttest.WaitState(t, a, 2, transport.StateDisconnected, transporttest.ConnectTimeout)
	transporttest.WaitState(t, b, 1, transport.StateDisconnected, transporttest.ConnectTimeout)
	if err := a.Send(2, frame(t, 0)); !errors.Is(err, transport.ErrNotConnected) {
		t.Fatalf("Send over a cut link: %v", err)
	}
	if err := a.Send(3, frame(t, 0)); err != nil { // other links are untouched
		t.Fatal(err)
	}
	rc.WaitFrames(t, 1, transporttest.ConnectTimeout)

	n.Connect(1, 2)
	transporttest.WaitState(t, a, 2, transport.StateConnected, transporttest.ConnectTimeout)
	if err := a.Send(2, frame(t, 1)); err != nil {
		t.Fatal(err)
	}
	rb.WaitFrames(t, 1, transporttest.ConnectTimeout)
	if st, _ := transporttest.PeerState(a, 2); st.ConnectCount != 2 || st.LastError == "" {
		t.Fatalf("after reconnect: %+v", st)
	}
}

func TestRestart(t *testing.T) {
	n := inproc.NewNetwork()
	a, _ := join(t, n, 1, 0, 2)
	b, _ := join(t, n, 2, 0, 1)
	if _, err := n.Join(inproc.Config{Self: 2, SendBufferBytes: 1, Receiver: transporttest.NewCollector()}); !errors.Is(err, inproc.ErrDuplicateNode) {
		t.Fatalf("second node 2: %v", err)
	}
	b.Close()
	transporttest.WaitState(t, a, 2, transport.StateDisconnected, transporttest.ConnectTimeout)
	_, rb := join(t, n, 2, 0, 1)
	transporttest.WaitState(t, a, 2, transport.StateConnected, transporttest.ConnectTimeout)
	if err := a.Send(2, frame(t, 0)); err != nil {
		t.Fatal(err)
	}
	rb.WaitFrames(t, 1, transporttest.ConnectTimeout)
}

// countReceiver counts signals without copying: the benchmark's receiver.
type countReceiver struct{ n chan int }

func (c countReceiver) Frame(_ signal.NodeID, f *signal.Frame) { c.n <- f.Header.Count }

func TestSendAllocatesNothing(t *testing.T) {
	n := inproc.NewNetwork()
	a, _ := join(t, n, 1, 0, 2)
	cfg := inproc.DefaultConfig()
	recv := countReceiver{n: make(chan int, 1024)}
	cfg.Self, cfg.Peers, cfg.Receiver, cfg.Logger = 2, []signal.NodeID{1}, recv, nil
	b, err := n.Join(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	f := frame(t, 5)
	for i := 0; i < 100; i++ { // grow the two queue buffers
		if err := a.Send(2, f); err != nil {
			t.Fatal(err)
		}
		<-recv.n
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if err := a.Send(2, f); err != nil {
			t.Fatal(err)
		}
		<-recv.n
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per Send", allocs)
	}
}
