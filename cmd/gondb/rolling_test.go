package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/ndbapi"
)

var (
	rollingRows    = flag.Int("rolling.rows", 20000, "TestRollingRestart: rows loaded before the rolling restart")
	rollingWriters = flag.Int("rolling.writers", 4, "TestRollingRestart: writer goroutines during the rolling restart")
	rollingStrict  = flag.Bool("rolling.strict", true, "TestRollingRestart: fail on any unknown result (=false allows one per writer and node: a write in flight on a node's TC when it stops)")
)

// TestRollingRestart is issue 8's rolling restart acceptance with the real
// binary: a management server and two data nodes (NoOfReplicas=2,
// NodeFailover=true, HeartbeatIntervalDbDb=100) as processes; rows loaded;
// writers in this process upsert rows continuously through ndbapi
// (connected through the management server), retrying temporary errors;
// `gondb mgm -e "ALL RESTART"` restarts the data nodes one at a time. It
// checks that
//
//   - every data node was restarted (a node restart that copied its
//     replicas) and is STARTED, and the rolling restart says it is done;
//   - no transaction failed other than with temporary errors that a retry
//     cleared: no permanent error, no retries given up, and no unknown
//     result (4011): a stopping data node drains its TC first (refusing
//     new transactions with 270, which the API then sends elsewhere), so
//     no commit is in flight on it when it closes (-rolling.strict=false
//     allows one per writer and node);
//   - every acknowledged write is read back afterwards with its last value,
//     and both data nodes hold the same number of rows;
//
// and logs the rolling restart's duration, the error counts and the
// longest time without a commit.
func TestRollingRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and restarts a cluster of processes under load (about 30 s); not in -short")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	port := freePort(t)
	cfg := rollingConfig(t, dir, port, []int{2, 3})
	connect := fmt.Sprintf("127.0.0.1:%d", port)
	began := time.Now()
	mgmd := startProcess(t, bin, "mgmd", "mgmd", "-f", cfg)
	mgmd.waitFor(t, mgmdReadyRE, 20*time.Second)
	nodes := map[int]*process{}
	metrics := map[int]string{}
	for _, id := range []int{2, 3} {
		nodes[id] = startProcess(t, bin, fmt.Sprintf("datanode %d", id), "datanode", "-c", connect, "--ndb-nodeid", strconv.Itoa(id),
			"--http-addr", "127.0.0.1:0", "--connect-retries", "40", "--connect-retry-delay", "250ms")
	}
	for _, id := range []int{2, 3} {
		metrics[id] = nodes[id].waitFor(t, datanodeReadyRE, 60*time.Second)[2]
	}
	t.Logf("mgmd and two data nodes started in %v", time.Since(began).Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cl, tbl := connectRowsTable(t, ctx, connect, "rolling", 30*time.Second)
	defer cl.Close()
	loaded := time.Now()
	rollingLoad(t, ctx, cl, tbl, *rollingRows)
	t.Logf("loaded %d rows in %v", *rollingRows, time.Since(loaded).Round(time.Millisecond))

	// Writers.
	run := &rollingRun{}
	ledgers := make([]*rollingLedger, *rollingWriters)
	for w := range ledgers {
		ledgers[w] = &rollingLedger{acked: map[uint64]uint64{}, maybe: map[uint64][]uint64{}}
	}
	stopWriters := startWriters(t, cl, len(ledgers), func(w int, ndb *ndbapi.Ndb, stop <-chan struct{}) {
		rollingWrite(ctx, ndb, tbl, uint64(w+1), ledgers[w], run, stop)
	})
	defer stopWriters()
	waitCommits := func(n int64, what string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for from := run.commits.Load(); run.commits.Load() < from+n; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: fewer than %d commits in 30 s (%s)", what, n, run.summary())
			}
		}
	}
	waitCommits(500, "before the rolling restart")
	before := run.snapshot()

	// Follow the node restarts' progress as STATUS shows it.
	mgm, err := client.Dial(ctx, connect, client.Options{ConnectTimeout: time.Second, CallTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer mgm.Close()
	var progress rollingProgress
	watchDone := make(chan struct{})
	watchCtx, stopWatch := context.WithCancel(ctx)
	go func() {
		defer close(watchDone)
		progress.watch(watchCtx, mgm)
	}()

	rollBegan := time.Now()
	c := exec.Command(bin, "mgm", "-c", connect, "--wait", "3m", "--timeout", "5s", "--history-file", "", "-e", "ALL RESTART")
	var out, errb strings.Builder
	c.Stdout, c.Stderr = &out, &errb
	err = c.Run()
	took := time.Since(rollBegan)
	stopWatch()
	<-watchDone
	t.Logf("gondb mgm -e \"ALL RESTART\" took %v:\n%s", took.Round(time.Millisecond), out.String())
	if err != nil {
		t.Fatalf("ALL RESTART: %v\nstderr:\n%s", err, errb.String())
	}
	mustContain(t, "ALL RESTART", out.String(), "Rolling restart of data nodes 3, 2, one at a time", "Node 3 is being restarted (1 of 2)",
		"Node 2 is being restarted (2 of 2)", "Node 3: Started (restarted in ", "Node 2: Started (restarted in ", "Rolling restart done: 2 data node(s) restarted in ")
	during := run.snapshot()
	waitCommits(500, "after the rolling restart")
	stopWriters()
	after := run.snapshot()

	// Every node went through a node restart and is started.
	for _, id := range []int{2, 3} {
		log := nodes[id].err.String()
		if !strings.Contains(log, "node restart: waiting for the copy of this node's replicas") {
			t.Errorf("data node %d logged no node restart", id)
		}
		if n := strings.Count(log, `msg="data node: started"`); n != 2 {
			t.Errorf("data node %d logged %d starts, want 2 (the first and the restart)", id, n)
		}
	}
	mustContain(t, "ALL STATUS", gondbMgm(t, bin, connect, "ALL STATUS"), "Node 2: started (", "Node 3: started (")
	for _, id := range []int{3, 2} {
		t.Logf("data node %d's restart: %s", id, rollingTimeline(nodes[id].err.String(), id))
	}

	// The writes.
	t.Logf("writes: before %s; during the rolling restart %s; after %s", before.summary(), during.sub(before).summary(), after.sub(during).summary())
	t.Logf("longest time without a commit: %v; STATUS showed node restart progress %d times (steps %v)",
		run.maxGap().Round(time.Millisecond), progress.count(), progress.steps())
	if after.permanent+after.gaveUp > 0 || after.unknown > 2*len(ledgers) || *rollingStrict && after.unknown > 0 {
		t.Errorf("failed transactions: %d permanent errors, %d given up after retries, %d unknown results (first: %v)",
			after.permanent, after.gaveUp, after.unknown, run.firstFailures())
	} else if after.unknown > 0 {
		t.Logf("unknown results (writes in flight on a stopping node's TC): %v", run.firstFailures())
	}
	checked, rows := rollingVerify(t, ctx, cl, tbl, ledgers, *rollingRows)
	compareReplicaRows(t, "", metrics, rows)
	t.Logf("rolling restart of 2 loaded data nodes: %v (ALL RESTART to done), %d rows checked, %d rows per replica",
		took.Round(time.Millisecond), checked, rows)
}

// rollingConfig writes config.ini: one mgmd, the data nodes, API slots.
func rollingConfig(t *testing.T, dir string, mgmPort int, ids []int) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, `[ndbd default]
NoOfReplicas=2
DataMemory=%dM
MaxNoOfExecutionThreads=2
NodeFailover=true
HeartbeatIntervalDbDb=100
TimeBetweenEpochs=100
TimeBetweenGlobalCheckPoints=500
NoOfFragmentLogParts=4
NoOfFragmentLogFiles=4
FragmentLogFileSize=4M

[ndb_mgmd]
NodeId=1
HostName=127.0.0.1
PortNumber=%d
DataDir=%s
`, max(64, *rollingRows/2500), mgmPort, filepath.Join(dir, "mgmd"))
	dirs := []string{filepath.Join(dir, "mgmd")}
	for _, id := range ids {
		d := filepath.Join(dir, fmt.Sprintf("node%d", id))
		dirs = append(dirs, d)
		fmt.Fprintf(&b, "\n[ndbd]\nNodeId=%d\nHostName=127.0.0.1\nServerPort=%d\nDataDir=%s\n", id, freePort(t), d)
	}
	b.WriteString("\n[api]\nNodeId=50\n[api]\nNodeId=51\n[api]\nNodeId=52\n")
	return writeClusterConfig(t, dir, b.String(), dirs)
}

// rollingLoadBase is the first key of the loaded rows; a loaded row's
// value is its key. Writers use keys w<<32 | n (w from 1), below it.
const rollingLoadBase = uint64(1) << 48

// rollingLoad inserts rows rows, 100 per transaction.
func rollingLoad(t *testing.T, ctx context.Context, cl *ndbapi.Cluster, tbl *ndbapi.Table, rows int) {
	t.Helper()
	ndb, err := cl.NewNdb()
	if err != nil {
		t.Fatal(err)
	}
	defer ndb.Close()
	rb := tbl.NewRowBuilder()
	for first := 0; first < rows; first += 100 {
		err := ndbapi.RunTransaction(ctx, ndb, tbl, nil, func(tx *ndbapi.Transaction) error {
			for i := first; i < min(first+100, rows); i++ {
				k := rollingLoadBase + uint64(i)
				rb.Reset()
				rb.SetUint64(0, k)
				rb.SetUint64(1, k)
				tx.Insert(tbl, rb)
			}
			return nil
		}, ndbapi.DefaultRetryPolicy())
		if err != nil {
			t.Fatalf("loading rows %d..: %v", first, err)
		}
	}
}

// rollingLedger is what one writer knows of its keys: the last value
// acknowledged, and values of writes with an unknown result since.
type rollingLedger struct {
	acked map[uint64]uint64
	maybe map[uint64][]uint64
}

// rollingRun counts the writers' outcomes.
type rollingRun struct {
	commits atomic.Int64

	mu         sync.Mutex
	counts     rollingCounts
	lastCommit time.Time
	gap        time.Duration
	failures   []string
}

type rollingCounts struct {
	commits   int
	retries   int            // temporary errors a retry cleared or that were retried
	byCode    map[string]int // temporary errors by code
	permanent int
	gaveUp    int // temporary errors still there after every retry
	unknown   int
}

func (r *rollingRun) snapshot() rollingCounts {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.counts
	c.byCode = map[string]int{}
	for k, v := range r.counts.byCode {
		c.byCode[k] = v
	}
	return c
}

func (r *rollingRun) summary() string { s := r.snapshot(); return s.summary() }

func (r *rollingRun) maxGap() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gap
}

func (r *rollingRun) firstFailures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.failures)
}

func (c rollingCounts) sub(o rollingCounts) rollingCounts {
	d := rollingCounts{commits: c.commits - o.commits, retries: c.retries - o.retries, permanent: c.permanent - o.permanent,
		gaveUp: c.gaveUp - o.gaveUp, unknown: c.unknown - o.unknown, byCode: map[string]int{}}
	for k, v := range c.byCode {
		if v -= o.byCode[k]; v != 0 {
			d.byCode[k] = v
		}
	}
	return d
}

func (c rollingCounts) summary() string {
	var codes []string
	for k, v := range c.byCode {
		codes = append(codes, fmt.Sprintf("%s x%d", k, v))
	}
	slices.Sort(codes)
	return fmt.Sprintf("%d commits, %d temporary errors retried [%s], %d permanent, %d given up, %d unknown results",
		c.commits, c.retries, strings.Join(codes, ", "), c.permanent, c.gaveUp, c.unknown)
}

// rollingRetry retries temporary errors for up to about 30 s: through a
// node's failure detection, arbitration and takeover, and its restart.
var rollingRetry = ndbapi.RetryPolicy{MaxAttempts: 300, Backoff: 2 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}

// rollingWrite upserts rows until stop closes: keys w<<32 | n for n in
// 0..999, each write with a value unique to it, in transactions started
// on the key's primary replica's node. A temporary error is retried (as
// ndbapi.RunTransaction does, with rollingRetry's bounds), counting each
// by its code.
func rollingWrite(ctx context.Context, ndb *ndbapi.Ndb, tbl *ndbapi.Table, w uint64, led *rollingLedger, run *rollingRun, stop <-chan struct{}) {
	rb := tbl.NewRowBuilder()
	var key []byte
	for seq := uint64(1); ; seq++ {
		select {
		case <-stop:
			return
		default:
		}
		k, v := w<<32|seq%1000, w<<40|seq
		rb.Reset()
		rb.SetUint64(0, k)
		rb.SetUint64(1, v)
		key = rb.AppendKey(key[:0])
		var err error
		var codes []int
		wait := rollingRetry.Backoff
		for attempt := 0; attempt < rollingRetry.MaxAttempts; attempt++ {
			if attempt > 0 {
				codes = append(codes, ndbapi.Code(err))
				time.Sleep(wait)
				wait = min(2*wait, rollingRetry.MaxBackoff)
			}
			var tx *ndbapi.Transaction
			if tx, err = ndb.StartTransaction(tbl, key); err == nil {
				tx.Write(tbl, rb)
				err = tx.Execute(ndbapi.Commit)
				tx.Close()
			}
			if err == nil || !ndbapi.IsTemporary(err) || ctx.Err() != nil {
				break
			}
		}
		now := time.Now()
		run.mu.Lock()
		run.counts.retries += len(codes)
		if run.counts.byCode == nil {
			run.counts.byCode = map[string]int{}
		}
		for _, c := range codes {
			run.counts.byCode[strconv.Itoa(c)]++
		}
		switch {
		case err == nil:
			led.acked[k] = v
			delete(led.maybe, k)
			run.counts.commits++
			if !run.lastCommit.IsZero() {
				run.gap = max(run.gap, now.Sub(run.lastCommit))
			}
			run.lastCommit = now
		case rollingUnknown(err):
			led.maybe[k] = append(led.maybe[k], v)
			run.counts.unknown++
		case ndbapi.IsTemporary(err):
			run.counts.gaveUp++
		default:
			run.counts.permanent++
		}
		if err != nil && len(run.failures) < 10 {
			run.failures = append(run.failures, fmt.Sprintf("key %#x after %d attempts: %v", k, len(codes)+1, err))
		}
		run.mu.Unlock()
		if err == nil {
			run.commits.Add(1)
		}
	}
}

// rollingProgress records the node restart progress STATUS shows.
type rollingProgress struct {
	mu   sync.Mutex
	seen []string // "node step copied/of"
}

func (p *rollingProgress) watch(ctx context.Context, mgm *client.Conn) {
	for ctx.Err() == nil {
		if st, err := mgm.Status(ctx); err == nil {
			for _, n := range st.Nodes {
				if n.NodeRestart != nil && n.Status == mgmapi.StatusStarting {
					p.mu.Lock()
					p.seen = append(p.seen, fmt.Sprintf("%d %s %d/%d", n.NodeID, n.NodeRestart.Step, n.NodeRestart.FragmentsCopied, n.NodeRestart.Fragments))
					p.mu.Unlock()
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (p *rollingProgress) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.seen)
}

func (p *rollingProgress) steps() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, s := range p.seen {
		if len(out) == 0 || out[len(out)-1] != s {
			out = append(out, s)
		}
	}
	return out
}

// rollingVerify reads every key the writers acknowledged and every loaded
// row: each must hold its last acknowledged value (or, after writes of
// unknown result, one of their values). It returns the rows checked and
// the rows the table holds (keys written only with an unknown result may
// or may not be there).
func rollingVerify(t *testing.T, ctx context.Context, cl *ndbapi.Cluster, tbl *ndbapi.Table, ledgers []*rollingLedger, loaded int) (checked, rows int) {
	t.Helper()
	ndb, err := cl.NewNdb()
	if err != nil {
		t.Fatal(err)
	}
	defer ndb.Close()
	rb := tbl.NewRowBuilder()
	var key []byte
	read := func(k uint64) (uint64, bool) {
		rb.Reset()
		rb.SetUint64(0, k)
		key = rb.AppendKey(key[:0])
		var err error
		for attempt := 0; attempt < rollingRetry.MaxAttempts; attempt++ {
			if attempt > 0 {
				time.Sleep(rollingRetry.MaxBackoff)
			}
			var tx *ndbapi.Transaction
			if tx, err = ndb.StartTransaction(tbl, key); err != nil {
				continue
			}
			op := tx.ReadKey(tbl, key, ndbapi.CommittedRead)
			err = tx.Execute(ndbapi.Commit)
			row, ok := op.Row()
			var val uint64
			if err == nil && ok {
				val = row.Uint64(1)
			}
			tx.Close()
			switch {
			case err == nil && ok:
				return val, true
			case err == nil || ndbapi.Code(err) == 626: // no such row
				return 0, false
			case !ndbapi.IsTemporary(err) && !rollingUnknown(err): // a read may be asked again
				t.Fatalf("reading key %#x: %v", k, err)
			}
		}
		t.Fatalf("reading key %#x: %v", k, err)
		return 0, false
	}
	bad := 0
	report := func(format string, args ...any) {
		if bad++; bad <= 20 {
			t.Errorf(format, args...)
		}
	}
	for w, l := range ledgers {
		for k, vals := range l.maybe {
			if _, ok := l.acked[k]; ok {
				continue
			}
			got, ok := read(k)
			checked++
			if ok {
				rows++
				if !slices.Contains(vals, got) {
					report("writer %d: key %#x holds %#x, never written (unknown results: %x)", w+1, k, got, vals)
				}
			}
		}
		for k, v := range l.acked {
			got, ok := read(k)
			checked++
			if ok {
				rows++
			}
			switch {
			case !ok:
				report("writer %d: key %#x missing, last acknowledged value %#x", w+1, k, v)
			case got != v && !slices.Contains(l.maybe[k], got):
				report("writer %d: key %#x holds %#x, last acknowledged value %#x (unknown results since: %x)", w+1, k, got, v, l.maybe[k])
			}
		}
	}
	for i := range loaded {
		k := rollingLoadBase + uint64(i)
		got, ok := read(k)
		checked++
		if ok {
			rows++
		}
		if !ok || got != k {
			report("loaded row %#x: %#x (found %v)", k, got, ok)
		}
	}
	if bad > 20 {
		t.Errorf("... %d wrong rows in all", bad)
	}
	return checked, rows
}

// rollingUnknown reports whether err is an unknown result (4011, 4012).
func rollingUnknown(err error) bool {
	var e *ndbapi.Error
	return errors.As(err, &e) && e.UnknownResult()
}

// rollingTimeline times a data node's last start from its log: from
// "starting" to the president's first step of its node restart, the copy,
// and on to STARTED.
func rollingTimeline(log string, id int) string {
	at := func(re string) (time.Time, bool) {
		ms := regexp.MustCompile(`(?m)^time=(\S+) level=\S+ msg="`+re).FindAllStringSubmatch(log, -1)
		if ms == nil {
			return time.Time{}, false
		}
		ts, err := time.Parse(time.RFC3339Nano, ms[len(ms)-1][1])
		return ts, err == nil
	}
	self := fmt.Sprintf(`data node: node restart" node=%d node_restarting=%d step=`, id, id)
	starting, ok1 := at(`data node: starting"`)
	emptying, ok2 := at(self + `emptying`)
	copying, ok3 := at(self + `copying fragments_copied=0`)
	done, ok4 := at(self + `done`)
	started, ok5 := at(`data node: started"`)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
		return "not found in its log"
	}
	rows := ""
	if m := regexp.MustCompile(regexp.QuoteMeta(self)+`done fragments_copied=(\d+) fragments=\d+ rows_copied=(\d+)`).FindAllStringSubmatch(log, -1); m != nil {
		rows = fmt.Sprintf(" (%s fragments, %s rows)", m[len(m)-1][1], m[len(m)-1][2])
	}
	ms := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	return fmt.Sprintf("start to admitted %v, admitted to copy %v, copy %v%s, copy to STARTED %v; in all %v",
		ms(emptying.Sub(starting)), ms(copying.Sub(emptying)), ms(done.Sub(copying)), rows, ms(started.Sub(done)), ms(started.Sub(starting)))
}
