package sim

import (
	"fmt"

	"github.com/gondb/gondb/signal"
)

// reset starts a new connection between positions a and b: every message
// in flight between them, in both directions, is lost.
func (s *Sim) reset(a, b int) {
	for _, l := range [2]*link{&s.links[a][b], &s.links[b][a]} {
		l.epoch++
		l.lastAt = 0
	}
}

// DropLink resets the connection between nodes a and b, as a TCP reset:
// what is in flight between them is lost; later sends use a new
// connection at once.
func (s *Sim) DropLink(a, b signal.NodeID) {
	s.notInBlock("DropLink")
	na, nb := s.node(a), s.node(b)
	if a == b {
		panic(fmt.Sprintf("sim: DropLink(%d, %d): a node's link to itself does not drop", a, b))
	}
	s.reset(na.pos, nb.pos)
	s.stats.LinkDrops++
	s.tr.begin(s.now, "droplink")
	s.tr.node(a)
	s.tr.node(b)
	s.tr.end()
}

// Cut partitions nodes a and b from each other until Heal. What is in
// flight between them is lost and Send between them returns
// ErrUnreachable. Both keep their other links.
func (s *Sim) Cut(a, b signal.NodeID) {
	s.notInBlock("Cut")
	if a == b {
		panic(fmt.Sprintf("sim: Cut(%d, %d): a node cannot be cut from itself", a, b))
	}
	if s.cut(s.node(a).pos, s.node(b).pos) {
		s.stats.Partitions++
	}
	s.tr.begin(s.now, "cut")
	s.tr.node(a)
	s.tr.node(b)
	s.tr.end()
}

func (s *Sim) cut(a, b int) bool {
	if s.links[a][b].cut {
		return false
	}
	s.links[a][b].cut, s.links[b][a].cut = true, true
	s.reset(a, b)
	return true
}

// Partition cuts every link between the nodes of side and the others,
// until Heal.
func (s *Sim) Partition(side ...signal.NodeID) {
	s.notInBlock("Partition")
	in := make([]bool, len(s.nodes))
	for _, id := range side {
		in[s.node(id).pos] = true
	}
	changed := false
	for a := range s.nodes {
		for b := range s.nodes {
			if in[a] && !in[b] {
				changed = s.cut(a, b) || changed
			}
		}
	}
	if changed {
		s.stats.Partitions++
	}
	s.tr.begin(s.now, "partition")
	for _, n := range s.nodes {
		if in[n.pos] {
			s.tr.node(n.id)
		}
	}
	s.tr.str(" |")
	for _, n := range s.nodes {
		if !in[n.pos] {
			s.tr.node(n.id)
		}
	}
	s.tr.end()
}

// Heal ends every partition and cut. Nothing lost comes back.
func (s *Sim) Heal() {
	s.notInBlock("Heal")
	for a := range s.links {
		for b := range s.links[a] {
			s.links[a][b].cut = false
		}
	}
	s.stats.Heals++
	s.tr.begin(s.now, "heal")
	s.tr.end()
}

// Crash stops node id: its blocks are discarded, every message in flight
// to or from it is lost, and its disk loses a random subset of its
// unsynced writes (see Disk). Crashing a node that is down is a bug.
func (s *Sim) Crash(id signal.NodeID) {
	s.notInBlock("Crash")
	n := s.node(id)
	if !n.up {
		panic(fmt.Sprintf("sim: Crash(%d): node is down", id))
	}
	n.up = false
	n.incarnation++
	n.blocks = nil
	n.crashWhen = nil
	for i := range s.nodes {
		s.reset(n.pos, i)
	}
	unsynced := n.disk.Unsynced()
	lost := n.disk.crash(s.rng)
	s.stats.Crashes++
	s.stats.LostWrites += uint64(lost)
	s.tr.begin(s.now, "crash")
	s.tr.node(id)
	s.tr.num("unsynced=", uint64(unsynced))
	s.tr.num("lost=", uint64(lost))
	s.tr.end()
}

// CrashWhen arms a crash of node id at a chosen signal: every signal
// about to be delivered to the node is first shown to when, and the first
// one it accepts is never handled: the node crashes instead (as Crash),
// that signal lost with everything else in flight. So a test crashes a
// node at a protocol step, "the TC once it sent COMMIT and before it
// handles COMMITTED", rather than at a random time. when runs between
// deliveries, outside every block; it must not call the Sim, and must not
// keep the signal (its sections are recycled). The trigger fires once: a
// crash, by it or any other, disarms it, and a later call replaces it;
// when nil disarms. Arming a down node is a bug.
func (s *Sim) CrashWhen(id signal.NodeID, when func(sig *signal.Signal) bool) {
	s.notInBlock("CrashWhen")
	n := s.node(id)
	if !n.up && when != nil {
		panic(fmt.Sprintf("sim: CrashWhen(%d): node is down", id))
	}
	n.crashWhen = when
}

// Armed reports whether node id has a CrashWhen trigger that has not
// fired.
func (s *Sim) Armed(id signal.NodeID) bool { return s.node(id).crashWhen != nil }

// Restart starts node id again: its factory builds fresh blocks over the
// same Disk, and its Env.Now starts from 0. Restarting a live node is a
// bug.
func (s *Sim) Restart(id signal.NodeID) {
	s.notInBlock("Restart")
	n := s.node(id)
	if n.up {
		panic(fmt.Sprintf("sim: Restart(%d): node is up", id))
	}
	s.stats.Restarts++
	s.tr.begin(s.now, "restart")
	s.tr.node(id)
	s.tr.end()
	s.start(n)
}
