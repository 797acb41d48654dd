package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/gondb/gondb/datanode/ldm"
	"github.com/gondb/gondb/datanode/mem"
	"github.com/gondb/gondb/datanode/store"
	"github.com/gondb/gondb/datanode/thread"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
)

// runDemo runs what exists of a data node today: LDM threads laid out by a
// ThreadConfig, each owning fragments of a subscriber table in DataMemory,
// fed by a client through lock-free rings. It loads the table, then runs a
// read-mostly key workload and prints throughput and memory each second.
// The cluster (management node, transport, SQL node) is built by later
// issues; until then there is nothing to connect to, and the demo says so.
func runDemo(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	threadCfg := fs.String("thread-config", "", "ThreadConfig in NDB syntax, e.g. 'ldm={count=2,cpubind=0,1}' (default: derived from the CPU count)")
	rows := fs.Int("rows", 200_000, "rows to load")
	dataMemory := fs.Int64("data-memory", 256<<20, "DataMemory in bytes")
	duration := fs.Duration("duration", 0, "stop after this long (0: run until Ctrl-C)")
	readPct := fs.Int("read-percent", 90, "share of reads in the workload; the rest are updates")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *rows < 1 || *readPct < 0 || *readPct > 100 {
		return fmt.Errorf("--rows must be positive and --read-percent 0..100")
	}
	tc := thread.DefaultThreadConfig(runtime.NumCPU())
	if *threadCfg != "" {
		var err error
		if tc, err = thread.ParseThreadConfig(*threadCfg); err != nil {
			return err
		}
	}
	ldmSpec, ok := tc.Spec("ldm")
	if !ok || ldmSpec.Count < 1 {
		return fmt.Errorf("thread config %q has no ldm threads", tc)
	}

	tbl := &schema.Table{ID: 1, Name: "subscriber", Version: 1, PrimaryKey: []int{0}, Columns: []schema.Column{
		{Name: "imsi", Type: schema.TypeBigInt, Unsigned: true},
		{Name: "msisdn", Type: schema.TypeBigInt, Unsigned: true},
		{Name: "vlr", Type: schema.TypeInt},
		{Name: "state", Type: schema.TypeTinyInt},
		{Name: "profile", Type: schema.TypeVarchar, Length: 64, Charset: schema.CharsetLatin1, Nullable: true},
	}}
	layout, err := schema.NewLayout(tbl)
	if err != nil {
		return err
	}
	pool, err := mem.NewPool(*dataMemory)
	if err != nil {
		return err
	}
	defer pool.Close()

	// One fragment per LDM thread, as DefaultFragmentCount gives for one
	// node group; the hash map spreads keys over them.
	nLDM := ldmSpec.Count
	hm, err := partition.NewHashMap(partition.DefaultBuckets, nLDM)
	if err != nil {
		return err
	}
	ldms := make([]*ldm.LDM, nLDM)
	for i := range ldms {
		var cpus []int
		if i < len(ldmSpec.CPUBind) {
			cpus = []int{ldmSpec.CPUBind[i]}
		}
		frag := store.NewFragment(pool, layout, uint32(i))
		defer frag.Close()
		if ldms[i], err = ldm.Start(ldm.Config{Name: fmt.Sprintf("ldm%d", i), CPUs: cpus, Fragments: []*store.Fragment{frag}, RingSize: 4096, GCI: 1}); err != nil {
			return err
		}
		defer ldms[i].Stop()
	}
	fmt.Fprintf(stdout, "gondb demo: %d LDM threads (%s), DataMemory %d MiB, table %s\n", nLDM, tc, *dataMemory>>20, tbl.Name)
	fmt.Fprintln(stdout, "gondb demo: this build has the storage engine and its threads only; the cluster nodes (management, transport, SQL) arrive with later issues, so there is nothing to connect to yet.")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}

	c := newDemoClient(layout, hm, ldms)
	start := time.Now()
	if err := c.run(ctx, *rows, func(i int) ldm.Request { return c.request(ldm.OpInsert, uint64(i)) }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "loaded %d rows in %v; DataMemory used %d of %d pages\n", *rows, time.Since(start).Round(time.Millisecond), pool.Stats().UsedPages, pool.Stats().TotalPages)

	rng := rand.New(rand.NewPCG(1, 2))
	next := func(int) ldm.Request {
		k := rng.Uint64N(uint64(*rows))
		if rng.IntN(100) < *readPct {
			return c.request(ldm.OpRead, k)
		}
		return c.request(ldm.OpUpdate, k)
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		last := c.done
		t0 := time.Now()
		tctx, cancel := context.WithTimeout(ctx, time.Second)
		err := c.run(tctx, -1, next)
		cancel()
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			fmt.Fprintln(stdout, "stopped")
			return nil
		}
		ops := float64(c.done-last) / time.Since(t0).Seconds()
		slog.Info("demo", "ops_per_s", int64(ops), "errors", c.errors, "pages_used", pool.Stats().UsedPages)
	}
}

// demoClient keeps every LDM's ring busy with pipelined requests.
type demoClient struct {
	layout *schema.Layout
	hm     *partition.HashMap
	ldms   []*ldm.LDM
	b      *schema.RowBuilder
	done   uint64
	errors uint64
}

func newDemoClient(l *schema.Layout, hm *partition.HashMap, ldms []*ldm.LDM) *demoClient {
	return &demoClient{layout: l, hm: hm, ldms: ldms, b: schema.NewRowBuilder(l)}
}

func (c *demoClient) request(kind ldm.OpKind, imsi uint64) ldm.Request {
	c.b.Reset()
	c.b.SetUint64(0, imsi)
	c.b.SetUint64(1, 46700000000+imsi)
	c.b.SetInt64(2, int64(imsi%5000))
	c.b.SetInt64(3, 1)
	c.b.SetString(4, "default-profile")
	var data []byte
	if kind == ldm.OpRead {
		data = c.b.AppendKey(nil)
	} else {
		data = c.b.AppendRow(nil)
	}
	h := partition.Hash(data[:c.layout.KeySize])
	return ldm.Request{Kind: kind, Hash: h, Data: data, Tag: uint64(c.hm.Fragment(h))}
}

// run submits n requests (n < 0: until ctx ends), keeping up to a window
// outstanding per LDM, and waits for all replies.
func (c *demoClient) run(ctx context.Context, n int, next func(int) ldm.Request) error {
	const window = 2048
	outstanding := make([]int, len(c.ldms))
	pending := make([][]ldm.Request, len(c.ldms))
	replies := make([]ldm.Reply, 256)
	sent := 0
	for {
		stopping := ctx.Err() != nil || (n >= 0 && sent >= n)
		if !stopping {
			for i := 0; i < 256 && (n < 0 || sent < n); i++ {
				r := next(sent)
				dest := int(r.Tag)
				if outstanding[dest]+len(pending[dest]) >= window {
					break
				}
				pending[dest] = append(pending[dest], r)
				sent++
			}
		}
		idle := true
		for i, w := range c.ldms {
			if len(pending[i]) > 0 {
				k := w.Submit(pending[i])
				outstanding[i] += k
				pending[i] = append(pending[i][:0], pending[i][k:]...)
			}
			for {
				got := w.Replies(replies)
				if got == 0 {
					break
				}
				idle = false
				outstanding[i] -= got
				for _, r := range replies[:got] {
					c.done++
					if r.Code != 0 {
						c.errors++
					}
				}
			}
		}
		if stopping {
			total := 0
			for i := range c.ldms {
				total += outstanding[i] + len(pending[i])
			}
			if total == 0 {
				return nil
			}
		}
		if idle {
			runtime.Gosched()
		}
	}
}
