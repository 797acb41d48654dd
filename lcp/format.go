package lcp

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strconv"
)

// Format versions of LCP data and control files. A reader accepts
// MinSupportedVersion..CurrentVersion.
//
//	1: the first format (data file header, blocks, footer; control file
//	   with two alternating copies).
//	2: a block of a compressed file may be stored as is (block codec
//	   none) when compressing it did not pay (Writer: raw blocks). The
//	   control file is unchanged but for its version.
const (
	Version1            uint8 = 1
	Version2            uint8 = 2
	CurrentVersion            = Version2
	MinSupportedVersion       = Version1
)

// Magic numbers: the first four bytes of each region.
var (
	magicData    = [4]byte{'g', 'L', 'C', 'D'} // data file header
	magicBlock   = [4]byte{'g', 'L', 'C', 'B'} // data block header
	magicFooter  = [4]byte{'g', 'L', 'C', 'F'} // data file footer
	magicControl = [4]byte{'g', 'L', 'C', 'C'} // control file
)

// Kind says whether an LCP holds every committed row or only changes. The
// numbers are disk values.
type Kind uint8

const (
	// Full holds every committed row of the fragment.
	Full Kind = 1
	// Delta holds the rows whose commit GCI >= its base LCP's start GCI, and
	// the keys of rows deleted since the base LCP started.
	Delta Kind = 2
)

func (k Kind) String() string {
	switch k {
	case Full:
		return "FULL"
	case Delta:
		return "DELTA"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Codec is a block compression. The numbers are disk values.
type Codec uint8

const (
	CodecNone Codec = 0 // stored as is
	CodecZstd Codec = 1 // zstd (klauspost/compress), SpeedFastest
	CodecZlib Codec = 2 // zlib at BestSpeed: for comparison only
)

func (c Codec) String() string {
	switch c {
	case CodecNone:
		return "none"
	case CodecZstd:
		return "zstd"
	case CodecZlib:
		return "zlib"
	}
	return "Codec(" + strconv.Itoa(int(c)) + ")"
}

func (c Codec) valid() bool { return c <= CodecZlib }

// CodecFor maps the CompressedLCP config parameter to a codec.
func CodecFor(compressedLCP bool) Codec {
	if compressedLCP {
		return CodecZstd
	}
	return CodecNone
}

// RecordKind tags each record inside a block. The numbers are disk values.
type RecordKind uint8

const (
	// RecordRow is a full row image: insert it, or replace the row with the
	// same primary key.
	RecordRow RecordKind = 1
	// RecordDeleted is a primary key: remove the row with that key if present.
	RecordDeleted RecordKind = 2
)

func (k RecordKind) String() string {
	switch k {
	case RecordRow:
		return "row"
	case RecordDeleted:
		return "deleted"
	}
	return "RecordKind(" + strconv.Itoa(int(k)) + ")"
}

// Sizes and limits.
const (
	// DefaultBlockSize is the uncompressed size at which a block is cut.
	DefaultBlockSize = 256 << 10
	// MaxRecordSize bounds one row image or key; a record larger than the
	// block size goes into a block of its own.
	MaxRecordSize = 64 << 20
	// maxBlockBytes bounds a block's uncompressed and compressed length as
	// read from disk (one maximal record plus its framing), so a damaged
	// header cannot make a reader allocate without bound.
	maxBlockBytes = MaxRecordSize + 16
	// MaxEntries bounds the LCPs one control file lists. Prune keeps two
	// chains, so a full control means Prune is not being called.
	MaxEntries = 4096

	fileHeaderSize  = 48
	blockHeaderSize = 28
	footerSize      = 64
	ctlHeaderSize   = 32
	ctlEntrySize    = 96
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crc(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

var le = binary.LittleEndian

// ErrCorruption marks every error caused by damaged or foreign bytes on
// disk: match it with errors.Is. The concrete error is a *CorruptError.
var ErrCorruption = errors.New("lcp: corrupt checkpoint file")

// ErrNoLCP says a fragment has no checkpoint at all (no control file).
var ErrNoLCP = errors.New("lcp: no local checkpoint")

// ErrNoUsableLCP says a fragment has checkpoints, but none can be restored
// up to the asked GCI (all too new, corrupt or missing). The caller decides
// whether to refuse to start.
var ErrNoUsableLCP = errors.New("lcp: no usable local checkpoint")

// CorruptError reports damaged bytes: which file, at which byte offset the
// damaged region starts, and what is wrong.
type CorruptError struct {
	File   string
	Offset int64
	Reason string
}

func (e *CorruptError) Error() string {
	return "lcp: corrupt " + e.File + " at offset " + strconv.FormatInt(e.Offset, 10) + ": " + e.Reason
}

// Is makes errors.Is(err, ErrCorruption) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorruption }

func corrupt(file string, off int64, reason string) *CorruptError {
	return &CorruptError{File: file, Offset: off, Reason: reason}
}

// fileHeader is the data file's first 48 bytes:
//
//	| magic "gLCD" (4) | version (1) | kind (1) | codec (1) | flags (1, 0) |
//	| table u32 | fragment u32 | lcp id u64 | start GCI u64 | base id u64 |
//	| schema version u32 | crc32c of bytes 0..44 u32 |
type fileHeader struct {
	version       uint8
	kind          Kind
	codec         Codec
	table         uint32
	fragment      uint32
	id            uint64
	startGCI      uint64
	baseID        uint64
	schemaVersion uint32
}

func (h *fileHeader) append(dst []byte) []byte {
	start := len(dst)
	dst = append(dst, magicData[:]...)
	dst = append(dst, h.version, byte(h.kind), byte(h.codec), 0)
	dst = le.AppendUint32(dst, h.table)
	dst = le.AppendUint32(dst, h.fragment)
	dst = le.AppendUint64(dst, h.id)
	dst = le.AppendUint64(dst, h.startGCI)
	dst = le.AppendUint64(dst, h.baseID)
	dst = le.AppendUint32(dst, h.schemaVersion)
	return le.AppendUint32(dst, crc(dst[start:]))
}

// decode parses b (fileHeaderSize bytes); it returns a reason when b is not
// a valid header.
func (h *fileHeader) decode(b []byte) string {
	if [4]byte(b[0:4]) != magicData {
		return "bad magic (not an LCP data file)"
	}
	if crc(b[:44]) != le.Uint32(b[44:]) {
		return "file header checksum mismatch"
	}
	h.version, h.kind, h.codec = b[4], Kind(b[5]), Codec(b[6])
	if h.version < MinSupportedVersion || h.version > CurrentVersion {
		return "unsupported format version " + strconv.Itoa(int(h.version))
	}
	if h.kind != Full && h.kind != Delta {
		return "unknown LCP kind " + strconv.Itoa(int(h.kind))
	}
	if !h.codec.valid() {
		return "unknown codec " + strconv.Itoa(int(h.codec))
	}
	if b[7] != 0 {
		return "unknown header flags"
	}
	h.table = le.Uint32(b[8:])
	h.fragment = le.Uint32(b[12:])
	h.id = le.Uint64(b[16:])
	h.startGCI = le.Uint64(b[24:])
	h.baseID = le.Uint64(b[32:])
	h.schemaVersion = le.Uint32(b[40:])
	return ""
}

// blockHeader precedes each block's payload (28 bytes):
//
//	| magic "gLCB" (4) | codec (1) | reserved (3, 0) | uncompressed length u32 |
//	| stored length u32 | record count u32 | crc32c of the stored payload u32 |
//	| crc32c of bytes 0..24 u32 |
type blockHeader struct {
	codec      Codec
	rawLen     uint32
	storedLen  uint32
	records    uint32
	payloadCRC uint32
}

func (h *blockHeader) put(b []byte) {
	copy(b[0:4], magicBlock[:])
	b[4], b[5], b[6], b[7] = byte(h.codec), 0, 0, 0
	le.PutUint32(b[8:], h.rawLen)
	le.PutUint32(b[12:], h.storedLen)
	le.PutUint32(b[16:], h.records)
	le.PutUint32(b[20:], h.payloadCRC)
	le.PutUint32(b[24:], crc(b[:24]))
}

func (h *blockHeader) decode(b []byte, fileCodec Codec, version uint8) string {
	if crc(b[:24]) != le.Uint32(b[24:]) {
		return "block header checksum mismatch"
	}
	h.codec = Codec(b[4])
	if h.codec != fileCodec && (h.codec != CodecNone || version < Version2) {
		return "block codec " + h.codec.String() + " differs from the file's " + fileCodec.String()
	}
	if b[5] != 0 || b[6] != 0 || b[7] != 0 {
		return "block header reserved bytes not zero"
	}
	h.rawLen = le.Uint32(b[8:])
	h.storedLen = le.Uint32(b[12:])
	h.records = le.Uint32(b[16:])
	h.payloadCRC = le.Uint32(b[20:])
	switch {
	case h.rawLen == 0 || h.records == 0:
		return "empty block"
	case h.rawLen > maxBlockBytes || h.storedLen > maxBlockBytes:
		return "block length over the limit"
	case h.codec == CodecNone && h.storedLen != h.rawLen:
		return "uncompressed block with stored length != length"
	case h.records > h.rawLen/2:
		return "record count larger than the block can hold"
	}
	return ""
}

// footer ends the data file (64 bytes):
//
//	| magic "gLCF" (4) | reserved (4, 0) | blocks u64 | rows u64 | deleted u64 |
//	| data bytes u64 | footer offset u64 | reserved u64 (0) |
//	| chain crc u32 | crc32c of bytes 0..60 u32 |
//
// The chain CRC is the CRC32C over bytes 0..24 of every block header, in
// order (not their own CRCs: a CRC over bytes that end in their CRC is a
// constant): it ties the footer, and the control file's entry, to the
// blocks and so to every payload CRC. The footer offset is where the footer
// starts, so the file size is that plus 64.
type footer struct {
	blocks, rows, deleted, dataBytes, offset uint64
	chainCRC                                 uint32
}

func (f *footer) append(dst []byte) []byte {
	start := len(dst)
	dst = append(dst, magicFooter[:]...)
	dst = le.AppendUint32(dst, 0)
	dst = le.AppendUint64(dst, f.blocks)
	dst = le.AppendUint64(dst, f.rows)
	dst = le.AppendUint64(dst, f.deleted)
	dst = le.AppendUint64(dst, f.dataBytes)
	dst = le.AppendUint64(dst, f.offset)
	dst = le.AppendUint64(dst, 0)
	dst = le.AppendUint32(dst, f.chainCRC)
	return le.AppendUint32(dst, crc(dst[start:]))
}

func (f *footer) decode(b []byte) string {
	if crc(b[:60]) != le.Uint32(b[60:]) {
		return "footer checksum mismatch"
	}
	if le.Uint32(b[4:]) != 0 || le.Uint64(b[48:]) != 0 {
		return "footer reserved bytes not zero"
	}
	f.blocks = le.Uint64(b[8:])
	f.rows = le.Uint64(b[16:])
	f.deleted = le.Uint64(b[24:])
	f.dataBytes = le.Uint64(b[32:])
	f.offset = le.Uint64(b[40:])
	f.chainCRC = le.Uint32(b[56:])
	return ""
}
