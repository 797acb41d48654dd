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
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/gondb/gondb/bench/flexasync"
	"github.com/gondb/gondb/bench/ndbdriver"
	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/schema"
	gsignal "github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport/inproc"
)

// runBench dispatches `gondb bench <name>`.
func runBench(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stdout, "usage: gondb bench flexasync|hlr [flags]\n\nbenchmarks:\n  flexasync  NDB's flexAsynch: insert, read, update, read, delete phases with checked values\n  hlr        a telecom HLR: subscribers by IMSI and MSISDN, a mix of location updates and routing reads")
		return nil
	}
	switch args[0] {
	case "flexasync":
		return runFlexAsync(args[1:], stdout)
	case "hlr":
		return runHLR(args[1:], stdout, stderr)
	}
	return fmt.Errorf("unknown benchmark %q (flexasync, hlr)", args[0])
}

func runFlexAsync(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench flexasync", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintln(stdout, "usage: gondb bench flexasync (-c HOST:PORT | --embedded) [-t N] [-p N] [-o N] [-a N] [-s N] [-l N] [flags]")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
	}
	cfg := flexasync.DefaultConfig()
	fs.IntVar(&cfg.Threads, "t", cfg.Threads, "threads, each with its own Ndb object")
	fs.IntVar(&cfg.Parallel, "p", cfg.Parallel, "parallel transactions per thread (sent in one flush)")
	fs.IntVar(&cfg.OpsPerTx, "o", cfg.OpsPerTx, "operations per transaction")
	fs.IntVar(&cfg.Attributes, "a", cfg.Attributes, "attributes per row besides the key")
	fs.IntVar(&cfg.AttrWords, "s", cfg.AttrWords, "size of each attribute in 4-byte words")
	fs.IntVar(&cfg.Loops, "l", cfg.Loops, "loops of all phases")
	fs.IntVar(&cfg.Transactions, "transactions", cfg.Transactions, "transactions per thread per phase (NDB flexAsynch's -o)")
	fs.StringVar(&cfg.Table, "table", cfg.Table, "the table's name")
	phases := fs.String("phases", "insert,read,update,read-again,delete", "the phases each loop runs, in order (only insert: the rows stay in the table)")
	var bf benchFlags
	bf.register(fs, "print each phase as a JSON line instead of aligned text")
	if done, err := bf.parse(fs, args); done || err != nil {
		return err
	}
	var err error
	if cfg.Phases, err = flexasync.ParsePhases(*phases); err != nil {
		return fmt.Errorf("--phases: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	stopProfile, err := startCPUProfile(bf.cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var d *ndbdriver.Flex
	if bf.embedded {
		rows := int64(cfg.Threads) * int64(cfg.RowsPerThread())
		rowBytes := int64(16 + 8 + cfg.Attributes*4*cfg.AttrWords)
		c, cleanup, err := embeddedCluster(ctx, ndbdriver.FlexTable(cfg, embeddedTableID), rows*rowBytes, bf.dataNodes, bf.replicas)
		if err != nil {
			return err
		}
		defer cleanup()
		d = &ndbdriver.Flex{Cluster: c, Create: func(_ context.Context, def *schema.Table) (*ndbapi.Table, error) {
			def.ID = embeddedTableID
			return c.AddTable(def)
		}}
	} else {
		opts := ndbapi.DefaultOptions()
		opts.Logger = slog.Default()
		c, err := ndbapi.Connect(ctx, bf.connect, opts)
		if err != nil {
			return err
		}
		defer c.Close()
		d = &ndbdriver.Flex{Cluster: c}
	}
	if !bf.asJSON {
		fmt.Fprintf(stdout, "flexasync: %d threads x %d parallel transactions x %d operations, %d attributes of %d words, %d transactions per thread per phase\n",
			cfg.Threads, cfg.Parallel, cfg.OpsPerTx, cfg.Attributes, cfg.AttrWords, cfg.Transactions)
		flexasync.TextHeader(stdout)
	}
	return flexasync.Run(ctx, d, cfg, func(r flexasync.Result) {
		if bf.asJSON {
			flexasync.JSONLine(stdout, r)
		} else {
			flexasync.TextLine(stdout, r)
		}
	})
}

const (
	embeddedTableID = 1
	embeddedAPINode = 60
)

// embeddedCluster starts data nodes 1..n in this process over the
// in-process transporter, holding table (about dataBytes of rows in one
// copy), and connects to them.
func embeddedCluster(ctx context.Context, table *schema.Table, dataBytes int64, n, replicas int) (*ndbapi.Cluster, func(), error) {
	net := inproc.NewNetwork()
	var nodes []*node.Node
	cleanup := func() {
		for _, nd := range nodes {
			nd.Stop()
		}
	}
	var dns []ndbapi.DataNode
	for i := 1; i <= n; i++ {
		dns = append(dns, ndbapi.DataNode{ID: gsignal.NodeID(i)})
	}
	for i := 1; i <= n; i++ {
		c := node.DefaultConfig()
		c.NodeID = gsignal.NodeID(i)
		c.NoOfReplicas = replicas
		c.Network = net
		c.APINodes = []gsignal.NodeID{embeddedAPINode}
		c.DataMemory = max(64<<20, 3*dataBytes*int64(replicas)/int64(n))
		c.Prefault = false
		c.Logger = slog.New(slog.DiscardHandler)
		for j := 1; j <= n; j++ {
			c.DataNodes = append(c.DataNodes, node.DataNode{ID: gsignal.NodeID(j)})
		}
		c.Tables = []*schema.Table{table}
		nd, err := node.Start(c)
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		nodes = append(nodes, nd)
	}
	opts := ndbapi.DefaultOptions()
	opts.NodeID = embeddedAPINode
	opts.DataNodes = dns
	opts.Network = net
	opts.NoOfReplicas = replicas
	opts.PartitionsPerNode = node.DefaultConfig().PartitionsPerNode
	opts.Logger = slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := ndbapi.ConnectDirect(ctx, opts)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return c, func() { c.Close(); cleanup() }, nil
}

// benchFlags are the flags every benchmark command shares: where the
// cluster is, output, profiling.
type benchFlags struct {
	connect             string
	embedded            bool
	dataNodes, replicas int
	asJSON              bool
	cpuProfile          string
}

func (b *benchFlags) register(fs *flag.FlagSet, jsonUsage string) {
	fs.StringVar(&b.connect, "c", "", "connect string of the management servers (host:port[,host:port...])")
	fs.BoolVar(&b.embedded, "embedded", false, "start an in-process cluster (data nodes over the in-process transporter) instead of connecting")
	fs.IntVar(&b.dataNodes, "data-nodes", 1, "--embedded: data nodes")
	fs.IntVar(&b.replicas, "replicas", 1, "--embedded: NoOfReplicas")
	fs.BoolVar(&b.asJSON, "json", false, jsonUsage)
	fs.StringVar(&b.cpuProfile, "cpuprofile", "", "write a CPU profile of this process (the client, and an --embedded cluster) to this file")
}

// parse parses args and checks the shared flags; done is true after -h.
func (b *benchFlags) parse(fs *flag.FlagSet, args []string) (done bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return true, err
	}
	switch {
	case fs.NArg() > 0:
		return true, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case b.connect != "" && b.embedded:
		return true, errors.New("-c and --embedded can't be mixed: connect to a cluster or start one")
	case b.connect == "" && !b.embedded:
		return true, errors.New("give -c HOST:PORT (a running cluster) or --embedded (start one in this process)")
	}
	return false, nil
}

// startCPUProfile starts Go's CPU profiler writing to path ("" : none)
// and returns the function that stops it.
func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
