package counter

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/signal"
)

// fakeEnv records what a block sends.
type fakeEnv struct {
	self signal.Address
	sent []signal.Signal // sections copied
}

func (e *fakeEnv) Self() signal.Address { return e.self }
func (e *fakeEnv) Now() time.Duration   { return 0 }
func (e *fakeEnv) Send(s *signal.Signal) error {
	c := *s
	for i := range int(c.NumSects) {
		c.Sections[i] = append([]byte(nil), c.Sections[i]...)
	}
	e.sent = append(e.sent, c)
	return nil
}

// take returns and forgets what was sent.
func (e *fakeEnv) take() []signal.Signal {
	s := e.sent
	e.sent = nil
	return s
}

// memDisk is a Disk whose Sync the tests can observe.
type memDisk struct {
	durable, pending map[string][]byte
	syncs            int
}

func newMemDisk() *memDisk {
	return &memDisk{durable: map[string][]byte{}, pending: map[string][]byte{}}
}

func (d *memDisk) Put(key string, v []byte) { d.pending[key] = append([]byte(nil), v...) }
func (d *memDisk) Get(dst []byte, key string) ([]byte, bool) {
	if v, ok := d.pending[key]; ok {
		return append(dst, v...), true
	}
	v, ok := d.durable[key]
	return append(dst, v...), ok
}
func (d *memDisk) Sync() {
	for k, v := range d.pending {
		d.durable[k] = v
	}
	clear(d.pending)
	d.syncs++
}

func (d *memDisk) durableCount(id signal.NodeID) uint64 {
	v, ok := d.durable[DiskKey(id)]
	if !ok {
		return 0
	}
	return binary.LittleEndian.Uint64(v)
}

var three = []signal.NodeID{1, 2, 3}

var client1 = signal.Address{Node: 1, Block: BlockClient}

func incr(req uint32) *signal.Signal {
	s := &signal.Signal{Number: GsnIncrReq, Sender: client1, Receiver: signal.Address{Node: 1, Block: BlockCounter}}
	s.SetWords(req)
	return s
}

func state(from signal.NodeID, counts ...uint64) *signal.Signal {
	s := &signal.Signal{Number: GsnState, Sender: signal.Address{Node: from, Block: BlockCounter}}
	s.SetWords(uint32(len(counts)))
	var sec []byte
	for _, c := range counts {
		sec = binary.LittleEndian.AppendUint64(sec, c)
	}
	s.AddSection(sec)
	return s
}

func stateCounts(t *testing.T, s signal.Signal) []uint64 {
	t.Helper()
	if s.Number != GsnState || s.NumWords != 1 || int(s.Words[0])*8 != len(s.Section(0)) {
		t.Fatalf("not a well-formed GsnState: %+v", s)
	}
	var out []uint64
	for i := 0; i < len(s.Section(0)); i += 8 {
		out = append(out, binary.LittleEndian.Uint64(s.Section(0)[i:]))
	}
	return out
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func newTestCounter(v Variant) (*Counter, *memDisk, *fakeEnv) {
	d := newMemDisk()
	cfg := DefaultConfig(three, 1)
	cfg.Variant = v
	return NewCounter(cfg, d), d, &fakeEnv{self: signal.Address{Node: 1, Block: BlockCounter}}
}

// TestSignalNumbersArePinned: signal numbers and block ids are wire values.
func TestSignalNumbersArePinned(t *testing.T) {
	for _, c := range []struct {
		got, want uint16
	}{
		{uint16(GsnIncrReq), 1}, {uint16(GsnIncrConf), 2}, {uint16(GsnIncrRef), 3},
		{uint16(GsnState), 4}, {uint16(GsnStopOrd), 5},
		{uint16(BlockCounter), 1}, {uint16(BlockClient), 2},
	} {
		if c.got != c.want {
			t.Errorf("wire value %d, pinned %d", c.got, c.want)
		}
	}
}

// TestIncrementLifecycle: an increment is persisted at once, advertised
// only after the tick's Sync, and acknowledged only once a peer reports
// holding it durably.
func TestIncrementLifecycle(t *testing.T) {
	c, d, env := newTestCounter(Correct)
	c.Handle(env, incr(7))
	if sent := env.take(); len(sent) != 0 {
		t.Fatalf("sent %d signals before Sync", len(sent))
	}
	if d.durableCount(1) != 0 || len(d.pending) != 1 || c.Synced() {
		t.Fatal("increment not written, or synced before the tick")
	}
	c.Tick(env)
	if d.durableCount(1) != 1 {
		t.Fatal("tick did not sync the increment")
	}
	sent := env.take()
	if len(sent) != 2 {
		t.Fatalf("tick sent %d signals, want GsnState to each peer", len(sent))
	}
	for i, s := range sent {
		if s.Receiver.Node != three[i+1] || !equal(stateCounts(t, s), []uint64{1, 0, 0}) {
			t.Fatalf("advertised %+v", s)
		}
	}
	c.Handle(env, state(2, 0, 0, 0)) // a stale report: no majority yet
	for _, s := range env.take() {
		if s.Number == GsnIncrConf {
			t.Fatal("acknowledged before a majority")
		}
	}
	c.Handle(env, state(3, 1, 0, 0))
	sent = env.take()
	if len(sent) != 1 || sent[0].Number != GsnIncrConf || sent[0].Receiver != client1 || sent[0].Words[0] != 7 || sent[0].Words[1] != 1 {
		t.Fatalf("got %+v, want GsnIncrConf(7, seq 1) to the client", sent)
	}
	if c.Pending() != 0 {
		t.Fatal("confirmed increment still pending")
	}
}

// TestAckOnOneAcknowledgesAlone: the broken variant confirms on its own
// Sync, the thing the checker must catch.
func TestAckOnOneAcknowledgesAlone(t *testing.T) {
	c, _, env := newTestCounter(AckOnOne)
	c.Handle(env, incr(1))
	c.Tick(env)
	confs := 0
	for _, s := range env.take() {
		if s.Number == GsnIncrConf {
			confs++
		}
	}
	if confs != 1 {
		t.Fatalf("%d confirmations, want 1 with no peer", confs)
	}
}

// TestMergeIsIdempotent: GsnState merges by maximum, so repeats and
// reordering change nothing; the merge is persisted and synced at the tick.
func TestMergeIsIdempotent(t *testing.T) {
	c, d, env := newTestCounter(Correct)
	for _, s := range []*signal.Signal{state(2, 0, 5, 0), state(2, 0, 5, 0), state(3, 0, 3, 2), state(2, 0, 4, 0)} {
		c.Handle(env, s)
	}
	if got := c.Counts(nil); !equal(got, []uint64{0, 5, 2}) || c.Value() != 7 {
		t.Fatalf("counts %v, want [0 5 2]", got)
	}
	c.Tick(env)
	if d.durableCount(2) != 5 || d.durableCount(3) != 2 {
		t.Fatal("merged counts not synced at the tick")
	}
}

// TestMalformedStateIsIgnored: a GsnState of another cluster shape or from
// an unknown node changes nothing.
func TestMalformedStateIsIgnored(t *testing.T) {
	short := state(2, 9, 9, 9)
	short.Sections[0] = short.Sections[0][:16]
	wrongCount := state(2, 9, 9, 9)
	wrongCount.Words[0] = 4
	stranger := state(7, 9, 9, 9)
	fromSelf := state(1, 9, 9, 9)
	for name, s := range map[string]*signal.Signal{"short": short, "count": wrongCount, "stranger": stranger, "self": fromSelf} {
		c, _, env := newTestCounter(Correct)
		c.Handle(env, s)
		if c.Value() != 0 || !c.Synced() {
			t.Errorf("%s: state was merged", name)
		}
	}
}

// TestRefusedWhenFull: beyond MaxPending, increments are refused.
func TestRefusedWhenFull(t *testing.T) {
	d := newMemDisk()
	cfg := DefaultConfig(three, 1)
	cfg.MaxPending = 2
	c, env := NewCounter(cfg, d), &fakeEnv{}
	for req := uint32(1); req <= 3; req++ {
		c.Handle(env, incr(req))
	}
	sent := env.take()
	if len(sent) != 1 || sent[0].Number != GsnIncrRef || sent[0].Words[0] != 3 || c.Value() != 2 {
		t.Fatalf("sent %+v, value %d: want request 3 refused, 2 counted", sent, c.Value())
	}
}

// TestRestartReadsDisk: a new Counter starts from its disk's counts.
func TestRestartReadsDisk(t *testing.T) {
	c, d, env := newTestCounter(Correct)
	c.Handle(env, incr(1))
	c.Handle(env, incr(2))
	c.Handle(env, state(3, 0, 0, 4))
	c.Tick(env)
	again := NewCounter(DefaultConfig(three, 1), d)
	if got := again.Counts(nil); !equal(got, []uint64{2, 0, 4}) {
		t.Fatalf("restarted with %v, want [2 0 4]", got)
	}
}

// TestAntiEntropy: with nothing new, the counter still resends its counts
// to every peer every ResendTicks, and answers a peer that lags.
func TestAntiEntropy(t *testing.T) {
	c, _, env := newTestCounter(Correct)
	for i := 1; i < c.cfg.ResendTicks; i++ {
		c.Tick(env)
	}
	if n := len(env.take()); n != 0 {
		t.Fatalf("%d signals before the resend period", n)
	}
	c.Tick(env)
	if n := len(env.take()); n != 2 {
		t.Fatalf("%d signals at the resend period, want 2", n)
	}
	c.Handle(env, state(2, 0, 1, 0)) // node 2 is ahead: merge, sync, tell everyone
	c.Tick(env)
	if n := len(env.take()); n != 2 {
		t.Fatalf("%d signals after a merge, want 2", n)
	}
	c.Handle(env, state(3, 0, 0, 0)) // node 3 lags: tell it alone
	c.Tick(env)
	if sent := env.take(); len(sent) != 1 || sent[0].Receiver.Node != 3 {
		t.Fatalf("sent %+v, want one GsnState to node 3", sent)
	}
}

// TestUnknownSignalIsABug: blocks panic on a signal they do not handle.
func TestUnknownSignalIsABug(t *testing.T) {
	for name, b := range map[string]block.Block{
		"counter": NewCounter(DefaultConfig(three, 1), newMemDisk()),
		"client":  NewClient(ClientConfig{Node: 1, Every: 1, MaxOutstanding: 1, Observer: &Checker{}}),
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			b.Handle(&fakeEnv{}, &signal.Signal{Number: 99})
		}()
	}
}

// countingObserver counts what a client reports.
type countingObserver struct{ issued, acked int }

func (o *countingObserver) Issued(signal.NodeID)               { o.issued++ }
func (o *countingObserver) Acknowledged(signal.NodeID, uint64) { o.acked++ }

// TestClientPacing: the client issues every Every ticks, at most
// MaxOutstanding at once, and stops on GsnStopOrd.
func TestClientPacing(t *testing.T) {
	obs := &countingObserver{}
	c := NewClient(ClientConfig{Node: 1, Every: 2, MaxOutstanding: 2, Observer: obs})
	env := &fakeEnv{}
	for range 10 {
		c.Tick(env)
	}
	if obs.issued != 2 || c.Outstanding() != 2 {
		t.Fatalf("issued %d, outstanding %d: want 2 and 2", obs.issued, c.Outstanding())
	}
	conf := &signal.Signal{Number: GsnIncrConf}
	conf.SetWords(1, 1, 0)
	c.Handle(env, conf)
	c.Handle(env, &signal.Signal{Number: GsnStopOrd})
	for range 10 {
		c.Tick(env)
	}
	if obs.acked != 1 || obs.issued != 2 || c.Outstanding() != 1 || !c.Stopped() {
		t.Fatalf("acked %d issued %d outstanding %d stopped %v", obs.acked, obs.issued, c.Outstanding(), c.Stopped())
	}
}
