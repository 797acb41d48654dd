// Package sysfile is a data node's sysfile (NDB's P0.sysfile): the node's
// own durable record of the last completed global checkpoint, the oldest
// GCI it can restore from, the last local checkpoint id and restart flags.
// A system restart reads it to learn how far to replay the redo log.
//
// # Format, version 1 (little endian)
//
//	| magic "gSYS" | version u8 | reserved [3]u8 (0) | seq u64 | node id u32 | flags u32 |
//	| last completed GCI u64 | oldest restorable GCI u64 | last LCP id u64 | CRC32C u32 |
//
// 52 bytes; the CRC32C (Castagnoli) covers every byte before it.
//
// # Durability
//
// Two copies, sysfile.0 and sysfile.1: a save with sequence number s writes
// sysfile.tmp, fsyncs it, renames it to sysfile.<s mod 2> and fsyncs the
// directory. A crash at any point leaves the other copy (one save older)
// intact; Read picks the valid copy with the highest sequence number and
// reports an error only when no copy is valid.
//
// # Threading
//
// A Store serializes its own saves (a mutex); the GCP save path calls Save
// from its I/O goroutine, never from a block. sysfile imports nothing from
// gondb.
package sysfile
