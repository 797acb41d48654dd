package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/gondb/gondb/internal/datanodeproc"
	"github.com/gondb/gondb/internal/nodehttp"
	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/state"
)

// runDatanode runs one data node until SIGINT or SIGTERM: it joins the
// management servers, starts through the start phases and follows STOP,
// START and RESTART (internal/datanodeproc).
func runDatanode(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("datanode", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // a bad flag is one line from run
	fs.Usage = func() {
		fmt.Fprintln(stdout, "usage: gondb datanode -c host:port[,host:port...] [--ndb-nodeid N] [--initial] [--nostart] [--http-port P | --http-addr H:P] [flags]")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
	}
	var connect string
	fs.StringVar(&connect, "c", "", "connect string: the management servers, host[:port][,host[:port]...] (default localhost:1186)")
	fs.StringVar(&connect, "ndb-connectstring", "", "same as -c")
	fs.StringVar(&connect, "connect-string", "", "same as -c")
	nodeID := fs.Uint("ndb-nodeid", 0, "this data node's id, an [ndbd] of the config (default: a free [ndbd] slot for this host, or the connect string's nodeid=)")
	initial := fs.Bool("initial", false, "initial start: discard the node's files first (nothing is on disk yet: data lives in memory until durability lands)")
	var noStart bool
	fs.BoolVar(&noStart, "nostart", false, "join the cluster but do not start until START from the management client")
	fs.BoolVar(&noStart, "n", false, "same as --nostart")
	httpPort := fs.Int("http-port", -1, "serve /metrics and /health on this port of every interface (0: a free port; default: no HTTP)")
	httpAddr := fs.String("http-addr", "", "serve /metrics and /health on this host:port instead of --http-port")
	retries := fs.Int("connect-retries", 12, "how many more times to try joining when no management server answers or the node id is still held")
	delay := fs.Duration("connect-retry-delay", 5*time.Second, "wait between those tries")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) { // Parse printed the usage
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (the connect string goes after -c)", fs.Arg(0))
	}
	if *nodeID > state.MaxNodeID {
		return fmt.Errorf("--ndb-nodeid %d is not a node id (1..%d)", *nodeID, state.MaxNodeID)
	}
	if *retries < 0 || *delay <= 0 {
		return errors.New("--connect-retries must not be negative and --connect-retry-delay must be positive")
	}
	if _, err := client.ParseConnectString(connect); err != nil {
		return err
	}
	addr, err := nodehttp.ListenAddr(*httpAddr, *httpPort)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if connect == "" {
		connect = "localhost:1186"
	}
	var once sync.Once
	var p *datanodeproc.Proc
	p, err = datanodeproc.Join(ctx, datanodeproc.Options{
		ConnectString: connect, NodeID: uint32(*nodeID), Initial: *initial, NoStart: noStart,
		HTTPAddr: addr, Version: "gondb-" + version, Logger: slog.Default(),
		ConnectRetries: *retries, RetryDelay: *delay,
		OnState: func(s mgmapi.NodeStatus, _ int) {
			if s == mgmapi.StatusStarted {
				once.Do(func() { fmt.Fprintln(stdout, readyLine(p)) })
			}
		},
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while joining
		}
		return oneLine(err)
	}
	slog.Info("data node: joined the cluster", "node", p.ID(), "http", p.HTTPAddr())
	if err := p.Run(ctx); err != nil {
		return oneLine(err)
	}
	slog.Info("data node: stopped; node id released", "node", p.ID())
	return nil
}

// readyLine is what `gondb datanode` prints once started the first time.
func readyLine(p *datanodeproc.Proc) string {
	s := fmt.Sprintf("ready: data node %d started", p.ID())
	if a := p.HTTPAddr(); a != "" {
		s += fmt.Sprintf(" (metrics http://%s/metrics)", a)
	}
	return s
}
