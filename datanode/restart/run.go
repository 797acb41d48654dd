package restart

import (
	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/dih"
	"github.com/gondb/gondb/datanode/qmgr"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
)

// The president's side: one node restart at a time, step by step.

func (r *RESTART) startReq(env block.Env, s *signal.Signal) {
	if s.NumWords < 2 {
		return
	}
	from := s.Sender.Node
	ref := func(reason uint32) {
		r.send(env, gsn.NR_STARTREF, s.Sender, reason, uint32(r.president))
	}
	switch {
	case r.president != r.cfg.Node:
		ref(refNotPresident)
		return
	case !r.view.Has(from):
		ref(refNotMember)
		return
	}
	startID := uint64(s.Words[0]) | uint64(s.Words[1])<<32
	if r.finished[from] == startID {
		// Done, and the request resent before NR_STARTCONF arrived.
		r.send(env, gsn.NR_STARTCONF, signal.Address{Node: from, Block: gsn.BlockRESTART}, 0, 0, 0, 0, 0)
		return
	}
	if r.run == nil && r.live.Has(from) && !r.starting.Has(from) {
		// Done by an earlier president that failed before answering (the
		// node is a full replica here: a node's failure would have
		// removed it before it could rejoin), but maybe not everywhere:
		// its last switch may have reached only some nodes. Switch every
		// node to this node's members, then answer.
		r.runNo++
		r.run = &run{id: uint64(r.cfg.Node)<<32 | uint64(r.runNo), joiner: from, startID: startID, began: env.Now(),
			active: map[fragKey]signal.NodeID{}}
		r.setStep(env, StepFinishing)
		r.switchTo(env, r.live, r.starting)
		return
	}
	if x := r.run; x != nil {
		if x.joiner == from && x.startID == startID {
			return // running: a resend
		}
		if x.joiner != from {
			ref(refBusy)
			return
		}
		r.stats.Aborted++ // the same node started again: begin anew
	}
	r.runNo++
	r.run = &run{id: uint64(r.cfg.Node)<<32 | uint64(r.runNo), joiner: from, startID: startID, began: env.Now(),
		active: map[fragKey]signal.NodeID{}}
	x := r.run
	if s.NumWords >= 6 {
		x.since = uint64(s.Words[2]) | uint64(s.Words[3])<<32
		// GCIs name row versions only within one history of the cluster:
		// a system restart that went back before what this node had saved
		// reused the GCIs after (sysfile.Sysfile.History).
		if h := uint64(s.Words[4]) | uint64(s.Words[5])<<32; x.since > 0 && r.cfg.History != nil && (h == 0 || h != r.cfg.History()) {
			x.since = 0
			r.stats.OtherHistory++
		}
	}
	r.setStep(env, StepEmptying)
	r.send(env, gsn.NR_EMPTYREQ, signal.Address{Node: from, Block: gsn.BlockLQH}, uint32(x.id), uint32(x.id>>32),
		uint32(x.since), uint32(x.since>>32))
}

// setStep moves the run on and reports it.
func (r *RESTART) setStep(env block.Env, st Step) {
	r.run.step = st
	r.report(env)
}

// report tells the starting node and the local OnProgress where the run is.
func (r *RESTART) report(env block.Env) {
	x := r.run
	p := r.progress(env)
	if r.cfg.OnProgress != nil {
		r.cfg.OnProgress(p)
	}
	if x.joiner != r.cfg.Node {
		r.send(env, gsn.NR_PROGRESSREP, signal.Address{Node: x.joiner, Block: gsn.BlockRESTART},
			uint32(x.id), uint32(x.id>>32), uint32(x.step), uint32(x.copied), uint32(len(x.jobs)),
			uint32(x.rows), uint32(x.rows>>32), uint32(x.keys), uint32(x.keys>>32), uint32(x.swept), uint32(x.swept>>32),
			uint32(x.fallbacks))
	}
}

func (r *RESTART) progress(env block.Env) Progress {
	x := r.run
	return Progress{Node: x.joiner, Step: x.step, FragmentsCopied: x.copied, Of: len(x.jobs), RowsCopied: x.rows,
		KeysCopied: x.keys, RowsSwept: x.swept, Fallbacks: x.fallbacks, RestoredGCI: x.since, Elapsed: env.Now() - x.began}
}

// current returns the run a signal with the run id in w[i:i+2] belongs to.
func (r *RESTART) current(s *signal.Signal, i int, step Step) *run {
	x := r.run
	if x == nil || x.step != step || int(s.NumWords) < i+2 || uint64(s.Words[i])|uint64(s.Words[i+1])<<32 != x.id {
		return nil
	}
	return x
}

// emptyConf: the starting node's replicas are ready for the copy (kept,
// or emptied if it restored nothing); include its GCP.
func (r *RESTART) emptyConf(env block.Env, s *signal.Signal) {
	x := r.current(s, 0, StepEmptying)
	if x == nil {
		return
	}
	r.setStep(env, StepIncluding)
	for _, n := range r.view.Nodes() {
		r.send(env, gsn.GCP_INCLUDEREQ, signal.Address{Node: n, Block: gsn.BlockDIH}, uint32(x.joiner))
	}
}

// includeConf: the master GCP (this node's) included the node.
func (r *RESTART) includeConf(env block.Env, s *signal.Signal) {
	x := r.run
	if x == nil || x.step != StepIncluding || s.NumWords < 1 || signal.NodeID(s.Words[0]) != x.joiner {
		return
	}
	r.setStep(env, StepJoining)
	st := r.starting
	st.Add(x.joiner)
	r.switchTo(env, r.live, st)
}

// switchTo sends the members to every node of the view and waits for
// their TCs.
func (r *RESTART) switchTo(env block.Env, live, starting qmgr.NodeSet) {
	x := r.run
	x.seq++
	x.waiting = r.view
	w := append(r.words[:0], uint32(x.id), uint32(x.id>>32), x.seq)
	w = append(w, live[:]...)
	w = append(w, starting[:]...)
	r.words = w
	for _, n := range r.view.Nodes() {
		r.send(env, gsn.DIST_SWITCHREQ, signal.Address{Node: n, Block: gsn.BlockRESTART}, w...)
	}
}

// switchReq (DIST_SWITCHREQ) applies the president's members and passes
// the request to the local TC, which answers the president.
func (r *RESTART) switchReq(env block.Env, s *signal.Signal) {
	if s.NumWords < 19 {
		return
	}
	r.live, r.starting = qmgr.SetFromWords(s.Words[3:11]), qmgr.SetFromWords(s.Words[11:19])
	r.setMembers()
	r.stats.Switches++
	r.send(env, gsn.DIST_SWITCHREQ, signal.Address{Node: r.cfg.Node, Block: gsn.BlockTC},
		s.Words[0], s.Words[1], s.Words[2], uint32(s.Sender.Node))
}

func (r *RESTART) switchConf(env block.Env, s *signal.Signal) {
	x := r.run
	if x == nil || s.NumWords < 4 || uint64(s.Words[0])|uint64(s.Words[1])<<32 != x.id || s.Words[2] != x.seq {
		return
	}
	if x.step != StepJoining && x.step != StepFinishing {
		return
	}
	x.waiting.Remove(signal.NodeID(s.Words[3]))
	if x.waiting.Empty() {
		r.switched(env)
	}
}

// switched: every TC routes by the new members.
func (r *RESTART) switched(env block.Env) {
	x := r.run
	switch x.step {
	case StepJoining:
		r.setStep(env, StepCopying)
		d := r.cfg.Distribution()
		for _, id := range d.TableIDs() {
			t, _ := d.Table(id)
			for _, f := range t.FragmentsOn(x.joiner) {
				x.jobs = append(x.jobs, fragKey{id, f})
			}
		}
		r.copyMore(env)
	case StepFinishing:
		r.setStep(env, StepDone)
		r.stats.Runs++
		r.stats.LastRun = env.Now() - x.began
		r.finished[x.joiner] = x.startID
		r.send(env, gsn.NR_STARTCONF, signal.Address{Node: x.joiner, Block: gsn.BlockRESTART},
			uint32(x.id), uint32(x.id>>32), uint32(x.copied), uint32(x.rows), uint32(x.rows>>32))
		r.run = nil
	}
}

// copyMore starts fragment copies up to CopyParallel; when all are done,
// makes the node a full replica.
func (r *RESTART) copyMore(env block.Env) {
	x := r.run
	d := r.cfg.Distribution()
	for len(x.active) < r.cfg.CopyParallel && x.next < len(x.jobs) {
		k := x.jobs[x.next]
		x.next++
		r.copyFrom(env, d, k)
	}
	if len(x.active) == 0 && x.next == len(x.jobs) {
		r.setStep(env, StepFinishing)
		st := r.starting
		st.Remove(x.joiner)
		live := r.live
		live.Add(x.joiner)
		r.switchTo(env, live, st)
	}
}

// copyFrom asks fragment k's primary to copy it to the starting node.
func (r *RESTART) copyFrom(env block.Env, d *dih.Distribution, k fragKey) {
	x := r.run
	t, ok := d.Table(k.table)
	if !ok { // dropped meanwhile: nothing to copy
		delete(x.active, k)
		return
	}
	src := t.Replicas[k.frag][0]
	x.active[k] = src
	r.send(env, gsn.COPY_FRAGREQ, signal.Address{Node: src, Block: gsn.BlockLQH},
		k.table, k.frag, uint32(x.joiner), uint32(x.id), uint32(x.id>>32), uint32(x.since), uint32(x.since>>32))
}

func (r *RESTART) copyFragConf(env block.Env, s *signal.Signal) {
	x := r.current(s, 3, StepCopying)
	if x == nil || s.NumWords < 7 {
		return
	}
	k := fragKey{s.Words[0], s.Words[1]}
	if src, ok := x.active[k]; !ok || src != s.Sender.Node {
		return // from a primary that failed after finishing: copied again
	}
	delete(x.active, k)
	rows := uint64(s.Words[5]) | uint64(s.Words[6])<<32
	var keys, swept, fallbacks uint64
	if s.NumWords >= 12 {
		keys = uint64(s.Words[7]) | uint64(s.Words[8])<<32
		swept = uint64(s.Words[9]) | uint64(s.Words[10])<<32
		fallbacks = uint64(s.Words[11])
	}
	x.copied++
	x.rows, x.keys, x.swept, x.fallbacks = x.rows+rows, x.keys+keys, x.swept+swept, x.fallbacks+fallbacks
	r.stats.FragmentsCopied++
	r.stats.RowsCopied += rows
	r.stats.KeysCopied += keys
	r.stats.RowsSwept += swept
	r.stats.Fallbacks += fallbacks
	r.report(env)
	r.copyMore(env)
}

// copyFragRef: the primary could not copy (the table was dropped, or the
// fragment is no longer there): skip it if the table is gone, else retry.
func (r *RESTART) copyFragRef(env block.Env, s *signal.Signal) {
	x := r.current(s, 3, StepCopying)
	if x == nil {
		return
	}
	k := fragKey{s.Words[0], s.Words[1]}
	if _, ok := x.active[k]; !ok {
		return
	}
	d := r.cfg.Distribution()
	if _, ok := d.Table(k.table); !ok {
		delete(x.active, k)
		r.copyMore(env)
		return
	}
	r.copyFrom(env, d, k)
}

// The starting node's side.

func (r *RESTART) startRef(env block.Env, s *signal.Signal) {
	if !r.asking || s.NumWords < 2 {
		return
	}
	if p := signal.NodeID(s.Words[1]); p != 0 && s.Words[0] == refNotPresident {
		r.president = p
		r.nextAsk = 0
	}
}

func (r *RESTART) progressRep(env block.Env, s *signal.Signal) {
	if !r.asking || s.NumWords < 7 || r.cfg.OnProgress == nil {
		return
	}
	p := Progress{Node: r.cfg.Node, Step: Step(s.Words[2]), FragmentsCopied: int(s.Words[3]),
		Of: int(s.Words[4]), RowsCopied: uint64(s.Words[5]) | uint64(s.Words[6])<<32, RestoredGCI: r.restored}
	if s.NumWords >= 12 {
		p.KeysCopied = uint64(s.Words[7]) | uint64(s.Words[8])<<32
		p.RowsSwept = uint64(s.Words[9]) | uint64(s.Words[10])<<32
		p.Fallbacks = uint64(s.Words[11])
	}
	r.cfg.OnProgress(p)
}

func (r *RESTART) startConf(env block.Env, s *signal.Signal) {
	if !r.asking {
		return
	}
	r.asking, r.done = false, true
	if r.cfg.OnStarted != nil {
		r.cfg.OnStarted()
	}
}
