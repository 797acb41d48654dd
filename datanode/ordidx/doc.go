// Package ordidx is the ordered index of one table fragment, the role of
// NDB's DBTUX: a B+tree of row ids kept in the order of their rows' index key
// columns, with range scans in both directions that survive changes to the
// tree between batches.
//
// # What it owns
//
// Only the tree. It stores no key values: entries are row ids, ordered by
// (row key, row id) through a Comparator that the storage engine implements
// over its row memory. Duplicate keys are allowed; the row id tie-break
// makes every entry unique, so Delete finds the exact entry of a row.
//
// # Memory layout
//
// Nodes are plain structs of fixed-size arrays in two slices, one of leaves
// and one of inner nodes, addressed by int32 node numbers; freed nodes go
// on free lists threaded through the nodes themselves. The element types
// hold no Go pointers, so the garbage collector never scans the tree
// however large it grows. A leaf is 256 bytes (61 row ids, a count and the
// links of the leaf chain), an inner node 512 bytes (63 separators, 64
// children).
//
// A separator is the row id of the first entry of the subtree to its right
// and is kept equal to it through every split, borrow and merge. So every
// row id the tree holds, in leaves or as a separator, is a row that is in
// the index: the comparator is never asked about a deleted row, except for
// the one a cursor is positioned on (see Resuming scans).
//
// # Rebalancing
//
// Deletes rebalance: a non-root node that falls below a quarter of its
// capacity first evens out with a sibling that has entries to spare, and
// otherwise merges with it. A quarter rather than a half leaves room
// between the merge threshold and the split point, so a workload that
// inserts and deletes around one place does not split and merge the same
// nodes over and over. The price is a lower floor: random inserts leave
// leaves about 69% full (under 8 bytes of nodes per row at 1,000,000
// rows), and deleting three rows in four at random leaves them about 29%
// full until inserts fill them again. Height stays O(log n) and no node
// stays empty; freed nodes are reused, the slices never shrink.
//
// A split at the right edge of the tree (appending a new largest key, as
// with auto-increment or time keys) leaves the left node three quarters
// full instead of half.
//
// # Resuming scans
//
// A Cursor remembers the last row id it returned. When the tree has changed
// since its previous batch it descends again to the first entry beyond
// (that row's key, that row id), so no row is skipped or returned twice;
// rows inserted or deleted meanwhile may or may not be seen. Re-seeking
// reads the last row's key through Comparator.CompareRows, so the storage
// engine must keep that row's key readable and unchanged (and its row id
// not reused) until the cursor's next Next call, even if the row was
// deleted from the index meanwhile; Cursor.Position names the row. An engine
// that would rather free the row at once calls Cursor.ResumeAfterKey with
// the row's full encoded key, after which the cursor re-seeks by key and
// never reads the row.
//
// # Threading
//
// A Tree and its cursors belong to one goroutine, the LDM worker that owns
// the fragment; nothing here locks. Comparator calls must not change the
// tree.
//
// # Imports
//
// ordidx is a leaf package of the storage layer: standard library only. It
// must never import other gondb packages (blocks, signals, sqlnode), and it
// does no I/O and starts no goroutines.
package ordidx
