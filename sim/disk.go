package sim

import (
	"fmt"
	"math/rand/v2"
)

// maxUnsynced bounds the writes a Disk holds between two Syncs; a protocol
// that exceeds it never syncs, which is a bug.
const maxUnsynced = 1 << 20

// Disk is a node's simulated durable storage: a small key/value store that
// survives the node's crashes. Writes (Put, Delete) are visible to Get at
// once but become durable only at the next Sync. A crash keeps each unsynced
// write independently with probability 1/2, applied in write order: the
// model of a page cache flushing some writes, in any order across keys,
// before power is lost. Within one key the last surviving write wins, so a
// key never goes back past its last synced value when a protocol only
// writes growing values.
//
// Sync is instantaneous in simulated time, and a synced write is never lost
// (the simulator models neither disk latency nor corruption nor losing the
// whole disk). A Disk is used from the simulator's goroutine only.
type Disk struct {
	durable map[string][]byte
	pending []write
}

type write struct {
	key string
	val []byte
	del bool
}

func newDisk() *Disk {
	return &Disk{durable: make(map[string][]byte)}
}

// Put writes value under key (value is copied). Durable after Sync.
func (d *Disk) Put(key string, value []byte) {
	w := d.next()
	w.key, w.del = key, false
	w.val = append(w.val[:0], value...)
}

// Delete removes key. Durable after Sync.
func (d *Disk) Delete(key string) {
	w := d.next()
	w.key, w.del = key, true
	w.val = w.val[:0]
}

// next returns the next pending slot, reusing its value buffer.
func (d *Disk) next() *write {
	n := len(d.pending)
	if n == maxUnsynced {
		panic(fmt.Sprintf("sim: %d writes without a Sync", n))
	}
	if n < cap(d.pending) {
		d.pending = d.pending[:n+1]
	} else {
		d.pending = append(d.pending, write{})
	}
	return &d.pending[n]
}

// Get appends key's newest value, synced or not, to dst; ok is false when
// the key is absent (or deleted).
func (d *Disk) Get(dst []byte, key string) (v []byte, ok bool) {
	for i := len(d.pending) - 1; i >= 0; i-- {
		if w := &d.pending[i]; w.key == key {
			if w.del {
				return dst, false
			}
			return append(dst, w.val...), true
		}
	}
	return d.Durable(dst, key)
}

// Durable appends key's durable value (what any crash keeps) to dst. It is
// for checkers; a protocol reads with Get.
func (d *Disk) Durable(dst []byte, key string) (v []byte, ok bool) {
	b, ok := d.durable[key]
	if !ok {
		return dst, false
	}
	return append(dst, b...), true
}

// Sync makes every write so far durable.
func (d *Disk) Sync() {
	for i := range d.pending {
		d.apply(&d.pending[i])
	}
	d.pending = d.pending[:0]
}

// Unsynced is the number of writes a crash could lose now.
func (d *Disk) Unsynced() int { return len(d.pending) }

func (d *Disk) apply(w *write) {
	if w.del {
		delete(d.durable, w.key)
		return
	}
	d.durable[w.key] = append(d.durable[w.key][:0], w.val...)
}

// crash keeps a random subset of the unsynced writes and reports how many
// were lost.
func (d *Disk) crash(r *rand.Rand) (lost int) {
	for i := range d.pending {
		if r.IntN(2) == 0 {
			d.apply(&d.pending[i])
		} else {
			lost++
		}
	}
	d.pending = d.pending[:0]
	return lost
}
