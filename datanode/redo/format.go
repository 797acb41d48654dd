package redo

import (
	"encoding/binary"
	"hash/crc32"
)

// Format versions of the redo files. A reader accepts
// MinSupportedVersion..CurrentVersion.
const (
	// Version1: 32 KiB pages with a 40-byte header, 24-byte record headers,
	// a two-slot metadata file per part.
	Version1 uint8 = 1

	CurrentVersion      = Version1
	MinSupportedVersion = Version1
)

// Page layout.
const (
	PageSize       = 32 << 10 // bytes per page, on disk and in the buffer
	PageHeaderSize = 40
	PagePayload    = PageSize - PageHeaderSize // payload bytes a page can hold

	// Page header field offsets.
	phMagic   = 0  // [4]byte "gRDP"
	phVersion = 4  // uint8
	phFlags   = 5  // uint8, 0
	phReserve = 6  // uint16, 0
	phLSN     = 8  // uint64: this page's position in the infinite log
	phGen     = 16 // uint32: generation (bumped at every recovery)
	phUsed    = 20 // uint32: payload bytes used
	phCont    = 24 // uint32: payload bytes at the start continuing a record from the previous page
	phMaxGCI  = 28 // uint64: highest GCI of the records starting in this page (0 if none)
	phCRC     = 36 // uint32: CRC32C of header bytes [0,36) and payload[:used]
)

// pageMagic opens every written page. A zero page (fresh ring) fails it.
var pageMagic = [4]byte{'g', 'R', 'D', 'P'}

// Record layout inside the page payload stream.
const (
	RecordHeaderSize = 24
	// MaxRecordSize bounds a record (header, key and row) in the format; a
	// reader refuses longer lengths as corrupt. A Log also refuses records
	// larger than half its buffer.
	MaxRecordSize = 64 << 20
	// MaxKeySize is the largest primary-key image a record can carry.
	MaxKeySize = 1<<16 - 1

	rhLen    = 0  // uint32: total record length, header included
	rhOp     = 4  // uint8: OpPut or OpDelete
	rhFlags  = 5  // uint8, 0
	rhKeyLen = 6  // uint16
	rhGCI    = 8  // uint64
	rhTable  = 16 // uint32
	rhFrag   = 20 // uint32
)

// Operations. They are disk values: never renumber or reuse.
const (
	OpPut    uint8 = 1 // upsert the full row image by primary key
	OpDelete uint8 = 2 // delete by primary key
)

// Record is one logged operation. Replay is idempotent: OpPut is an upsert
// of Row by Key, OpDelete removes Key.
type Record struct {
	GCI      uint64
	Table    uint32
	Fragment uint32
	Op       uint8  // OpPut or OpDelete
	Key      []byte // primary-key bytes
	Row      []byte // full committed row image for OpPut, empty for OpDelete
}

// size is the record's encoded length.
func (r *Record) size() int { return RecordHeaderSize + len(r.Key) + len(r.Row) }

// putRecordHeader encodes r's header into h.
func putRecordHeader(h *[RecordHeaderSize]byte, r *Record) {
	le := binary.LittleEndian
	le.PutUint32(h[rhLen:], uint32(r.size()))
	h[rhOp] = r.Op
	h[rhFlags] = 0
	le.PutUint16(h[rhKeyLen:], uint16(len(r.Key)))
	le.PutUint64(h[rhGCI:], r.GCI)
	le.PutUint32(h[rhTable:], r.Table)
	le.PutUint32(h[rhFrag:], r.Fragment)
}

// checkRecordHeader validates a record header and returns the record's total
// length, or a reason.
func checkRecordHeader(h []byte) (int, string) {
	le := binary.LittleEndian
	n := le.Uint32(h[rhLen:])
	kl := int(le.Uint16(h[rhKeyLen:]))
	switch {
	case n < RecordHeaderSize || n > MaxRecordSize:
		return 0, "record length out of range"
	case h[rhOp] != OpPut && h[rhOp] != OpDelete:
		return 0, "unknown record op"
	case h[rhFlags] != 0:
		return 0, "record flags not zero"
	case RecordHeaderSize+kl > int(n):
		return 0, "record key longer than record"
	case h[rhOp] == OpDelete && RecordHeaderSize+kl != int(n):
		return 0, "delete record carries a row"
	}
	return int(n), ""
}

// decodeRecord fills r from a whole, checked record (aliasing b).
func decodeRecord(b []byte, r *Record) {
	le := binary.LittleEndian
	kl := int(le.Uint16(b[rhKeyLen:]))
	r.Op = b[rhOp]
	r.GCI = le.Uint64(b[rhGCI:])
	r.Table = le.Uint32(b[rhTable:])
	r.Fragment = le.Uint32(b[rhFrag:])
	r.Key = b[RecordHeaderSize : RecordHeaderSize+kl : RecordHeaderSize+kl]
	r.Row = b[RecordHeaderSize+kl:]
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// pageCRC is the CRC32C of a page's header (without the CRC field) and its
// used payload.
func pageCRC(p []byte, used int) uint32 {
	c := crc32.Update(0, castagnoli, p[:phCRC])
	return crc32.Update(c, castagnoli, p[PageHeaderSize:PageHeaderSize+used])
}

// initPage writes a fresh page header (used 0, no CRC yet).
func initPage(p []byte, lsn uint64, gen uint32, cont int) {
	le := binary.LittleEndian
	copy(p[phMagic:], pageMagic[:])
	p[phVersion] = CurrentVersion
	p[phFlags] = 0
	le.PutUint16(p[phReserve:], 0)
	le.PutUint64(p[phLSN:], lsn)
	le.PutUint32(p[phGen:], gen)
	le.PutUint32(p[phUsed:], 0)
	le.PutUint32(p[phCont:], uint32(cont))
	le.PutUint64(p[phMaxGCI:], 0)
	le.PutUint32(p[phCRC:], 0)
}

// sealPage stores the page's CRC; the page must not change afterwards.
func sealPage(p []byte) {
	used := int(binary.LittleEndian.Uint32(p[phUsed:]))
	binary.LittleEndian.PutUint32(p[phCRC:], pageCRC(p, used))
}

// pageHeader is a decoded page header.
type pageHeader struct {
	lsn    uint64
	gen    uint32
	used   int
	cont   int
	maxGCI uint64
}

// checkPage validates a page read at position lsn: magic, version, LSN,
// lengths and CRC. It returns the header, or a reason and whether the page
// is blank (all header bytes zero: never written).
func checkPage(p []byte, lsn uint64) (pageHeader, string) {
	le := binary.LittleEndian
	var h pageHeader
	if [4]byte(p[phMagic:phMagic+4]) != pageMagic {
		if isZero(p[:PageHeaderSize]) {
			return h, "blank page"
		}
		return h, "bad page magic"
	}
	if v := p[phVersion]; v < MinSupportedVersion || v > CurrentVersion {
		return h, "unsupported page version"
	}
	if p[phFlags] != 0 || le.Uint16(p[phReserve:]) != 0 {
		return h, "page flags not zero"
	}
	h.lsn = le.Uint64(p[phLSN:])
	h.gen = le.Uint32(p[phGen:])
	used := le.Uint32(p[phUsed:])
	cont := le.Uint32(p[phCont:])
	h.maxGCI = le.Uint64(p[phMaxGCI:])
	if used > PagePayload {
		return h, "page used length out of range"
	}
	if cont > used {
		return h, "page continuation longer than used"
	}
	h.used, h.cont = int(used), int(cont)
	if pageCRC(p, h.used) != le.Uint32(p[phCRC:]) {
		return h, "page checksum mismatch"
	}
	if h.lsn != lsn {
		// Checked after the CRC: a well-formed page from an earlier lap of
		// the ring is the normal end of the log.
		return h, "stale page (LSN mismatch)"
	}
	return h, ""
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// Metadata file: two slots, written alternately, each one sector.
const (
	metaSlotSize = 4096
	metaSize     = 72

	mMagic    = 0  // [4]byte "gRDM"
	mVersion  = 4  // uint8
	mReserve  = 5  // [3]byte, 0
	mSeq      = 8  // uint64: write sequence; the valid slot with the highest wins
	mPageSize = 16 // uint32
	mFiles    = 20 // uint32
	mFileSize = 24 // uint64
	mGen      = 32 // uint32: current generation
	mPart     = 36 // uint32: part number
	mTail     = 40 // uint64: tail LSN (page aligned): the oldest page still needed
	mSynced   = 48 // uint64: synced LSN (page aligned): pages below are durable
	mSyncGCI  = 56 // uint64: highest GCI passed to a completed Sync
	mReserve2 = 64 // uint32, 0
	mCRC      = 68 // uint32: CRC32C of bytes [0,68)
)

var metaMagic = [4]byte{'g', 'R', 'D', 'M'}

// meta is the per-part metadata.
type meta struct {
	seq       uint64
	files     int
	fileSize  int64
	gen       uint32
	part      int
	tail      uint64
	synced    uint64
	syncedGCI uint64
}

func (m *meta) encode(b []byte) {
	le := binary.LittleEndian
	clear(b[:metaSize])
	copy(b[mMagic:], metaMagic[:])
	b[mVersion] = CurrentVersion
	le.PutUint64(b[mSeq:], m.seq)
	le.PutUint32(b[mPageSize:], PageSize)
	le.PutUint32(b[mFiles:], uint32(m.files))
	le.PutUint64(b[mFileSize:], uint64(m.fileSize))
	le.PutUint32(b[mGen:], m.gen)
	le.PutUint32(b[mPart:], uint32(m.part))
	le.PutUint64(b[mTail:], m.tail)
	le.PutUint64(b[mSynced:], m.synced)
	le.PutUint64(b[mSyncGCI:], m.syncedGCI)
	le.PutUint32(b[mCRC:], crc32.Checksum(b[:mCRC], castagnoli))
}

// decodeMeta checks and decodes one slot.
func decodeMeta(b []byte) (meta, string) {
	le := binary.LittleEndian
	var m meta
	if len(b) < metaSize {
		return m, "metadata slot truncated"
	}
	if [4]byte(b[mMagic:mMagic+4]) != metaMagic {
		return m, "bad metadata magic"
	}
	if crc32.Checksum(b[:mCRC], castagnoli) != le.Uint32(b[mCRC:]) {
		return m, "metadata checksum mismatch"
	}
	if v := b[mVersion]; v < MinSupportedVersion || v > CurrentVersion {
		return m, "unsupported metadata version"
	}
	if le.Uint32(b[mPageSize:]) != PageSize {
		return m, "metadata page size mismatch"
	}
	m.seq = le.Uint64(b[mSeq:])
	m.files = int(le.Uint32(b[mFiles:]))
	m.fileSize = int64(le.Uint64(b[mFileSize:]))
	m.gen = le.Uint32(b[mGen:])
	m.part = int(le.Uint32(b[mPart:]))
	m.tail = le.Uint64(b[mTail:])
	m.synced = le.Uint64(b[mSynced:])
	m.syncedGCI = le.Uint64(b[mSyncGCI:])
	ring := uint64(m.files) * uint64(m.fileSize)
	switch {
	case m.files < minFiles || m.files > maxFiles:
		return m, "metadata file count out of range"
	case m.fileSize < minFileSize || m.fileSize%PageSize != 0 || m.fileSize > maxFileSize:
		return m, "metadata file size out of range"
	case m.tail%PageSize != 0 || m.synced%PageSize != 0:
		return m, "metadata LSN not page aligned"
	case m.synced < m.tail || m.synced-m.tail > ring:
		return m, "metadata synced LSN outside the ring"
	case m.gen == 0:
		return m, "metadata generation zero"
	}
	return m, ""
}
