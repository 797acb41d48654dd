// Package redo is a data node's redo log (NDB's fragment log): a logical,
// idempotent log of committed operations, one Log per log part
// (NoOfFragmentLogParts per node), written through an in-memory buffer
// (RedoBuffer) to a ring of preallocated files (NoOfFragmentLogFiles files
// of FragmentLogFileSize bytes) and fdatasync'ed at GCP save.
//
// # Records
//
// A Record is applied at commit time and replays as an upsert (OpPut, the
// full committed row image) or a delete (OpDelete) by primary key, tagged
// with its GCI. Replaying from an LCP's start over a fuzzy checkpoint
// therefore converges. Records form a byte stream that runs across pages:
//
//	| length u32 (header+key+row) | op u8 | flags u8 (0) | key length u16 | GCI u64 | table u32 | fragment u32 | key | row |
//
// # Pages and LSNs
//
// The stream is cut into 32 KiB pages. An LSN is a byte position in the
// infinite log (lap * ring size + offset in the ring); a page's LSN is
// that of its first byte, so file and offset follow from it. Each page:
//
//	| magic "gRDP" | version u8 | flags u8 | reserved u16 | LSN u64 | generation u32 | used u32 | cont u32 | max GCI u64 | CRC32C u32 | payload (used bytes) |
//
// cont counts the payload bytes at the page's start that continue a record
// from the previous page. The CRC32C (Castagnoli) covers the header before
// it and the used payload. A page from an earlier lap has a wrong LSN and
// ends the log; so does a zero page of a fresh ring. All integers are
// little endian.
//
// # Metadata and recovery
//
// Each part directory (part-NN) holds redo-NNNN.log files and redo.meta:
// two 4 KiB slots written alternately (sequence number, CRC32C; the valid
// slot with the higher sequence wins), recording the ring's shape, the
// tail LSN, the synced LSN, the highest synced GCI and the generation.
//
//   - Sync writes the pages, fdatasyncs them, then writes the metadata with
//     the new synced LSN. A page below the synced LSN that fails its checks
//     is corruption (*CorruptError with file and offset); the first bad page
//     at or after it (torn, zero, stale) is the normal end of the log, and a
//     record left incomplete there is dropped.
//   - Sync closes a partial page: the next record starts a new page. A
//     written page is never rewritten in the same lap, so a torn write can
//     only hit unsynced data.
//   - ReleaseBefore moves the tail in memory; the writer persists it in the
//     metadata before it overwrites any page behind the persisted tail.
//   - Open recovers: it verifies the pages from the tail, fdatasyncs them,
//     and continues after the last valid page in a new generation. Pages
//     carry the generation: a page whose generation goes back ends the log
//     (leftovers of an earlier crash), and a generation step drops a record
//     left open by the crash.
//
// # Threading
//
// Append belongs to the LDM thread that owns the part; it copies into the
// buffer under a short mutex, never does I/O and never allocates, and
// returns ErrLogOverloaded (410) or ErrBufferOverloaded (1221), both
// temporary, instead of waiting. A writer goroutine per Log seals pages
// (CRC) and writes them in groups. Sync, ReleaseBefore, Head, Usage and
// FillRatio may be called from any goroutine; Appends go on during a Sync.
// A Reader is used at restart, before Open, from one goroutine.
//
// redo imports only ndberr from gondb (its errors carry NDB's codes, see
// Error.Code and Error.NDB); outside the standard library it uses
// golang.org/x/sys/unix on Linux.
package redo
