package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gondb/gondb/internal/datanodeproc"
	"github.com/gondb/gondb/internal/nodehttp"
	"github.com/gondb/gondb/mgmnode/config"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/server"
	"github.com/gondb/gondb/mgmnode/state"
	"github.com/gondb/gondb/sqlnode"
)

// The demo's node ids, as deploy/local/config.ini has them: data nodes
// from 1, the management server 49, a SQL node slot 51, API slots 60, 61.
const (
	demoMgmID        = 49
	demoSQLID        = 51
	demoMaxDataNodes = demoMgmID - 1
)

// demoFlags are gondb demo's flags.
type demoFlags struct {
	datadir      string
	mgmPort      int
	sqlPort      int
	dataNodes    int
	replicas     int
	rootPassword string
	httpPort     int
	dataMemory   string
	logLevel     string
	set          map[string]bool // flags given on the command line
}

func parseDemoFlags(args []string, stdout io.Writer) (*demoFlags, error) {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // a bad flag is one line from run
	fs.Usage = func() {
		fmt.Fprintln(stdout, "usage: gondb demo [--datadir DIR] [--mgm-port P] [--data-nodes N] [--replicas R] [--http-port P] [flags]")
		fmt.Fprintln(stdout, "\nRuns a whole cluster in this process: a management server with embedded etcd and N data nodes on")
		fmt.Fprintln(stdout, "127.0.0.1, prints a line starting with \"ready:\" once every data node is started, and stops on Ctrl-C.")
		fmt.Fprintln(stdout)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
	}
	f := &demoFlags{set: map[string]bool{}}
	fs.StringVar(&f.datadir, "datadir", "", "directory for config.ini and the embedded etcd; an existing one restarts the cluster it holds (default: a temporary directory, removed at exit)")
	fs.IntVar(&f.mgmPort, "mgm-port", 0, "management API port on 127.0.0.1 (0: a free port)")
	fs.IntVar(&f.sqlPort, "sql-port", 0, "SQL node port on 127.0.0.1 (0: a free port)")
	fs.IntVar(&f.dataNodes, "data-nodes", 2, fmt.Sprintf("data nodes, 1..%d, a multiple of --replicas", demoMaxDataNodes))
	fs.IntVar(&f.replicas, "replicas", 2, "NoOfReplicas, 1..4")
	fs.StringVar(&f.rootPassword, "root-password", "", "password of the SQL node's 'root'@'%' for a new cluster (default: a random one, printed once on stderr); ignored once the cluster has users")
	fs.IntVar(&f.httpPort, "http-port", 0, "first HTTP port for /metrics and /health: the management server gets it, data node k the k-th next one (0: free ports)")
	fs.StringVar(&f.dataMemory, "data-memory", "64M", "DataMemory of each data node (config.ini syntax: 64M, 1G)")
	fs.StringVar(&f.logLevel, "log-level", "warn", "log level on stderr: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) { // Parse printed the usage
			return nil, nil
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	switch {
	case f.dataNodes < 1 || f.dataNodes > demoMaxDataNodes:
		return nil, fmt.Errorf("--data-nodes %d out of range (allowed 1..%d)", f.dataNodes, demoMaxDataNodes)
	case f.replicas < 1 || f.replicas > 4:
		return nil, fmt.Errorf("--replicas %d out of range (allowed 1..4)", f.replicas)
	case f.dataNodes%f.replicas != 0:
		return nil, fmt.Errorf("--data-nodes %d is not a multiple of --replicas %d (every node group has NoOfReplicas nodes)", f.dataNodes, f.replicas)
	case f.mgmPort < 0 || f.mgmPort > 65535:
		return nil, fmt.Errorf("--mgm-port %d out of range (allowed 0..65535; 0 picks a free port)", f.mgmPort)
	case f.sqlPort < 0 || f.sqlPort > 65535:
		return nil, fmt.Errorf("--sql-port %d out of range (allowed 0..65535)", f.sqlPort)
	case f.httpPort < 0 || f.httpPort+f.dataNodes > 65535:
		return nil, fmt.Errorf("--http-port %d out of range (allowed 0..%d with %d data nodes; 0 picks free ports)", f.httpPort, 65535-f.dataNodes, f.dataNodes)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(f.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", f.logLevel)
	}
	return f, nil
}

// runDemo runs a whole cluster in this process: a management server with
// embedded etcd and the data nodes, each a datanodeproc.Proc on its own
// goroutines, talking over 127.0.0.1 as separate processes would. In one
// process it starts in a second or two, and Ctrl-C stops everything at
// once; `gondb mgmd` and `gondb datanode` run the same code as processes.
func runDemo(args []string, stdout, stderr io.Writer) error {
	f, err := parseDemoFlags(args, stdout)
	if f == nil || err != nil {
		return err
	}
	var lvl slog.Level
	lvl.UnmarshalText([]byte(f.logLevel))
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	slog.SetDefault(logger)
	began := time.Now()

	dir := f.datadir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "gondb-demo-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	release, err := lockDemoDir(dir)
	if err != nil {
		return err
	}
	defer release()
	cfgPath := filepath.Join(dir, "config.ini")

	// A new cluster gets a config.ini with explicit ports; an existing
	// datadir's config.ini says what the cluster is.
	var mgmL net.Listener
	defer func() {
		if mgmL != nil {
			mgmL.Close()
		}
	}()
	text, err := os.ReadFile(cfgPath)
	restart := err == nil
	switch {
	case restart:
		fmt.Fprintf(stdout, "gondb demo: restarting the cluster in %s\n", dir)
	case !errors.Is(err, fs.ErrNotExist):
		return err
	default:
		if mgmL, err = net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(f.mgmPort))); err != nil {
			return fmt.Errorf("--mgm-port: %w", err)
		}
		ports, err := freePorts(f.dataNodes)
		if err != nil {
			return err
		}
		text = []byte(demoConfig(f, dir, mgmL.Addr().(*net.TCPAddr).Port, ports))
	}
	copts := configOptions()
	cfg, warns, err := config.ParseWith(cfgPath, strings.NewReader(string(text)), copts)
	if err != nil {
		return oneLine(err)
	}
	if !restart {
		if err := os.WriteFile(cfgPath, text, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "gondb demo: new cluster in %s\n", dir)
	}
	for _, w := range warns {
		logger.Warn("config", "file", w.File, "line", w.Line, "section", w.Section, "param", w.Param, "msg", w.Message)
	}
	if len(cfg.MgmNodes) != 1 {
		return fmt.Errorf("%s has %d [ndb_mgmd] sections; gondb demo runs exactly one", cfgPath, len(cfg.MgmNodes))
	}
	me := cfg.MgmNodes[0]
	if restart {
		if err := demoCheckRestart(f, cfg, cfgPath); err != nil {
			return err
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills the process at once
	}()

	etcdDir := filepath.Join(dir, fmt.Sprintf("gondb_%d_etcd", me.NodeID))
	st, err := state.OpenEmbedded(etcdDir, state.EmbeddedOptions{Options: state.Options{ClusterName: "default", Logger: logger}})
	if err != nil {
		return err
	}
	defer st.Close()
	// The datadir's config.ini is the cluster's: a changed file becomes
	// the next generation.
	loaded, res, err := server.InstallConfig(ctx, st, cfgPath, string(text), true, copts)
	if err != nil {
		return oneLine(err)
	}
	if res == server.Replaced {
		fmt.Fprintf(stdout, "gondb demo: %s changed; stored as configuration generation %d\n", cfgPath, loaded.Generation)
	}
	if mgmL == nil {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(me.PortNumber))
		if mgmL, err = net.Listen("tcp", addr); err != nil {
			return fmt.Errorf("management port %d of %s: %w (is a demo already running on this datadir?)", me.PortNumber, cfgPath, err)
		}
	}
	mgmAddr := mgmL.Addr().String()

	if restart {
		releaseDemoIDs(ctx, st, loaded.Config, stdout)
	}
	shut := make(chan struct{})
	var shutOnce sync.Once
	srv, err := demoStartMgmd(ctx, server.Config{
		Store: st, NodeID: uint32(me.NodeID), Listener: mgmL, Logger: logger,
		Version: "gondb-" + version, ParseOptions: copts,
		OnShutdown: func() { shutOnce.Do(func() { close(shut) }) },
	}, stdout)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	mgmL = nil // the server closes it
	defer srv.Stop()

	httpAddr := func(k int) string {
		p := 0
		if f.httpPort != 0 {
			p = f.httpPort + k
		}
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
	}
	mh, err := nodehttp.New(nodehttp.Options{Addr: httpAddr(0), Kind: nodehttp.KindMgmd, NodeID: me.NodeID,
		Version: version, Logger: logger, Health: func() (string, error) { return "started", nil }})
	if err != nil {
		return err
	}
	if err := mh.Start(); err != nil {
		return err
	}
	defer mh.Close()

	// The data nodes, each joined as a separate process would be.
	nodeCtx, stopNodes := context.WithCancel(context.Background())
	defer stopNodes()
	type exit struct {
		id  uint32
		err error
	}
	exits := make(chan exit, len(cfg.DataNodes))
	var procs []*datanodeproc.Proc
	var wg sync.WaitGroup
	defer func() {
		stopNodes()
		wg.Wait()
	}()
	for k, d := range cfg.DataNodes {
		p, err := datanodeproc.Join(ctx, datanodeproc.Options{
			ConnectString: mgmAddr, NodeID: uint32(d.NodeID), HTTPAddr: httpAddr(k + 1),
			Version: "gondb-" + version, Logger: logger,
			// After a crash the ids are held until their leases expire.
			ConnectRetries: 20, RetryDelay: time.Second,
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("data node %d: %w", d.NodeID, oneLine(err))
		}
		procs = append(procs, p)
		wg.Add(1)
		go func() {
			defer wg.Done()
			exits <- exit{p.ID(), p.Run(nodeCtx)}
		}()
	}

	// Ready when the management server sees every data node STARTED.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for ready := false; !ready; {
		select {
		case <-ctx.Done():
			fmt.Fprintln(stdout, "gondb demo: interrupted while starting; stopping")
			return nil
		case <-shut:
			fmt.Fprintln(stdout, "gondb demo: SHUTDOWN received while starting; stopping")
			return nil
		case e := <-exits:
			return fmt.Errorf("data node %d stopped while starting: %v", e.id, e.err)
		case <-tick.C:
			rep, err := srv.Status(ctx, &mgmapi.StatusRequest{})
			if err != nil {
				continue
			}
			ready = true
			for _, n := range rep.Nodes {
				if n.Type == mgmapi.TypeData && n.Status != mgmapi.StatusStarted {
					ready = false
				}
			}
		}
	}

	urls := []string{"http://" + mh.Addr() + "/metrics"}
	for _, p := range procs {
		urls = append(urls, "http://"+p.HTTPAddr()+"/metrics")
	}
	// The SQL node, in this process like the others; it takes a free
	// [api] slot.
	sqlSrv, sqlC, err := startSQLNode(ctx, mgmAddr, 0, 0, 30*time.Second, net.JoinHostPort("127.0.0.1", strconv.Itoa(f.sqlPort)), logger,
		func(cfg *sqlnode.Config) { cfg.RootPassword = f.rootPassword })
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("SQL node: %w", err)
	}
	defer sqlC.Close()
	defer sqlSrv.Close()
	go sqlSrv.Serve()
	printRootPassword(sqlSrv, stderr)
	fmt.Fprintf(stdout, "ready: mgm=%s metrics=%s sql=%s\n", mgmAddr, strings.Join(urls, ","), sqlSrv.Addr())
	var ids []string
	for _, p := range procs {
		ids = append(ids, strconv.Itoa(int(p.ID())))
	}
	groups := len(cfg.NodeGroups())
	fmt.Fprintf(stdout, "  management:  %s (node %d, connect string for gondb mgm and gondb datanode)\n", mgmAddr, me.NodeID)
	fmt.Fprintf(stdout, "  data nodes:  %s started (NoOfReplicas=%d, %d node group(s)), in %.1fs\n",
		strings.Join(ids, ", "), cfg.Cluster.NoOfReplicas, groups, time.Since(began).Seconds())
	fmt.Fprintf(stdout, "  metrics:     mgmd %d %s", me.NodeID, urls[0])
	for i, p := range procs {
		fmt.Fprintf(stdout, ", data node %d %s", p.ID(), urls[i+1])
	}
	fmt.Fprintln(stdout)
	sqlHost, sqlPort, _ := net.SplitHostPort(sqlSrv.Addr())
	fmt.Fprintf(stdout, "  sql:         %s (MySQL protocol; e.g. mariadb -h %s -P %s -u root %s)\n", sqlSrv.Addr(), sqlHost, sqlPort, demoRootLogin(sqlSrv, f.rootPassword))
	fmt.Fprintf(stdout, "  data:        in memory, redo log and checkpoints under %s (config.ini and etcd too)\n", dir)
	fmt.Fprintf(stdout, "  try:         %s mgm -c %s -e SHOW\n", demoSelf(), mgmAddr)
	fmt.Fprintln(stdout, "  Ctrl-C stops the cluster.")

	var failed error
	select {
	case <-ctx.Done():
		fmt.Fprintln(stdout, "gondb demo: stopping")
	case <-shut:
		fmt.Fprintln(stdout, "gondb demo: SHUTDOWN received; stopping")
	case e := <-exits:
		failed = fmt.Errorf("data node %d stopped: %v", e.id, e.err)
		if e.err == nil {
			// A data node exits cleanly on SHUTDOWN, which stops the data
			// nodes before it tells the management server to stop.
			select {
			case <-shut:
				fmt.Fprintln(stdout, "gondb demo: SHUTDOWN received; stopping")
				failed = nil
			case <-time.After(10 * time.Second):
				failed = fmt.Errorf("data node %d stopped", e.id)
			}
		}
	}
	sqlSrv.Close() // the SQL node leaves while the management server is up
	sqlC.Close()
	stopNodes()
	wg.Wait()
	srv.Stop()
	if failed != nil {
		return failed
	}
	fmt.Fprintln(stdout, "gondb demo: stopped")
	return nil
}

// releaseDemoIDs frees the node ids of the demo's own nodes (its
// management server, data nodes and SQL node) that a run killed before it
// could release them still holds: the datadir's lock says no other demo
// runs on it, so they are stale, and waiting out their leases (10 s)
// would only delay the restart. Ids of other programs (the [api] slots)
// are left to expire.
func releaseDemoIDs(ctx context.Context, st *state.Store, cfg *config.Config, stdout io.Writer) {
	own := map[uint32]bool{demoMgmID: true, demoSQLID: true}
	for _, d := range cfg.DataNodes {
		own[uint32(d.NodeID)] = true
	}
	held, err := st.HeldNodeIDs(ctx)
	if err != nil {
		return // the leases expire by themselves
	}
	var freed []uint32
	for _, l := range held {
		if own[l.ID] && st.ReleaseNodeID(ctx, l) == nil {
			freed = append(freed, l.ID)
		}
	}
	if len(freed) > 0 {
		fmt.Fprintf(stdout, "gondb demo: released node ids %v, still held by the last run (it did not stop cleanly)\n", freed)
	}
}

// demoStartMgmd starts the management server. After a crash its node id
// may still be held until the lease expires, so it tries again meanwhile.
func demoStartMgmd(ctx context.Context, c server.Config, stdout io.Writer) (*server.Server, error) {
	deadline := time.Now().Add(2 * state.DefaultOptions().NodeIDLeaseTTL)
	told := false
	for {
		srv, err := server.Start(ctx, c)
		if err == nil || !errors.Is(err, state.ErrNodeIDInUse) || time.Now().After(deadline) {
			return srv, err
		}
		if !told {
			fmt.Fprintf(stdout, "gondb demo: management node id %d is still held (the last run did not stop cleanly); waiting for its lease to expire\n", c.NodeID)
			told = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// demoCheckRestart refuses flags that describe a cluster other than the
// one the datadir holds.
func demoCheckRestart(f *demoFlags, cfg *config.Config, path string) error {
	differs := func(name string, flagVal, cfgVal int) error {
		if f.set[name] && flagVal != cfgVal {
			return fmt.Errorf("--%s %d differs from the cluster in %s (%d): leave the flag out, or edit the file", name, flagVal, path, cfgVal)
		}
		return nil
	}
	if err := differs("data-nodes", f.dataNodes, len(cfg.DataNodes)); err != nil {
		return err
	}
	if err := differs("replicas", f.replicas, cfg.Cluster.NoOfReplicas); err != nil {
		return err
	}
	if err := differs("mgm-port", f.mgmPort, cfg.MgmNodes[0].PortNumber); err != nil {
		return err
	}
	if f.set["data-memory"] {
		return fmt.Errorf("--data-memory applies to a new cluster; %s holds one: edit DataMemory there instead", path)
	}
	return nil
}

// demoConfig is the config.ini of a new demo cluster.
func demoConfig(f *demoFlags, dir string, mgmPort int, ports []int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `# A gondb demo cluster, written by "gondb demo" on %s.
# "gondb demo --datadir %s" starts it again from this file and the etcd
# data next to it; edits here are stored as a new configuration generation
# at that start. Commits are on disk in each data node's ndb_<id>_fs/
# (redo log, local checkpoints) within TimeBetweenGlobalCheckPoints.

[ndbd default]
NoOfReplicas=%d
DataMemory=%s
DataDir=%s
MaxNoOfExecutionThreads=2
# A small redo log for a laptop: 4 parts x 8 files x 16M per data node
# (512M; sustained writes at a few hundred thousand rows/s need it: a part
# is released only behind local checkpoints made durable by a GCP save).
NoOfFragmentLogFiles=8
FragmentLogFileSize=16M
HeartbeatIntervalDbDb=1000

[ndb_mgmd]
NodeId=%d
HostName=127.0.0.1
PortNumber=%d
DataDir=%s
`, time.Now().Format(time.RFC3339), dir, f.replicas, f.dataMemory, dir, demoMgmID, mgmPort, dir)
	for i, p := range ports {
		fmt.Fprintf(&b, "\n[ndbd]\nNodeId=%d\nHostName=127.0.0.1\nServerPort=%d\n", i+1, p)
	}
	fmt.Fprintf(&b, "\n# The SQL node's slot: gondb demo starts one in it.\n[mysqld]\nNodeId=%d\nHostName=127.0.0.1\n", demoSQLID)
	b.WriteString("\n# Slots for tools and programs linking ndbapi.\n[api]\nNodeId=60\n[api]\nNodeId=61\n")
	return b.String()
}

// freePorts returns n distinct free ports on 127.0.0.1 (free now; a
// process could take one before the data node listens on it).
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// demoRootLogin is the password part of the demo's example command: the
// password root got now, or a prompt when the cluster had users already
// (its root password is the one set when it was created).
func demoRootLogin(srv *sqlnode.Server, flagPW string) string {
	switch {
	case srv.GeneratedRootPassword() != "":
		return "-p" + srv.GeneratedRootPassword()
	case srv.CreatedRoot():
		return "-p" + flagPW
	case flagPW != "":
		return "-p (--root-password was ignored: the cluster has users; root's password is the one set when it was created)"
	}
	return "-p (root's password is the one set when this cluster was created)"
}

// demoSelf is how the user ran this binary, for the example command.
func demoSelf() string {
	if len(os.Args) > 0 && strings.Contains(os.Args[0], "/") && !filepath.IsAbs(os.Args[0]) {
		return os.Args[0] // ./bin/gondb from make run
	}
	return "gondb"
}
