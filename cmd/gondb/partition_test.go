//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
)

// TestNetworkPartition is issue 8's partition test with the real binary:
// two data nodes (NoOfReplicas=2, one node group, so each side of a split
// holds a complete copy and arbitration decides) run on two "hosts", Linux
// network namespaces joined by a direct veth link (twoHosts), with the
// management server, the arbitrator, in the test's own namespace, which
// reaches both hosts. Writers in this process insert and update rows and
// record every acknowledged write; then the link between the hosts is cut.
// The test checks that
//
//   - exactly one side serves: one data node stays STARTED, the other's
//     QMGR shuts it down (it reports NOT_STARTED to the management server,
//     its /metrics say not started, the API loses it), never both and
//     never neither;
//   - the writers go on against the survivor (the time from the cut to
//     the first commit of a transaction begun after it is logged);
//   - every acknowledged write is in the survivor with its last value (a
//     write with an unknown result may or may not be), no refused insert
//     and no row never written is there;
//   - the client saw only temporary and unknown-result errors;
//   - no read begun after the survivor's first commit past the cut is
//     answered by the loser: readers pinned to each data node's TC read
//     rows throughout, and the loser's read lease (datanode/qmgr) runs
//     out before the survivor's view excludes it, so it refuses them
//     (9022) instead of answering from replicas that miss the survivor's
//     writes.
//
// It needs root and `ip netns` and skips otherwise (and in -short).
func TestNetworkPartition(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a cluster in network namespaces (about 15 s); not in -short")
	}
	hosts := newTwoHosts(t) // skips when namespaces cannot be made
	bin := buildBinary(t)
	dir := t.TempDir()
	port := freePort(t)
	ids := [2]int{2, 3} // data node ids on host A and host B
	cfg := partitionConfig(t, dir, port, hosts, ids)

	began := time.Now()
	mgmd := startOrphanProof(t, bin, "mgmd", "mgmd", "-f", cfg)
	mgmd.waitFor(t, mgmdReadyRE, 20*time.Second)
	var procs [2]*process
	var metrics [2]string
	for i, id := range ids {
		procs[i] = hosts.start(t, i, bin, fmt.Sprintf("datanode %d", id), "datanode",
			"-c", fmt.Sprintf("%s:%d", hosts.root[i], port), "--ndb-nodeid", fmt.Sprint(id), "--initial",
			"--http-addr", hosts.host[i]+":0", "--connect-retries", "0")
	}
	for i := range ids {
		metrics[i] = procs[i].waitFor(t, datanodeReadyRE, 60*time.Second)[2]
	}
	connect := fmt.Sprintf("127.0.0.1:%d", port)
	t.Logf("mgmd and data nodes %d (%s) and %d (%s) started in %v", ids[0], hosts.host[0], ids[1], hosts.host[1],
		time.Since(began).Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	mgm, err := client.Dial(ctx, connect, client.Options{ConnectTimeout: time.Second, CallTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer mgm.Close()
	cl, tbl := connectRowsTable(t, ctx, connect, "partition_rows", 5*time.Second)
	defer cl.Close()

	// Writers, until the survivor has taken enough writes after the cut.
	const writers = 4
	run := &partitionRun{}
	ledgers := make([]*partitionLedger, writers)
	for w := range ledgers {
		ledgers[w] = &partitionLedger{keys: map[uint64]*partitionKey{}}
	}
	stopWriters := startWriters(t, cl, writers, func(w int, ndb *ndbapi.Ndb, stop <-chan struct{}) {
		partitionWrite(ndb, tbl, uint64(w), ledgers[w], run, stop)
	})
	defer stopWriters()
	reads := newPartitionReads(t, ctx, cl)
	stopReaders := startWriters(t, cl, len(ids), func(w int, ndb *ndbapi.Ndb, stop <-chan struct{}) {
		reads.run(ndb, signal.NodeID(ids[w]), stop)
	})
	defer stopReaders()

	// Both serve before the cut.
	waitCond(t, 30*time.Second, "200 commits before the cut", func() (bool, string) {
		c := run.stats().commits
		return c >= 200, fmt.Sprintf("%d commits", c)
	})
	if st := partitionStatus(t, ctx, mgm, ids); st[0] != mgmapi.StatusStarted || st[1] != mgmapi.StatusStarted {
		t.Fatalf("before the cut: data nodes %v are %v, want both started", ids, st)
	}
	before := run.stats()

	// The cut.
	hosts.Cut(t)
	cutAt := time.Now()
	run.cutAt.Store(cutAt.UnixNano())
	t.Logf("cut the link between %s and %s after %d commits", hosts.ns[0], hosts.ns[1], before.commits)

	// One side goes on, the other shuts down. (A pair of started nodes
	// after the deadline is split brain; two stopped ones, no service.)
	var st [2]mgmapi.NodeStatus
	waitCond(t, 60*time.Second, "one data node started and the other not started", func() (bool, string) {
		st = partitionStatus(t, ctx, mgm, ids)
		one := (st[0] == mgmapi.StatusStarted) != (st[1] == mgmapi.StatusStarted)
		other := st[0] == mgmapi.StatusNotStarted || st[1] == mgmapi.StatusNotStarted
		said := fmt.Sprintf("data nodes %v: %v", ids, st)
		if st[0] == mgmapi.StatusStarted && st[1] == mgmapi.StatusStarted {
			said = "split brain, both sides serve: " + said
		}
		return one && other, said
	})
	settled := time.Since(cutAt)
	win, lose := 0, 1
	if st[1] == mgmapi.StatusStarted {
		win, lose = 1, 0
	}
	t.Logf("after %v the management server shows data node %d (%s) %v and data node %d (%s) %v",
		settled.Round(time.Millisecond), ids[win], hosts.ns[win], st[win], ids[lose], hosts.ns[lose], st[lose])

	// The writers go on against the survivor.
	waitCond(t, 60*time.Second, "200 commits of transactions begun after the cut", func() (bool, string) {
		s := run.stats()
		return s.after >= 200, fmt.Sprintf("%d commits after the cut (%d errors since)", s.after, s.errorsAfter)
	})
	stopWriters()
	stopReaders()
	s := run.stats()
	first := time.Duration(run.firstAfter.Load() - cutAt.UnixNano())
	reads.check(t, signal.NodeID(ids[lose]), cutAt, time.Unix(0, run.firstAfter.Load()))
	t.Logf("partition to the first commit on the survivor: %v (HeartbeatIntervalDbDb=%v, so 4 missed: %v)",
		first.Round(time.Millisecond), partitionHeartbeat, 4*partitionHeartbeat)
	t.Logf("writes: %d committed before the cut, %d after (%d of transactions begun after it); errors: %s",
		before.commits, s.commits-before.commits, s.after, s.errorSummary())
	if len(s.unexpected) > 0 {
		t.Errorf("the client saw errors other than temporary or unknown-result ones:\n  %s", strings.Join(s.unexpected, "\n  "))
	}

	// The loser stays down, the winner up: in the management server, the
	// nodes' own metrics, the logs, and what the API reaches.
	if st := partitionStatus(t, ctx, mgm, ids); st[win] != mgmapi.StatusStarted || st[lose] != mgmapi.StatusNotStarted {
		t.Errorf("after the writes: data nodes %v are %v, want %v started and %v not started", ids, st, ids[win], ids[lose])
	}
	mustContain(t, "ALL STATUS", gondbMgm(t, bin, connect, "ALL STATUS"),
		fmt.Sprintf("Node %d: started", ids[win]), fmt.Sprintf("Node %d: not started", ids[lose]))
	for i, want := range map[int]uint64{win: 1, lose: 0} {
		body, err := fetchMetrics(metrics[i])
		if err != nil {
			t.Errorf("data node %d's metrics: %v", ids[i], err)
			continue
		}
		if g, ok := gauge(body, "gondb_datanode_started"); !ok || g != want {
			t.Errorf("data node %d: gondb_datanode_started %d (present %v), want %d", ids[i], g, ok, want)
		}
	}
	select {
	case <-procs[lose].done:
		t.Logf("data node %d's process exited (%d)", ids[lose], procs[lose].code)
	default:
		t.Logf("data node %d's process runs on, not started (START would start it)", ids[lose])
	}
	if !strings.Contains(procs[lose].err.String(), "the cluster shut this node down") {
		t.Errorf("data node %d logged no shutdown by the cluster", ids[lose])
	}
	if strings.Contains(procs[win].err.String(), "the cluster shut this node down") {
		t.Errorf("data node %d, which serves, logged a shutdown by the cluster", ids[win])
	}
	for i := range ids {
		for _, line := range partitionLogLines(procs[i].err.String(), "arbitration", "shut this node down", "shutdown") {
			t.Logf("data node %d: %s", ids[i], line)
		}
	}
	waitCond(t, 20*time.Second, fmt.Sprintf("the API connected to data node %d only", ids[win]), func() (bool, string) {
		c := cl.Connected()
		return slices.Equal(c, []signal.NodeID{signal.NodeID(ids[win])}), fmt.Sprintf("connected to %v", c)
	})
	partitionServes(t, cl, tbl, ids, win)

	// Every acknowledged write is in the survivor, the only node the API
	// reaches now.
	rows, checked := partitionVerify(t, cl, tbl, ledgers)
	t.Logf("the survivor holds %d rows of the writers (and the 2 probe writes); %d keys checked against their ledgers", rows, checked)
}

// partitionHeartbeat is the test cluster's HeartbeatIntervalDbDb.
const partitionHeartbeat = 100 * time.Millisecond

// partitionConfig writes config.ini: the management server in the root
// namespace, data node ids[i] on host i at its address, NodeFailover on,
// fast heartbeats, Arbitration left at Default (the management server).
func partitionConfig(t *testing.T, dir string, mgmPort int, hosts *twoHosts, ids [2]int) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, `[ndbd default]
NoOfReplicas=2
DataMemory=16M
MaxNoOfExecutionThreads=2
NodeFailover=true
HeartbeatIntervalDbDb=%d
TimeBetweenEpochs=100
TimeBetweenGlobalCheckPoints=500

[ndb_mgmd]
NodeId=1
HostName=127.0.0.1
PortNumber=%d
DataDir=%s
`, partitionHeartbeat.Milliseconds(), mgmPort, filepath.Join(dir, "mgmd"))
	dirs := []string{filepath.Join(dir, "mgmd")}
	for i, id := range ids {
		d := filepath.Join(dir, fmt.Sprintf("node%d", id))
		dirs = append(dirs, d)
		fmt.Fprintf(&b, "\n[ndbd]\nNodeId=%d\nHostName=%s\nServerPort=%d\nDataDir=%s\n", id, hosts.host[i], 11860+id, d)
	}
	b.WriteString("\n[api]\nNodeId=50\n[api]\nNodeId=51\n")
	return writeClusterConfig(t, dir, b.String(), dirs)
}

// partitionStatus is each data node's status as the management server
// has it (NOT_CONNECTED when the call fails: polled again).
func partitionStatus(t *testing.T, ctx context.Context, mgm *client.Conn, ids [2]int) [2]mgmapi.NodeStatus {
	t.Helper()
	var out [2]mgmapi.NodeStatus
	rep, err := mgm.Status(ctx)
	if err != nil {
		t.Logf("status from the management server: %v", err)
		return out
	}
	for _, n := range rep.Nodes {
		for i, id := range ids {
			if int(n.NodeID) == id {
				out[i] = n.Status
			}
		}
	}
	return out
}

// partitionLogLines returns the lines of log that contain any of words.
func partitionLogLines(log string, words ...string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		for _, w := range words {
			if strings.Contains(l, w) {
				out = append(out, l)
				break
			}
		}
	}
	return out
}

// What a writer knows about one key: a write whose outcome it knows
// (committed, or refused with a temporary error), or one whose outcome is
// unknown (4011, 4012), which may or may not have happened.
type partitionKey struct {
	acked    bool     // a write of the key committed
	val      uint64   // the last committed value
	maybe    []uint64 // values of unknown-result writes since then
	refused  bool     // its insert was refused: the key must be absent
	inserted bool     // its insert committed: updates may target it
}

// partitionLedger is one writer's keys; the writer fills it, the checker
// reads it after the writer stopped.
type partitionLedger struct {
	keys    map[uint64]*partitionKey
	present []uint64 // keys whose insert committed
}

// partitionRun is what the writers share: counters and the cut time.
type partitionRun struct {
	cutAt      atomic.Int64 // UnixNano of the cut; 0 before
	firstAfter atomic.Int64 // UnixNano of the first commit of a transaction begun after the cut

	mu          sync.Mutex
	commits     int
	after       int            // commits of transactions begun after the cut
	errors      map[string]int // "code class" -> count
	errorsAfter int
	unexpected  []string
}

type partitionStats struct {
	commits, after, errorsAfter int
	errors                      map[string]int
	unexpected                  []string
}

func (r *partitionRun) stats() partitionStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return partitionStats{commits: r.commits, after: r.after, errorsAfter: r.errorsAfter,
		errors: maps.Clone(r.errors), unexpected: slices.Clone(r.unexpected)}
}

func (s partitionStats) errorSummary() string {
	if len(s.errors) == 0 {
		return "none"
	}
	var parts []string
	for k, v := range s.errors {
		parts = append(parts, fmt.Sprintf("%s x%d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// Outcomes of one write.
const (
	outCommitted = iota
	outRefused   // definitely not applied: not sent, or a temporary error
	outUnknown   // may have been applied
)

// partitionWrite runs writer w until stop closes: synchronous
// transactions that each insert a new key (w<<32 | n) or update one this
// writer inserted, with a value unique to the write (w<<40 | n), using
// the key as the distribution hint, so that the TCs of both data nodes
// are used.
func partitionWrite(ndb *ndbapi.Ndb, tbl *ndbapi.Table, w uint64, led *partitionLedger, run *partitionRun, stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(w, uint64(time.Now().UnixNano())))
	rb := tbl.NewRowBuilder()
	var keyBuf []byte
	nextKey, nextVal := uint64(1), uint64(1)
	for {
		select {
		case <-stop:
			return
		default:
		}
		insert := len(led.present) == 0 || rng.IntN(2) == 0
		var key uint64
		if insert {
			key = w<<32 | nextKey
			nextKey++
		} else {
			key = led.present[rng.IntN(len(led.present))]
		}
		val := w<<40 | nextVal
		nextVal++
		rb.Reset()
		rb.SetUint64(0, key)
		keyBuf = rb.AppendKey(keyBuf[:0])
		rb.SetUint64(1, val)
		began := time.Now()
		tx, err := ndb.StartTransaction(tbl, keyBuf)
		out := outRefused
		if err == nil {
			if insert {
				tx.Insert(tbl, rb)
			} else {
				tx.Update(tbl, rb)
			}
			err = tx.Execute(ndbapi.Commit)
			tx.Close()
			var e *ndbapi.Error
			switch {
			case err == nil:
				out = outCommitted
			case errors.As(err, &e) && e.UnknownResult():
				out = outUnknown
			case errors.As(err, &e) && e.Temporary():
				out = outRefused
			default:
				out = outUnknown // a permanent error: reported; the ledger assumes nothing
				run.mu.Lock()
				if len(run.unexpected) < 20 {
					run.unexpected = append(run.unexpected, fmt.Sprintf("key %#x (insert %v): %v", key, insert, err))
				}
				run.mu.Unlock()
			}
		}

		k := led.keys[key]
		if k == nil {
			k = &partitionKey{}
			led.keys[key] = k
		}
		switch out {
		case outCommitted:
			k.acked, k.val, k.maybe = true, val, nil
			if insert {
				k.inserted = true
				led.present = append(led.present, key)
			}
		case outUnknown:
			k.maybe = append(k.maybe, val)
		case outRefused:
			if insert {
				k.refused = true
			}
		}

		cut := run.cutAt.Load()
		run.mu.Lock()
		if err == nil {
			run.commits++
			if cut != 0 && began.UnixNano() > cut {
				run.after++
				run.firstAfter.CompareAndSwap(0, time.Now().UnixNano())
			}
		} else {
			if run.errors == nil {
				run.errors = map[string]int{}
			}
			run.errors[fmt.Sprintf("%d (%s)", ndbapi.Code(err), partitionErrClass(err))]++
			if cut != 0 {
				run.errorsAfter++
			}
		}
		run.mu.Unlock()
		if err != nil {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func partitionErrClass(err error) string {
	var e *ndbapi.Error
	switch {
	case !errors.As(err, &e):
		return "not an ndbapi error"
	case e.UnknownResult():
		return "unknown result"
	case e.Temporary():
		return "temporary"
	}
	return "permanent"
}

// partitionServes checks that a write started on either data node's TC
// commits, on the winner's: the API falls back from the stopped node.
func partitionServes(t *testing.T, cl *ndbapi.Cluster, tbl *ndbapi.Table, ids [2]int, win int) {
	t.Helper()
	ndb, err := cl.NewNdb()
	if err != nil {
		t.Fatal(err)
	}
	defer ndb.Close()
	rb := tbl.NewRowBuilder()
	for _, id := range ids {
		key := uint64(1)<<62 | uint64(id)
		tx, err := ndb.StartTransactionOn(signal.NodeID(id))
		if err != nil {
			t.Errorf("starting a transaction on data node %d: %v", id, err)
			continue
		}
		rb.Reset()
		rb.SetUint64(0, key)
		rb.SetUint64(1, key)
		tx.Insert(tbl, rb)
		err = tx.Execute(ndbapi.Commit)
		tc := tx.Node()
		tx.Close()
		if err != nil {
			t.Errorf("a write asked of data node %d (run by %d): %v", id, tc, err)
		} else if int(tc) != ids[win] {
			t.Errorf("a write asked of data node %d committed on data node %d; only %d serves", id, tc, ids[win])
		}
	}
}

// partitionVerify scans the table (on the only data node the API
// reaches) and checks every row against the writers' ledgers. It returns
// the rows found and the keys checked.
func partitionVerify(t *testing.T, cl *ndbapi.Cluster, tbl *ndbapi.Table, ledgers []*partitionLedger) (rows, checked int) {
	t.Helper()
	found := map[uint64]uint64{}
	deadline := time.Now().Add(30 * time.Second)
	for attempt := 0; ; attempt++ {
		clear(found)
		var dup []uint64
		err := crashScan(cl, tbl, func(r schema.Row) {
			k := r.Uint64(0)
			if _, ok := found[k]; ok {
				dup = append(dup, k)
			}
			found[k] = r.Uint64(1)
		})
		if err == nil {
			if len(dup) > 0 {
				t.Errorf("the scan returned keys more than once: %#x", dup)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("scanning the survivor: %v", err)
		}
		if attempt == 0 {
			t.Logf("scanning the survivor: %v (retrying)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var lost, stale, refused, unknownVal, stray []string
	seen := map[uint64]bool{}
	for _, led := range ledgers {
		for key, k := range led.keys {
			seen[key] = true
			checked++
			v, ok := found[key]
			switch {
			case k.inserted && !ok:
				lost = append(lost, fmt.Sprintf("key %#x: committed value %#x, row missing", key, k.val))
			case k.acked && ok && v != k.val && !slices.Contains(k.maybe, v):
				stale = append(stale, fmt.Sprintf("key %#x: %#x, committed %#x (unknown since: %#x)", key, v, k.val, k.maybe))
			case !k.acked && ok && k.refused:
				refused = append(refused, fmt.Sprintf("key %#x: insert refused, yet the row holds %#x", key, v))
			case !k.acked && ok && !slices.Contains(k.maybe, v):
				unknownVal = append(unknownVal, fmt.Sprintf("key %#x: %#x, never written (unknown writes %#x)", key, v, k.maybe))
			}
		}
	}
	for key, v := range found {
		if !seen[key] && key>>62 == 0 {
			stray = append(stray, fmt.Sprintf("key %#x = %#x", key, v))
		}
	}
	report := func(what string, list []string) {
		if len(list) == 0 {
			return
		}
		sort.Strings(list)
		total := len(list)
		if total > 10 {
			list = append(list[:10:10], fmt.Sprintf("... and %d more", total-10))
		}
		t.Errorf("%d %s:\n  %s", total, what, strings.Join(list, "\n  "))
	}
	report("committed rows lost", lost)
	report("committed updates lost (an older value)", stale)
	report("refused inserts present", refused)
	report("rows with a value never written", unknownVal)
	report("rows no writer wrote", stray)
	for key := range found {
		if key>>62 == 0 {
			rows++
		}
	}
	return rows, checked
}

// partitionReads are readers pinned to each data node's TC, reading the
// rows of a READ_BACKUP table with committed reads, so that each TC reads
// its own node's replica; they record when each read that a node answered
// began, and the reads refused for want of a read lease.
type partitionReads struct {
	tbl     *ndbapi.Table
	mu      sync.Mutex
	served  map[signal.NodeID][]time.Time // began, of the reads each TC answered
	fenced  map[signal.NodeID]int         // refused with 9022
	errored map[signal.NodeID]map[int]int // node -> error code -> count
	sample  error                         // the first error of those
}

// partitionReadKeys is how many rows the readers read.
const partitionReadKeys = 16

// newPartitionReads creates the readers' table and its rows.
func newPartitionReads(t *testing.T, ctx context.Context, cl *ndbapi.Cluster) *partitionReads {
	t.Helper()
	tbl, err := cl.CreateTable(ctx, &schema.Table{Name: "partition_reads", PrimaryKey: []int{0}, ReadBackup: true, Columns: []schema.Column{
		{Name: "id", Type: schema.TypeBigInt, Unsigned: true},
		{Name: "val", Type: schema.TypeBigInt, Unsigned: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ndb, err := cl.NewNdb()
	if err != nil {
		t.Fatal(err)
	}
	defer ndb.Close()
	tx, err := ndb.StartTransaction(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	rb := tbl.NewRowBuilder()
	for i := range partitionReadKeys {
		rb.Reset()
		rb.SetUint64(0, uint64(i))
		rb.SetUint64(1, uint64(i))
		tx.Insert(tbl, rb)
	}
	if err := tx.Execute(ndbapi.Commit); err != nil {
		t.Fatalf("inserting the probe rows: %v", err)
	}
	return &partitionReads{tbl: tbl, served: map[signal.NodeID][]time.Time{}, fenced: map[signal.NodeID]int{}, errored: map[signal.NodeID]map[int]int{}}
}

// run reads probe rows through node's TC until stop.
func (r *partitionReads) run(ndb *ndbapi.Ndb, node signal.NodeID, stop <-chan struct{}) {
	tbl := r.tbl
	rb := tbl.NewRowBuilder()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		began := time.Now()
		tx, err := ndb.StartTransactionOn(node)
		if err == nil {
			rb.Reset()
			rb.SetUint64(0, uint64(i%partitionReadKeys))
			tx.Read(tbl, rb, ndbapi.CommittedRead)
			err = tx.Execute(ndbapi.Commit)
			if err == nil && tx.Node() != node {
				err = fmt.Errorf("asked of data node %d, run by %d", node, tx.Node())
			}
			tx.Close()
		}
		r.mu.Lock()
		switch {
		case err == nil:
			r.served[node] = append(r.served[node], began)
		case ndbapi.Code(err) == 9022:
			r.fenced[node]++
		default:
			if r.errored[node] == nil {
				r.errored[node] = map[int]int{}
			}
			r.errored[node][ndbapi.Code(err)]++
			if r.sample == nil && ndbapi.Code(err) == 0 {
				r.sample = err
			}
		}
		r.mu.Unlock()
		if err != nil {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// check fails the test if the loser answered a read begun after the
// survivor's first commit of a transaction begun after the cut (at
// firstCommit): that read could miss the commit.
func (r *partitionReads) check(t *testing.T, loser signal.NodeID, cutAt, firstCommit time.Time) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var afterCut, late int
	for _, began := range r.served[loser] {
		if began.After(cutAt) {
			afterCut++
		}
		if began.After(firstCommit) {
			late++
		}
	}
	t.Logf("reads: %v answered per data node; the loser (%d) answered %d begun after the cut, %d after the survivor's first commit; refused without a read lease %v; other errors %v (the first: %v)",
		mapLens(r.served), loser, afterCut, late, r.fenced, r.errored, r.sample)
	if firstCommit.IsZero() || len(r.served[loser]) == 0 {
		t.Errorf("the readers saw no commit after the cut or no read answered by data node %d", loser)
	}
	if late > 0 {
		t.Errorf("data node %d, cut off, answered %d reads begun after the survivor committed a write it did not see (stale reads)", loser, late)
	}
}

func mapLens(m map[signal.NodeID][]time.Time) map[signal.NodeID]int {
	out := map[signal.NodeID]int{}
	for k, v := range m {
		out[k] = len(v)
	}
	return out
}
