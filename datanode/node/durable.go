package node

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gondb/gondb/datanode/fs"
	"github.com/gondb/gondb/datanode/lqh"
	"github.com/gondb/gondb/datanode/redo"
	"github.com/gondb/gondb/datanode/store"
	"github.com/gondb/gondb/datanode/sysfile"
	"github.com/gondb/gondb/lcp"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/partition"
)

// Durability. A node with a FileSystem directory keeps there:
//
//	sysfile.0, sysfile.1   the restorable GCI (package sysfile)
//	redo/part-NN/          the redo log parts (package redo)
//	lcp/T<t>/F<f>/         local checkpoints per fragment (package lcp)
//
// Every commit is logged to its fragment's redo part (LQH); every
// TimeBetweenGlobalCheckPoints the GCP master has every node sync its redo
// up to the last complete epoch, then record it in the sysfile (gcp's save
// protocol, run through the FS block).
//
// A start with a sysfile is a system restart: each fragment is restored
// from its newest usable local checkpoint, the redo log is replayed on top
// up to the restorable GCI, then the node checkpoints every fragment and
// starts a fresh redo log. The fresh log matters: records of epochs after
// the restorable GCI were never durable, and must not reappear when a
// later restart replays further. Commits go on from the restorable GCI + 1.
//
// With Config.OnlineLCP, the LQH also checkpoints its fragments while the
// node runs (lqh/lcp.go: FULL and DELTA LCPs from its Tick, written by a
// goroutine at LCPMaxBytesPerSec) and releases each redo part behind the
// LCPs usable at the sysfile's GCI, so the ring empties without a restart.
//
// The nodes of a cluster restart agree on the GCI to restore before any
// restores (internal/datanodeproc, start phase 0): each reports DiskGCI,
// and all restore the highest (Config.RestoreGCI). The sysfiles differ
// only when a crash hit between two nodes' sysfile writes; the one behind
// replays its redo log further than its own sysfile says.

// restoreTx is the transaction id restores prepare and commit rows under.
const restoreTx store.TxID = 1

// durable is a running node's durable state.
type durable struct {
	dir      string
	redo     []*redo.Log
	sys      *sysfile.Store
	fs       *fs.FS
	restored uint64 // the GCI restored at start (0: an initial start)
	history  uint64 // the history of the cluster restored (sysfile.Sysfile.History)
}

func (d *durable) close() {
	if d == nil {
		return
	}
	if d.fs != nil {
		d.fs.Wait()
	}
	for _, l := range d.redo {
		l.Close()
	}
}

// RestoreStats says what a start restored.
type RestoreStats struct {
	GCI                   uint64 // the restorable GCI restored (0: initial start)
	Fragments             int    // fragments restored from a local checkpoint
	LCPRows, RedoRecords  uint64
	RedoSkipped           uint64 // redo records older than their fragment's LCP
	LCPTime, RedoTime     time.Duration
	CheckpointTime        time.Duration // writing the post-restart checkpoint
	CheckpointRows        uint64
	CheckpointBytesOnDisk uint64
}

func (n *Node) redoConfig(d *durable, c Config, part int) redo.Config {
	return redo.Config{Dir: filepath.Join(d.dir, "redo"), Part: part, Files: c.RedoFiles,
		FileSize: c.RedoFileSize, BufferSize: int(c.RedoBuffer), Logger: n.log}
}

func (d *durable) lcpDir() string { return filepath.Join(d.dir, "lcp") }

// openDurable opens (or, initial, creates) the node's file system and
// restores its fragments; the LQH exists, no thread runs yet.
func (n *Node) openDurable() (*durable, error) {
	c := n.cfg
	if c.FileSystem == "" {
		return nil, nil
	}
	d := &durable{dir: c.FileSystem}
	if c.Initial {
		n.log.Info("initial start: wiping the node's file system", "dir", d.dir)
		if err := os.RemoveAll(d.dir); err != nil {
			return nil, fmt.Errorf("node %d: --initial: %w", c.NodeID, err)
		}
	}
	sys, err := sysfile.Open(d.dir)
	if err != nil {
		return nil, fmt.Errorf("node %d: %w (the file system in %s cannot be trusted; start with --initial to wipe it and copy the data from another node)", c.NodeID, err, d.dir)
	}
	d.sys = sys
	sf, restart := sys.Current()
	lcpID := sf.LastLCPID
	var st RestoreStats
	if !restart && c.RestoreGCI > 0 {
		n.log.Warn("system restart: this node has no sysfile; it starts empty", "cluster_gci", c.RestoreGCI, "dir", d.dir)
	}
	if restart {
		st.GCI = max(sf.LastCompletedGCI, c.RestoreGCI)
		n.log.Info("system restart: restoring", "gci", st.GCI, "own_sysfile_gci", sf.LastCompletedGCI, "dir", d.dir)
		if err := n.restore(d, &st); err != nil {
			return nil, fmt.Errorf("node %d: system restart: %w", c.NodeID, err)
		}
		lcpID++
		if err := n.checkpointAll(d, lcpID, st.GCI, &st); err != nil {
			return nil, fmt.Errorf("node %d: system restart: checkpoint after restore: %w", c.NodeID, err)
		}
	} else if err := os.RemoveAll(d.lcpDir()); err != nil { // leftovers of a start that never saved
		return nil, fmt.Errorf("node %d: %w", c.NodeID, err)
	}
	for p := 0; p < c.RedoParts; p++ {
		l, err := redo.OpenInitial(n.redoConfig(d, c, p))
		if err != nil {
			d.close()
			return nil, fmt.Errorf("node %d: redo log part %d: %w", c.NodeID, p, err)
		}
		d.redo = append(d.redo, l)
	}
	// A node restart keeps the history its rows belong to until it saves
	// the cluster's (the president compares them). An initial start or a
	// system restart begins a new history: GCIs after st.GCI may repeat
	// ones a node that is down now saved. Each node starts with a fresh
	// value of its own; every one writes the GCP master's at its first
	// save.
	d.history = sf.History
	if !c.Membership.Starting {
		d.history = newHistory()
	}
	if err := sys.Save(sysfile.Sysfile{NodeID: uint32(c.NodeID), LastCompletedGCI: st.GCI,
		OldestRestorableGCI: st.GCI, LastLCPID: lcpID, History: d.history}); err != nil {
		d.close()
		return nil, fmt.Errorf("node %d: %w", c.NodeID, err)
	}
	d.restored = st.GCI
	n.restoreStats = st
	if restart {
		n.log.Info("system restart: restored", "gci", st.GCI, "fragments", st.Fragments,
			"lcp_rows", st.LCPRows, "lcp_time", st.LCPTime, "redo_records", st.RedoRecords, "redo_skipped", st.RedoSkipped, "redo_time", st.RedoTime,
			"checkpoint_rows", st.CheckpointRows, "checkpoint_time", st.CheckpointTime)
	}
	d.fs = fs.New(fs.Config{Redo: d.redo, Sysfile: sys, Logger: n.log})
	n.lqh.SetRedo(d.redo)
	if c.OnlineLCP {
		restored, fsys := d.restored, d.fs
		err := n.lqh.EnableLCP(lqh.LCPConfig{Dir: d.lcpDir(), Codec: lcp.CodecFor(c.CompressedLCP),
			MaxBytesPerSec: c.LCPMaxBytesPerSec, MinBytesPerSec: c.LCPMinBytesPerSec, RedoTrigger: c.LCPRedoTrigger,
			RedoBytes: 4 << uint(c.TimeBetweenLocalCheckpoints), Logger: n.log,
			SavedGCI: func() uint64 { return max(restored, fsys.Stats().WrittenGCI) }})
		if err != nil {
			d.close()
			return nil, fmt.Errorf("node %d: %w", c.NodeID, err)
		}
	}
	return d, nil
}

// newHistory returns a fresh, non-zero history id.
func newHistory() uint64 {
	var b [8]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			panic(fmt.Sprintf("node: crypto/rand: %v", err))
		}
		if h := binary.LittleEndian.Uint64(b[:]); h != 0 {
			return h
		}
	}
}

// DiskGCI returns the GCI a node's file system can restore: its sysfile's
// last completed GCI, 0 when it has none (a fresh or diskless node, or
// initial). A corrupt sysfile is an error, as at the start.
func DiskGCI(c Config) (uint64, error) {
	g, _, err := DiskState(c)
	return g, err
}

// DiskState is DiskGCI with the data nodes whose disks restore that GCI
// (sysfile.Sysfile.Nodes: those that synced its save; all zero: not
// recorded, every node).
func DiskState(c Config) (gci uint64, nodes [8]uint32, err error) {
	if c.FileSystem == "" || c.Initial {
		return 0, nodes, nil
	}
	sf, err := sysfile.Read(c.FileSystem)
	switch {
	case errors.Is(err, sysfile.ErrNotFound), errors.Is(err, os.ErrNotExist):
		return 0, nodes, nil
	case err != nil:
		return 0, nodes, fmt.Errorf("node %d: %w", c.NodeID, err)
	}
	return sf.LastCompletedGCI, sf.Nodes, nil
}

// restore loads every fragment from its local checkpoint, then replays the
// redo log up to st.GCI.
func (n *Node) restore(d *durable, st *RestoreStats) error {
	// frags are the fragments by table and id, with each one's restore
	// point: its LCP holds every commit of an epoch before it, so redo
	// records older than it are passed over.
	type restoring struct {
		f    *store.Fragment
		from uint64
	}
	frags := map[[2]uint32]*restoring{}
	var scratch []byte
	apply := func(f *store.Fragment, put bool, b []byte, gci uint64) error {
		lay := f.Layout()
		key := b
		if put {
			if len(b) < lay.KeySize {
				return fmt.Errorf("row of %d bytes, shorter than the key", len(b))
			}
			key = b[:lay.KeySize]
		}
		scratch = lay.DistributionKey(key, scratch[:0])
		h := partition.Hash(scratch)
		var ref store.OpRef
		var err error
		if put {
			ref, err = f.PrepareWrite(restoreTx, h, b)
		} else if ref, err = f.PrepareDelete(restoreTx, h, key); errors.Is(err, ndberr.ErrNoSuchRow) {
			return nil // deleted before the checkpoint it follows
		}
		if err != nil {
			return err
		}
		return f.Commit(ref, gci)
	}
	start := time.Now()
	lastLog := start
	all := n.lqh.Fragments()
	for i, f := range all {
		if time.Since(lastLog) >= time.Second {
			lastLog = time.Now()
			n.log.Info("system restart: restoring local checkpoints", "fragments_done", i, "fragments", len(all), "lcp_rows", st.LCPRows)
		}
		table := f.Layout().Table.ID
		rf := &restoring{f: f}
		frags[[2]uint32{table, f.ID}] = rf
		info, err := lcp.Restore(d.lcpDir(), table, f.ID, st.GCI, func(kind lcp.RecordKind, b []byte) error {
			if kind == lcp.RecordDeleted {
				return apply(f, false, b, 0)
			}
			if len(b) < 8 {
				return errors.New("checkpoint row without its GCI")
			}
			return apply(f, true, b[8:], binary.LittleEndian.Uint64(b))
		})
		switch {
		case errors.Is(err, lcp.ErrNoLCP):
			continue // created after the last checkpoint: all in the redo log
		case errors.Is(err, lcp.ErrNoUsableLCP) && info.OnlyTooNew():
			// Its first checkpoints finished after the last save: the redo
			// log was never released behind them, so it holds everything.
			n.log.Info("system restart: no local checkpoint usable yet; replaying the whole redo log",
				"table", table, "fragment", f.ID, "skipped", len(info.Skipped))
			continue
		case err != nil:
			return fmt.Errorf("table %d fragment %d: %w", table, f.ID, err)
		}
		for _, sk := range info.Skipped {
			n.log.Warn("system restart: local checkpoint skipped", "table", table, "fragment", f.ID, "lcp", sk.ID, "reason", sk.Reason, "err", sk.Err)
		}
		st.Fragments++
		st.LCPRows += info.RestoredRows
		rf.from = info.StartGCI
	}
	st.LCPTime = time.Since(start)
	start = time.Now()
	for p := 0; ; p++ {
		rd, err := redo.OpenReader(filepath.Join(d.dir, "redo"), p)
		if errors.Is(err, redo.ErrNoLog) || errors.Is(err, os.ErrNotExist) {
			break
		}
		if err != nil {
			return fmt.Errorf("redo log part %d: %w", p, err)
		}
		_, err = rd.Scan(0, 0, st.GCI, func(r *redo.Record) error {
			rf := frags[[2]uint32{r.Table, r.Fragment}]
			if rf == nil {
				return nil // a table dropped since
			}
			f := rf.f
			if r.GCI < rf.from {
				st.RedoSkipped++
				return nil
			}
			st.RedoRecords++
			if st.RedoRecords%65536 == 0 && time.Since(lastLog) >= time.Second {
				lastLog = time.Now()
				n.log.Info("system restart: replaying the redo log", "part", p, "records", st.RedoRecords, "gci", r.GCI, "restore_gci", st.GCI)
			}
			if r.Op == redo.OpPut {
				return apply(f, true, r.Row, r.GCI)
			}
			return apply(f, false, r.Key, r.GCI)
		})
		rd.Close()
		if err != nil {
			return fmt.Errorf("redo log part %d: %w", p, err)
		}
		n.log.Info("system restart: redo part replayed", "part", p, "records_so_far", st.RedoRecords)
	}
	st.RedoTime = time.Since(start)
	return nil
}

// checkpointAll writes a FULL local checkpoint of every fragment (id,
// restorable at gci) and drops the older ones.
func (n *Node) checkpointAll(d *durable, id, gci uint64, st *RestoreStats) error {
	start := time.Now()
	lastLog := start
	var buf []byte
	out := make([]store.RowID, 256)
	all := n.lqh.Fragments()
	for i, f := range all {
		table := f.Layout().Table.ID
		id := id
		if ctl, err := lcp.ReadControl(d.lcpDir(), table, f.ID); err == nil {
			if last, ok := ctl.Last(); ok && last.ID >= id {
				id = last.ID + 1 // online LCPs numbered past the sysfile's
			}
		}
		w, err := lcp.Create(d.lcpDir(), lcp.Params{Table: table, Fragment: f.ID, ID: id, Kind: lcp.Full,
			StartGCI: gci, SchemaVersion: f.Layout().Table.Version, Codec: lcp.CodecFor(n.cfg.CompressedLCP)})
		if err != nil {
			return err
		}
		var pos store.ScanPos
		for !pos.Done() {
			k := f.ScanNext(&pos, nil, out, 4096)
			for _, r := range out[:k] {
				buf = binary.LittleEndian.AppendUint64(buf[:0], f.RowGCI(r))
				buf = f.ReadRow(r, buf)
				if err := w.AddRow(buf); err != nil {
					w.Abort()
					return err
				}
				st.CheckpointRows++
			}
			if time.Since(lastLog) >= time.Second {
				lastLog = time.Now()
				n.log.Info("system restart: checkpointing the restored data", "fragments_done", i, "fragments", len(all), "rows", st.CheckpointRows)
			}
		}
		info, err := w.Finish(gci)
		if err != nil {
			return err
		}
		st.CheckpointBytesOnDisk += info.Entry.FileBytes
		if _, err := lcp.PruneFragment(d.lcpDir(), table, f.ID, gci); err != nil {
			n.log.Warn("pruning old local checkpoints", "table", table, "fragment", f.ID, "err", err)
		}
	}
	st.CheckpointTime = time.Since(start)
	return nil
}

// diskHistory is the history of the cluster this node's sysfile records
// now (0: diskless, or none yet): a president trusts a restarted node's
// rows only if it restored the same history.
func (n *Node) diskHistory() uint64 {
	if n.dur == nil || n.dur.fs == nil {
		return 0
	}
	return n.dur.fs.History()
}
