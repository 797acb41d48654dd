package sim

import (
	"flag"
	"fmt"
	"os"
)

// Flags are the simulator tests' command-line flags. The package registers
// nothing by itself; each test package that runs seeds registers them once:
//
//	var simFlags = sim.RegisterFlags(flag.CommandLine)
//
// Every package under sim/ registers them, so `go test ./sim/... -sim.seeds=N`
// is accepted by all of them.
type Flags struct {
	Seeds int    // -sim.seeds: how many seeds to run (0: the test's default)
	Seed  uint64 // -sim.seed: run this one seed only (0: none)
	Trace string // -sim.trace: write the full trace of a failing seed to this file
}

// RegisterFlags registers -sim.seeds, -sim.seed and -sim.trace on fs.
func RegisterFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{}
	fs.IntVar(&f.Seeds, "sim.seeds", 0, "number of simulator seeds to run (default: the test's, smaller with -short)")
	fs.Uint64Var(&f.Seed, "sim.seed", 0, "run only this simulator seed, to reproduce a failure")
	fs.StringVar(&f.Trace, "sim.trace", "", "write the full trace of a failing simulator seed to this file")
	return f
}

// List returns the seeds to run: just -sim.seed when given, else seeds
// 1..N with N from -sim.seeds, or full (short under -short).
func (f *Flags) List(full, short int, isShort bool) []uint64 {
	if f.Seed != 0 {
		return []uint64{f.Seed}
	}
	n := f.Seeds
	if n <= 0 {
		n = full
		if isShort {
			n = short
		}
	}
	seeds := make([]uint64, n)
	for i := range seeds {
		seeds[i] = uint64(i + 1)
	}
	return seeds
}

// Reproduce is the line a failing seed prints.
func Reproduce(seed uint64) string {
	return fmt.Sprintf("reproduce with -sim.seed=%d (add -sim.trace=FILE for the full trace)", seed)
}

// WriteTrace writes trace to the -sim.trace file when one was given.
func (f *Flags) WriteTrace(trace []byte) error {
	if f.Trace == "" {
		return nil
	}
	return os.WriteFile(f.Trace, trace, 0o644)
}
