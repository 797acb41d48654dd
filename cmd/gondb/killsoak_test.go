//go:build linux

package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/schema"
)

// Flags of the kill soak (issue 8's acceptance): off unless
// -killsoak.duration is set; `make soak` runs it for 5 minutes.
var (
	killSoakDuration = flag.Duration("killsoak.duration", 0, "TestKillNodeSoak: how long to kill data nodes under writes (0: skip the test)")
	killSoakSeed     = flag.Uint64("killsoak.seed", 0, "TestKillNodeSoak: seed of the kill moments and victims (0: from the clock; logged)")
	killSoakRate     = flag.Int("killsoak.rate", 2000, "TestKillNodeSoak: single-row transactions per second the writers aim at, all together")
	killSoakHB       = flag.Duration("killsoak.heartbeat", 100*time.Millisecond, "TestKillNodeSoak: config.ini HeartbeatIntervalDbDb (a node silent for 4 of them is declared dead)")
	killSoakArbitr   = flag.String("killsoak.arbitration", "Default", "TestKillNodeSoak: config.ini Arbitration (Default: the management server arbitrates every failure; Disabled: no arbitration)")
	killSoakLogDir   = flag.String("killsoak.logdir", "", "TestKillNodeSoak: write every process's stdout and stderr under this directory (default: the tails are logged on failure)")
)

// Shape of the soak.
const (
	killSoakWriters     = 4                // writer goroutines, each with its own Ndb
	killSoakWindow      = 16               // transactions each writer keeps in flight
	killSoakMinGap      = 20 * time.Second // kills come every 20 to 30 s
	killSoakMaxGap      = 30 * time.Second
	killSoakStartWait   = 3 * time.Minute  // a killed node must be STARTED again within this
	killSoakDurableWait = 60 * time.Second // an acknowledged commit must be durable within this (TimeBetweenGlobalCheckPoints is 500 ms)
)

// TestKillNodeSoak is issue 8's kill -9 acceptance test with the real
// binary: a management server and two data nodes (NoOfReplicas=2, one node
// group, NodeFailover on, HeartbeatIntervalDbDb 100 ms, Arbitration by the
// management server, a DataDir each) as processes; writers in this process
// run flexAsync-style asynchronous single-row transactions (inserts of new
// keys, updates of keys they inserted, each with a value unique to the
// write) and record every acknowledged write. Every 20 to 30 s (seeded)
// one data node, never while the other is not STARTED, is killed with
// SIGKILL and its process started again at once (without --initial): it
// joins the running cluster by a node restart and reports STARTED after
// its replicas were copied. The test checks that
//
//   - the writers see only temporary errors (an update of a key whose
//     insert committed that finds no row, or an insert of a key never
//     written that finds one, is a lost or phantom write, and counts as a
//     permanent error); no unknown result either: the commit-ack markers
//     let the takeover tell every outcome (the verification below would
//     find a write reported aborted that did commit);
//   - every failure the data nodes see is a kill: no live node is
//     declared failed and no survivor is shut down by the cluster (the
//     membership lines of every incarnation are logged when one is, with
//     any stall of the test process itself, which points at the machine);
//   - the survivor serves after every kill (per kill: the time to the
//     survivor's "data nodes failed" and to the first commit of a
//     transaction begun after the kill, whose goal is at most twice the
//     heartbeat time-out, 2 x 4 x HeartbeatIntervalDbDb; logged, not
//     asserted);
//   - every killed node is STARTED again within 3 minutes (kill to STARTED,
//     and joined to STARTED from its log, are logged);
//   - after the kills, with both nodes STARTED, the last acknowledged
//     commit becomes durable on every data node (WaitDurable) within 60 s:
//     a crash of the whole cluster then would lose nothing acknowledged;
//   - at the end, with both nodes STARTED, every acknowledged write is
//     read, by a scan and by primary-key reads, with its last value (a
//     write with an unknown result may or may not be there), no row no
//     writer wrote is there, and both nodes hold as many rows as the scan
//     found;
//   - then each node alone, the other killed once more, returns the same
//     rows: every replica holds every acknowledged write.
//
// It runs only with -killsoak.duration (make soak: 5m; not in -short).
// -killsoak.seed repeats a kill schedule, -killsoak.rate sets the load,
// -killsoak.heartbeat and -killsoak.arbitration change the cluster's
// HeartbeatIntervalDbDb and Arbitration, and -killsoak.logdir keeps every
// process's output.
func TestKillNodeSoak(t *testing.T) {
	if testing.Short() || *killSoakDuration <= 0 {
		t.Skip("kills data node processes for -killsoak.duration (e.g. -killsoak.duration=5m, as make soak does); not in -short")
	}
	seed := *killSoakSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	rng := rand.New(rand.NewPCG(seed, 0x6b696c6c))
	t.Logf("kill soak: -killsoak.seed=%d -killsoak.duration=%v -killsoak.rate=%d -killsoak.heartbeat=%v -killsoak.arbitration=%s",
		seed, *killSoakDuration, *killSoakRate, *killSoakHB, *killSoakArbitr)
	bin := buildBinary(t)
	dir := t.TempDir()
	port := freePort(t)
	c := &soakCluster{bin: bin, connect: fmt.Sprintf("127.0.0.1:%d", port), killed: map[*process]time.Time{}}
	for _, id := range []int{2, 3} {
		c.nodes = append(c.nodes, &soakNode{id: id, dataDir: filepath.Join(dir, fmt.Sprintf("node%d", id))})
	}
	cfg := soakConfig(t, dir, port, c.nodes)
	stopWatch := c.watchStalls()
	defer stopWatch()
	defer c.saveLogs(t)
	defer func() {
		if t.Failed() {
			t.Logf("the same kill schedule (gaps and victims): -killsoak.seed=%d -killsoak.duration=%v", seed, *killSoakDuration)
		}
	}()

	began := time.Now()
	c.mgmd = soakStart(t, bin, "mgmd", "mgmd", "-f", cfg)
	c.mgmd.waitFor(t, mgmdReadyRE, 30*time.Second)
	for _, n := range c.nodes {
		c.startNode(t, n, true)
	}
	for _, n := range c.nodes {
		n.metrics = n.proc.waitFor(t, datanodeReadyRE, 90*time.Second)[2]
	}
	t.Logf("mgmd and data nodes 2 and 3 started in %v", time.Since(began).Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(context.Background(), *killSoakDuration+20*time.Minute)
	defer cancel()
	mgm, err := client.Dial(ctx, c.connect, client.Options{ConnectTimeout: time.Second, CallTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer mgm.Close()
	c.mgm = mgm
	cl, tbl := connectRowsTable(t, ctx, c.connect, "killsoak_rows", 5*time.Second)
	defer cl.Close()

	// The writers run until the end of the kills.
	run := &soakRun{errors: map[string]int{}}
	ledgers := make([]*soakLedger, killSoakWriters)
	for w := range ledgers {
		ledgers[w] = &soakLedger{keys: map[uint64]*soakKey{}}
	}
	stopWriters := startWriters(t, cl, killSoakWriters, func(w int, ndb *ndbapi.Ndb, stop <-chan struct{}) {
		soakWrite(ndb, tbl, uint64(w), seed, ledgers[w], run, stop)
	})
	defer stopWriters()
	waitCond(t, 30*time.Second, "500 commits before the first kill", func() (bool, string) {
		s := run.snapshot()
		return s.commits >= 500, fmt.Sprintf("%d commits; errors: %s", s.commits, s.errorSummary())
	})

	// The kills.
	soakBegan := time.Now()
	victim := rng.IntN(2)
	var kills []*soakKill
	for next := soakBegan.Add(soakGap(rng)); next.Before(soakBegan.Add(*killSoakDuration)); {
		time.Sleep(time.Until(next))
		// Never kill while a node is not STARTED (the victim's own
		// restart included: the kill would find a node that holds no
		// full replica yet).
		c.waitBothStarted(t, ctx, "before kill "+strconv.Itoa(len(kills)+1))
		n := c.nodes[victim]
		before := run.snapshot()
		disk := fmt.Sprintf("victim: %s; survivor: %s", n.diskNote(), c.nodes[1-victim].diskNote())
		k := &soakKill{n: len(kills) + 1, node: n.id, before: before, at: time.Now(), disk: disk}
		run.kill.Store(k)
		c.kill(t, n)
		c.checkFailures(t, fmt.Sprintf("kill %d (data node %d at %s)", k.n, n.id, k.at.Format(soakTimeFormat)))
		c.startNode(t, n, false)
		m := n.proc.waitFor(t, datanodeReadyRE, killSoakStartWait)
		k.started = time.Since(k.at)
		n.metrics = m[2]
		// The ready line may come out before the log line of the start.
		for wait := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			k.restart, k.restartCopy = restartFromLog(n.proc.err.String())
			if k.restart > 0 || time.Now().After(wait) {
				break
			}
		}
		k.after = run.snapshot()
		k.declared = c.nodes[1-victim].declaredFailed(k.at)
		kills = append(kills, k)
		c.checkFailures(t, fmt.Sprintf("after kill %d", k.n))
		t.Logf("%s", k)
		next = k.at.Add(soakGap(rng))
		if late := k.at.Add(k.started + time.Second); next.Before(late) {
			next = late
		}
		victim = 1 - victim
	}
	soakElapsed := time.Since(soakBegan)

	// Both replicas full again: the writers go on a little, then stop.
	c.waitBothStarted(t, ctx, "after the kills")
	last := run.snapshot().commits
	waitCond(t, 30*time.Second, "200 commits after the last restart", func() (bool, string) {
		s := run.snapshot()
		return s.commits >= last+200, fmt.Sprintf("%d commits since; errors: %s", s.commits-last, s.errorSummary())
	})
	// Every acknowledged commit becomes durable (its GCI saved on every
	// data node) at a GCP save, within about TimeBetweenGlobalCheckPoints
	// (ndbapi.Cluster.WaitDurable); the writers go on meanwhile.
	gci := run.snapshot().maxGCI
	dctx, dcancel := context.WithTimeout(ctx, killSoakDurableWait)
	durableBegan := time.Now()
	if err := cl.WaitDurable(dctx, gci); err != nil {
		t.Errorf("the last acknowledged commit's GCI %d was not durable on every data node within %v (%v): a crash of the whole cluster would lose acknowledged commits; %s",
			gci, killSoakDurableWait, err, c.diskNotes())
	} else {
		t.Logf("GCI %d of the last acknowledged commit durable after %v; %s", gci, time.Since(durableBegan).Round(time.Millisecond), c.diskNotes())
	}
	dcancel()
	stopWriters()
	total := run.snapshot()

	// Summary.
	var failover, started, restart, declared []time.Duration
	var noCommit []int
	for _, k := range kills {
		first := time.Duration(k.firstAfter.Load())
		if first > 0 {
			failover = append(failover, first)
		} else {
			noCommit = append(noCommit, k.n)
		}
		started = append(started, k.started)
		if k.declared > 0 {
			declared = append(declared, k.declared)
		}
		if k.restart > 0 {
			restart = append(restart, k.restart)
		}
	}
	goal := 2 * 4 * *killSoakHB
	t.Logf("kill soak: %d kills in %v; %d commits (%.0f/s), %d unknown-result writes, %d refused (temporary), %d permanent errors; errors by code: %s",
		len(kills), soakElapsed.Round(time.Second), total.commits, float64(total.commits)/time.Since(soakBegan).Seconds(),
		total.unknown, total.temporary, total.permanent, total.errorSummary())
	t.Logf("kill to the first commit begun after it: %s (goal: at most %v, twice HeartbeatIntervalDbDb x 4); over the goal: %d of %d",
		durStats(failover), goal, countOver(failover, goal), len(failover))
	t.Logf("kill to the survivor's \"data nodes failed\" (detection, agreement, arbitration): %s", durStats(declared))
	t.Logf("stalls of the test process itself (of %v or more): %s", killSoakStall, c.stallSummary())
	t.Logf("kill to the killed node STARTED again: %s; node restart (joined to started, from its log): %s",
		durStats(started), durStats(restart))
	if len(kills) == 0 {
		t.Errorf("no kill in %v: -killsoak.duration must exceed %v", *killSoakDuration, killSoakMinGap)
	}
	if len(noCommit) > 0 {
		t.Errorf("kills %v: no transaction begun after the kill committed before the node was STARTED again", noCommit)
	}
	if len(total.unexpected) > 0 {
		t.Errorf("%d permanent errors (the client must see only temporary ones); the first:\n  %s",
			total.permanent, strings.Join(total.unexpected, "\n  "))
	}
	if total.unknown > 0 {
		t.Errorf("%d unknown results: the takeover should tell every outcome (commit-ack markers); the first:\n  %s",
			total.unknown, strings.Join(total.unknowns, "\n  "))
	}

	// Every acknowledged write, through the API with both nodes STARTED.
	rows := soakVerify(t, cl, tbl, ledgers, "both nodes", func() { c.checkFailures(t, "reading with both nodes") })
	soakReadKeys(t, cl, tbl, ledgers)
	c.compareReplicas(t, rows)

	// Each node alone: kill the other, read everything from the one left,
	// start the other again.
	for i := range c.nodes {
		alone, other := c.nodes[i], c.nodes[1-i]
		c.waitBothStarted(t, ctx, fmt.Sprintf("before reading node %d alone", alone.id))
		at := c.kill(t, other)
		what := fmt.Sprintf("node %d alone (node %d killed at %s)", alone.id, other.id, at.Format(soakTimeFormat))
		got := soakVerify(t, cl, tbl, ledgers, what, func() { c.checkFailures(t, what) })
		if got != rows {
			t.Errorf("node %d alone returned %d rows, both nodes %d", alone.id, got, rows)
		}
		c.startNode(t, other, false)
		other.metrics = other.proc.waitFor(t, datanodeReadyRE, killSoakStartWait)[2]
		t.Logf("node %d alone (node %d killed): %d rows, as acknowledged; node %d STARTED again %v after its kill",
			alone.id, other.id, got, other.id, time.Since(at).Round(time.Millisecond))
	}
	c.waitBothStarted(t, ctx, "at the end")
}

// soakGap is the time until the next kill: 20 to 30 s.
func soakGap(rng *rand.Rand) time.Duration {
	return killSoakMinGap + time.Duration(rng.Int64N(int64(killSoakMaxGap-killSoakMinGap)))
}

// soakConfig writes config.ini: one mgmd, data nodes with their own
// DataDir, NodeFailover on, fast heartbeats and epochs, and local
// checkpoints every 4 MiB of writes (so restarts restore LCPs plus redo).
func soakConfig(t *testing.T, dir string, mgmPort int, nodes []*soakNode) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, `[ndbd default]
NoOfReplicas=2
DataMemory=128M
MaxNoOfExecutionThreads=2
NodeFailover=true
HeartbeatIntervalDbDb=%d
Arbitration=%s
TimeBetweenEpochs=100
TimeBetweenGlobalCheckPoints=500
NoOfFragmentLogParts=4
NoOfFragmentLogFiles=4
FragmentLogFileSize=8M
TimeBetweenLocalCheckpoints=20

[ndb_mgmd]
NodeId=1
HostName=127.0.0.1
PortNumber=%d
DataDir=%s
`, killSoakHB.Milliseconds(), *killSoakArbitr, mgmPort, filepath.Join(dir, "mgmd"))
	dirs := []string{filepath.Join(dir, "mgmd")}
	for _, n := range nodes {
		fmt.Fprintf(&b, "\n[ndbd]\nNodeId=%d\nHostName=127.0.0.1\nServerPort=%d\nDataDir=%s\n", n.id, freePort(t), n.dataDir)
		dirs = append(dirs, n.dataDir)
	}
	b.WriteString("\n[api]\nNodeId=50\n[api]\nNodeId=51\n")
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

type soakNode struct {
	id      int
	dataDir string
	proc    *process   // the running incarnation
	procs   []*process // every incarnation, for the logs
	metrics string     // /metrics URL of the running incarnation
}

type soakCluster struct {
	bin, connect string
	mgmd         *process
	mgm          *client.Conn
	nodes        []*soakNode
	killed       map[*process]time.Time // when the test killed each incarnation

	mu     sync.Mutex
	stalls []soakStall // moments this process was not scheduled (watchStalls)
}

// soakStall is a moment the test process itself did not run: the machine
// (or its VM) stalled, which stalls the data nodes too.
type soakStall struct {
	at  time.Time // when it ended
	gap time.Duration
}

// killSoakStall is the smallest stall watchStalls records: half the
// heartbeat time-out at the default heartbeat.
const killSoakStall = 200 * time.Millisecond

// watchStalls records every moment the test process was not scheduled
// for killSoakStall or more (a 10 ms ticker that fell behind); a data
// node declared failed during such a stall points at the machine, not at
// the node. It returns a function that stops it.
func (c *soakCluster) watchStalls() func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		last := time.Now()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				now := time.Now()
				if gap := now.Sub(last); gap >= killSoakStall {
					c.mu.Lock()
					c.stalls = append(c.stalls, soakStall{at: now, gap: gap})
					c.mu.Unlock()
				}
				last = now
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// stallSummary lists the stalls recorded so far (the longest 20).
func (c *soakCluster) stallSummary() string {
	c.mu.Lock()
	st := slices.Clone(c.stalls)
	c.mu.Unlock()
	if len(st) == 0 {
		return "none"
	}
	n := len(st)
	var longest time.Duration
	for _, s := range st {
		longest = max(longest, s.gap)
	}
	if len(st) > 20 {
		slices.SortFunc(st, func(a, b soakStall) int { return cmp.Compare(b.gap, a.gap) })
		st = st[:20]
		slices.SortFunc(st, func(a, b soakStall) int { return a.at.Compare(b.at) })
	}
	var parts []string
	for _, s := range st {
		parts = append(parts, fmt.Sprintf("%v until %s", s.gap.Round(time.Millisecond), s.at.Format(soakTimeFormat)))
	}
	return fmt.Sprintf("%d (longest %v): %s", n, longest.Round(time.Millisecond), strings.Join(parts, ", "))
}

// soakStart is startProcess for a child that must not outlive the test
// process even when that is killed before its cleanup runs (a test
// time-out): Pdeathsig. Logs are kept for saveLogs, not dumped here (a
// soak has many incarnations).
func soakStart(t *testing.T, bin, name string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return startCmdLogs(t, name, cmd, false)
}

// startNode starts a new incarnation of data node n. A node killed a
// moment ago may find its node id still held by the management server
// until its lease expires, so it retries joining meanwhile.
func (c *soakCluster) startNode(t *testing.T, n *soakNode, initial bool) {
	t.Helper()
	args := []string{"datanode", "-c", c.connect, "--ndb-nodeid", strconv.Itoa(n.id), "--http-addr", "127.0.0.1:0",
		"--connect-retries", "400", "--connect-retry-delay", "250ms"}
	if initial {
		args = append(args, "--initial")
	}
	n.proc = soakStart(t, c.bin, fmt.Sprintf("datanode %d #%d", n.id, len(n.procs)+1), args...)
	n.procs = append(n.procs, n.proc)
	n.metrics = ""
}

// kill sends SIGKILL to n's process and waits until it is gone; it
// returns the moment of the kill.
func (c *soakCluster) kill(t *testing.T, n *soakNode) time.Time {
	t.Helper()
	at := time.Now()
	c.killed[n.proc] = at
	if err := syscall.Kill(n.proc.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 data node %d: %v", n.id, err)
	}
	select {
	case <-n.proc.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("data node %d did not die after SIGKILL", n.id)
	}
	return at
}

// waitBothStarted waits until every data node's running incarnation
// printed its ready line, says it is started in its metrics, and the
// management server has it STARTED.
func (c *soakCluster) waitBothStarted(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	for _, n := range c.nodes {
		if n.metrics == "" {
			n.metrics = n.proc.waitFor(t, datanodeReadyRE, killSoakStartWait)[2]
		}
	}
	waitCond(t, killSoakStartWait, "both data nodes STARTED "+what, func() (bool, string) {
		var said []string
		ok := true
		st, err := c.mgm.Status(ctx)
		c.checkFailures(t, what)
		for _, n := range c.nodes {
			select {
			case <-n.proc.done:
				t.Fatalf("%s: data node %d's process exited (%d)", what, n.id, n.proc.code)
			default:
			}
			body, merr := fetchMetrics(n.metrics)
			g, gok := gauge(body, "gondb_datanode_started")
			if merr != nil || !gok || g != 1 {
				ok = false
				said = append(said, fmt.Sprintf("node %d: metrics started=%d (err %v)", n.id, g, merr))
			}
			status := mgmapi.NodeStatus(0)
			if err == nil {
				for _, ni := range st.Nodes {
					if int(ni.NodeID) == n.id {
						status = ni.Status
					}
				}
			}
			if status != mgmapi.StatusStarted {
				ok = false
				said = append(said, fmt.Sprintf("node %d: management server says %v (err %v)", n.id, status, err))
			}
		}
		return ok, strings.Join(said, "; ")
	})
}

const soakTimeFormat = "15:04:05.000"

// checkFailures fails the test when a data node declared a live data node
// failed (a "data node suspected" line about a node whose incarnation at
// that moment had not been killed by the test) or a data node was shut
// down by the cluster: the test kills one node at a time and never cuts
// the network, so every failure the nodes see must be a kill. It logs the
// membership lines of every incarnation, in time order, as evidence.
func (c *soakCluster) checkFailures(t *testing.T, what string) {
	t.Helper()
	var bad []string
	for _, n := range c.nodes {
		for _, p := range n.procs {
			for _, l := range strings.Split(p.err.String(), "\n") {
				at, ok := soakLineTime(l)
				if !ok {
					continue
				}
				switch {
				case strings.Contains(l, `msg="data node suspected"`):
					f := soakLineNodes(l)
					if len(f) < 2 {
						continue
					}
					if !c.killedBefore(f[1], at) {
						bad = append(bad, fmt.Sprintf("%s: data node %d suspected data node %d, which the test had not killed: %s", p.name, n.id, f[1], l))
					}
				case strings.Contains(l, "the cluster shut this node down"):
					bad = append(bad, fmt.Sprintf("%s: shut down by the cluster: %s", p.name, l))
				}
			}
		}
	}
	if len(bad) == 0 {
		return
	}
	t.Errorf("%s: a data node the test did not kill was declared failed, or shut down by the cluster (with one node killed at a time the survivor must serve):\n  %s\n"+
		"stalls of the test process itself (of %v or more; a machine stall silences the data nodes too): %s",
		what, strings.Join(bad, "\n  "), killSoakStall, c.stallSummary())
	t.Fatalf("membership lines of every data node incarnation (kills: %s):\n%s", c.killList(), c.membershipLog())
}

// killedBefore reports whether the test killed an incarnation of data
// node id within 10 s before at.
func (c *soakCluster) killedBefore(id int, at time.Time) bool {
	for _, n := range c.nodes {
		if n.id != id {
			continue
		}
		for _, p := range n.procs {
			if k, ok := c.killed[p]; ok && !k.After(at) && at.Sub(k) < 10*time.Second {
				return true
			}
		}
	}
	return false
}

func (c *soakCluster) killList() string {
	var out []string
	for _, n := range c.nodes {
		for _, p := range n.procs {
			if k, ok := c.killed[p]; ok {
				out = append(out, fmt.Sprintf("%s at %s", p.name, k.Format(soakTimeFormat)))
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i][strings.Index(out[i], " at ")+4:] < out[j][strings.Index(out[j], " at ")+4:]
	})
	return strings.Join(out, ", ")
}

// membershipLog is every incarnation's lines about views, suspicions,
// arbitration, failures, node restarts and shutdowns, sorted by time.
func (c *soakCluster) membershipLog() string {
	type line struct {
		at   time.Time
		text string
	}
	var lines []line
	words := []string{"cluster view", "suspected", "arbitration", "data nodes failed", "shut", "node restart", "data node: started", "joined the cluster", "excluded", "peer disconnected", "peer connected"}
	for _, n := range c.nodes {
		for _, p := range n.procs {
			for _, l := range strings.Split(p.err.String(), "\n") {
				at, ok := soakLineTime(l)
				if !ok {
					continue
				}
				for _, w := range words {
					if strings.Contains(l, w) && !strings.Contains(l, "peer=50") {
						lines = append(lines, line{at, p.name + ": " + l})
						break
					}
				}
			}
		}
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].at.Before(lines[j].at) })
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("  " + l.text + "\n")
	}
	return b.String()
}

// soakLineTime is the time of a slog text line.
func soakLineTime(l string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(l, "time=")
	if !ok {
		return time.Time{}, false
	}
	ts, _, _ := strings.Cut(rest, " ")
	at, err := time.Parse(time.RFC3339Nano, ts)
	return at, err == nil
}

// soakLineNodes is the values of a line's node= attributes, in order (the
// first is the logging node).
func soakLineNodes(l string) []int {
	var out []int
	for _, f := range strings.Fields(l) {
		if v, ok := strings.CutPrefix(f, "node="); ok {
			if id, err := strconv.Atoi(v); err == nil {
				out = append(out, id)
			}
		}
	}
	return out
}

// diskNote is what the running incarnation's metrics say of its disk:
// the GCI its start restored, the last saved GCI it knows against the
// last completed epoch, and the local checkpoint rounds it completed.
func (n *soakNode) diskNote() string {
	body, err := fetchMetrics(n.metrics)
	if err != nil {
		return fmt.Sprintf("metrics: %v", err)
	}
	restored, _ := gauge(body, "gondb_gcp_restored_gci")
	saved, _ := gauge(body, "gondb_gcp_saved_gci")
	completed, _ := gauge(body, "gondb_gcp_completed_epoch")
	rounds, _ := gauge(body, "gondb_lcp_rounds_total")
	return fmt.Sprintf("start restored GCI %d, saved GCI %d of %d completed, %d LCP rounds since start", restored, saved, completed, rounds)
}

// diskNotes is every node's diskNote.
func (c *soakCluster) diskNotes() string {
	var out []string
	for _, n := range c.nodes {
		out = append(out, fmt.Sprintf("data node %d: %s", n.id, n.diskNote()))
	}
	return strings.Join(out, "; ")
}

// declaredFailed is the time from at to the first "data nodes failed"
// line this node's running incarnation logged after at (0: none).
func (n *soakNode) declaredFailed(at time.Time) time.Duration {
	for _, l := range strings.Split(n.proc.err.String(), "\n") {
		if !strings.Contains(l, `msg="data nodes failed"`) {
			continue
		}
		if lt, ok := soakLineTime(l); ok && lt.After(at) {
			return lt.Sub(at)
		}
	}
	return 0
}

// compareReplicas checks that both data nodes hold as many rows
// (gondb_lqh_rows: committed rows of the fragment replicas each holds) as
// the scan found: the table is the only one and each node holds a replica
// of every fragment. The gauge is sampled, so it gets a moment to settle.
func (c *soakCluster) compareReplicas(t *testing.T, rows int) {
	t.Helper()
	metrics := map[int]string{}
	for _, n := range c.nodes {
		metrics[n.id] = n.metrics
	}
	compareReplicaRows(t, "", metrics, rows)
}

// saveLogs writes every process's output under -killsoak.logdir, or, when
// the test failed, logs the tail of each.
func (c *soakCluster) saveLogs(t *testing.T) {
	procs := []*process{c.mgmd}
	for _, n := range c.nodes {
		procs = append(procs, n.procs...)
	}
	for _, p := range procs {
		if p == nil {
			continue
		}
		if *killSoakLogDir != "" {
			name := strings.NewReplacer(" ", "-", "#", "").Replace(p.name)
			if err := os.MkdirAll(*killSoakLogDir, 0o755); err != nil {
				t.Logf("log dir: %v", err)
				return
			}
			body := "stdout:\n" + p.out.String() + "\nstderr:\n" + p.err.String()
			if err := os.WriteFile(filepath.Join(*killSoakLogDir, name+".log"), []byte(body), 0o644); err != nil {
				t.Logf("writing %s's log: %v", p.name, err)
			}
			continue
		}
		if t.Failed() {
			t.Logf("%s: the last lines of stderr:\n%s", p.name, tailLines(p.err.String(), 40))
		}
	}
	if *killSoakLogDir != "" {
		t.Logf("process logs in %s", *killSoakLogDir)
	}
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// restartFromLog reads a restarted incarnation's log: the time from
// joining the cluster to started, and what its node restart copied.
func restartFromLog(log string) (time.Duration, string) {
	var d time.Duration
	joined, ok1 := logTime(log, "data node: joined the cluster")
	started, ok2 := logTime(log, "data node: started")
	if ok1 && ok2 {
		d = started.Sub(joined)
	}
	// The copy's size: the last progress line of this node's own restart
	// that copied something.
	copied := "no copy logged"
	for _, l := range strings.Split(log, "\n") {
		if !strings.Contains(l, `msg="data node: node restart"`) {
			continue
		}
		var frags, of, rows string
		for _, f := range strings.Fields(l) {
			switch k, v, _ := strings.Cut(f, "="); k {
			case "fragments_copied":
				frags = v
			case "fragments":
				of = v
			case "rows_copied":
				rows = v
			}
		}
		if rows != "" && rows != "0" {
			copied = fmt.Sprintf("%s of %s fragments, %s rows copied", frags, of, rows)
		}
	}
	return d, copied
}

// soakKill is one kill and what followed it.
type soakKill struct {
	n, node       int
	at            time.Time
	firstAfter    atomic.Int64  // kill to the first commit of a transaction begun after it (ns); 0: none yet
	started       time.Duration // kill to the new incarnation's ready line
	restart       time.Duration // joined to started, by the node's log
	restartCopy   string
	declared      time.Duration // kill to the survivor's "data nodes failed" line (0: none)
	disk          string        // both nodes' disk figures before the kill (diskNote)
	before, after soakStats
}

func (k *soakKill) String() string {
	first := "no commit"
	if f := k.firstAfter.Load(); f > 0 {
		first = time.Duration(f).Round(time.Millisecond).String()
	}
	declared := "no failure logged"
	if k.declared > 0 {
		declared = k.declared.Round(time.Millisecond).String()
	}
	return fmt.Sprintf("kill %d: data node %d; declared failed by the survivor after %s; first commit after %s; STARTED again after %v (node restart %v: %s); while it was down: %d commits, %d temporary errors, %d unknown results, %d permanent\n    before the kill: %s",
		k.n, k.node, declared, first, k.started.Round(time.Millisecond), k.restart.Round(time.Millisecond), k.restartCopy,
		k.after.commits-k.before.commits, k.after.temporary-k.before.temporary, k.after.unknown-k.before.unknown, k.after.permanent-k.before.permanent,
		k.disk)
}

// soakRun is what the writers share.
type soakRun struct {
	kill atomic.Pointer[soakKill] // the last kill

	mu         sync.Mutex
	maxGCI     uint64 // the highest commit GCI of an acknowledged write
	commits    int
	temporary  int
	unknown    int
	permanent  int
	errors     map[string]int // "code (class)" -> count
	unexpected []string       // the first permanent errors
	unknowns   []string       // the first unknown results
}

type soakStats struct {
	maxGCI                                 uint64
	commits, temporary, unknown, permanent int
	errors                                 map[string]int
	unexpected, unknowns                   []string
}

func (r *soakRun) snapshot() soakStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := make(map[string]int, len(r.errors))
	for k, v := range r.errors {
		e[k] = v
	}
	return soakStats{maxGCI: r.maxGCI, commits: r.commits, temporary: r.temporary, unknown: r.unknown, permanent: r.permanent,
		errors: e, unexpected: slices.Clone(r.unexpected), unknowns: slices.Clone(r.unknowns)}
}

func (s soakStats) errorSummary() string {
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

// What a writer knows about one of its keys.
type soakKey struct {
	acked bool     // a write of it committed: the row must exist
	val   uint64   // the last committed value
	maybe []uint64 // values of unknown-result writes since then: may be there
	busy  bool     // a transaction on it is in flight
}

// soakLedger is one writer's keys: the writer fills it, the checker reads
// it after the writer stopped.
type soakLedger struct {
	keys  map[uint64]*soakKey
	order []uint64 // keys in creation order, to pick updates from
}

// Write kinds.
const (
	soakInsert = iota // a key never written
	soakUpdate        // a key whose write committed
	soakUpsert        // a key with only unknown-result writes: it may or may not exist
)

// soakWrite runs writer w until stop closes, then waits for its
// transactions in flight: flexAsync-style, it keeps killSoakWindow
// single-row transactions in flight on distinct keys of its own (w<<40 |
// n), each inserting a new key (a quarter of them) or updating one, with
// a value unique to the write (w<<48 | n), paced to its share of
// -killsoak.rate. The transaction goes to the TC of the key's primary.
func soakWrite(ndb *ndbapi.Ndb, tbl *ndbapi.Table, w, seed uint64, led *soakLedger, run *soakRun, stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(seed, w))
	rb := tbl.NewRowBuilder()
	var keyBuf []byte
	nextKey, nextVal := uint64(1), uint64(1)
	perSec := float64(max(*killSoakRate, 1)) / killSoakWriters
	began := time.Now()
	var sent int
	var done []*ndbapi.Transaction // completed, to close after the poll
	record := func(kind int, key, val uint64, sentAt time.Time) func(*ndbapi.Transaction, error) {
		return func(tx *ndbapi.Transaction, err error) {
			done = append(done, tx)
			k := led.keys[key]
			k.busy = false
			var e *ndbapi.Error
			isErr := errors.As(err, &e)
			run.mu.Lock()
			defer run.mu.Unlock()
			switch {
			case err == nil:
				k.acked, k.val, k.maybe = true, val, k.maybe[:0]
				run.commits++
				run.maxGCI = max(run.maxGCI, tx.GCI())
				if kl := run.kill.Load(); kl != nil && sentAt.After(kl.at) {
					kl.firstAfter.CompareAndSwap(0, int64(time.Since(kl.at)))
				}
				return
			case isErr && e.UnknownResult():
				k.maybe = append(k.maybe, val)
				run.unknown++
				if len(run.unknowns) < 20 {
					run.unknowns = append(run.unknowns, fmt.Sprintf("key %#x sent at %s: %v", key, sentAt.Format("15:04:05.000"), err))
				}
			case isErr && e.Temporary():
				run.temporary++ // aborted: nothing changes
			default:
				// Lost or phantom rows show up here: an update of an
				// acknowledged key that finds no row (626), an insert of
				// a key never written that finds one (630).
				k.maybe = append(k.maybe, val) // assume nothing more about it
				run.permanent++
				if len(run.unexpected) < 20 {
					what := [...]string{"insert", "update", "upsert"}[kind]
					run.unexpected = append(run.unexpected, fmt.Sprintf("%s of key %#x (acknowledged %v, value %#x) at %s: %v",
						what, key, k.acked, k.val, sentAt.Format("15:04:05.000"), err))
				}
			}
			run.errors[fmt.Sprintf("%d (%s)", ndbapi.Code(err), soakClass(err))]++
		}
	}
	refused := func(err error) {
		run.mu.Lock()
		defer run.mu.Unlock()
		switch soakClass(err) {
		case "temporary":
			run.temporary++
		case "unknown result": // nothing was sent: counted as refused
			run.temporary++
		default:
			run.permanent++
			if len(run.unexpected) < 20 {
				run.unexpected = append(run.unexpected, fmt.Sprintf("starting a transaction: %v", err))
			}
		}
		run.errors[fmt.Sprintf("%d (%s, starting)", ndbapi.Code(err), soakClass(err))]++
	}
	stopping := false
	for {
		if !stopping {
			select {
			case <-stop:
				stopping = true
			default:
			}
		}
		if stopping && ndb.Pending() == 0 {
			break
		}
		// Fill the window up to the pace.
		allowed := int(time.Since(began).Seconds()*perSec) + 1
		if sent+killSoakWindow < allowed {
			sent = allowed - killSoakWindow // far behind: do not burst
		}
		for !stopping && ndb.Pending() < killSoakWindow && sent < allowed {
			var key uint64
			if len(led.order) == 0 || rng.IntN(4) == 0 {
				key = w<<40 | nextKey
				nextKey++
				led.keys[key] = &soakKey{}
				led.order = append(led.order, key)
			} else {
				for range 8 { // a key not in flight
					key = led.order[rng.IntN(len(led.order))]
					if !led.keys[key].busy {
						break
					}
				}
				if led.keys[key].busy {
					break
				}
			}
			k := led.keys[key]
			kind := soakUpdate
			switch {
			case !k.acked && len(k.maybe) == 0:
				kind = soakInsert
			case !k.acked:
				kind = soakUpsert
			}
			val := w<<48 | nextVal
			nextVal++
			rb.Reset()
			rb.SetUint64(0, key)
			keyBuf = rb.AppendKey(keyBuf[:0])
			rb.SetUint64(1, val)
			sent++
			tx, err := ndb.StartTransaction(tbl, keyBuf)
			if err != nil {
				refused(err)
				continue
			}
			switch kind {
			case soakInsert:
				tx.Insert(tbl, rb)
			case soakUpdate:
				tx.Update(tbl, rb)
			case soakUpsert:
				tx.Write(tbl, rb)
			}
			k.busy = true
			tx.ExecuteAsync(ndbapi.Commit, record(kind, key, val, time.Now()))
		}
		if ndb.Pending() > 0 {
			ndb.SendPollNdb(20*time.Millisecond, 1)
		} else {
			time.Sleep(5 * time.Millisecond)
		}
		for _, tx := range done {
			tx.Close()
		}
		done = done[:0]
	}
}

// soakClass is an error's class as the client sees it.
func soakClass(err error) string {
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

// soakVerify scans the table and checks every row against the writers'
// ledgers: every acknowledged key holds its last committed value (or that
// of a later write with an unknown result), a key never acknowledged is
// absent or holds a value of an unknown-result write, and there is no
// other row. It returns the rows found.
func soakVerify(t *testing.T, cl *ndbapi.Cluster, tbl *ndbapi.Table, ledgers []*soakLedger, what string, onRetry func()) int {
	t.Helper()
	found := map[uint64]uint64{}
	deadline := time.Now().Add(60 * time.Second)
	for attempt := 0; ; attempt++ {
		clear(found)
		var dup int
		err := crashScan(cl, tbl, func(r schema.Row) {
			k := r.Uint64(0)
			if _, ok := found[k]; ok {
				dup++
			}
			found[k] = r.Uint64(1)
		})
		if err == nil {
			if dup > 0 {
				t.Errorf("%s: the scan returned %d keys more than once", what, dup)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: scan: %v", what, err)
		}
		if attempt == 0 {
			t.Logf("%s: scan: %v (retrying)", what, err)
		}
		onRetry()
		time.Sleep(100 * time.Millisecond)
	}
	rows := len(found)
	var lost, stale, phantom, stray []string
	var acked, unknown int
	for _, led := range ledgers {
		for key, k := range led.keys {
			v, ok := found[key]
			switch {
			case k.acked && !ok:
				lost = append(lost, fmt.Sprintf("key %#x: committed value %#x, row missing", key, k.val))
			case k.acked && v != k.val && !slices.Contains(k.maybe, v):
				stale = append(stale, fmt.Sprintf("key %#x: %#x, committed %#x (unknown-result writes since: %#x)", key, v, k.val, k.maybe))
			case !k.acked && ok && !slices.Contains(k.maybe, v):
				phantom = append(phantom, fmt.Sprintf("key %#x: %#x, never committed (unknown-result writes: %#x)", key, v, k.maybe))
			}
			if k.acked {
				acked++
			} else if len(k.maybe) > 0 {
				unknown++
			}
			delete(found, key)
		}
	}
	for key, v := range found {
		stray = append(stray, fmt.Sprintf("key %#x = %#x", key, v))
	}
	report := func(what2 string, list []string) {
		if len(list) == 0 {
			return
		}
		sort.Strings(list)
		total := len(list)
		if total > 10 {
			list = append(list[:10:10], fmt.Sprintf("... and %d more", total-10))
		}
		t.Errorf("%s: %d %s:\n  %s", what, total, what2, strings.Join(list, "\n  "))
	}
	report("acknowledged writes lost (row missing)", lost)
	report("acknowledged updates lost (an older or other value)", stale)
	report("rows never committed present", phantom)
	report("rows no writer wrote", stray)
	t.Logf("%s: %d rows; %d acknowledged keys checked (and %d with only unknown-result writes)", what, rows, acked, unknown)
	return rows
}

// soakReadKeys reads every acknowledged key by primary key (committed
// reads, batches of asynchronous transactions, each on the key's primary's
// TC) and checks its value as soakVerify does; temporary errors are
// retried for a while.
func soakReadKeys(t *testing.T, cl *ndbapi.Cluster, tbl *ndbapi.Table, ledgers []*soakLedger) {
	t.Helper()
	ndb, err := cl.NewNdb()
	if err != nil {
		t.Fatal(err)
	}
	defer ndb.Close()
	type want struct {
		key uint64
		k   *soakKey
	}
	var todo []want
	for _, led := range ledgers {
		for _, key := range led.order {
			if k := led.keys[key]; k.acked {
				todo = append(todo, want{key, k})
			}
		}
	}
	checked := len(todo)
	rb := tbl.NewRowBuilder()
	var keyBuf []byte
	var bad []string
	var lastErr error
	began := time.Now()
	for try := 0; len(todo) > 0; try++ {
		if time.Since(began) > time.Minute {
			t.Errorf("primary-key reads: %d keys still unread after %v (last error: %v)", len(todo), time.Since(began).Round(time.Second), lastErr)
			break
		}
		var retry []want
		const batch = 128
		for i := 0; i < len(todo); i += batch {
			var txs []*ndbapi.Transaction
			for _, wk := range todo[i:min(i+batch, len(todo))] {
				rb.Reset()
				rb.SetUint64(0, wk.key)
				keyBuf = rb.AppendKey(keyBuf[:0])
				tx, err := ndb.StartTransaction(tbl, keyBuf)
				if err != nil {
					lastErr = err
					retry = append(retry, wk)
					continue
				}
				txs = append(txs, tx)
				op := tx.Read(tbl, rb, ndbapi.CommittedRead)
				tx.ExecuteAsync(ndbapi.Commit, func(_ *ndbapi.Transaction, err error) {
					var e *ndbapi.Error
					switch {
					case err == nil:
						row, ok := op.Row()
						if !ok {
							bad = append(bad, fmt.Sprintf("key %#x: committed value %#x, no row", wk.key, wk.k.val))
						} else if v := row.Uint64(1); v != wk.k.val && !slices.Contains(wk.k.maybe, v) {
							bad = append(bad, fmt.Sprintf("key %#x: %#x, committed %#x (unknown-result writes since: %#x)", wk.key, v, wk.k.val, wk.k.maybe))
						}
					case errors.As(err, &e) && e.Code == 626:
						bad = append(bad, fmt.Sprintf("key %#x: committed value %#x, row not found (626)", wk.key, wk.k.val))
					default:
						lastErr = err
						retry = append(retry, wk)
					}
				})
			}
			for ndb.Pending() > 0 {
				ndb.SendPollNdb(time.Second, 0)
			}
			for _, tx := range txs {
				tx.Close()
			}
		}
		if len(retry) > 0 {
			if try == 0 {
				t.Logf("primary-key reads: %d to retry (%v)", len(retry), lastErr)
			}
			time.Sleep(100 * time.Millisecond)
		}
		todo = retry
	}
	if len(bad) > 0 {
		total := len(bad)
		sort.Strings(bad)
		if total > 10 {
			bad = append(bad[:10:10], fmt.Sprintf("... and %d more", total-10))
		}
		t.Errorf("primary-key reads: %d acknowledged writes lost:\n  %s", total, strings.Join(bad, "\n  "))
	}
	t.Logf("primary-key reads: %d acknowledged keys read in %v", checked, time.Since(began).Round(time.Millisecond))
}

// durStats is "min / median / max (n)" of ds, rounded to milliseconds.
func durStats(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	return fmt.Sprintf("min %v, median %v, max %v (%d)", r(s[0]), r(s[len(s)/2]), r(s[len(s)-1]), len(s))
}

// countOver is how many of ds exceed limit.
func countOver(ds []time.Duration, limit time.Duration) int {
	n := 0
	for _, d := range ds {
		if d > limit {
			n++
		}
	}
	return n
}
