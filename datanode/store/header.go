package store

import "encoding/binary"

// Row header layout. The header is part of the LCP format: change it only
// with a new format version.
const (
	hdrGCI     = 0  // uint64 LE: GCI of the row's last committed change
	hdrVersion = 8  // uint16 LE: schema version the row was written with
	hdrFlags   = 10 // uint8: flag* bits
	hdrVarRef  = 12 // uint32 LE: var part reference (tables with var columns)

	hdrSizeFixedOnly = 12
	hdrSizeWithVar   = 16
)

// Row flags.
const (
	flagLive        = 1 << 0 // the slot holds a row (or a prepared copy)
	flagLocked      = 1 << 1 // an operation record holds the row (see Fragment.locks)
	flagUncommitted = 1 << 2 // inserted by a transaction that has not committed
	flagCopy        = 1 << 3 // a prepared image, not a row: scans skip it
	flagVarChained  = 1 << 4 // the var part is a chain of page-sized chunks
	// flagCopied: a node restart's copy confirmed the row (MarkCopied);
	// only in memory, while the replica is filling (nrcopy.go).
	flagCopied = 1 << 5
)

func rowGCI(slot []byte) uint64 { return binary.LittleEndian.Uint64(slot[hdrGCI:]) }
