package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gondb/gondb/bench/hlr"
	"github.com/gondb/gondb/bench/ndbdriver"
	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/schema"
)

// hlrRowBytes is about what one subscriber costs in DataMemory: the row
// with its var part, and its MSISDN index entry.
const hlrRowBytes = 200

// runHLR is `gondb bench hlr`: load subscribers, then run the mix.
func runHLR(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench hlr", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintln(stdout, "usage: gondb bench hlr (-c HOST:PORT | --embedded) [--subscribers N] [-t N] [-p N] [--mix M] [--rate R] [--duration D] [--half-peak] [flags]")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
	}
	cfg := hlr.Config{Subscribers: 100_000, Threads: 2, InFlight: 64, Mix: hlr.DefaultMix, Duration: 10 * time.Second, Seed: 1}
	fs.Uint64Var(&cfg.Subscribers, "subscribers", cfg.Subscribers, "subscribers to load before the run")
	fs.IntVar(&cfg.Threads, "t", cfg.Threads, "threads, each with its own Ndb object")
	fs.IntVar(&cfg.InFlight, "p", cfg.InFlight, "transactions in flight per thread (sent in one flush)")
	mix := fs.String("mix", hlr.DefaultMix.String(), "transaction shares in percent, TYPE=N,... (location-update, call-routing, sms-routing, profile-read)")
	fs.Float64Var(&cfg.Rate, "rate", 0, "target transactions per second over all threads (0: flat out)")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long the mix runs")
	halfPeak := fs.Bool("half-peak", false, "after the run, run again at half its throughput (the latency an HLR is sized for)")
	var bf benchFlags
	bf.register(fs, "print each run's transaction types as JSON lines instead of aligned text")
	if done, err := bf.parse(fs, args); done || err != nil {
		return err
	}
	var err error
	if cfg.Mix, err = hlr.ParseMix(*mix); err != nil {
		return err
	}
	if *halfPeak && cfg.Rate > 0 {
		return errors.New("--half-peak finds the peak itself: leave out --rate")
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
	d := &ndbdriver.HLR{}
	if bf.embedded {
		def := hlr.Table(embeddedTableID)
		c, cleanup, err := embeddedCluster(ctx, def, int64(cfg.Subscribers)*hlrRowBytes, bf.dataNodes, bf.replicas)
		if err != nil {
			return err
		}
		defer cleanup()
		d.Cluster, d.Create = c, func(context.Context, *schema.Table) (*ndbapi.Table, error) { return c.AddTable(def) }
	} else {
		opts := ndbapi.DefaultOptions()
		opts.Logger = slog.Default()
		c, err := ndbapi.Connect(ctx, bf.connect, opts)
		if err != nil {
			return err
		}
		defer c.Close()
		d.Cluster = c
	}
	start := time.Now()
	err = d.Load(ctx, cfg.Subscribers, func(n uint64) {
		fmt.Fprintf(stderr, "hlr: loaded %d of %d subscribers (%.0f/s)\n", n, cfg.Subscribers, float64(n)/time.Since(start).Seconds())
	})
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	loadSecs := time.Since(start).Seconds()
	if !bf.asJSON {
		fmt.Fprintf(stdout, "hlr: %d subscribers loaded in %.1f s (%.0f/s); %d threads x %d in flight, mix %s\n",
			cfg.Subscribers, loadSecs, float64(cfg.Subscribers)/loadSecs, cfg.Threads, cfg.InFlight, cfg.Mix)
	}
	runs := []string{"run"}
	if *halfPeak {
		runs = []string{"peak", "half-peak"}
	}
	for _, name := range runs {
		res, err := hlr.Run(ctx, d, cfg)
		printHLR(stdout, name, cfg.Rate, res, bf.asJSON)
		if err != nil {
			return err
		}
		var failed int64
		for _, t := range res.Types {
			failed += t.Errors
		}
		if failed > 0 {
			for _, t := range res.Types {
				if t.FirstErr != "" {
					fmt.Fprintf(stderr, "hlr: %s: %d errors, first: %s\n", t.Type, t.Errors, t.FirstErr)
				}
			}
			return fmt.Errorf("%s: %d transactions failed", name, failed)
		}
		cfg.Rate = res.TxPerSec / 2
	}
	return nil
}

// hlrLine is one JSON line of `gondb bench hlr --json`.
type hlrLine struct {
	Run  string  `json:"run"`
	Rate float64 `json:"target_tx_per_sec"`
	hlr.TypeResult
	Seconds float64 `json:"seconds"`
}

func printHLR(w io.Writer, run string, rate float64, r hlr.Result, asJSON bool) {
	if asJSON {
		enc := json.NewEncoder(w)
		for _, t := range r.Types {
			enc.Encode(hlrLine{Run: run, Rate: rate, TypeResult: t, Seconds: r.Seconds})
		}
		enc.Encode(hlrLine{Run: run, Rate: rate, TypeResult: hlr.TypeResult{Type: "all", Txs: r.Txs, TxPerSec: r.TxPerSec}, Seconds: r.Seconds})
		return
	}
	target := "flat out"
	if rate > 0 {
		target = fmt.Sprintf("target %.0f tx/s", rate)
	}
	fmt.Fprintf(w, "\n%s (%s)\n", run, target)
	hlr.WriteText(w, r)
}
