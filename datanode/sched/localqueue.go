package sched

import "github.com/gondb/gondb/signal"

// localQueue holds the signals a thread's blocks send to blocks on the
// same thread, as signal structs whose sections are copied into one arena.
// Copying a signal in and handing the copy to its receiver costs less than
// encoding it into a frame and decoding it again (TC and LQH on one LDM
// thread exchange four to six signals per key operation). A section stays
// valid until the queue is reset, as a section decoded from a frame stays
// valid until the frame's buffer is reused; an arena that grows leaves the
// earlier sections on the old array, which stays intact.
type localQueue struct {
	sigs  []signal.Signal
	arena []byte
}

// add copies s to the end of the queue. It refuses what a frame would
// refuse (signal.ErrTooLarge): too many words or sections, a section over
// MaxSectionBytes, more than MaxFrameBytes of sections queued, or more than
// 65535 signals.
func (q *localQueue) add(s *signal.Signal) error {
	nw, ns := int(s.NumWords), int(s.NumSects)
	if nw > signal.MaxWords || ns > signal.MaxSections || len(q.sigs) >= 0xFFFF {
		return signal.ErrTooLarge
	}
	n := 0
	for i := 0; i < ns; i++ {
		if len(s.Sections[i]) > signal.MaxSectionBytes {
			return signal.ErrTooLarge
		}
		n += len(s.Sections[i])
	}
	if len(q.arena)+n > signal.MaxFrameBytes {
		return signal.ErrTooLarge
	}
	q.sigs = append(q.sigs, signal.Signal{})
	d := &q.sigs[len(q.sigs)-1]
	d.Number, d.NumWords, d.NumSects = s.Number, s.NumWords, s.NumSects
	d.Sender, d.Receiver, d.TransID = s.Sender, s.Receiver, s.TransID
	copy(d.Words[:nw], s.Words[:nw])
	for i := 0; i < ns; i++ {
		start := len(q.arena)
		q.arena = append(q.arena, s.Sections[i]...)
		d.Sections[i] = q.arena[start:len(q.arena):len(q.arena)]
	}
	return nil
}

// Len is the number of signals queued.
func (q *localQueue) Len() int { return len(q.sigs) }

// reset empties the queue, keeping its memory.
func (q *localQueue) reset() {
	clear(q.sigs) // drop the section references
	q.sigs = q.sigs[:0]
	q.arena = q.arena[:0]
}
