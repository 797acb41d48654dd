package node_test

import (
	"flag"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport/inproc"
)

var benchInflight = flag.Int("node.inflight", 16,
	"transactions in flight at once (API slots) in BenchmarkTCPKeyTx and BenchmarkTCPBatch100")

// BenchmarkTCPKeyTx: single-row primary-key update transactions (TCKEYREQ
// update with commit, answered by TCCOMMITCONF) from one API node over TCP
// to a two-node cluster, node.inflight transactions in flight, each sent
// to the TC of its row's primary. replicas=2: one node group, every write
// on both nodes; replicas=1: two node groups, each node its own rows.
// Reports tx/s, latency percentiles, and allocations per transaction for
// the whole process (API and both data nodes).
func BenchmarkTCPKeyTx(b *testing.B) {
	for _, r := range []int{1, 2} {
		b.Run(fmt.Sprintf("replicas=%d", r), func(b *testing.B) { benchUpdates(b, r, 1, false) })
	}
}

// BenchmarkInprocKeyTx is BenchmarkTCPKeyTx over the in-process
// transporter (transport/inproc): the same nodes and blocks, no sockets.
func BenchmarkInprocKeyTx(b *testing.B) {
	for _, r := range []int{1, 2} {
		b.Run(fmt.Sprintf("replicas=%d", r), func(b *testing.B) { benchUpdates(b, r, 1, true) })
	}
}

// BenchmarkInprocBatch100 is BenchmarkTCPBatch100 in process.
func BenchmarkInprocBatch100(b *testing.B) {
	for _, r := range []int{1, 2} {
		b.Run(fmt.Sprintf("replicas=%d", r), func(b *testing.B) { benchUpdates(b, r, 100, true) })
	}
}

// BenchmarkTCPBatch100: as BenchmarkTCPKeyTx with 100 update operations
// per transaction (one frame of TCKEYREQs, the last with commit), rows
// spread over every fragment. Reports ops/s as well.
func BenchmarkTCPBatch100(b *testing.B) {
	for _, r := range []int{1, 2} {
		b.Run(fmt.Sprintf("replicas=%d", r), func(b *testing.B) { benchUpdates(b, r, 100, false) })
	}
}

func benchUpdates(b *testing.B, replicas, opsPerTx int, inProcess bool) {
	const apiID = 40
	inflight := max(*benchInflight, 1)
	// Each slot owns rows slot, slot+inflight, ...: no two transactions in
	// flight touch one row, so none waits for a lock.
	rowsPerSlot := max(opsPerTx, 64)
	var net *inproc.Network
	if inProcess {
		net = inproc.NewNetwork()
	}
	nodes := startCluster(b, 2, replicas, []signal.NodeID{apiID}, func(c *node.Config) {
		c.DataMemory = 64 << 20
		c.Network = net
	})
	var api *apiNode
	if inProcess {
		api = newInprocAPINode(b, apiID, nodes, inflight, net)
	} else {
		api = newAPINode(b, apiID, nodes, inflight)
	}
	keys := make([][]int64, inflight)
	for si, s := range api.slots {
		for k := 0; k < rowsPerSlot; k++ {
			keys[si] = append(keys[si], int64(si+inflight*k))
		}
		for lo := 0; lo < rowsPerSlot; lo += 100 {
			if err := s.insert(keys[si][lo:min(lo+100, rowsPerSlot)], 0); err != nil {
				b.Fatal(err)
			}
		}
	}
	lat := make([][]time.Duration, inflight)
	for i := range lat {
		lat[i] = make([]time.Duration, 0, b.N)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, inflight)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for si, s := range api.slots {
		wg.Go(func() {
			batch := make([]int64, opsPerTx)
			k := 0
			for n := next.Add(1); n <= int64(b.N); n = next.Add(1) {
				for i := range batch {
					batch[i] = keys[si][k]
					k = (k + 1) % rowsPerSlot
				}
				t0 := time.Now()
				if err := s.update(batch, n); err != nil {
					errs <- err
					return
				}
				lat[si] = append(lat[si], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	pct := func(p float64) float64 {
		return float64(all[min(int(p*float64(len(all))), len(all)-1)].Microseconds())
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "tx/s")
	if opsPerTx > 1 {
		b.ReportMetric(float64(b.N*opsPerTx)/elapsed.Seconds(), "ops/s")
	}
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}
