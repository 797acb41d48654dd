package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/gondb/gondb/datanode/thread"
	"github.com/gondb/gondb/internal/nodehttp"
	"github.com/gondb/gondb/mgmnode/config"
	"github.com/gondb/gondb/mgmnode/server"
	"github.com/gondb/gondb/mgmnode/state"
)

// configOptions checks ThreadConfig values fully, which mgmnode/config
// cannot do itself (it must not import datanode).
func configOptions() config.Options {
	return config.Options{CheckThreadConfig: func(s string) error {
		_, err := thread.ParseThreadConfig(s)
		return err
	}}
}

// oneLine makes err one line: the first of joined errors, with a count of
// the rest, each logged in full.
func oneLine(err error) error {
	var j interface{ Unwrap() []error }
	if !errors.As(err, &j) {
		return err
	}
	errs := j.Unwrap()
	if len(errs) <= 1 {
		return err
	}
	for _, e := range errs {
		slog.Error(e.Error())
	}
	return fmt.Errorf("%v (and %d more problems, logged above)", errs[0], len(errs)-1)
}

// runMgmd runs a management server until SIGINT, SIGTERM or SHUTDOWN.
func runMgmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mgmd", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // a bad flag is one line from run
	fs.Usage = func() {
		fmt.Fprintln(stdout, "usage: gondb mgmd -f config.ini [--initial] [--configdir DIR] [--etcd-endpoints URL,...] [flags]")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
	}
	var file string
	fs.StringVar(&file, "f", "", "the cluster's config.ini (required unless --etcd-endpoints names an etcd that holds a configuration)")
	fs.StringVar(&file, "config-file", "", "same as -f")
	initial := fs.Bool("initial", false, "store config.ini as a new configuration generation even if etcd holds one (NDB's --initial); the dictionary and node registry are kept")
	configDir := fs.String("configdir", "", "directory of the embedded etcd's data, in DIR/gondb_<id>_etcd (default: this node's DataDir)")
	endpoints := fs.String("etcd-endpoints", "", "comma-separated client URLs of an external etcd cluster, e.g. http://10.0.0.1:2379,http://10.0.0.2:2379; management servers sharing it serve the same cluster (default: embedded etcd)")
	nodeID := fs.Uint("ndb-nodeid", 0, "this server's node id, an [ndb_mgmd] of the config (needed when the config has several)")
	bind := fs.String("bind-address", "", "host:port to serve the management API on (default: all addresses, the [ndb_mgmd] PortNumber)")
	cluster := fs.String("cluster-name", "default", "names the cluster in etcd (key prefix /gondb/<name>/), so clusters can share an etcd")
	httpPort := fs.Int("http-port", -1, "serve /metrics and /health on this port of every interface (0: a free port; default: no HTTP)")
	httpAddr := fs.String("http-addr", "", "serve /metrics and /health on this host:port instead of --http-port")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // Parse has printed the usage
		}
		return err
	}
	httpListen, err := nodehttp.ListenAddr(*httpAddr, *httpPort)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (the config file goes after -f)", fs.Arg(0))
	}
	if *nodeID > state.MaxNodeID {
		return fmt.Errorf("--ndb-nodeid %d is not a node id (1..%d)", *nodeID, state.MaxNodeID)
	}
	var eps []string
	for e := range strings.SplitSeq(*endpoints, ",") {
		if e = strings.TrimSpace(e); e != "" {
			eps = append(eps, e)
		}
	}
	if file == "" && len(eps) == 0 {
		return errors.New("-f config.ini is required (unless --etcd-endpoints names an etcd that holds the configuration)")
	}
	if *configDir != "" && len(eps) > 0 {
		return errors.New("--configdir is for the embedded etcd; with --etcd-endpoints the state lives in the external etcd")
	}
	copts := configOptions()
	var text string
	var fileCfg *config.Config
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		text = string(b)
		c, warns, err := config.ParseWith(file, strings.NewReader(text), copts)
		if err != nil {
			return oneLine(err)
		}
		for _, w := range warns {
			slog.Warn("config", "file", w.File, "line", w.Line, "section", w.Section, "param", w.Param, "msg", w.Message)
		}
		fileCfg = c
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := state.Options{ClusterName: *cluster, Logger: slog.Default()}
	var st *state.Store
	var where string
	if len(eps) > 0 {
		var err error
		if st, err = state.OpenExternal(eps, opts); err != nil {
			return fmt.Errorf("external etcd %s: %w", strings.Join(eps, ","), err)
		}
		where = "external etcd " + strings.Join(eps, ",")
	} else {
		me, err := mgmNode(fileCfg, uint32(*nodeID))
		if err != nil {
			return err
		}
		dir := *configDir
		if dir == "" {
			dir = me.DataDir
		}
		dir = filepath.Join(dir, fmt.Sprintf("gondb_%d_etcd", me.NodeID))
		if st, err = state.OpenEmbedded(dir, state.EmbeddedOptions{Options: opts}); err != nil {
			return err
		}
		where = "embedded etcd in " + dir
	}
	defer st.Close()

	loaded, res, err := server.InstallConfig(ctx, st, file, text, *initial, copts)
	if err != nil {
		return oneLine(err)
	}
	switch res {
	case server.KeptDiffers:
		slog.Warn("mgmd: the config file differs from the stored configuration; using the stored one (start with --initial to load the file)",
			"file", file, "generation", loaded.Generation)
	case server.Replaced, server.Stored:
		slog.Info("mgmd: configuration stored", "file", file, "generation", loaded.Generation)
	}
	me, err := mgmNode(loaded.Config, uint32(*nodeID))
	if err != nil {
		return err
	}
	addr := *bind
	if addr == "" {
		addr = ":" + strconv.Itoa(me.PortNumber)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("management API: %w", err)
	}
	shut := make(chan struct{})
	srv, err := server.Start(ctx, server.Config{
		Store: st, NodeID: uint32(me.NodeID), Listener: l, Logger: slog.Default(),
		Version: "gondb-" + version, ParseOptions: copts,
		OnShutdown: func() { close(shut) },
	})
	if err != nil {
		l.Close()
		return err
	}
	httpNote := ""
	if httpListen != "" {
		hs, err := nodehttp.New(nodehttp.Options{Addr: httpListen, Kind: nodehttp.KindMgmd, NodeID: me.NodeID,
			Version: "gondb-" + version, Logger: slog.Default()})
		if err == nil {
			err = hs.Start()
		}
		if err != nil {
			srv.Stop()
			return fmt.Errorf("--http-port/--http-addr: %w", err)
		}
		defer hs.Close()
		httpNote = ", metrics http://" + hs.Addr() + "/metrics"
	}
	fmt.Fprintf(stdout, "ready: mgmd node %d serving the management API on %s (configuration generation %d, %s%s)\n",
		me.NodeID, l.Addr(), loaded.Generation, where, httpNote)
	select {
	case <-ctx.Done():
		slog.Info("mgmd: signal received, stopping")
	case <-shut:
		slog.Info("mgmd: SHUTDOWN received, stopping")
	}
	srv.Stop()
	return nil
}

// mgmNode finds this server's [ndb_mgmd] section: the one --ndb-nodeid
// names, or the only one.
func mgmNode(c *config.Config, id uint32) (*config.MgmNode, error) {
	if id != 0 {
		m, ok := c.MgmNodeByID(int(id))
		if !ok {
			return nil, fmt.Errorf("--ndb-nodeid %d is not an [ndb_mgmd] of the configuration", id)
		}
		return m, nil
	}
	switch len(c.MgmNodes) {
	case 0:
		return nil, errors.New("the configuration has no [ndb_mgmd] section")
	case 1:
		return &c.MgmNodes[0], nil
	}
	ids := make([]string, len(c.MgmNodes))
	for i, m := range c.MgmNodes {
		ids[i] = strconv.Itoa(m.NodeID)
	}
	return nil, fmt.Errorf("the configuration has %d [ndb_mgmd] sections (ids %s): say which this is with --ndb-nodeid",
		len(c.MgmNodes), strings.Join(ids, ", "))
}
