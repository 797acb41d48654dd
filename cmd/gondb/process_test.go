package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/mgmnode/mgmtest"
	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/schema"
)

// TestProcesses runs the real binary, built once here, as separate
// processes: a management server and data nodes (embedded etcd; external
// etcd with two management servers, one killed), and gondb demo. Each
// subtest is one scenario.
func TestProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs clusters of processes (about 15 s); not in -short")
	}
	bin := buildBinary(t)
	t.Run("EmbeddedEtcd", func(t *testing.T) { testEmbeddedCluster(t, bin) })
	t.Run("ExternalEtcdTwoMgmds", func(t *testing.T) { testExternalEtcdCluster(t, bin) })
	t.Run("Demo", func(t *testing.T) { testDemo(t, bin) })
}

// buildBinary builds cmd/gondb into the test's temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "gondb")
	began := time.Now()
	out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built %s in %v", bin, time.Since(began).Round(time.Millisecond))
	return bin
}

// process is a gondb subcommand running in the background.
type process struct {
	name     string
	cmd      *exec.Cmd
	out, err syncBuffer
	done     chan struct{}
	code     int
}

func startProcess(t *testing.T, bin, name string, args ...string) *process {
	t.Helper()
	return startCmd(t, name, exec.Command(bin, args...))
}

// startCmd starts cmd as process name, capturing its output, and kills it
// when the test ends (logging its output if the test failed).
func startCmd(t *testing.T, name string, cmd *exec.Cmd) *process {
	t.Helper()
	return startCmdLogs(t, name, cmd, true)
}

// startCmdLogs is startCmd; dump says whether a failed test logs the
// process's output (a soak keeps its many incarnations' logs itself).
func startCmdLogs(t *testing.T, name string, cmd *exec.Cmd, dump bool) *process {
	t.Helper()
	p := &process{name: name, cmd: cmd, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.err
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	go func() {
		p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
		if dump && t.Failed() {
			t.Logf("%s (exit %d) stdout:\n%s\nstderr:\n%s", p.name, p.code, p.out.String(), p.err.String())
		}
	})
	return p
}

// waitFor waits until stdout matches re and returns the submatches.
func (p *process) waitFor(t *testing.T, re *regexp.Regexp, timeout time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if m := re.FindStringSubmatch(p.out.String()); m != nil {
			return m
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited %d before printing %q\nstdout:\n%s\nstderr:\n%s", p.name, p.code, re, p.out.String(), p.err.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not print %q within %v\nstdout:\n%s\nstderr:\n%s", p.name, re, timeout, p.out.String(), p.err.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends sig and returns the exit status.
func (p *process) stop(t *testing.T, sig os.Signal) int {
	t.Helper()
	p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return p.code
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not exit after %v", p.name, sig)
		return -1
	}
}

// gondbMgm runs `gondb mgm -c connect -e cmd` and returns its stdout; a
// non-zero exit fails the test.
func gondbMgm(t *testing.T, bin, connect, cmd string) string {
	t.Helper()
	c := exec.Command(bin, "mgm", "-c", connect, "--wait", "15s", "--timeout", "3s", "--history-file", "", "-e", cmd)
	var out, errb strings.Builder
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		t.Fatalf("gondb mgm -e %q: %v\nstdout:\n%s\nstderr:\n%s", cmd, err, out.String(), errb.String())
	}
	return out.String()
}

func mustContain(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Fatalf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

// clusterConfig writes a config.ini with management servers mgmIDs on
// mgmPorts and data nodes dataIDs on explicit ServerPorts.
func clusterConfig(t *testing.T, dir string, mgmIDs, mgmPorts, dataIDs []int) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "[ndbd default]\nNoOfReplicas=2\nDataMemory=16M\nDataDir=%s\nMaxNoOfExecutionThreads=2\n", dir)
	for i, id := range mgmIDs {
		fmt.Fprintf(&b, "\n[ndb_mgmd]\nNodeId=%d\nHostName=127.0.0.1\nPortNumber=%d\nDataDir=%s\n", id, mgmPorts[i], dir)
	}
	for _, id := range dataIDs {
		fmt.Fprintf(&b, "\n[ndbd]\nNodeId=%d\nHostName=127.0.0.1\nServerPort=%d\n", id, freePort(t))
	}
	b.WriteString("\n[mysqld]\nNodeId=10\n[api]\nNodeId=11\n")
	p := filepath.Join(dir, "config.ini")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var (
	mgmdReadyRE     = regexp.MustCompile(`ready: mgmd node \d+ serving`)
	datanodeReadyRE = regexp.MustCompile(`ready: data node (\d+) started \(metrics (http://\S+)\)`)
)

func startDataNode(t *testing.T, bin, connect string, id int) *process {
	t.Helper()
	return startProcess(t, bin, fmt.Sprintf("datanode %d", id), "datanode", "-c", connect,
		"--ndb-nodeid", fmt.Sprint(id), "--http-addr", "127.0.0.1:0", "--connect-retries", "0")
}

// mgmd with embedded etcd and two data nodes, each its own process; SHOW,
// STOP and START through gondb mgm; SIGTERM releases a node's id;
// SHUTDOWN stops the management server.
func testEmbeddedCluster(t *testing.T, bin string) {
	began := time.Now()
	dir := t.TempDir()
	port := freePort(t)
	cfg := clusterConfig(t, dir, []int{1}, []int{port}, []int{2, 3})
	mgmd := startProcess(t, bin, "mgmd", "mgmd", "-f", cfg)
	mgmd.waitFor(t, mgmdReadyRE, 20*time.Second)
	connect := fmt.Sprintf("127.0.0.1:%d", port)
	d2 := startDataNode(t, bin, connect, 2)
	d3 := startDataNode(t, bin, connect, 3)
	metrics2 := d2.waitFor(t, datanodeReadyRE, 20*time.Second)[2]
	d3.waitFor(t, datanodeReadyRE, 20*time.Second)
	t.Logf("mgmd and two data nodes started in %v", time.Since(began).Round(time.Millisecond))

	show := gondbMgm(t, bin, connect, "SHOW")
	mustContain(t, "SHOW", show, "[ndbd(NDB)]\t2 node(s)\n",
		"id=2\t@127.0.0.1  (gondb-dev, Nodegroup: 0, *)\n", "id=3\t@127.0.0.1  (gondb-dev, Nodegroup: 0)\n")
	mustContain(t, "REPORT MEMORYUSAGE", gondbMgm(t, bin, connect, "ALL REPORT MEMORYUSAGE"),
		"Node 2: Data usage is 0%(0 32K pages of total 512)\n", "Node 3: Data usage is 0%(0 32K pages of total 512)\n")

	mustContain(t, "2 STOP", gondbMgm(t, bin, connect, "2 STOP"), "Node 2 has shutdown.\n")
	mustContain(t, "SHOW after 2 STOP", gondbMgm(t, bin, connect, "SHOW"),
		"id=2\t@127.0.0.1  (gondb-dev, not started, Nodegroup: 0)\n", "id=3\t@127.0.0.1  (gondb-dev, Nodegroup: 0)\n")
	if body := httpGet(t, metrics2); !strings.Contains(body, "\ngondb_datanode_started 0\n") {
		t.Fatalf("node 2's metrics after STOP:\n%s", body)
	}
	mustContain(t, "2 START", gondbMgm(t, bin, connect, "2 START"), "Database node 2 is being started.\nNode 2: Started\n")
	mustContain(t, "SHOW after 2 START", gondbMgm(t, bin, connect, "SHOW"),
		"id=2\t@127.0.0.1  (gondb-dev, Nodegroup: 0, *)\n", "id=3\t@127.0.0.1  (gondb-dev, Nodegroup: 0)\n")
	if body := httpGet(t, metrics2); !strings.Contains(body, "\ngondb_datanode_started 1\n") ||
		!strings.Contains(body, "\ngondb_datanode_starts_total 2\n") || !strings.Contains(body, `gondb_transporter_connected{peer="3"} 1`) {
		t.Fatalf("node 2's metrics after START:\n%s", body)
	}
	mustContain(t, "3 RESTART", gondbMgm(t, bin, connect, "3 RESTART -i"), "Node 3: Started\n")

	if code := d3.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("data node 3 exited %d on SIGTERM", code)
	}
	mustContain(t, "SHOW after SIGTERM", gondbMgm(t, bin, connect, "SHOW"), "id=3 (not connected, accepting connect from 127.0.0.1)\n")
	mustContain(t, "SHUTDOWN", gondbMgm(t, bin, connect, "SHUTDOWN"), "1 NDB Cluster node(s) have shutdown.")
	select {
	case <-mgmd.done:
		if mgmd.code != 0 {
			t.Fatalf("mgmd exited %d after SHUTDOWN", mgmd.code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("mgmd did not exit after SHUTDOWN")
	}
	// SHUTDOWN stops the data node, whose process then exits by itself.
	select {
	case <-d2.done:
		if d2.code != 0 {
			t.Fatalf("data node 2 exited %d after SHUTDOWN", d2.code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("data node 2 did not exit after SHUTDOWN")
	}
	t.Logf("scenario took %v", time.Since(began).Round(time.Millisecond))
}

// Two management servers on one external etcd; one is killed and the
// data nodes and gondb mgm go on through the other.
func testExternalEtcdCluster(t *testing.T, bin string) {
	endpoints := strings.Join(mgmtest.ExternalEtcd(t), ",")
	began := time.Now()
	dir := t.TempDir()
	p1, p2 := freePort(t), freePort(t)
	cfg := clusterConfig(t, dir, []int{1, 2}, []int{p1, p2}, []int{3, 4})
	m1 := startProcess(t, bin, "mgmd 1", "mgmd", "-f", cfg, "--ndb-nodeid", "1", "--etcd-endpoints", endpoints)
	m1.waitFor(t, mgmdReadyRE, 20*time.Second)
	m2 := startProcess(t, bin, "mgmd 2", "mgmd", "-f", cfg, "--ndb-nodeid", "2", "--etcd-endpoints", endpoints)
	m2.waitFor(t, mgmdReadyRE, 20*time.Second)
	connect := fmt.Sprintf("127.0.0.1:%d,127.0.0.1:%d", p1, p2)
	d3 := startDataNode(t, bin, connect, 3)
	d4 := startDataNode(t, bin, connect, 4)
	d3.waitFor(t, datanodeReadyRE, 20*time.Second)
	d4.waitFor(t, datanodeReadyRE, 20*time.Second)
	mustContain(t, "SHOW", gondbMgm(t, bin, connect, "SHOW"), "[ndb_mgmd(MGM)]\t2 node(s)\n",
		"id=3\t@127.0.0.1  (gondb-dev, Nodegroup: 0, *)\n", "id=4\t@127.0.0.1  (gondb-dev, Nodegroup: 0)\n")
	t.Logf("two mgmds and two data nodes started in %v", time.Since(began).Round(time.Millisecond))

	m1.cmd.Process.Signal(syscall.SIGKILL)
	<-m1.done
	show := gondbMgm(t, bin, connect, "SHOW")
	// (The president's '*' comes with the heartbeat figures, which each
	// mgmd keeps for itself: it may be missing until the next heartbeat.)
	mustContain(t, "SHOW after killing mgmd 1", show, fmt.Sprintf("Connected to Management Server at: 127.0.0.1:%d\n", p2),
		"id=3\t@127.0.0.1  (gondb-dev, Nodegroup: 0", "id=4\t@127.0.0.1  (gondb-dev, Nodegroup: 0)\n")
	// The data nodes subscribed to mgmd 1 move to mgmd 2 within moments;
	// a command sent before that finds them unsubscribed, so try again.
	var out string
	deadline := time.Now().Add(15 * time.Second)
	for {
		c := exec.Command(bin, "mgm", "-c", connect, "--wait", "15s", "--timeout", "3s", "--history-file", "", "-e", "3 STOP")
		b, err := c.CombinedOutput()
		if out = string(b); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	mustContain(t, "3 STOP through mgmd 2", out, "Node 3 has shutdown.\n")
	mustContain(t, "SHOW after 3 STOP", gondbMgm(t, bin, connect, "SHOW"), "id=3\t@127.0.0.1  (gondb-dev, not started, Nodegroup: 0)\n")
	mustContain(t, "3 START through mgmd 2", gondbMgm(t, bin, connect, "3 START"), "Node 3: Started\n")
	mustContain(t, "4 RESTART through mgmd 2", gondbMgm(t, bin, connect, "4 RESTART"), "Node 4: Started\n")
	mustContain(t, "ALL STATUS", gondbMgm(t, bin, connect, "ALL STATUS"), "Node 3: started (gondb-dev)\nNode 4: started (gondb-dev)\n")
	for _, p := range []*process{d3, d4, m2} {
		if code := p.stop(t, os.Interrupt); code != 0 {
			t.Fatalf("%s exited %d on SIGINT", p.name, code)
		}
	}
	t.Logf("scenario took %v", time.Since(began).Round(time.Millisecond))
}

var demoReadyRE = regexp.MustCompile(`(?m)^ready: mgm=(\S+) metrics=(\S+) sql=(\S+)$`)

// gondb demo prints ready: with its connect strings; SIGINT stops it with
// status 0; with the same --datadir it starts the same cluster again.
func testDemo(t *testing.T, bin string) {
	dir := filepath.Join(t.TempDir(), "demo")
	var mgmAddr string
	for round := range 2 {
		began := time.Now()
		demo := startProcess(t, bin, "demo", "demo", "--datadir", dir)
		m := demo.waitFor(t, demoReadyRE, 60*time.Second)
		t.Logf("round %d: ready: after %v", round, time.Since(began).Round(time.Millisecond))
		if round == 0 {
			mgmAddr = m[1]
			mustContain(t, "demo output", demo.out.String(), "gondb demo: new cluster in "+dir)
		} else {
			mustContain(t, "demo output", demo.out.String(), "gondb demo: restarting the cluster in "+dir)
			if m[1] != mgmAddr {
				t.Errorf("restarted demo serves the management API on %s, first on %s", m[1], mgmAddr)
			}
		}
		// The lines after ready: may still be on their way.
		demo.waitFor(t, regexp.MustCompile(`(?m)^  try: .* mgm -c `+regexp.QuoteMeta(m[1])+` -e SHOW$`), 10*time.Second)
		urls := strings.Split(m[2], ",")
		if len(urls) != 3 {
			t.Fatalf("metrics URLs %q", m[2])
		}
		if body := httpGet(t, urls[1]); !strings.Contains(body, "\ngondb_datanode_started 1\n") {
			t.Fatalf("data node 1 metrics:\n%s", body)
		}
		mustContain(t, "SHOW", gondbMgm(t, bin, m[1], "SHOW"),
			"id=1\t@127.0.0.1  (gondb-dev, Nodegroup: 0, *)\n", "id=2\t@127.0.0.1  (gondb-dev, Nodegroup: 0)\n",
			"id=49\t@127.0.0.1  (gondb-dev)\n")
		// flexAsync against the demo's cluster, through the management
		// server: every phase runs and every read is checked.
		fa := exec.Command(bin, "bench", "flexasync", "-c", m[1], "-t", "2", "-p", "16", "-a", "5", "--transactions", "200", "--json")
		var faOut, faErr strings.Builder
		fa.Stdout, fa.Stderr = &faOut, &faErr
		if err := fa.Run(); err != nil {
			t.Fatalf("gondb bench flexasync -c %s: %v\n%s\n%s", m[1], err, faOut.String(), faErr.String())
		}
		if n := strings.Count(faOut.String(), `"errors":0`); n != 5 {
			t.Fatalf("flexasync printed %d error-free phases, want 5:\n%s", n, faOut.String())
		}
		if code := demo.stop(t, os.Interrupt); code != 0 {
			t.Fatalf("demo exited %d on SIGINT", code)
		}
		mustContain(t, "demo output", demo.out.String(), "gondb demo: stopped\n")
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// connectRowsTable connects an API node through the management servers
// at connect and creates table name (id, val: unsigned BIGINTs, id the
// key), the table the process tests write. A transaction whose TC stays
// silent fails after txTimeout.
func connectRowsTable(t *testing.T, ctx context.Context, connect, name string, txTimeout time.Duration) (*ndbapi.Cluster, *ndbapi.Table) {
	t.Helper()
	opts := ndbapi.DefaultTestOptions()
	opts.Client = client.Options{ConnectTimeout: time.Second, CallTimeout: 3 * time.Second}
	opts.TransactionTimeout = txTimeout
	opts.ReadyTimeout = 30 * time.Second
	cl, err := ndbapi.Connect(ctx, connect, opts)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := cl.CreateTable(ctx, &schema.Table{Name: name, PrimaryKey: []int{0}, Columns: []schema.Column{
		{Name: "id", Type: schema.TypeBigInt, Unsigned: true},
		{Name: "val", Type: schema.TypeBigInt, Unsigned: true},
	}})
	if err != nil {
		cl.Close()
		t.Fatal(err)
	}
	return cl, tbl
}

// startWriters runs n writer goroutines, each with its own Ndb of cl,
// until the returned stop (safe to call more than once) closes their stop
// channel and waits for them.
func startWriters(t *testing.T, cl *ndbapi.Cluster, n int, write func(w int, ndb *ndbapi.Ndb, stop <-chan struct{})) (stopWriters func()) {
	t.Helper()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range n {
		ndb, err := cl.NewNdb()
		if err != nil {
			close(stop)
			wg.Wait()
			t.Fatal(err)
		}
		wg.Go(func() {
			defer ndb.Close()
			write(w, ndb, stop)
		})
	}
	return sync.OnceFunc(func() { close(stop); wg.Wait() })
}

// writeClusterConfig creates dirs and writes config.ini into dir.
func writeClusterConfig(t *testing.T, dir, config string, dirs []string) string {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "config.ini")
	if err := os.WriteFile(p, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
