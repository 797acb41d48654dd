package node

import (
	"fmt"
	"time"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/sched"
	"github.com/gondb/gondb/datanode/thread"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// placement puts one block instance on the index-th thread of a kind.
type placement struct {
	kind  string
	index int
	spec  sched.BlockSpec
}

// blockPlacements is the one list of which block runs on which thread.
// New blocks join here (or through Config.ExtraBlocks):
//
//	ldm 0:  LQH instance 0 (all of the node's fragment replicas)
//	tc 0:   TC instance 0 (on main, else ldm 0, without tc threads)
//	main:   the GCP block (datanode/gcp, gsn.BlockDIH); TC's thread without main
//	        and, with a FileSystem, the FS block (datanode/fs) beside it;
//	        the DBINFO block (datanode/dbinfo, ndbinfo.go) beside it too
//
// One LQH and one TC for now: TC addresses LQH instance 0 only, and an API
// addresses TC instance 0. More instances come with per-instance routing.
func (n *Node) blockPlacements(tcfg thread.ThreadConfig) ([]placement, error) {
	tcKind := thread.KindTC
	if tcfg.Count(thread.KindTC) == 0 {
		tcKind = thread.KindLDM
		if tcfg.Count(thread.KindMain) > 0 {
			tcKind = thread.KindMain
		}
	}
	// GCP wants the main thread, as DIH in NDB; without one it shares TC's.
	gcpKind := tcKind
	if tcfg.Count(thread.KindMain) > 0 {
		gcpKind = thread.KindMain
	}
	ps := []placement{
		{thread.KindLDM, 0, sched.BlockSpec{ID: gsn.BlockLQH, Instance: 0, Block: n.lqh}},
		{tcKind, 0, sched.BlockSpec{ID: gsn.BlockTC, Instance: 0, Block: n.tc}},
		{gcpKind, 0, sched.BlockSpec{ID: gsn.BlockDIH, Instance: 0, Block: n.gcp}},
	}
	if n.dur != nil { // the file-system block answers GCP's save requests
		ps = append(ps, placement{gcpKind, 0, sched.BlockSpec{ID: gsn.BlockFS, Instance: 0, Block: n.dur.fs}})
	}
	ps = append(ps, placement{gcpKind, 0, sched.BlockSpec{ID: gsn.BlockDBINFO, Instance: 0, Block: n.newDBInfo()}})
	if n.cfg.Membership.Enabled {
		q, err := n.newQMGR(n.groups)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
		ps = append(ps, placement{gcpKind, 0, sched.BlockSpec{ID: gsn.BlockQMGR, Instance: 0, Block: q}})
		ps = append(ps, placement{gcpKind, 0, sched.BlockSpec{ID: gsn.BlockRESTART, Instance: 0, Block: n.restart}})
	}
	for _, e := range n.cfg.ExtraBlocks {
		b, err := e.New(n)
		if err != nil {
			return nil, fmt.Errorf("node %d: block %d.%d: %w", n.cfg.NodeID, e.ID, e.Instance, err)
		}
		if b == nil {
			return nil, fmt.Errorf("node %d: block %d.%d: New returned nil", n.cfg.NodeID, e.ID, e.Instance)
		}
		ps = append(ps, placement{e.Kind, e.Index, sched.BlockSpec{ID: e.ID, Instance: e.Instance, Block: b}})
	}
	return ps, nil
}

// threadKinds are the kinds that run blocks, in thread order; recv and
// send are the transporter's goroutines and every thread's own sends.
var threadKinds = []string{thread.KindLDM, thread.KindTC, thread.KindMain}

// threadCount is how many threads of kind the node may run: the
// ThreadConfig's count, and always one main thread, as in NDB.
func threadCount(tcfg thread.ThreadConfig, kind string) int {
	n := tcfg.Count(kind)
	if kind == thread.KindMain {
		n = max(n, 1)
	}
	return n
}

// cpusOf returns the CPUs thread index of a kind is bound to: its cpubind
// CPU, or the kind's cpuset, or none.
func cpusOf(tcfg thread.ThreadConfig, kind string, index int) []int {
	s, ok := tcfg.Spec(kind)
	switch {
	case !ok:
		return nil
	case index < len(s.CPUBind):
		return []int{s.CPUBind[index]}
	default:
		return s.CPUSet
	}
}

func threadName(kind string, index int) string {
	if kind == thread.KindMain {
		return kind
	}
	return fmt.Sprintf("%s%d", kind, index)
}

// threadSpecs lays the placements out on threads. Threads without blocks
// are not started. Every started thread also runs an exec block for Do.
func (n *Node) threadSpecs(tcfg thread.ThreadConfig, ps []placement) ([]sched.ThreadSpec, error) {
	if tcfg.Count(thread.KindLDM) == 0 {
		return nil, fmt.Errorf("%w: ThreadConfig %q has no ldm thread for LQH", ErrConfig, tcfg.String())
	}
	byThread := map[string][]sched.BlockSpec{}
	for _, p := range ps {
		valid := false
		for _, k := range threadKinds {
			valid = valid || k == p.kind
		}
		if !valid || p.index < 0 || p.index >= threadCount(tcfg, p.kind) {
			return nil, fmt.Errorf("%w: block %d.%d placed on %s thread %d, which the ThreadConfig %q does not have",
				ErrConfig, p.spec.ID, p.spec.Instance, p.kind, p.index, tcfg.String())
		}
		name := threadName(p.kind, p.index)
		byThread[name] = append(byThread[name], p.spec)
	}
	var specs []sched.ThreadSpec
	for _, kind := range threadKinds {
		for i := 0; i < threadCount(tcfg, kind); i++ {
			name := threadName(kind, i)
			blocks := byThread[name]
			if len(blocks) == 0 {
				n.log.Debug("thread has no block; not started", "thread", name)
				continue
			}
			ex := &execBlock{reqs: make(chan execReq, 16)}
			inst := uint16(len(specs))
			blocks = append(blocks, sched.BlockSpec{ID: execBlockID, Instance: inst, Block: ex})
			for _, b := range blocks {
				n.owner[blockKey(b.ID, b.Instance)] = ex
				n.blocks[blockKey(b.ID, b.Instance)] = b.Block
			}
			specs = append(specs, sched.ThreadSpec{Name: name, CPUs: cpusOf(tcfg, kind, i), Blocks: blocks})
		}
	}
	return specs, nil
}

func blockKey(id signal.BlockID, inst uint16) uint32 { return uint32(id)<<16 | uint32(inst) }

// execBlockID addresses the block on every thread that runs Do's
// functions. No signal is ever sent to it; the number is in gsn's range
// reserved for node-local blocks.
const execBlockID = gsn.BlockLocal + 0xF0

// execReq is one function for a thread to run.
type execReq struct {
	fn   func()
	done chan struct{}
}

// execBlock runs queued functions on its thread at every tick.
type execBlock struct {
	reqs chan execReq
	now  time.Duration // the thread's clock at this tick, for the functions (ndbinfo.go)
}

func (e *execBlock) Handle(block.Env, *signal.Signal) {}

func (e *execBlock) Tick(env block.Env) {
	e.now = env.Now()
	for {
		select {
		case r := <-e.reqs:
			r.fn()
			close(r.done)
		default:
			return
		}
	}
}

var _ block.Block = (*execBlock)(nil)
