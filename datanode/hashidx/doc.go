// Package hashidx is the primary-key hash index of one table fragment, the
// role of NDB's DBACC: it maps a key to the row id that holds it.
//
// # What it owns
//
// One open-addressing array of uint64 slots with linear probing (two while
// growing). A slot holds the high 32 bits of the key's 64-bit hash and the
// row id:
//
//	logical entry: | h32 (32 bits) | row id (32 bits) |
//	physical slot: ^entry, so the all-ones empty entry is 0 and a fresh
//	               anonymous mapping is an empty table with no memset
//
// Keys are not stored. The index compares keys only through the caller's
// Matcher, called when a slot's stored h32 equals the probed one. The low
// hash bits choose the partition bucket and are nearly constant inside a
// fragment, so callers pass the high 32. A slot's home is
// fastrange(h32, len) = h32*len>>32: any array length works and entries
// stay in hash order. LookupBatch resolves many keys at once, overlapping
// their cache misses; it is about twice as fast per key as Lookup.
//
// # Memory
//
// Arrays of 256 KiB and more live in anonymous mmap (Linux), outside the Go
// heap; smaller ones, and all arrays elsewhere, are pointer-free heap slices
// that the garbage collector never scans. Pages are faulted in by the first
// probe that touches them: allocation costs no memset. Transparent huge pages
// (4 MiB arrays and up) are asked for when a grown array is complete, so
// that khugepaged collapses it in the background instead of an operation
// zeroing 2 MiB in a fault, and at New for a large initial capacity (a bulk
// load). At load 0.53 to 0.8 a slot array costs 10 to 15 bytes per entry,
// 12.3 on average over sizes from 10^5 to 10^7 entries.
//
// Reserved row ids: NoRow (0xFFFFFFFF, part of the empty entry) and
// 0xFFFFFFFE (the tombstone); Insert panics on them. MaxRow is the largest
// storable id.
//
// # Growth
//
// When an insert would take the load past maxLoad (0.8), the array becomes
// the old array and a new one growth (1.5) times larger is allocated. No entry
// moves at that moment. Each later Insert and Delete first migrates stepSlots
// (64) old slots, and MigrateStep lets an idle owner migrate more, so no
// operation pauses for long. Migration reinserts from the stored h32 alone,
// never reading rows. During migration lookups probe both arrays, inserts go
// to the new array, deletes find the entry in either. The migrated part of
// the old array is returned to the kernel in 256 KiB blocks as the migration
// passes them (MADV_DONTNEED), and the rest unmapped when it ends.
//
// # Invariants
//
// Positions of the old array are taken in migration order:
// rel(p) = (p - start) mod len, where start is a slot that was empty when the
// migration began. done counts the slots already migrated.
//
//  1. Slot values: 0 is empty, 1 is a tombstone, a slot whose low word is
//     >= 2 is live (its row id is <= MaxRow).
//  2. The current array (the new one during migration) holds no tombstones
//     and is a plain linear-probing table: for a live entry at p with home h
//     every slot cyclically in [h, p] is non-empty. Backward-shift deletion
//     keeps this without tombstones. Its count never exceeds limit <
//     len(slots), so every probe ends at an empty slot.
//  3. During migration no old slot goes from empty to non-empty (inserts go
//     to the new array) and old entries never move. Slot start was empty
//     when the migration began and stays so; since probe runs cannot cross
//     an empty slot, for a live old entry at p with home h, rel(h) <= rel(p):
//     no old run wraps around start.
//  4. Old slots with rel < done are empty: each was cleared as it was
//     migrated (a released block reads as zeros too). No probe reads them,
//     so they need no tombstone. Old live entries all have rel >= done, and
//     for each at p with home h every slot with rel in
//     [max(rel(h), done), rel(p)] is non-empty (live or tombstone). Deleting
//     an old entry turns it into a tombstone, which keeps this; migrating
//     the slot at rel done only shrinks the range. Hence an old probe starts
//     at max(rel(home), done) and ends at the first empty slot, at the
//     latest back at start.
//  5. Every entry is in exactly one place: the new array or the unmigrated
//     part of the old. An entry that existed when the migration began and
//     whose old home has rel >= done is still in the old array, so lookups
//     probe the old array first for such homes and the new one first
//     otherwise. Len = new count + old live count.
//  6. The migration ends before the new array reaches its limit: the
//     0.8*len(old) entries it starts with fill the new array to 0.53, and
//     the at most len(old)/stepSlots inserts it lasts add 0.01 more. It ends
//     as soon as no live old entry remains.
//
// # Threading
//
// An Index belongs to the one worker goroutine that owns the fragment (LQH's
// worker). It is not safe for concurrent use, except that concurrent Lookup
// and LookupBatch calls with no concurrent mutation are safe: they write
// nothing. The Matcher runs on the calling goroutine and must not call back
// into the Index.
//
// # Imports
//
// Only the standard library and golang.org/x/sys/unix. It must never import
// other gondb packages: it knows nothing of rows, schemas or signals.
package hashidx
