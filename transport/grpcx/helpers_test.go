package grpcx

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport"
	"github.com/gondb/gondb/transport/transporttest"
)

// wait bounds every wait in these tests; generous for emulated CPUs.
const wait = 20 * time.Second

// logRecorder is a slog.Handler that keeps every record as one line.
type logRecorder struct {
	mu    *sync.Mutex
	lines *[]string
	attrs []slog.Attr
}

func newLogRecorder() *logRecorder {
	return &logRecorder{mu: new(sync.Mutex), lines: new([]string)}
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	for _, a := range h.attrs {
		b.WriteString(" " + a.String())
	}
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	h.mu.Lock()
	*h.lines = append(*h.lines, b.String())
	h.mu.Unlock()
	return nil
}

func (h *logRecorder) WithAttrs(as []slog.Attr) slog.Handler {
	return &logRecorder{mu: h.mu, lines: h.lines, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}

func (h *logRecorder) WithGroup(string) slog.Handler { return h }

// has reports whether some line contains every one of subs.
func (h *logRecorder) has(subs ...string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
next:
	for _, l := range *h.lines {
		for _, s := range subs {
			if !strings.Contains(l, s) {
				continue next
			}
		}
		return true
	}
	return false
}

func (h *logRecorder) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(*h.lines, "\n")
}

// node is one transporter under test with its receiver and log.
type node struct {
	*Transporter
	rcv *transporttest.Collector
	log *logRecorder
}

// startNode starts node id with peers (addresses of lower ids; higher ids
// may map to ""), closing it when the test ends.
func startNode(t testing.TB, id signal.NodeID, peers map[signal.NodeID]string, edit func(*Config)) *node {
	t.Helper()
	n := &node{rcv: transporttest.NewCollector(), log: newLogRecorder()}
	c := DefaultTestConfig()
	c.Self = id
	c.Listen = "127.0.0.1:0"
	c.Peers = peers
	c.Receiver = n.rcv
	c.Logger = slog.New(n.log)
	if edit != nil {
		edit(&c)
	}
	tr, err := New(c)
	if err != nil {
		t.Fatalf("node %d: %v", id, err)
	}
	t.Cleanup(func() { tr.Close() })
	n.Transporter = tr
	return n
}

// pair starts nodes 1 and 2 (2 dials 1) and waits until they are connected.
func pair(t testing.TB, edit func(*Config)) (n1, n2 *node) {
	t.Helper()
	n1 = startNode(t, 1, map[signal.NodeID]string{2: ""}, edit)
	n2 = startNode(t, 2, map[signal.NodeID]string{1: n1.Addr()}, edit)
	transporttest.WaitState(t, n1, 2, transport.StateConnected, wait)
	transporttest.WaitState(t, n2, 1, transport.StateConnected, wait)
	return n1, n2
}

// testFrame builds a frame of count signals: each carries seq (TransID),
// lane (word 0), its index (word 1) and a section of sectLen bytes derived
// from seq and the index.
func testFrame(w *signal.FrameWriter, lane uint32, seq uint64, count, sectLen int) []byte {
	w.Reset()
	var s signal.Signal
	for i := 0; i < count; i++ {
		s.Reset()
		s.Number = 100
		s.Sender = signal.Address{Node: 2, Block: 1}
		s.Receiver = signal.Address{Node: 1, Block: 2}
		s.TransID = seq
		s.SetWords(lane, uint32(i), 3, 4, 5, 6)
		if sectLen > 0 {
			s.AddSection(sectionBytes(seq, i, sectLen))
		}
		if err := w.Add(&s); err != nil {
			panic(err)
		}
	}
	return w.Bytes()
}

func sectionBytes(seq uint64, i, n int) []byte {
	b := make([]byte, n)
	for j := range b {
		b[j] = byte(seq) + byte(i)*7 + byte(j)
	}
	if n >= 8 {
		binary.LittleEndian.PutUint64(b, seq)
	}
	return b
}

// checkSignals verifies a received frame built by testFrame.
func checkSignals(r transporttest.Received, count, sectLen int) error {
	if len(r.Signals) != count {
		return fmt.Errorf("frame has %d signals, want %d", len(r.Signals), count)
	}
	for i, s := range r.Signals {
		if s.Number != 100 || s.Words[1] != uint32(i) || s.NumWords != 6 {
			return fmt.Errorf("signal %d: %+v", i, s)
		}
		if sectLen > 0 && !bytes.Equal(s.Section(0), sectionBytes(s.TransID, i, sectLen)) {
			return fmt.Errorf("signal %d of seq %d: section differs", i, s.TransID)
		}
	}
	return nil
}

// sendRetry sends, retrying while the send buffer is full.
func sendRetry(t testing.TB, tr *Transporter, to signal.NodeID, frame []byte) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		err := tr.Send(to, frame)
		if err == nil {
			return
		}
		if !transport.Temporary(err) || time.Now().After(deadline) {
			t.Fatalf("send to %d: %v", to, err)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// rogue is a raw gRPC client of the Frames service that says what it wants
// in its hello.
type rogue struct {
	cc     *grpc.ClientConn
	cs     grpc.ClientStream
	cancel context.CancelFunc
}

func dialRogue(t testing.TB, addr string, hello ...string) *rogue {
	t.Helper()
	cc, err := grpc.NewClient("passthrough:///"+addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(rawCodec{})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	ctx = metadata.AppendToOutgoingContext(ctx, hello...)
	cs, err := cc.NewStream(ctx, &framesStreamDesc, framesMethod, grpc.WaitForReady(true))
	if err != nil {
		cancel()
		cc.Close()
		t.Fatal(err)
	}
	r := &rogue{cc: cc, cs: cs, cancel: cancel}
	t.Cleanup(r.close)
	return r
}

func (r *rogue) close() { r.cancel(); r.cc.Close() }

// send writes raw bytes as one message.
func (r *rogue) send(b []byte) error {
	return r.cs.SendMsg(&outMsg{chunk: &b})
}

// result waits for the stream to end and returns its error.
func (r *rogue) result() error {
	var m inMsg
	for {
		if err := r.cs.RecvMsg(&m); err != nil {
			return err
		}
	}
}

// startFakeAcceptor serves a Frames service that answers the hello as node
// id and then sends msg, and returns its address.
func startFakeAcceptor(t testing.TB, id signal.NodeID, msg []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.ForceServerCodecV2(rawCodec{}))
	srv.RegisterService(&grpc.ServiceDesc{
		ServiceName: serviceName,
		HandlerType: (*any)(nil),
		Streams: []grpc.StreamDesc{{
			StreamName: framesName, ServerStreams: true, ClientStreams: true,
			Handler: func(_ any, ss grpc.ServerStream) error {
				if err := ss.SendHeader(metadata.Pairs(mdNodeID, idString(id))); err != nil {
					return err
				}
				b := append([]byte(nil), msg...)
				if err := ss.SendMsg(&outMsg{chunk: &b}); err != nil {
					return err
				}
				<-ss.Context().Done()
				return nil
			},
		}},
	}, struct{}{})
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	return ln.Addr().String()
}
