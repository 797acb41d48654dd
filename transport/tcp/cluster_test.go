package tcp_test

import (
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
	"github.com/gondb/gondb/transport/tcp"
	"github.com/gondb/gondb/transport/transporttest"
)

// node is one transporter of a test cluster with its receiver and log.
type node struct {
	id  signal.NodeID
	tr  *tcp.Transporter
	rc  *transporttest.Collector
	log *logBuffer
}

// startCluster starts nodes 1..n on loopback (each with every other as a
// peer, plus the extra peer ids, which never run) and waits until they are
// all connected.
func startCluster(t *testing.T, n int, heartbeat time.Duration, extra ...signal.NodeID) []*node {
	t.Helper()
	var nodes []*node
	for i := 1; i <= n; i++ {
		nd := &node{id: signal.NodeID(i), rc: transporttest.NewCollector(), log: &logBuffer{}}
		cfg := testConfig(nd.id, nd.rc)
		cfg.Logger = nd.log.logger()
		cfg.HeartbeatInterval = heartbeat
		cfg.HandshakeTimeout = 500 * time.Millisecond // a half-finished hello is dropped sooner
		cfg.Peers = map[signal.NodeID]string{}
		for j := 1; j <= n; j++ {
			if j < i {
				cfg.Peers[signal.NodeID(j)] = nodes[j-1].tr.Addr()
			} else if j > i {
				cfg.Peers[signal.NodeID(j)] = ""
			}
		}
		for _, id := range extra {
			cfg.Peers[id] = ""
		}
		nd.tr = start(t, cfg)
		nodes = append(nodes, nd)
	}
	for _, a := range nodes {
		for _, b := range nodes {
			if a != b {
				transporttest.WaitState(t, a.tr, b.id, transport.StateConnected, transporttest.ConnectTimeout)
			}
		}
	}
	return nodes
}

func oneSignalFrame(t testing.TB, from, to signal.NodeID, seq uint64) []byte {
	var w signal.FrameWriter
	w.Reset()
	s := transporttest.SeqSignal(from, to, seq)
	if err := w.Add(&s); err != nil {
		t.Fatal(err)
	}
	return w.Bytes()
}

func framesFrom(c *transporttest.Collector, from signal.NodeID) int {
	n := 0
	for _, f := range c.Frames() {
		if f.From == from {
			n++
		}
	}
	return n
}

// exchange sends a frame from a to b and waits for b to receive it.
func exchange(t *testing.T, a, b *node) {
	t.Helper()
	before := framesFrom(b.rc, a.id)
	transporttest.Eventually(t, transporttest.ConnectTimeout, func() bool {
		err := a.tr.Send(b.id, oneSignalFrame(t, a.id, b.id, 1))
		if err != nil && !transport.Temporary(err) {
			t.Fatalf("node %d to %d: %v", a.id, b.id, err)
		}
		return err == nil
	}, "node %d to accept a frame for node %d", a.id, b.id)
	transporttest.Eventually(t, transporttest.ConnectTimeout, func() bool { return framesFrom(b.rc, a.id) > before },
		"node %d to receive from node %d", b.id, a.id)
}

func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, transporttest.ConnectTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func hello(from, to signal.NodeID) []byte {
	return tcp.AppendHello(nil, tcp.Hello{Version: tcp.HelloVersion, Sender: from, Receiver: to})
}

// helloAs plays the dialing side of the handshake by hand.
func helloAs(t *testing.T, c net.Conn, from, to signal.NodeID) {
	t.Helper()
	if _, err := c.Write(hello(from, to)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(transporttest.ConnectTimeout))
	var b [tcp.HelloSize]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		t.Fatalf("no hello back: %v", err)
	}
	if string(b[:]) != string(hello(to, from)) {
		t.Fatalf("hello back % x", b)
	}
}

// waitClosed reads (and discards) until the other end closes c.
func waitClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(transporttest.ConnectTimeout))
	_, err := io.Copy(io.Discard, c)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the node did not close the connection")
	}
}

func frameHeader(count, payloadLen int) []byte {
	h := []byte{'g', 'S', signal.CurrentVersion, 0}
	h = binary.LittleEndian.AppendUint16(h, uint16(count))
	h = append(h, 0, 0)
	h = binary.LittleEndian.AppendUint32(h, uint32(payloadLen))
	return binary.LittleEndian.AppendUint32(h, 0)
}

// TestGarbageClosesOnlyThatConnection connects to node 1's port by hand and
// sends garbage, before and after a valid hello (as node 4, a configured
// peer that is not running). Each time node 1 must close that connection,
// log why, and keep exchanging frames with nodes 2 and 3.
func TestGarbageClosesOnlyThatConnection(t *testing.T) {
	nodes := startCluster(t, 3, 100*time.Millisecond, 4)
	n1 := nodes[0]
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	garbageSignal := append(frameHeader(1, 24), make([]byte, 24)...)
	garbageSignal[16+2] = 200 // word count over MaxWords
	tests := []struct {
		name      string
		helloAs   signal.NodeID // 0: no valid hello first
		send      []byte
		closeSend bool   // close our write side after send
		wantLog   string // in node 1's log line about it
	}{
		{"random bytes", 0, random, false, "bad magic"},
		{"hello with a wrong version", 0, append([]byte("gTCP\x02\x00\x04\x00\x01\x00"), make([]byte, 6)...), false, "protocol version 2"},
		{"hello for another node", 0, hello(4, 2), false, "hello is for node 2, this is node 1"},
		{"hello from an unknown node", 0, hello(9, 1), false, "node 9 is not a configured peer"},
		{"hello from a connected node", 0, hello(2, 1), false, "node 2 is already connected"},
		{"half a hello, then silence", 0, hello(4, 1)[:7], false, "reading hello"},
		{"bad frame magic", 4, random[:64], false, "malformed frame header"},
		{"oversize frame", 4, frameHeader(1, signal.MaxFrameBytes+1), false, "exceeds the format's limits"},
		{"signals that do not parse", 4, garbageSignal, false, "malformed frame: "},
		{"length that lies, then silence", 4, frameHeader(1, signal.MaxFrameBytes), false, "presumed dead"},
		{"length that lies, then close", 4, append(frameHeader(1, signal.MaxFrameBytes), random...), true, "closed by the peer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mark := len(n1.log.String())
			c := dialRaw(t, n1.tr.Addr())
			if tc.helloAs != 0 {
				helloAs(t, c, tc.helloAs, n1.id)
				transporttest.WaitState(t, n1.tr, tc.helloAs, transport.StateConnected, transporttest.ConnectTimeout)
			}
			if _, err := c.Write(tc.send); err != nil {
				t.Fatal(err)
			}
			if tc.closeSend {
				c.(*net.TCPConn).CloseWrite()
			}
			waitClosed(t, c)
			transporttest.Eventually(t, transporttest.ConnectTimeout, func() bool {
				return strings.Contains(n1.log.String()[mark:], tc.wantLog)
			}, "node 1 to log %q", tc.wantLog)
			if tc.helloAs != 0 {
				transporttest.WaitState(t, n1.tr, tc.helloAs, transport.StateDisconnected, transporttest.ConnectTimeout)
				st, _ := transporttest.PeerState(n1.tr, tc.helloAs)
				if !strings.Contains(st.LastError, tc.wantLog) {
					t.Fatalf("LastError %q, want %q", st.LastError, tc.wantLog)
				}
			}
			for _, other := range nodes[1:] {
				exchange(t, n1, other)
				exchange(t, other, n1)
				if st, _ := transporttest.PeerState(n1.tr, other.id); st.ConnectCount != 1 || st.State != transport.StateConnected {
					t.Fatalf("node 1's link to node %d was disturbed: %+v", other.id, st)
				}
			}
		})
	}
}

// TestReconnectAfterRestart restarts one node of a pair (the dialing one,
// then the listening one, on the same port) and checks that the link comes
// back and frames flow both ways.
func TestReconnectAfterRestart(t *testing.T) {
	for _, restart := range []signal.NodeID{2, 1} {
		t.Run(map[signal.NodeID]string{1: "listening side", 2: "dialing side"}[restart], func(t *testing.T) {
			nodes := startCluster(t, 2, 100*time.Millisecond)
			old := nodes[restart-1]
			survivor := nodes[2-restart]
			exchange(t, old, survivor)
			addr := old.tr.Addr()
			if err := old.tr.Close(); err != nil {
				t.Fatal(err)
			}
			transporttest.WaitState(t, survivor.tr, old.id, transport.StateDisconnected, transporttest.ConnectTimeout)

			nd := &node{id: old.id, rc: transporttest.NewCollector(), log: &logBuffer{}}
			cfg := testConfig(nd.id, nd.rc)
			cfg.HeartbeatInterval = 100 * time.Millisecond
			cfg.Logger = nd.log.logger()
			if restart == 1 {
				cfg.Listen = addr
				cfg.Peers = map[signal.NodeID]string{2: ""}
			} else {
				cfg.Peers = map[signal.NodeID]string{1: survivor.tr.Addr()}
			}
			nd.tr = start(t, cfg)
			transporttest.WaitState(t, survivor.tr, nd.id, transport.StateConnected, transporttest.ConnectTimeout)
			exchange(t, nd, survivor)
			exchange(t, survivor, nd)
			if st, _ := transporttest.PeerState(survivor.tr, nd.id); st.ConnectCount != 2 || st.LastError == "" {
				t.Fatalf("survivor's view after the restart: %+v", st)
			}
		})
	}
}

// TestHeartbeatsKeepIdleConnectionUp leaves a pair idle for many dead
// intervals' worth of heartbeats: the connection must stay up on its own.
func TestHeartbeatsKeepIdleConnectionUp(t *testing.T) {
	const hb = 50 * time.Millisecond
	nodes := startCluster(t, 2, hb)
	// At most one heartbeat per interval: this many span twice the time
	// after which a silent connection is closed.
	const beats = 2 * tcp.DeadIntervals
	for _, nd := range nodes {
		transporttest.Eventually(t, transporttest.ConnectTimeout, func() bool {
			for _, st := range nd.tr.Peers() {
				if st.BytesReceived < beats*signal.FrameHeaderSize {
					return false
				}
			}
			return true
		}, "node %d to receive %d heartbeats", nd.id, beats)
		for _, st := range nd.tr.Peers() {
			if st.State != transport.StateConnected || st.ConnectCount != 1 || st.FramesRecv != 0 || st.FramesSent != 0 {
				t.Fatalf("node %d after idling: %+v", nd.id, st)
			}
		}
	}
	if f, _ := nodes[0].rc.Count(); f != 0 {
		t.Fatalf("heartbeats reached the receiver: %d frames", f)
	}
}

// TestSilentPeerIsDetected plays a peer that completes the handshake and
// then sends nothing, not even heartbeats: on either side of the
// connection the node must close it as dead.
func TestSilentPeerIsDetected(t *testing.T) {
	const hb = 20 * time.Millisecond
	t.Run("silent dialer", func(t *testing.T) {
		nodes := startCluster(t, 1, hb, 4)
		c := dialRaw(t, nodes[0].tr.Addr())
		helloAs(t, c, 4, 1)
		waitClosed(t, c)
		transporttest.Eventually(t, transporttest.ConnectTimeout, func() bool {
			st, _ := transporttest.PeerState(nodes[0].tr, 4)
			return st.State == transport.StateDisconnected && strings.Contains(st.LastError, "presumed dead")
		}, "node 1 to record peer 4 as dead")
		nodes[0].log.waitLog(t, "peer disconnected", "peer=4", "presumed dead")
	})
	t.Run("silent listener", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		accepted := make(chan net.Conn, 16)
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					close(accepted)
					return
				}
				accepted <- c
			}
		}()
		log := &logBuffer{}
		cfg := testConfig(2, transporttest.NewCollector())
		cfg.HeartbeatInterval = hb
		cfg.Logger = log.logger()
		cfg.Peers = map[signal.NodeID]string{1: ln.Addr().String()}
		tr := start(t, cfg)
		for i := 0; i < 2; i++ { // the node must detect it, then redial
			var c net.Conn
			select {
			case c = <-accepted:
			case <-time.After(transporttest.ConnectTimeout):
				t.Fatal("the node did not dial")
			}
			defer c.Close()
			var b [tcp.HelloSize]byte
			c.SetDeadline(time.Now().Add(transporttest.ConnectTimeout))
			if _, err := io.ReadFull(c, b[:]); err != nil || string(b[:]) != string(hello(2, 1)) {
				t.Fatalf("hello % x, %v", b, err)
			}
			if _, err := c.Write(hello(1, 2)); err != nil {
				t.Fatal(err)
			}
			waitClosed(t, c)
		}
		transporttest.Eventually(t, transporttest.ConnectTimeout, func() bool {
			st, _ := transporttest.PeerState(tr, 1)
			return st.ConnectCount >= 2 && strings.Contains(st.LastError, "presumed dead")
		}, "node 2 to record node 1 as dead twice")
	})
}
