package lcp

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// DefaultFullEvery is how often NextKind asks for a FULL LCP: every 8th.
// A chain of one FULL and up to 7 DELTAs keeps restore reading at most
// about twice the table (NextKind also starts a FULL once the DELTAs
// outgrow it) while most LCPs write only what changed.
const DefaultFullEvery = 8

// NextKind says whether a fragment's next LCP should be FULL or DELTA: FULL
// when there is none yet, when the schema version changed, every
// fullEvery-th LCP (0 means DefaultFullEvery), or when the DELTAs since the
// last FULL take more bytes on disk than that FULL. A DELTA's BaseID is then
// c.Last().ID and it holds the changes since c.Last().StartGCI.
func NextKind(c Control, schemaVersion uint32, fullEvery int) Kind {
	if fullEvery <= 0 {
		fullEvery = DefaultFullEvery
	}
	last, ok := c.Last()
	if !ok || last.SchemaVersion != schemaVersion {
		return Full
	}
	f := -1
	for i := len(c.Entries) - 1; i >= 0; i-- {
		if c.Entries[i].Kind == Full {
			f = i
			break
		}
	}
	if f < 0 {
		return Full
	}
	deltas := c.Entries[f+1:]
	if len(deltas)+1 >= fullEvery {
		return Full
	}
	var sum uint64
	for _, d := range deltas {
		sum += d.FileBytes
	}
	if sum > c.Entries[f].FileBytes {
		return Full
	}
	return Delta
}

// PruneResult says what a prune removed and how much redo the kept LCPs
// still need.
type PruneResult struct {
	Removed []uint64 // LCP ids whose files were deleted (not counting orphans)
	Orphans int      // unreferenced data files deleted (left by crashed writers)
	// RedoFrom is the lowest GCI whose redo a restart from the newest
	// restorable LCP needs: redo below it may be released. 0 when a
	// fragment has no restorable LCP (all its redo is needed).
	RedoFrom uint64
	// FallbackRedoFrom is the lowest GCI whose redo the oldest kept LCP
	// needs, so that a restart can still fall back to the previous chain
	// if the newest is damaged. Releasing redo only below this keeps that
	// fallback consistent.
	FallbackRedoFrom uint64
}

// Prune applies PruneFragment to every fragment under dir; the result has
// the lowest RedoFrom and FallbackRedoFrom of all fragments (the redo an
// LDM may release), and every removal. A fragment it cannot prune (a
// damaged control file) keeps its files, counts as needing all redo, and
// its error is returned after the others are done.
func Prune(dir string, keepFrom uint64) (PruneResult, error) {
	var total PruneResult
	frags, err := ListLCPs(dir)
	if err != nil {
		return total, err
	}
	var errs []error
	for i, fr := range frags {
		r, err := PruneFragment(dir, fr.Table, fr.Fragment, keepFrom)
		if err != nil && !errors.Is(err, ErrNoLCP) {
			// Keep going with the other fragments; this one keeps all
			// its files and needs all its redo (RedoFrom 0).
			errs = append(errs, err)
		}
		total.Removed = append(total.Removed, r.Removed...)
		total.Orphans += r.Orphans
		if i == 0 || r.RedoFrom < total.RedoFrom {
			total.RedoFrom = r.RedoFrom
		}
		if i == 0 || r.FallbackRedoFrom < total.FallbackRedoFrom {
			total.FallbackRedoFrom = r.FallbackRedoFrom
		}
	}
	return total, errors.Join(errs...)
}

// PruneFragment deletes the LCPs of a fragment that no restart can need
// once keepFrom is the restorable GCI (the last completed GCP: restarts
// restore to it or later). The rule:
//
//   - the restore point is the newest LCP with StopGCI <= keepFrom; its chain
//     (its FULL and every LCP after it, restorable yet or not) is kept;
//   - so is the chain before it (the previous FULL and its DELTAs), the
//     fallback if the newest chain turns out damaged;
//   - everything older goes. With no restorable LCP nothing goes: the
//     previous chain is kept until the new FULL is known restorable.
//
// It rewrites both control copies before it deletes a file, so neither copy
// ever names a missing file. It also deletes data files that no control
// entry names and whose id is below the newest (left by crashed writers).
// Run it from the goroutine that finishes the fragment's LCPs, or any other:
// control updates are serialised per fragment within the process.
func PruneFragment(dir string, table, fragment uint32, keepFrom uint64) (PruneResult, error) {
	var res PruneResult
	fdir := FragmentDir(dir, table, fragment)
	unlock := lockFragment(fdir)
	defer unlock()
	c, err := readControl(fdir, table, fragment)
	if err != nil {
		return res, err
	}
	p := -1
	for i := len(c.Entries) - 1; i >= 0; i-- {
		if c.Entries[i].StopGCI <= keepFrom {
			p = i
			break
		}
	}
	keep := 0
	if p >= 0 {
		f := p
		for f > 0 && c.Entries[f].Kind != Full {
			f--
		}
		keep = f
		for prev := f - 1; prev >= 0; prev-- {
			if c.Entries[prev].Kind == Full {
				keep = prev
				break
			}
		}
		res.RedoFrom = c.Entries[p].StartGCI
		res.FallbackRedoFrom = c.Entries[keep].StartGCI
	}
	if keep > 0 {
		for _, e := range c.Entries[:keep] {
			res.Removed = append(res.Removed, e.ID)
		}
		c.Entries = append([]Entry(nil), c.Entries[keep:]...)
		for range 2 { // both copies, so neither names a file about to go
			c.Seq++
			if err := writeControl(fdir, &c); err != nil {
				return res, err
			}
		}
		for _, id := range res.Removed {
			if err := os.Remove(filepath.Join(fdir, DataFileName(id))); err != nil && !errors.Is(err, os.ErrNotExist) {
				return res, err
			}
		}
	}
	n, err := removeOrphans(fdir, &c)
	res.Orphans = n
	if err == nil && (n > 0 || keep > 0) {
		err = syncDir(fdir)
	}
	return res, err
}

func removeOrphans(fdir string, c *Control) (int, error) {
	last, ok := c.Last()
	if !ok {
		return 0, nil
	}
	kept := make(map[uint64]bool, len(c.Entries))
	for _, e := range c.Entries {
		kept[e.ID] = true
	}
	ents, err := os.ReadDir(fdir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, de := range ents {
		name := de.Name()
		id, tmp, ok := parseDataFileName(name)
		stale := ok && id < last.ID && (tmp || !kept[id])
		stale = stale || (strings.HasPrefix(name, "ctl.") && strings.HasSuffix(name, ".tmp"))
		if !stale {
			continue
		}
		if err := os.Remove(filepath.Join(fdir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return n, err
		}
		n++
	}
	return n, nil
}
