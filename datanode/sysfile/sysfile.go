package sysfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gondb/gondb/internal/syncfile"
)

// Format versions; a reader accepts MinSupportedVersion..CurrentVersion.
const (
	Version1 uint8 = 1 // the first layout
	// Version2 adds Nodes: the data nodes that took part in the save of
	// LastCompletedGCI.
	Version2 uint8 = 2
	// Version3 adds History: which history of the cluster the node's GCIs
	// belong to.
	Version3            uint8 = 3
	CurrentVersion            = Version3
	MinSupportedVersion       = Version1

	size1 = 52 // a Version1 copy
	size2 = 84 // a Version2 copy
	size  = 92 // a Version3 copy
)

// Flags. They are disk values: never renumber or reuse.
const (
	// FlagInitialStartOngoing: an initial start began and did not finish;
	// the next start must be initial again.
	FlagInitialStartOngoing uint32 = 1 << 0
	// FlagRestartOngoing: a system restart is replaying; its GCIs are not
	// yet all restored.
	FlagRestartOngoing uint32 = 1 << 1
)

const knownFlags = FlagInitialStartOngoing | FlagRestartOngoing

// Sysfile is the node's restart record.
type Sysfile struct {
	Version uint8  // format version of the copy read (set by Read/Save)
	Seq     uint64 // save sequence number (set by Save)
	NodeID  uint32
	Flags   uint32
	// LastCompletedGCI is the newest GCI whose GCP save completed on every
	// node: a system restart brings the cluster back at this GCI.
	LastCompletedGCI uint64
	// OldestRestorableGCI is the oldest GCI this node's LCPs and redo log
	// can still restore (NDB's keepGCI).
	OldestRestorableGCI uint64
	// LastLCPID is the id of the last local checkpoint completed.
	LastLCPID uint64
	// Nodes are the data nodes whose disks restore LastCompletedGCI: the
	// ones that synced their redo log for its save (node n at bit n%32 of
	// word n/32). A node left out (failed, or still being filled by a node
	// restart) must not restore this GCI from its own disk. All zero: not
	// recorded (a Version1 copy), taken as every node.
	Nodes [8]uint32
	// History names the history of the cluster LastCompletedGCI belongs
	// to. GCIs are reused when a system restart goes back to an earlier
	// GCI than some node (one that was down) had saved, so a GCI alone
	// does not name a version of a row across a system restart; a node
	// restart trusts the rows a node restored (copies only what changed
	// since) only when its history is the cluster's. Set at an initial
	// start and at each system restart from the restored GCI and the
	// starting nodes, the same on each of them; a node restart adopts the
	// cluster's. 0: unknown (an older version), trusted by nobody.
	History uint64
}

// Covers reports whether node n's disk restores LastCompletedGCI.
func (s *Sysfile) Covers(n uint32) bool {
	if s.Nodes == [8]uint32{} {
		return true
	}
	return n < 256 && s.Nodes[n/32]&(1<<(n%32)) != 0
}

var (
	// ErrNotFound: neither copy exists (a node that never started).
	ErrNotFound = errors.New("sysfile: no sysfile")
	// ErrCorrupt: copies exist but none is valid. The node must not guess:
	// restart it with --initial (or restore its directory).
	ErrCorrupt = errors.New("sysfile: no valid sysfile copy")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Marshal encodes s (with s.Seq) in version CurrentVersion.
func (s *Sysfile) Marshal() []byte {
	b := make([]byte, size)
	le := binary.LittleEndian
	copy(b, "gSYS")
	b[4] = CurrentVersion
	le.PutUint64(b[8:], s.Seq)
	le.PutUint32(b[16:], s.NodeID)
	le.PutUint32(b[20:], s.Flags)
	le.PutUint64(b[24:], s.LastCompletedGCI)
	le.PutUint64(b[32:], s.OldestRestorableGCI)
	le.PutUint64(b[40:], s.LastLCPID)
	for i, w := range s.Nodes {
		le.PutUint32(b[48+4*i:], w)
	}
	le.PutUint64(b[80:], s.History)
	le.PutUint32(b[88:], crc32.Checksum(b[:88], castagnoli))
	return b
}

// Unmarshal decodes and checks one copy.
func Unmarshal(b []byte) (Sysfile, error) {
	var s Sysfile
	le := binary.LittleEndian
	if len(b) < 5 || string(b[:4]) != "gSYS" {
		return s, errors.New("bad magic")
	}
	want := size
	switch b[4] {
	case Version1:
		want = size1
	case Version2:
		want = size2
	}
	switch {
	case b[4] < MinSupportedVersion || b[4] > CurrentVersion:
		return s, fmt.Errorf("unsupported version %d", b[4])
	case len(b) != want:
		return s, fmt.Errorf("length %d, want %d", len(b), want)
	case crc32.Checksum(b[:want-4], castagnoli) != le.Uint32(b[want-4:]):
		return s, errors.New("checksum mismatch")
	case b[5] != 0 || b[6] != 0 || b[7] != 0:
		return s, errors.New("reserved bytes not zero")
	}
	if b[4] >= Version2 {
		for i := range s.Nodes {
			s.Nodes[i] = le.Uint32(b[48+4*i:])
		}
	}
	if b[4] >= Version3 {
		s.History = le.Uint64(b[80:])
	}
	s.Version = b[4]
	s.Seq = le.Uint64(b[8:])
	s.NodeID = le.Uint32(b[16:])
	s.Flags = le.Uint32(b[20:])
	s.LastCompletedGCI = le.Uint64(b[24:])
	s.OldestRestorableGCI = le.Uint64(b[32:])
	s.LastLCPID = le.Uint64(b[40:])
	if s.Flags&^knownFlags != 0 {
		return s, fmt.Errorf("unknown flags %#x", s.Flags)
	}
	return s, nil
}

func copyName(dir string, i uint64) string {
	return filepath.Join(dir, fmt.Sprintf("sysfile.%d", i%2))
}

// Read returns the valid copy with the highest sequence number in dir.
// ErrNotFound when neither copy exists; an error wrapping ErrCorrupt, naming
// each copy's fault, when none is valid.
func Read(dir string) (Sysfile, error) {
	var best Sysfile
	found, exists := false, 0
	var faults []string
	for i := uint64(0); i < 2; i++ {
		name := copyName(dir, i)
		b, err := os.ReadFile(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		exists++
		if err != nil {
			faults = append(faults, err.Error())
			continue
		}
		s, err := Unmarshal(b)
		if err != nil {
			faults = append(faults, name+": "+err.Error())
			continue
		}
		if !found || s.Seq > best.Seq {
			best, found = s, true
		}
	}
	switch {
	case found:
		return best, nil
	case exists == 0:
		return Sysfile{}, ErrNotFound
	}
	return Sysfile{}, fmt.Errorf("%w in %s (%s); restart the node with --initial", ErrCorrupt, dir, strings.Join(faults, "; "))
}

// Store saves a node's sysfile. Safe for concurrent use.
type Store struct {
	dir string
	mu  sync.Mutex
	cur Sysfile
	has bool
}

// Open reads dir (creating it if missing). A directory with no sysfile is
// a fresh node; one whose copies are all corrupt is an error (ErrCorrupt).
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("sysfile: %w", err)
	}
	s, err := Read(dir)
	switch {
	case errors.Is(err, ErrNotFound):
		return &Store{dir: dir}, nil
	case err != nil:
		return nil, err
	}
	return &Store{dir: dir, cur: s, has: true}, nil
}

// Current returns the last saved (or read) sysfile; ok is false for a node
// that never saved one.
func (st *Store) Current() (s Sysfile, ok bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.cur, st.has
}

// Save writes s durably as the next sequence number. On error the previous
// copy is still the one Read returns or the new one is (never neither).
func (st *Store) Save(s Sysfile) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	s.Seq = st.cur.Seq + 1
	s.Version = CurrentVersion
	tmp := filepath.Join(st.dir, "sysfile.tmp")
	if err := writeFile(tmp, s.Marshal()); err != nil {
		return err
	}
	if err := os.Rename(tmp, copyName(st.dir, s.Seq)); err != nil {
		return fmt.Errorf("sysfile: %w", err)
	}
	if err := syncDir(st.dir); err != nil {
		return err
	}
	st.cur, st.has = s, true
	return nil
}

// Remove deletes the sysfile copies (an initial start).
func Remove(dir string) error {
	for _, n := range []string{"sysfile.0", "sysfile.1", "sysfile.tmp"} {
		if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("sysfile: %w", err)
		}
	}
	return syncDir(dir)
}

// writeFile and syncDir are syncfile's, with this package's error prefix.
func writeFile(name string, b []byte) error {
	if err := syncfile.WriteFile(name, b); err != nil {
		return fmt.Errorf("sysfile: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	if err := syncfile.SyncDir(dir); err != nil {
		return fmt.Errorf("sysfile: %w", err)
	}
	return nil
}
