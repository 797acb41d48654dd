// Package lcp writes and reads local checkpoints (LCPs): each fragment's
// rows written to disk in the background, at a bounded rate, while the LDM
// keeps serving. It owns the file format (docs/formats.md, "Local
// checkpoint files, version 1"), the writer, the reader with its fallback
// rules, and the retention rule. Row images are opaque bytes here.
//
// # Checkpoints are logical, fuzzy and chained
//
// An LCP is a set of records keyed by primary key: a row record is a full
// row image (an upsert), a deleted record is a key (a delete). It is fuzzy:
// rows change while it is written, and replaying redo from its StartGCI
// (idempotent upserts and deletes by key) makes the restored fragment
// consistent. An LCP is FULL (every committed row) or DELTA (rows whose
// commit GCI >= its base LCP's StartGCI, plus keys of rows deleted since the
// base started; the base is the LCP just before it). Restoring LCP n means
// applying its chain, the newest FULL at or before n and every DELTA after
// it up to n, in order, later records winning; then redo from n's StartGCI.
// Within one LCP, records apply in file order too: write a fragment's
// deleted keys before its rows, so a key deleted and re-inserted during the
// LCP ends up present (redo would fix either order).
//
// LCP n is usable only once its StopGCI (the GCI when it finished) is
// restorable: redo from StartGCI to StopGCI covers the changes it missed.
// Restore(dir, table, fragment, maxGCI, fn) picks the newest LCP with
// StopGCI <= maxGCI whose whole chain checks out, verifying every block's
// CRC32C before it hands fn any record; a damaged or missing file makes it
// fall back to an older restore point (with more redo to replay), and Info
// lists what it skipped and why. With nothing usable it returns an error
// matching ErrNoUsableLCP and the caller refuses to start. Damage is always
// a *CorruptError (file, offset, reason) matching ErrCorruption.
//
// # Files
//
// A fragment's files are in <dir>/T<table>/F<fragment>/: one data file per
// LCP, lcp-<id>.data, and the control file in two copies, ctl.0 and ctl.1.
// A data file is written as lcp-<id>.data.tmp, fsynced and renamed; only
// then does Finish add its entry to the control file, writing the copy
// (sequence number)%2 through a temp file, fsync, rename and directory
// fsync. A reader takes the valid copy with the higher sequence, so a torn
// control write loses at most the newest LCP.
//
// # Retention
//
// The caller calls Prune(dir, restorableGCI) after each completed GCP (or
// after each LCP). It keeps the chain of the newest restorable LCP and
// everything after it, plus the chain before it as the fallback, and
// deletes the rest; until a new FULL is restorable, the old chain stays.
// Both control copies are rewritten before any file is deleted.
// PruneResult.RedoFrom and FallbackRedoFrom say which redo is still needed.
// NextKind picks FULL or DELTA (FULL every 8th LCP, on a schema change, or
// when the DELTAs outgrow their FULL).
//
// # Threading
//
// A Writer belongs to one goroutine, the LCP writer, which the LDM thread
// feeds with batches of rows; AddRow and AddDeleted copy the bytes, so the
// LDM may reuse its buffers at once. MaxBytesPerSec rate-limits the writer
// with a token bucket that sleeps in that goroutine, never in the LDM.
// Progress may be read from any goroutine. One LCP per fragment at a time,
// with increasing IDs; Finish and Prune serialise their control updates per
// fragment. Restore, ListLCPs and VerifyFile only read, and may run beside
// a writer. Compressors and decompressors are pooled: once warm, writing and
// restoring a block allocate nothing.
//
// lcp imports the standard library and github.com/klauspost/compress
// (zstd, zlib); from gondb only internal/syncfile, and it must never
// import datanode/, the network, or any node kind.
package lcp
