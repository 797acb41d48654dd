package sched

import (
	"os"
	"runtime"
	"sync/atomic"
)

// workersRunning counts the worker threads of the schedulers running in
// this process (a demo or a test runs several data nodes in one).
var workersRunning atomic.Int64

// reserveProcs counts n more worker threads and raises GOMAXPROCS, if
// needed, to one processor per worker thread plus one. A worker holds its
// processor while it runs or spins; with none left over, the goroutines
// of the transporters, the redo writer and the checkpoints run only once
// a worker parks, so frames wait in the sockets while the worker idles.
// One data node with one worker bound to one CPU (GOMAXPROCS 1 from the
// affinity mask) measured 20-40% less flexasync throughput and 100 ms
// stalls that way (docs/performance.md). The spare processor costs
// nothing when idle: the kernel time-slices the threads on the CPUs they
// may use. A GOMAXPROCS set in the environment is left as it is.
func reserveProcs(n int) {
	want := int(workersRunning.Add(int64(n))) + 1
	if os.Getenv("GOMAXPROCS") == "" && runtime.GOMAXPROCS(0) < want {
		runtime.GOMAXPROCS(want)
	}
}

// releaseProcs counts n worker threads stopped. GOMAXPROCS stays: other
// schedulers may start again.
func releaseProcs(n int) { workersRunning.Add(-int64(n)) }
