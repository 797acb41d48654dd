package tc_test

import (
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/dih"
	"github.com/gondb/gondb/datanode/tc"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

func TestHistogramBuckets(t *testing.T) {
	tests := []struct {
		d      time.Duration
		bucket int
	}{
		{-time.Second, 0},
		{0, 0},
		{999 * time.Nanosecond, 0},
		{time.Microsecond, 1},
		{1999 * time.Nanosecond, 1},
		{2 * time.Microsecond, 2},
		{300 * time.Microsecond, 9}, // 256 µs <= d < 512 µs
		{time.Millisecond, 10},      // 512 µs <= d < 1024 µs
		{tc.BucketBound(27) - 1, 27},
		{tc.BucketBound(27), tc.LatencyBuckets - 1},
		{time.Hour, tc.LatencyBuckets - 1},
	}
	var all tc.Histogram
	for _, tt := range tests {
		var h tc.Histogram
		h.Observe(tt.d)
		if h.Counts[tt.bucket] != 1 || h.Count != 1 || h.Sum != uint64(max(tt.d, 0)) {
			t.Errorf("Observe(%v): counts %v, count %d, sum %d; want bucket %d", tt.d, h.Counts, h.Count, h.Sum, tt.bucket)
		}
		if tt.bucket < tc.LatencyBuckets-1 && max(tt.d, 0) >= tc.BucketBound(tt.bucket) {
			t.Errorf("%v is in bucket %d but not below its bound %v", tt.d, tt.bucket, tc.BucketBound(tt.bucket))
		}
		all.Add(&h)
	}
	if all.Count != uint64(len(tests)) || all.Counts[0] != 3 || all.Counts[tc.LatencyBuckets-1] != 2 {
		t.Errorf("Add: count %d, counts %v", all.Count, all.Counts)
	}
	if tc.BucketBound(0) != time.Microsecond || tc.BucketBound(10) != 1024*time.Microsecond {
		t.Errorf("BucketBound(0) = %v, BucketBound(10) = %v", tc.BucketBound(0), tc.BucketBound(10))
	}
}

// clockEnv is a block.Env with a settable clock that records the numbers
// of the signals sent without allocating.
type clockEnv struct {
	now      time.Duration
	reads    int // calls of Now during the current signal
	maxReads int // the most calls of Now during one signal
	sent     [64]signal.Number
	n        int
	keyReq   signal.Signal // the last LQHKEYREQ sent (its words)
}

func (e *clockEnv) Self() signal.Address { return signal.Address{Node: 1, Block: gsn.BlockTC} }
func (e *clockEnv) Now() time.Duration   { e.reads++; return e.now }
func (e *clockEnv) Send(s *signal.Signal) error {
	e.sent[e.n%len(e.sent)] = s.Number
	e.n++
	if s.Number == gsn.LQHKEYREQ {
		e.keyReq = *s
	}
	return nil
}

// tcRig is one TC of a one-node cluster with a two-fragment account table.
type tcRig struct {
	x   *tc.TC
	env *clockEnv
	api signal.Address
	lqh signal.Address
}

func newRig(t testing.TB) *tcRig { return newRigOf(t, 1) }

// newRigOf is newRig with node 1 in a node group of replicas nodes (1,
// 2, ...): every chain but node 1's own has another node.
func newRigOf(t testing.TB, replicas int) *tcRig {
	var nodes []partition.NodeID
	for i := 1; i <= replicas; i++ {
		nodes = append(nodes, partition.NodeID(i))
	}
	groups, _ := partition.FormNodeGroups(nodes, replicas)
	d, err := dih.New().WithTable(accountLayout(), groups, 2)
	if err != nil {
		t.Fatal(err)
	}
	return &tcRig{x: tc.New(tc.Config{Node: 1, Distribution: func() *dih.Distribution { return d }}), env: &clockEnv{},
		api: signal.Address{Node: 9, Block: gsn.BlockAPI}, lqh: signal.Address{Node: 1, Block: gsn.BlockLQH}}
}

// deliver hands the TC one signal at time at.
func (r *tcRig) deliver(at time.Duration, n signal.Number, from signal.Address, trans uint64, words []uint32, sect []byte) {
	s := &signal.Signal{Number: n, Sender: from, Receiver: signal.Address{Node: 1, Block: gsn.BlockTC}, TransID: trans}
	s.SetWords(words...)
	if sect != nil {
		s.AddSection(sect)
	}
	r.env.now, r.env.reads = at, 0
	r.x.Handle(r.env, s)
	r.env.maxReads = max(r.env.maxReads, r.env.reads)
}

// update sends an update of row id with TCKEYREQ flags.
func (r *tcRig) update(at time.Duration, trans uint64, id int64, flags uint32) {
	h := partition.Hash(keyOf(id))
	r.deliver(at, gsn.TCKEYREQ, r.api, trans, []uint32{gsn.OpUpdate, tableID, 0, flags, uint32(h), uint32(h >> 32)},
		rowOf(accountLayout(), id, 5))
}

// TestLatencyRecorded: the TC records commit and abort latency from the
// first request to its answer, and scan latency from SCAN_TABREQ to the
// scan's end, on the block's clock, reading it at most once per signal.
func TestLatencyRecorded(t *testing.T) {
	r := newRig(t)
	us := time.Microsecond

	// Committed: TCKEYREQ at 0, LQHKEYCONF at 100 µs, COMMITTED at 300 µs.
	r.update(0, 1, 1, 0)
	r.deliver(100*us, gsn.LQHKEYCONF, r.lqh, 1, []uint32{0}, nil)
	r.deliver(200*us, gsn.TC_COMMITREQ, r.api, 1, nil, nil)
	r.deliver(300*us, gsn.COMMITTED, r.lqh, 1, []uint32{0}, nil)
	r.deliver(400*us, gsn.COMPLETED, r.lqh, 1, []uint32{0}, nil)
	// Aborted by a refused operation: TCKEYREQ at 1 ms, LQHKEYREF 500 µs later.
	r.update(time.Millisecond, 2, 2, gsn.TcKeyCommit)
	r.deliver(1500*us, gsn.LQHKEYREF, r.lqh, 2, []uint32{0, 626}, nil)
	// Rolled back at the API's request after 3 ms (ABORT sent: the
	// decision is the answer's start).
	r.update(2*time.Millisecond, 3, 3, 0)
	r.deliver(5*time.Millisecond, gsn.TCROLLBACKREQ, r.api, 3, nil, nil)

	lat := r.x.Latency
	if lat.Commit.Count != 1 || lat.Commit.Sum != uint64(300*us) || lat.Commit.Counts[9] != 1 {
		t.Errorf("commit: %+v, want one observation of 300µs in bucket 9", lat.Commit)
	}
	if lat.Abort.Count != 2 || lat.Abort.Sum != uint64(3500*us) || lat.Abort.Counts[9] != 1 || lat.Abort.Counts[12] != 1 {
		t.Errorf("abort: %+v, want 500µs (bucket 9) and 3ms (bucket 12)", lat.Abort)
	}

	// A scan of both fragments in parallel: SCAN_TABREQ at 10 ms, the
	// fragments done at 10.1 ms and 10.8 ms.
	r.deliver(10*time.Millisecond, gsn.SCAN_TABREQ, r.api, 4, []uint32{tableID, 7, 0, 0, 64, 1 << 16, gsn.ScanNoIndex}, nil)
	r.deliver(10100*us, gsn.SCAN_FRAGCONF, r.lqh, 4, []uint32{0, 0, gsn.ScanFragDone, 0}, nil)
	if r.x.Latency.Scan.Count != 0 {
		t.Fatalf("scan recorded before its last fragment: %+v", r.x.Latency.Scan)
	}
	r.deliver(10800*us, gsn.SCAN_FRAGCONF, r.lqh, 4, []uint32{1, 1, gsn.ScanFragDone, 0}, nil)
	// A scan the API closes after 2 ms.
	r.deliver(20*time.Millisecond, gsn.SCAN_TABREQ, r.api, 4, []uint32{tableID, 8, 0, 1, 64, 1 << 16, gsn.ScanNoIndex}, nil)
	r.deliver(22*time.Millisecond, gsn.SCAN_NEXTREQ, r.api, 4, []uint32{8, gsn.ScanClose}, nil)
	if sc := r.x.Latency.Scan; sc.Count != 2 || sc.Sum != uint64(2800*us) || sc.Counts[10] != 1 || sc.Counts[11] != 1 {
		t.Errorf("scan: %+v, want 800µs (bucket 10) and 2ms (bucket 11)", sc)
	}
	if r.env.maxReads != 1 {
		t.Errorf("the TC read the clock up to %d times for one signal, want once", r.env.maxReads)
	}
}

// The key path (TCKEYREQ with commit, LQHKEYCONF, COMMITTED, COMPLETED,
// and the API's TC_COMMIT_ACK of the commit-ack marker) allocates nothing
// with the latency histograms on it. Two replicas: a marker is kept only
// for a write with a replica on another node.
func TestKeyPathDoesNotAllocate(t *testing.T) {
	r := newRigOf(t, 2)
	h := partition.Hash(keyOf(1))
	row := rowOf(accountLayout(), 1, 5)
	mk := func(n signal.Number, from signal.Address, words ...uint32) *signal.Signal {
		s := &signal.Signal{Number: n, Sender: from, Receiver: signal.Address{Node: 1, Block: gsn.BlockTC}}
		s.SetWords(words...)
		return s
	}
	req := mk(gsn.TCKEYREQ, r.api, gsn.OpUpdate, tableID, 0, gsn.TcKeyCommit|gsn.TcKeyCommitAck, uint32(h), uint32(h>>32))
	req.AddSection(row)
	ack := mk(gsn.TC_COMMIT_ACK, r.api, 1, 0, 0)
	steps := []*signal.Signal{req, mk(gsn.LQHKEYCONF, r.lqh, 0), mk(gsn.COMMITTED, r.lqh, 0), mk(gsn.COMPLETED, r.lqh, 0), ack}
	trans := uint64(0)
	run := func() {
		trans++
		ack.Words[1], ack.Words[2] = uint32(trans), uint32(trans>>32)
		for _, s := range steps {
			if s == ack && r.x.Markers() != 1 {
				t.Fatalf("%d commit-ack markers before the acknowledgement, want 1", r.x.Markers())
			}
			s.TransID = trans
			r.env.now += 10 * time.Microsecond
			r.x.Handle(r.env, s)
		}
		if r.x.Markers() != 0 {
			t.Fatalf("%d commit-ack markers left after the acknowledgement", r.x.Markers())
		}
	}
	run() // warm up: the transaction record and maps
	if allocs := testing.AllocsPerRun(1000, run); allocs != 0 {
		t.Errorf("a key transaction allocates %.1f times in the TC, want 0", allocs)
	}
	// AllocsPerRun runs it once more to warm up.
	if c := r.x.Latency.Commit.Count; c != 1002 || r.x.Commits != 1002 {
		t.Errorf("commit latency count %d, commits %d, want 1002", c, r.x.Commits)
	}
	if r.x.Latency.Commit.Counts[5] != 1002 { // TCKEYREQ to COMMITTED: 20 µs, 16 µs <= d < 32 µs
		t.Errorf("commit latency buckets %v, want all in bucket 5", r.x.Latency.Commit.Counts)
	}
}

// BenchmarkKeyTransaction is one key transaction through the TC's four
// signals, latency histograms included (0 allocs/op).
func BenchmarkKeyTransaction(b *testing.B) {
	r := newRig(b)
	h := partition.Hash(keyOf(1))
	mk := func(n signal.Number, from signal.Address, words ...uint32) *signal.Signal {
		s := &signal.Signal{Number: n, Sender: from, Receiver: signal.Address{Node: 1, Block: gsn.BlockTC}}
		s.SetWords(words...)
		return s
	}
	req := mk(gsn.TCKEYREQ, r.api, gsn.OpUpdate, tableID, 0, gsn.TcKeyCommit, uint32(h), uint32(h>>32))
	req.AddSection(rowOf(accountLayout(), 1, 5))
	steps := []*signal.Signal{req, mk(gsn.LQHKEYCONF, r.lqh, 0), mk(gsn.COMMITTED, r.lqh, 0), mk(gsn.COMPLETED, r.lqh, 0)}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for _, s := range steps {
			s.TransID = uint64(i + 1)
			r.env.now += time.Microsecond
			r.x.Handle(r.env, s)
		}
	}
}
