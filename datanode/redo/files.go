package redo

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gondb/gondb/internal/syncfile"
)

const metaName = "redo.meta"

// PartDir is the directory of part `part` under the node's redo directory.
func PartDir(dir string, part int) string {
	return filepath.Join(dir, fmt.Sprintf("part-%02d", part))
}

func fileName(i int) string { return fmt.Sprintf("redo-%04d.log", i) }

// ring is the set of open files of one part and the ring's geometry.
type ring struct {
	dir      string
	files    []*os.File
	fileSize int64
	size     uint64 // files * fileSize
	meta     *os.File
}

// locate maps an LSN to (file index, offset in file).
func (r *ring) locate(lsn uint64) (int, int64) {
	pos := lsn % r.size
	return int(pos / uint64(r.fileSize)), int64(pos % uint64(r.fileSize))
}

func (r *ring) path(i int) string { return filepath.Join(r.dir, fileName(i)) }

func (r *ring) close() error {
	var errs []error
	for _, f := range r.files {
		if f != nil {
			errs = append(errs, f.Close())
		}
	}
	if r.meta != nil {
		errs = append(errs, r.meta.Close())
	}
	return errors.Join(errs...)
}

// openRing opens the files of an existing part read-write (or read-only).
func openRing(dir string, m meta, writable bool) (*ring, error) {
	r := &ring{dir: dir, fileSize: m.fileSize, size: uint64(m.files) * uint64(m.fileSize)}
	flag := os.O_RDONLY
	if writable {
		flag = os.O_RDWR
	}
	for i := 0; i < m.files; i++ {
		f, err := os.OpenFile(r.path(i), flag, 0)
		if err != nil {
			r.close()
			return nil, fmt.Errorf("redo: open log file: %w", err)
		}
		r.files = append(r.files, f)
	}
	if writable {
		f, err := os.OpenFile(filepath.Join(dir, metaName), os.O_RDWR, 0)
		if err != nil {
			r.close()
			return nil, fmt.Errorf("redo: open metadata: %w", err)
		}
		r.meta = f
	}
	return r, nil
}

// createRing wipes dir and creates a fresh ring of zeroed, preallocated
// files and a metadata file naming generation 1. The metadata is written
// last: a crash midway leaves no metadata, which Open reports.
func createRing(dir string, cfg Config) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("redo: wipe %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("redo: %w", err)
	}
	for i := 0; i < cfg.Files; i++ {
		f, err := os.OpenFile(filepath.Join(dir, fileName(i)), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("redo: create log file: %w", err)
		}
		err = preallocate(f, cfg.FileSize)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("redo: preallocate %s: %w", fileName(i), err)
		}
	}
	m := meta{seq: 1, files: cfg.Files, fileSize: cfg.FileSize, gen: 1, part: cfg.Part}
	var buf [2 * metaSlotSize]byte
	m.encode(buf[metaSlotSize:]) // seq 1 lives in slot 1
	tmp := filepath.Join(dir, metaName+".tmp")
	if err := writeFile(tmp, buf[:]); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, metaName)); err != nil {
		return fmt.Errorf("redo: %w", err)
	}
	return syncDir(dir)
}

// readMeta reads both metadata slots and returns the valid one with the
// higher sequence number. ErrNoLog (wrapped) when the file does not exist.
func readMeta(dir string) (meta, error) {
	name := filepath.Join(dir, metaName)
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return meta{}, fmt.Errorf("%w: %s", ErrNoLog, dir)
	}
	if err != nil {
		return meta{}, fmt.Errorf("redo: %w", err)
	}
	var best meta
	found := false
	var reasons []string
	for slot := 0; slot < 2; slot++ {
		lo := slot * metaSlotSize
		if lo >= len(b) {
			reasons = append(reasons, fmt.Sprintf("slot %d: missing", slot))
			continue
		}
		m, why := decodeMeta(b[lo:min(len(b), lo+metaSlotSize)])
		if why != "" {
			reasons = append(reasons, fmt.Sprintf("slot %d: %s", slot, why))
			continue
		}
		if !found || m.seq > best.seq {
			best, found = m, true
		}
	}
	if !found {
		return meta{}, &CorruptError{File: name, Offset: 0, Reason: "no valid metadata slot (" + strings.Join(reasons, "; ") + ")"}
	}
	return best, nil
}

// writeMeta writes m into the slot its sequence number picks and flushes
// it. The other slot keeps the previous state, so a torn write loses at most
// this update.
func (r *ring) writeMeta(m *meta, buf []byte) error {
	m.encode(buf)
	off := int64(m.seq%2) * metaSlotSize
	if _, err := r.meta.WriteAt(buf[:metaSize], off); err != nil {
		return fmt.Errorf("redo: write metadata: %w", err)
	}
	if err := fdatasync(r.meta); err != nil {
		return fmt.Errorf("redo: sync metadata: %w", err)
	}
	return nil
}

// readPages reads whole pages at lsn into buf (a multiple of PageSize, not
// crossing a file end). It returns the number of whole pages read; a short
// file yields fewer.
func (r *ring) readPages(lsn uint64, buf []byte) (int, error) {
	fi, off := r.locate(lsn)
	n, err := r.files[fi].ReadAt(buf, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return n / PageSize, fmt.Errorf("redo: read %s at %d: %w", r.path(fi), off, err)
	}
	return n / PageSize, nil
}

// writeFile and syncDir are syncfile's, with this package's error prefix.
func writeFile(name string, b []byte) error {
	if err := syncfile.WriteFile(name, b); err != nil {
		return fmt.Errorf("redo: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	if err := syncfile.SyncDir(dir); err != nil {
		return fmt.Errorf("redo: %w", err)
	}
	return nil
}
