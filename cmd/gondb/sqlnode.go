package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/ndbapi"
	gsignal "github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/sqlnode"
)

// runSQLNode runs a SQL node until SIGINT or SIGTERM: it joins the
// cluster as an API node and serves the MySQL protocol (sqlnode).
func runSQLNode(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sqlnode", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // a bad flag is one line from run
	fs.Usage = func() {
		fmt.Fprintln(stdout, "usage: gondb sqlnode -c host:port[,host:port...] [--port 3306] [--bind 127.0.0.1] [--node-id N] [--auto-increment-prefetch N] [--no-fast-path]")
		fmt.Fprintln(stdout, "       [--root-password PW] [--tls-cert FILE --tls-key FILE [--require-secure-transport]] [flags]")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
	}
	var connect string
	fs.StringVar(&connect, "c", "", "connect string: the management servers, host[:port][,host[:port]...] (default localhost:1186)")
	fs.StringVar(&connect, "ndb-connectstring", "", "same as -c")
	fs.StringVar(&connect, "connect-string", "", "same as -c")
	port := fs.Int("port", 3306, "MySQL protocol port (0: a free port)")
	bind := fs.String("bind", "127.0.0.1", "address to serve the MySQL protocol on (0.0.0.0: every interface)")
	nodeID := fs.Uint("node-id", 0, "API node id to take, an [api] slot of the config (default: a free [api] slot)")
	waitNodes := fs.Int("wait-nodes", 0, "data nodes that must be connected before serving (0: all)")
	timeout := fs.Duration("connect-timeout", 30*time.Second, "how long to wait for the management server and the data nodes")
	prefetch := fs.Int("auto-increment-prefetch", 1, "AUTO_INCREMENT values reserved from a table's cluster-wide counter at a time (NDB's ndb_autoincrement_prefetch_sz, 1..65536)")
	noFastPath := fs.Bool("no-fast-path", false, "send every statement to the SQL engine (no fast path for key statements)")
	rootPassword := fs.String("root-password", "", "password of 'root'@'%' when the cluster has no users yet (a new cluster); default: a random one, printed once on stderr; ignored once the cluster has users")
	tlsCert := fs.String("tls-cert", "", "PEM file of the server's TLS certificate (chain): clients may connect with TLS (needs --tls-key)")
	tlsKey := fs.String("tls-key", "", "PEM file of the TLS certificate's private key")
	requireTLS := fs.Bool("require-secure-transport", false, "refuse clients that do not use TLS (needs --tls-cert and --tls-key)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) { // Parse printed the usage
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (the connect string goes after -c)", fs.Arg(0))
	}
	if *port < 0 || *port > 65535 {
		return fmt.Errorf("--port %d out of range (allowed 0..65535)", *port)
	}
	if *nodeID > uint(gsignal.MaxNodeID) {
		return fmt.Errorf("--node-id %d is not a node id (1..%d)", *nodeID, gsignal.MaxNodeID)
	}
	if *timeout <= 0 || *waitNodes < 0 {
		return errors.New("--connect-timeout must be positive and --wait-nodes not negative")
	}
	if *prefetch < 1 || *prefetch > maxAutoIncrementPrefetch {
		return fmt.Errorf("--auto-increment-prefetch %d out of range (allowed 1..%d)", *prefetch, maxAutoIncrementPrefetch)
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if *requireTLS && *tlsCert == "" {
		return errors.New("--require-secure-transport needs --tls-cert and --tls-key")
	}
	if *tlsCert != "" {
		// A bad certificate fails now, not after joining the cluster.
		if _, err := tls.LoadX509KeyPair(*tlsCert, *tlsKey); err != nil {
			return fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
	}
	if connect == "" {
		connect = "localhost:1186"
	}
	if _, err := client.ParseConnectString(connect); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, c, err := startSQLNode(ctx, connect, gsignal.NodeID(*nodeID), *waitNodes, *timeout, net.JoinHostPort(*bind, strconv.Itoa(*port)), slog.Default(),
		func(cfg *sqlnode.Config) {
			cfg.AutoIncrementPrefetch, cfg.NoFastPath, cfg.RootPassword = *prefetch, *noFastPath, *rootPassword
			cfg.TLSCertFile, cfg.TLSKeyFile, cfg.RequireSecureTransport = *tlsCert, *tlsKey, *requireTLS
		})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer c.Close()
	printRootPassword(srv, stderr)
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	slog.Info("sqlnode: serving", "addr", srv.Addr(), "node", c.NodeID())
	fmt.Fprintf(stdout, "ready: sql=%s\n", srv.Addr())
	select {
	case <-ctx.Done():
		fmt.Fprintln(stdout, "gondb sqlnode: stopping")
		srv.Close()
		<-served
		return nil
	case err := <-served:
		return err
	}
}

// printRootPassword prints, once, the password a SQL node generated for
// root when it found no users in the cluster (gondb sqlnode and gondb
// demo): on stderr, which is the operator's, while the log line the SQL
// node wrote says only that it was generated.
func printRootPassword(srv *sqlnode.Server, stderr io.Writer) {
	if pw := srv.GeneratedRootPassword(); pw != "" {
		fmt.Fprintf(stderr, "root password: %s\n", pw)
		slog.Info("sqlnode: the generated root password is printed on stderr, once; change it with ALTER USER root IDENTIFIED BY '...'")
	}
}

// maxAutoIncrementPrefetch bounds --auto-increment-prefetch, as MySQL
// bounds ndb_autoincrement_prefetch_sz.
const maxAutoIncrementPrefetch = 65536

// startSQLNode connects to the cluster and builds a SQL node listening on
// addr (gondb sqlnode and gondb demo); adjust changes the SQL node's
// configuration (sqlnode.DefaultConfig) before it starts.
func startSQLNode(ctx context.Context, connect string, id gsignal.NodeID, waitNodes int, timeout time.Duration, addr string, log *slog.Logger, adjust ...func(*sqlnode.Config)) (*sqlnode.Server, *ndbapi.Cluster, error) {
	opts := ndbapi.DefaultOptions()
	opts.NodeID, opts.WaitNodes, opts.ReadyTimeout, opts.Logger = id, waitNodes, timeout, log
	opts.SQLNode = true // a [mysqld] slot
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := ndbapi.Connect(cctx, connect, opts)
	if err != nil {
		return nil, nil, err
	}
	cfg := sqlnode.DefaultConfig()
	cfg.Addr, cfg.Logger, cfg.Version = addr, log, "8.0.31-gondb-"+version
	for _, f := range adjust {
		f(&cfg)
	}
	srv, err := sqlnode.New(c, cfg)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return srv, c, nil
}
