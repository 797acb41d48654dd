package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/schema"
)

// Flags of the crash test (issue 7's acceptance): `make test` runs the
// default rounds, `make soak` runs 20.
var (
	crashRounds = flag.Int("crash.rounds", 2, "TestCrashRestart: kill -9 rounds per cluster variant")
	crashSeed   = flag.Uint64("crash.seed", 0, "TestCrashRestart: seed of the kill moments (0: from the clock; every round logs the seed that replays it)")
	crashRate   = flag.Int("crash.rate", 2000, "TestCrashRestart: transactions per second the writer aims at (each inserts 3 rows)")
)

// TestCrashRestart is the durability crash test with the real binary: a
// management server (embedded etcd) and data nodes as separate processes
// with their redo logs in per-node DataDirs; a writer in this process runs
// flexAsync-style asynchronous transactions, each inserting 3 rows (keys
// tx*3+0..2) that carry the transaction number; at a random (seeded)
// moment every data node is killed with SIGKILL at once; the nodes are
// restarted without --initial, and a full scan checks that
//
//   - every transaction committed with a GCI at or below the restored GCI
//     has its 3 rows (and those found after an earlier restart are still
//     there);
//   - no transaction is partly present (1 or 2 of its rows);
//   - no row belongs to a transaction that was never sent, was refused
//     before the kill, or committed after the restored GCI (the cluster
//     opens consistent at one GCP), and none that was absent after an
//     earlier restart comes back;
//   - every row's columns are the ones written;
//   - all nodes restored the same GCI, not below the last GCP a node
//     reported saved before the kill;
//   - every data node holds as many rows as the scan found (replicas
//     identical by row count: gondb_lqh_rows).
//
// The next round writes new transactions on top. -crash.rounds sets the
// rounds per variant (two data nodes with NoOfReplicas=2; one data node).
func TestCrashRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills clusters of processes (about 15 s a round); not in -short")
	}
	bin := buildBinary(t)
	seed := *crashSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("crash test: -crash.seed=%d -crash.rounds=%d -crash.rate=%d", seed, *crashRounds, *crashRate)
	// Two nodes take local checkpoints often (every 256 KiB of writes), so
	// restarts restore online LCPs plus redo; one node at the default
	// (4 MiB) mostly replays redo over the checkpoint of the last restart.
	t.Run("TwoNodesTwoReplicas", func(t *testing.T) { testCrashRounds(t, bin, 2, 2, 16, seed, 0) })
	t.Run("OneNode", func(t *testing.T) { testCrashRounds(t, bin, 1, 1, 20, seed, 1_000_003) })
}

// Transaction outcomes as the writer saw them.
const (
	txUnused    uint8 = iota // never started (beyond the last number used)
	txNotSent                // StartTransaction failed: nothing reached a data node
	txAborted                // refused before the kill with a definite error: must be absent
	txUnknown                // in flight at the kill, or an unknown-result error: all or nothing
	txCommitted              // committed with tx.GCI()
)

// Presence after a restart.
const (
	presUnseen  uint8 = iota // not checked by a restart yet
	presAbsent               // none of its rows
	presPresent              // all 3 rows
)

const crashTable = "crash_tx"

// crashPayload is the payload column's value for row id.
func crashPayload(id uint64) uint64 { return (id * 0x9E3779B97F4A7C15) >> 32 }

// crashLedger is what the test knows about every transaction number; the
// writer fills it between kills, the checker reads it after.
type crashLedger struct {
	status  []uint8  // by tx number
	gci     []uint64 // commit GCI of committed ones
	round   []int32  // the round that ran it
	present []uint8  // presence after the last restart
	next    uint64   // the next tx number to use (numbers start at 1)
}

func (l *crashLedger) grow(tx uint64) {
	for uint64(len(l.status)) <= tx {
		l.status = append(l.status, txUnused)
		l.gci = append(l.gci, 0)
		l.round = append(l.round, -1)
		l.present = append(l.present, presUnseen)
	}
}

type crashNode struct {
	id      int
	dataDir string
	proc    *process
	metrics string // /metrics URL of the running process
}

type crashCluster struct {
	bin     string
	connect string
	nodes   []*crashNode
}

// crashConfig writes config.ini: one mgmd, nodes data nodes with their own
// DataDir, small redo logs, short global checkpoints, and a local
// checkpoint after 4 * 2^lcpLog2 bytes of writes.
func crashConfig(t *testing.T, dir string, mgmPort, replicas, lcpLog2 int, nodes []*crashNode) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, `[ndbd default]
NoOfReplicas=%d
DataMemory=64M
MaxNoOfExecutionThreads=2
TimeBetweenEpochs=100
TimeBetweenGlobalCheckPoints=500
NoOfFragmentLogParts=4
NoOfFragmentLogFiles=4
FragmentLogFileSize=4M
TimeBetweenLocalCheckpoints=%d

[ndb_mgmd]
NodeId=1
HostName=127.0.0.1
PortNumber=%d
DataDir=%s
`, replicas, lcpLog2, mgmPort, filepath.Join(dir, "mgmd"))
	for _, n := range nodes {
		fmt.Fprintf(&b, "\n[ndbd]\nNodeId=%d\nHostName=127.0.0.1\nServerPort=%d\nDataDir=%s\n", n.id, freePort(t), n.dataDir)
	}
	b.WriteString("\n[api]\nNodeId=50\n[api]\nNodeId=51\n[api]\nNodeId=52\n")
	dirs := []string{filepath.Join(dir, "mgmd")}
	for _, n := range nodes {
		dirs = append(dirs, n.dataDir)
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "config.ini")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// restoredLogRE matches the data node's restore line (slog text or JSON):
// its gci and the rest of the line (fragments, rows, records, times).
var restoredLogRE = regexp.MustCompile(`system restart: restored.*?\bgci"?[=:]"?(\d+)(.*)`)

// start starts every data node (initial: with --initial) and waits until
// each printed its ready line. A node killed a moment ago may find its node
// id still held by the management server until its lease expires, so the
// nodes retry joining meanwhile. It returns how long the slowest node took
// from its process start to ready (the lease wait included) and from
// joining the cluster to started (by the nodes' log times: the restart
// itself).
func (c *crashCluster) start(t *testing.T, initial bool) (ready, restart time.Duration) {
	t.Helper()
	began := time.Now()
	for _, n := range c.nodes {
		args := []string{"datanode", "-c", c.connect, "--ndb-nodeid", strconv.Itoa(n.id), "--http-addr", "127.0.0.1:0",
			"--connect-retries", "120", "--connect-retry-delay", "250ms"}
		if initial {
			args = append(args, "--initial")
		}
		n.proc = startProcess(t, c.bin, fmt.Sprintf("datanode %d", n.id), args...)
	}
	for _, n := range c.nodes {
		n.metrics = n.proc.waitFor(t, datanodeReadyRE, 60*time.Second)[2]
		ready = max(ready, time.Since(began))
		// The ready line may come out before the log line of the start.
		for wait := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			log := n.proc.err.String()
			joined, ok1 := logTime(log, "data node: joined the cluster")
			started, ok2 := logTime(log, "data node: started")
			if ok1 && ok2 {
				restart = max(restart, started.Sub(joined))
				break
			}
			if time.Now().After(wait) {
				t.Logf("data node %d: no log lines of joining and starting to time its start", n.id)
				break
			}
		}
	}
	return ready, restart
}

// logTime is the time of the last slog text line with message msg.
func logTime(log, msg string) (time.Time, bool) {
	re := regexp.MustCompile(`(?m)^time=(\S+) level=\S+ msg="` + regexp.QuoteMeta(msg) + `"`)
	ms := re.FindAllStringSubmatch(log, -1)
	if ms == nil {
		return time.Time{}, false
	}
	ts, err := time.Parse(time.RFC3339Nano, ms[len(ms)-1][1])
	return ts, err == nil
}

// kill sends SIGKILL to every data node, one right after the other, and
// waits until all are gone.
func (c *crashCluster) kill(t *testing.T) {
	t.Helper()
	for _, n := range c.nodes {
		if err := syscall.Kill(n.proc.cmd.Process.Pid, syscall.SIGKILL); err != nil {
			t.Fatalf("kill -9 data node %d: %v", n.id, err)
		}
	}
	for _, n := range c.nodes {
		select {
		case <-n.proc.done:
		case <-time.After(10 * time.Second):
			t.Fatalf("data node %d did not die after SIGKILL", n.id)
		}
	}
}

// metricSamples returns the samples of metric name in a Prometheus text
// exposition: labels as written between the braces ("" when none), values.
func metricSamples(body, name string) map[string]float64 {
	out := map[string]float64{}
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name) || strings.HasPrefix(line, "#") {
			continue
		}
		rest := line[len(name):]
		labels := ""
		if strings.HasPrefix(rest, "{") {
			end := strings.Index(rest, "}")
			if end < 0 {
				continue
			}
			labels, rest = rest[1:end], rest[end+1:]
		} else if !strings.HasPrefix(rest, " ") {
			continue // another metric whose name starts with name
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		out[labels] = v
	}
	return out
}

// fetchMetrics reads a /metrics page; errors are returned, not fatal, so
// that goroutines may call it.
func fetchMetrics(url string) (string, error) {
	cl := http.Client{Timeout: 2 * time.Second}
	resp, err := cl.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", url, resp.Status)
	}
	return string(b), nil
}

// gauge is one unlabelled sample of name, if present.
func gauge(body, name string) (uint64, bool) {
	v, ok := metricSamples(body, name)[""]
	return uint64(v), ok
}

// testCrashRounds runs -crash.rounds rounds on a new cluster
// (TimeBetweenLocalCheckpoints=lcpLog2); round r's kill moment comes from
// seed+offset+r.
func testCrashRounds(t *testing.T, bin string, dataNodes, replicas, lcpLog2 int, seed, offset uint64) {
	dir := t.TempDir()
	c := &crashCluster{bin: bin}
	for i := range dataNodes {
		c.nodes = append(c.nodes, &crashNode{id: 2 + i, dataDir: filepath.Join(dir, fmt.Sprintf("node%d", 2+i))})
	}
	port := freePort(t)
	cfg := crashConfig(t, dir, port, replicas, lcpLog2, c.nodes)
	c.connect = fmt.Sprintf("127.0.0.1:%d", port)
	began := time.Now()
	mgmd := startProcess(t, bin, "mgmd", "mgmd", "-f", cfg)
	mgmd.waitFor(t, mgmdReadyRE, 20*time.Second)
	ready, _ := c.start(t, true)
	t.Logf("mgmd and %d data node(s) started in %v (data nodes ready after %v)", dataNodes, time.Since(began).Round(time.Millisecond), ready.Round(time.Millisecond))
	for _, n := range c.nodes {
		body, err := fetchMetrics(n.metrics)
		if err != nil {
			t.Fatal(err)
		}
		if g, ok := gauge(body, "gondb_gcp_restored_gci"); !ok || g != 0 {
			t.Errorf("data node %d after an initial start: gondb_gcp_restored_gci %d (present %v), want 0", n.id, g, ok)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	opts := ndbapi.DefaultTestOptions()
	opts.Client = client.Options{ConnectTimeout: time.Second, CallTimeout: 3 * time.Second}
	// In-flight transactions at the kill end by this time-out (4012).
	opts.TransactionTimeout = 3 * time.Second
	opts.ReadyTimeout = 30 * time.Second
	cl, err := ndbapi.Connect(ctx, c.connect, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	def := &schema.Table{Name: crashTable, PrimaryKey: []int{0}, Columns: []schema.Column{
		{Name: "id", Type: schema.TypeBigInt, Unsigned: true},
		{Name: "tx", Type: schema.TypeBigInt, Unsigned: true},
		{Name: "payload", Type: schema.TypeInt, Unsigned: true},
	}}
	tbl, err := cl.CreateTable(ctx, def)
	if err != nil {
		t.Fatal(err)
	}

	led := &crashLedger{next: 1}
	var lastRestored uint64
	for round := range *crashRounds {
		rseed := seed + offset + uint64(round)
		rng := rand.New(rand.NewPCG(rseed, 0x6372617368))
		killAfter := time.Duration(100+rng.IntN(2900)) * time.Millisecond
		roundBegan := time.Now()
		if err := cl.WaitReady(ctx, 0); err != nil {
			t.Fatalf("round %d: the API did not reconnect to every data node: %v", round, err)
		}
		firstTx := led.next

		// Write, sampling each node's saved GCI, until the kill.
		var killed atomic.Bool
		stop := make(chan struct{})
		wdone := make(chan error, 1)
		go func() { wdone <- crashWrite(cl, tbl, led, int32(round), &killed, stop) }()
		savedSeen := make([]uint64, len(c.nodes))
		sampleDone := make(chan struct{})
		go func() {
			defer close(sampleDone)
			for {
				for i, n := range c.nodes {
					if body, err := fetchMetrics(n.metrics); err == nil {
						if g, ok := gauge(body, "gondb_gcp_saved_gci"); ok && !killed.Load() {
							savedSeen[i] = max(savedSeen[i], g)
						}
					}
				}
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
		}()
		time.Sleep(killAfter)
		killed.Store(true)
		killAt := time.Now()
		c.kill(t)
		close(stop)
		<-sampleDone
		// Restart without --initial while the writer waits out its
		// in-flight transactions (they went to the dead processes; nothing
		// new is sent after the kill).
		restartBegan := time.Now()
		ready, restart := c.start(t, false)
		if err := <-wdone; err != nil {
			t.Fatalf("round %d: writer: %v", round, err)
		}
		var committed, unknown, aborted, notSent int
		var maxGCI uint64
		for tx := firstTx; tx < led.next; tx++ {
			switch led.status[tx] {
			case txCommitted:
				committed++
				maxGCI = max(maxGCI, led.gci[tx])
				if led.gci[tx] == 0 {
					t.Errorf("round %d: tx %d committed with GCI 0", round, tx)
				}
				if led.gci[tx] <= lastRestored && round > 0 {
					t.Errorf("round %d: tx %d committed with GCI %d, not above the GCI %d restored before this round", round, tx, led.gci[tx], lastRestored)
				}
			case txUnknown:
				unknown++
			case txAborted:
				aborted++
			case txNotSent:
				notSent++
			}
		}

		restoredBy := make([]uint64, len(c.nodes))
		var restoreLines []string
		for i, n := range c.nodes {
			body, err := fetchMetrics(n.metrics)
			if err != nil {
				t.Fatal(err)
			}
			g, ok := gauge(body, "gondb_gcp_restored_gci")
			if !ok {
				t.Fatalf("round %d: data node %d has no gondb_gcp_restored_gci gauge after a restart", round, n.id)
			}
			restoredBy[i] = g
			if m := restoredLogRE.FindStringSubmatch(n.proc.err.String()); m == nil {
				t.Errorf("round %d: data node %d logged no %q line", round, n.id, "system restart: restored ... gci=N")
			} else if lg, _ := strconv.ParseUint(m[1], 10, 64); lg != g {
				t.Errorf("round %d: data node %d logged restored gci=%d, its metrics say %d", round, n.id, lg, g)
			} else {
				restoreLines = append(restoreLines, fmt.Sprintf("node %d:%s", n.id, m[2]))
			}
		}
		restored := restoredBy[0]
		for i, g := range restoredBy {
			if g != restored {
				t.Errorf("round %d: the data nodes restored different GCIs: node %d %d, node %d %d", round, c.nodes[0].id, restored, c.nodes[i].id, g)
			}
			if g < savedSeen[i] {
				t.Errorf("round %d: data node %d restored GCI %d, but reported GCI %d saved before the kill", round, c.nodes[i].id, g, savedSeen[i])
			}
		}
		if restored < lastRestored {
			t.Errorf("round %d: restored GCI %d is below the %d restored after the previous round", round, restored, lastRestored)
		}

		rows, txs := crashVerify(t, ctx, cl, tbl, led, round, restored)
		crashCompareReplicas(t, c, round, rows)
		var durable int
		for tx := firstTx; tx < led.next; tx++ {
			if led.status[tx] == txCommitted && led.gci[tx] <= restored {
				durable++
			}
		}
		t.Logf("round %d: seed %d, kill after %v; %d tx committed (GCI up to %d; %d at or below the restored GCI), %d unknown, %d refused, %d not sent; "+
			"saved GCI seen before the kill %v; restored GCI %d; %d rows of %d tx found; restart %v (join to started; kill to ready %v, the node-id lease wait included); round %v\n  %s",
			round, rseed, killAfter.Round(time.Millisecond), committed, maxGCI, durable, unknown, aborted, notSent, savedSeen, restored, rows, txs,
			restart.Round(time.Millisecond), (restartBegan.Sub(killAt) + ready).Round(time.Millisecond), time.Since(roundBegan).Round(time.Millisecond),
			strings.Join(restoreLines, "\n  "))
		lastRestored = restored
		if t.Failed() {
			t.Fatalf("round %d failed (replay it with -crash.seed=%d -crash.rounds=%d)", round, seed, round+1)
		}
	}
}

// crashDrainTimeout bounds the writer's wait for its in-flight
// transactions after the kill: the API's TransactionTimeout (3 s here)
// ends each with 4012 well within it.
const crashDrainTimeout = 10 * time.Second

// crashWrite runs batches of asynchronous 3-row insert transactions until
// stop closes, then waits for those in flight (they fail or time out once
// the data nodes are dead). Outcomes go into the ledger; an error after
// killed was set counts as unknown.
func crashWrite(cl *ndbapi.Cluster, tbl *ndbapi.Table, led *crashLedger, round int32, killed *atomic.Bool, stop <-chan struct{}) error {
	ndb, err := cl.NewNdb()
	if err != nil {
		return err
	}
	defer ndb.Close()
	const batch = 16
	rb := tbl.NewRowBuilder()
	var key []byte
	var txs []*ndbapi.Transaction
	pace := time.Duration(float64(time.Second) * batch / float64(max(*crashRate, 1)))
	next := time.Now()
	onDone := func(n uint64) func(*ndbapi.Transaction, error) {
		return func(tx *ndbapi.Transaction, err error) {
			switch {
			case err == nil:
				led.status[n], led.gci[n] = txCommitted, tx.GCI()
			case killed.Load():
				led.status[n] = txUnknown
			default:
				var e *ndbapi.Error
				if errors.As(err, &e) && e.UnknownResult() {
					led.status[n] = txUnknown
				} else {
					led.status[n] = txAborted
				}
			}
		}
	}
	for {
		select {
		case <-stop:
			// Wait out what is in flight: replies, or the time-out.
			for deadline := time.Now().Add(crashDrainTimeout); ndb.Pending() > 0 && time.Now().Before(deadline); {
				ndb.SendPollNdb(100*time.Millisecond, ndb.Pending())
			}
			for _, tx := range txs {
				tx.Close()
			}
			if ndb.Pending() > 0 {
				return fmt.Errorf("%d transactions still pending after the time-out", ndb.Pending())
			}
			return nil
		default:
		}
		for _, tx := range txs {
			tx.Close()
		}
		txs = txs[:0]
		for range batch {
			n := led.next
			led.next++
			led.grow(n)
			led.round[n] = round
			led.status[n] = txUnknown
			rb.Reset()
			rb.SetUint64(0, n*3)
			key = rb.AppendKey(key[:0])
			tx, err := ndb.StartTransaction(tbl, key)
			if err != nil {
				led.status[n] = txNotSent
				continue
			}
			for i := range uint64(3) {
				id := n*3 + i
				rb.Reset()
				rb.SetUint64(0, id)
				rb.SetUint64(1, n)
				rb.SetUint64(2, crashPayload(id))
				tx.Insert(tbl, rb)
			}
			txs = append(txs, tx)
			tx.ExecuteAsync(ndbapi.Commit, onDone(n))
		}
		ndb.SendPollNdb(0, 0)
		for ndb.Pending() > 0 {
			select {
			case <-stop:
			default:
				ndb.PollNdb(50*time.Millisecond, ndb.Pending())
				continue
			}
			break
		}
		if next = next.Add(pace); time.Until(next) > 0 {
			select {
			case <-stop:
			case <-time.After(time.Until(next)):
			}
		} else if time.Until(next) < -time.Second {
			next = time.Now() // far behind: do not burst to catch up
		}
	}
}

// crashVerify scans the whole table after a restart and checks it against
// the ledger; it updates the ledger's presence and returns the rows and
// transactions found.
func crashVerify(t *testing.T, ctx context.Context, cl *ndbapi.Cluster, tbl *ndbapi.Table, led *crashLedger, round int, restored uint64) (rows, txs int) {
	t.Helper()
	count := map[uint64]uint8{} // tx -> rows found (bit per row)
	deadline := time.Now().Add(30 * time.Second)
	var bad []string
	for attempt := 0; ; attempt++ {
		clear(count)
		bad = bad[:0]
		rows = 0
		err := crashScan(cl, tbl, func(r schema.Row) {
			rows++
			id, tx, payload := r.Uint64(0), r.Uint64(1), r.Uint64(2)
			if tx != id/3 || payload != crashPayload(id) {
				bad = append(bad, fmt.Sprintf("row id %d: tx %d payload %d, want tx %d payload %d", id, tx, payload, id/3, crashPayload(id)))
			}
			if count[id/3]&(1<<(id%3)) != 0 {
				bad = append(bad, fmt.Sprintf("row id %d returned twice by the scan", id))
			}
			count[id/3] |= 1 << (id % 3)
		})
		if err == nil {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("round %d: scan after the restart: %v", round, err)
		}
		if attempt == 0 {
			t.Logf("round %d: scan after the restart: %v (retrying)", round, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	report := func(what string, list []string) {
		if len(list) == 0 {
			return
		}
		const show = 10
		total := len(list)
		if total > show {
			list = append(list[:show:show], fmt.Sprintf("... and %d more", total-show))
		}
		t.Errorf("round %d (restored GCI %d): %d %s:\n  %s", round, restored, total, what, strings.Join(list, "\n  "))
	}
	report("bad rows", bad)

	var lost, partly, neverSent, refused, beyond, resurrected, vanished []string
	for tx, bits := range count {
		if tx >= led.next || tx == 0 {
			neverSent = append(neverSent, fmt.Sprintf("tx %d (rows %03b); the last tx number used is %d", tx, bits, led.next-1))
		}
	}
	for tx := uint64(1); tx < led.next; tx++ {
		bits := count[tx]
		n := (bits & 1) + (bits >> 1 & 1) + (bits >> 2 & 1)
		if n != 0 {
			txs++
		}
		where := fmt.Sprintf("tx %d (round %d", tx, led.round[tx])
		if led.status[tx] == txCommitted {
			where += fmt.Sprintf(", commit GCI %d", led.gci[tx])
		}
		where += ")"
		if n == 1 || n == 2 {
			partly = append(partly, fmt.Sprintf("%s: rows %03b of 111", where, bits))
			led.present[tx] = presPresent // reported; do not report again as vanished
			continue
		}
		switch led.status[tx] {
		case txNotSent:
			if n > 0 {
				neverSent = append(neverSent, where+": StartTransaction failed, yet its rows are here")
			}
		case txAborted:
			if n > 0 {
				refused = append(refused, where+": refused before the kill, yet its rows are here")
			}
		case txCommitted:
			if led.gci[tx] <= restored && n == 0 && led.present[tx] != presAbsent {
				lost = append(lost, where+": absent")
			}
			if led.gci[tx] > restored && n == 3 && led.present[tx] == presUnseen {
				beyond = append(beyond, where+": present")
			}
		}
		switch {
		case led.present[tx] == presPresent && n == 0:
			vanished = append(vanished, where+": present after an earlier restart, absent now")
		case led.present[tx] == presAbsent && n == 3:
			resurrected = append(resurrected, where+": absent after an earlier restart, present now")
		}
		if n == 3 {
			led.present[tx] = presPresent
		} else {
			led.present[tx] = presAbsent
		}
	}
	report("committed transactions at or below the restored GCI lost", lost)
	report("transactions partly present", partly)
	report("transactions never sent with rows", neverSent)
	report("refused transactions with rows", refused)
	report("transactions committed after the restored GCI present (the cluster must open consistent at the restored GCP)", beyond)
	report("transactions lost after an earlier restart had them", vanished)
	report("transactions back after an earlier restart had none of their rows", resurrected)
	return rows, txs
}

// crashScan runs a committed-read scan of the whole table and calls fn for
// every row.
func crashScan(cl *ndbapi.Cluster, tbl *ndbapi.Table, fn func(schema.Row)) error {
	ndb, err := cl.NewNdb()
	if err != nil {
		return err
	}
	defer ndb.Close()
	tx, err := ndb.StartTransaction(tbl, nil)
	if err != nil {
		return err
	}
	defer tx.Close()
	s, err := tx.ScanTable(tbl, ndbapi.ScanOptions{})
	if err != nil {
		return err
	}
	var got []schema.Row
	for r, ok := s.Next(); ok; r, ok = s.Next() {
		// Rows are valid until the next call: copy what fn reads.
		img := append(append(make([]byte, 0, len(r.Fixed)+len(r.Var)), r.Fixed...), r.Var...)
		got = append(got, tbl.Layout.RowOf(img))
	}
	serr := s.Err()
	s.Close()
	if serr != nil {
		return serr
	}
	if err := tx.Execute(ndbapi.Commit); err != nil {
		return err
	}
	for _, r := range got {
		fn(r)
	}
	return nil
}

// crashCompareReplicas checks that the replicas are identical by row
// count: every data node's gondb_lqh_rows (committed rows in the fragment
// replicas it holds) equals the rows the scan found. That holds here
// because the table is the cluster's only one, it has no unique index, and
// every data node holds a replica of every fragment (two nodes with two
// replicas, or one node). The gauge is sampled, so it gets a moment to
// settle.
func crashCompareReplicas(t *testing.T, c *crashCluster, round, rows int) {
	t.Helper()
	metrics := map[int]string{}
	for _, n := range c.nodes {
		metrics[n.id] = n.metrics
	}
	compareReplicaRows(t, fmt.Sprintf("round %d: ", round), metrics, rows)
}

// compareReplicaRows checks, for tests whose table is the cluster's only
// one and whose data nodes each hold a replica of every fragment, that
// each node's gondb_lqh_rows (the committed rows of its replicas) is
// rows. The gauge is sampled, so it gets a moment to settle. prefix
// starts the error messages.
func compareReplicaRows(t *testing.T, prefix string, metrics map[int]string, rows int) {
	t.Helper()
	ids := slices.Sorted(maps.Keys(metrics))
	deadline := time.Now().Add(10 * time.Second)
	for {
		var diffs []string
		for _, id := range ids {
			body, err := fetchMetrics(metrics[id])
			if err != nil {
				t.Fatal(err)
			}
			v, ok := gauge(body, "gondb_lqh_rows")
			switch {
			case !ok:
				t.Errorf("%sdata node %d exposes no gondb_lqh_rows gauge: replicas not compared", prefix, id)
				return
			case v != uint64(rows):
				diffs = append(diffs, fmt.Sprintf("data node %d holds %d rows, the scan found %d", id, v, rows))
			}
		}
		if len(diffs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%sreplicas differ:\n  %s", prefix, strings.Join(diffs, "\n  "))
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
