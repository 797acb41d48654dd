package lcp

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/gondb/gondb/internal/syncfile"
)

// Entry describes one completed LCP, as the control file lists it.
type Entry struct {
	ID            uint64 // increases with every LCP of the fragment
	BaseID        uint64 // DELTA: the LCP it holds the changes since; FULL: 0
	Kind          Kind
	Codec         Codec
	SchemaVersion uint32 // the table's schema version of the row images
	StartGCI      uint64 // redo replay after restoring this LCP starts here
	StopGCI       uint64 // the GCI when it finished: usable once this GCI is restorable
	Rows          uint64 // row records
	Deleted       uint64 // deleted-key records
	Blocks        uint64
	DataBytes     uint64 // bytes of row images and keys (uncompressed table data)
	FileBytes     uint64 // size of the data file
	FileCRC       uint32 // the footer's chain CRC, which ties the file to this entry
}

// Control is a fragment's control file: the LCPs that make up its valid
// chains, oldest first.
type Control struct {
	Table, Fragment uint32
	Seq             uint64 // write sequence; the copy with the higher one wins
	Entries         []Entry
	// Notes says why a control copy was passed over (damaged or torn); empty
	// when both copies read well or one is simply absent.
	Notes []string
}

// Last is the newest LCP, if any.
func (c *Control) Last() (Entry, bool) {
	if len(c.Entries) == 0 {
		return Entry{}, false
	}
	return c.Entries[len(c.Entries)-1], true
}

// FragmentDir is where a fragment's files live: <dir>/T<table>/F<fragment>.
func FragmentDir(dir string, table, fragment uint32) string {
	return filepath.Join(dir, "T"+strconv.FormatUint(uint64(table), 10), "F"+strconv.FormatUint(uint64(fragment), 10))
}

// DataFileName is the name of LCP id's data file inside its fragment dir.
func DataFileName(id uint64) string { return "lcp-" + strconv.FormatUint(id, 10) + ".data" }

func tmpFileName(id uint64) string { return DataFileName(id) + ".tmp" }

// parseDataFileName returns the id in "lcp-<id>.data" or "lcp-<id>.data.tmp".
func parseDataFileName(name string) (id uint64, tmp, ok bool) {
	rest, found := strings.CutPrefix(name, "lcp-")
	if !found {
		return 0, false, false
	}
	if r, found := strings.CutSuffix(rest, ".data.tmp"); found {
		rest, tmp = r, true
	} else if r, found := strings.CutSuffix(rest, ".data"); found {
		rest = r
	} else {
		return 0, false, false
	}
	id, err := strconv.ParseUint(rest, 10, 64)
	return id, tmp, err == nil
}

var ctlNames = [2]string{"ctl.0", "ctl.1"}

// fragLocks serialise control-file updates (Finish, Prune) per fragment
// directory inside this process.
var fragLocks sync.Map // string -> *sync.Mutex

func lockFragment(fdir string) func() {
	m, _ := fragLocks.LoadOrStore(filepath.Clean(fdir), new(sync.Mutex))
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// appendControl encodes c (the header, entries and a trailing CRC32C):
//
//	| magic "gLCC" (4) | version (1) | reserved (3, 0) | table u32 | fragment u32 |
//	| seq u64 | entry count u32 | reserved u32 (0) | entries (96 B each) | crc32c u32 |
func appendControl(dst []byte, c *Control) []byte {
	start := len(dst)
	dst = append(dst, magicControl[:]...)
	dst = append(dst, CurrentVersion, 0, 0, 0)
	dst = le.AppendUint32(dst, c.Table)
	dst = le.AppendUint32(dst, c.Fragment)
	dst = le.AppendUint64(dst, c.Seq)
	dst = le.AppendUint32(dst, uint32(len(c.Entries)))
	dst = le.AppendUint32(dst, 0)
	for i := range c.Entries {
		e := &c.Entries[i]
		dst = le.AppendUint64(dst, e.ID)
		dst = le.AppendUint64(dst, e.BaseID)
		dst = append(dst, byte(e.Kind), byte(e.Codec), 0, 0)
		dst = le.AppendUint32(dst, e.SchemaVersion)
		dst = le.AppendUint64(dst, e.StartGCI)
		dst = le.AppendUint64(dst, e.StopGCI)
		dst = le.AppendUint64(dst, e.Rows)
		dst = le.AppendUint64(dst, e.Deleted)
		dst = le.AppendUint64(dst, e.Blocks)
		dst = le.AppendUint64(dst, e.DataBytes)
		dst = le.AppendUint64(dst, e.FileBytes)
		dst = le.AppendUint32(dst, e.FileCRC)
		dst = le.AppendUint32(dst, 0)
		dst = le.AppendUint64(dst, 0)
	}
	return le.AppendUint32(dst, crc(dst[start:]))
}

// decodeControl parses one control copy; the error is a *CorruptError.
func decodeControl(name string, b []byte, table, fragment uint32) (Control, error) {
	var c Control
	if len(b) < ctlHeaderSize+4 {
		return c, corrupt(name, int64(len(b)), "control file too short ("+strconv.Itoa(len(b))+" bytes)")
	}
	if [4]byte(b[0:4]) != magicControl {
		return c, corrupt(name, 0, "bad magic (not an LCP control file)")
	}
	n := le.Uint32(b[24:])
	if n > MaxEntries || len(b) != ctlHeaderSize+int(n)*ctlEntrySize+4 {
		return c, corrupt(name, 24, "entry count "+strconv.FormatUint(uint64(n), 10)+" does not match the file size (torn write?)")
	}
	end := len(b) - 4
	if crc(b[:end]) != le.Uint32(b[end:]) {
		return c, corrupt(name, int64(end), "control file checksum mismatch (torn write?)")
	}
	if v := b[4]; v < MinSupportedVersion || v > CurrentVersion {
		return c, corrupt(name, 4, "unsupported format version "+strconv.Itoa(int(v)))
	}
	if b[5] != 0 || b[6] != 0 || b[7] != 0 || le.Uint32(b[28:]) != 0 {
		return c, corrupt(name, 5, "reserved bytes not zero")
	}
	c.Table, c.Fragment, c.Seq = le.Uint32(b[8:]), le.Uint32(b[12:]), le.Uint64(b[16:])
	if c.Table != table || c.Fragment != fragment {
		return c, corrupt(name, 8, "control file is for table "+strconv.FormatUint(uint64(c.Table), 10)+
			" fragment "+strconv.FormatUint(uint64(c.Fragment), 10))
	}
	c.Entries = make([]Entry, n)
	for i := range c.Entries {
		off := ctlHeaderSize + i*ctlEntrySize
		p := b[off : off+ctlEntrySize]
		e := &c.Entries[i]
		e.ID = le.Uint64(p[0:])
		e.BaseID = le.Uint64(p[8:])
		e.Kind, e.Codec = Kind(p[16]), Codec(p[17])
		e.SchemaVersion = le.Uint32(p[20:])
		e.StartGCI = le.Uint64(p[24:])
		e.StopGCI = le.Uint64(p[32:])
		e.Rows = le.Uint64(p[40:])
		e.Deleted = le.Uint64(p[48:])
		e.Blocks = le.Uint64(p[56:])
		e.DataBytes = le.Uint64(p[64:])
		e.FileBytes = le.Uint64(p[72:])
		e.FileCRC = le.Uint32(p[80:])
		switch {
		case e.Kind != Full && e.Kind != Delta:
			return c, corrupt(name, int64(off+16), "entry with unknown kind")
		case !e.Codec.valid():
			return c, corrupt(name, int64(off+17), "entry with unknown codec")
		case i > 0 && e.ID <= c.Entries[i-1].ID:
			return c, corrupt(name, int64(off), "entry ids not increasing")
		case e.Kind == Full && e.BaseID != 0, e.Kind == Delta && e.BaseID >= e.ID:
			return c, corrupt(name, int64(off+8), "entry with a bad base id")
		case p[18] != 0 || p[19] != 0 || le.Uint32(p[84:]) != 0 || le.Uint64(p[88:]) != 0:
			return c, corrupt(name, int64(off+18), "entry reserved bytes not zero")
		}
	}
	return c, nil
}

// ReadControl reads a fragment's control file: of the two copies it takes
// the valid one with the higher sequence number, and notes in
// Control.Notes a copy it had to pass over. With no copy at all it returns
// ErrNoLCP; with no valid copy, the *CorruptError of the newer-looking one.
func ReadControl(dir string, table, fragment uint32) (Control, error) {
	return readControl(FragmentDir(dir, table, fragment), table, fragment)
}

func readControl(fdir string, table, fragment uint32) (Control, error) {
	var (
		best     Control
		found    bool
		firstErr error
		notes    []string
		missing  int
	)
	for _, n := range ctlNames {
		path := filepath.Join(fdir, n)
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			missing++
			continue
		}
		if err != nil {
			return Control{}, err
		}
		c, err := decodeControl(path, b, table, fragment)
		if err != nil {
			notes = append(notes, err.Error())
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if !found || c.Seq > best.Seq {
			best, found = c, true
		}
	}
	if !found {
		if missing == len(ctlNames) {
			return Control{Table: table, Fragment: fragment}, ErrNoLCP
		}
		return Control{Table: table, Fragment: fragment, Notes: notes}, firstErr
	}
	best.Notes = notes
	return best, nil
}

// writeControl writes c as copy c.Seq%2: a temp file, fsync, rename over
// the copy, fsync the directory. The other copy keeps the previous state,
// so a torn write leaves one good copy.
func writeControl(fdir string, c *Control) error {
	b := appendControl(make([]byte, 0, ctlHeaderSize+len(c.Entries)*ctlEntrySize+4), c)
	name := ctlNames[c.Seq%2]
	tmp := filepath.Join(fdir, name+".tmp")
	if err := writeFileSync(tmp, b); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(fdir, name)); err != nil {
		return err
	}
	return syncDir(fdir)
}

// writeFileSync and syncDir are the durable small-file steps every gondb
// file format shares (internal/syncfile).
var (
	writeFileSync = syncfile.WriteFile
	syncDir       = syncfile.SyncDir
)
