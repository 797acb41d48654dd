package lcp

import (
	"encoding/binary"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// rec is one record of a test LCP.
type rec struct {
	kind RecordKind
	b    []byte
}

// row makes a synthetic row: an 8-byte key, then bytes derived from the
// key and a version, of a length that varies with the key.
func row(k uint64, ver int) []byte {
	n := 8 + 20 + int(k%97)
	b := make([]byte, n)
	binary.LittleEndian.PutUint64(b, k)
	for i := 8; i < n; i++ {
		b[i] = byte(int(k)*7 + ver*31 + i/3)
	}
	return b
}

func key(k uint64) []byte { return binary.LittleEndian.AppendUint64(nil, k) }

// model is a fragment's rows by key, as the caller of Restore keeps them.
type model map[uint64]string

func (m model) apply(kind RecordKind, b []byte) error {
	if len(b) < 8 {
		return errors.New("record shorter than a key")
	}
	k := binary.LittleEndian.Uint64(b)
	switch kind {
	case RecordRow:
		m[k] = string(b)
	case RecordDeleted:
		if len(b) != 8 {
			return errors.New("deleted key of " + strconv.Itoa(len(b)) + " bytes")
		}
		delete(m, k)
	default:
		return errors.New("unknown record kind")
	}
	return nil
}

func (m model) clone() model { return maps.Clone(m) }

func sameModel(t *testing.T, what string, got, want model) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s: key %d differs", what, k)
		}
	}
}

// lcpSpec is one LCP of a test scenario, with the fragment's state after
// it is applied.
type lcpSpec struct {
	p     Params
	stop  uint64
	recs  []rec
	after model
}

// scenario builds a chain FULL(1), DELTA(2), DELTA(3), FULL(4), DELTA(5)
// over n rows, with inserts, updates, deletes and re-inserts.
func scenario(n int, codec Codec, blockSize int) []lcpSpec {
	var specs []lcpSpec
	state := model{}
	add := func(p Params, stop uint64, recs []rec) {
		p.Table, p.Fragment, p.Codec, p.BlockSize, p.SchemaVersion = 7, 3, codec, blockSize, 1
		for _, r := range recs {
			if err := state.apply(r.kind, r.b); err != nil {
				panic(err)
			}
		}
		specs = append(specs, lcpSpec{p: p, stop: stop, recs: recs, after: state.clone()})
	}
	full := func() []rec {
		var rs []rec
		for _, k := range slices.Sorted(maps.Keys(state)) {
			rs = append(rs, rec{RecordRow, []byte(state[k])})
		}
		return rs
	}
	var rs []rec
	for k := range uint64(n) {
		rs = append(rs, rec{RecordRow, row(k, 0)})
	}
	add(Params{ID: 1, Kind: Full, StartGCI: 10}, 12, rs)

	rs = nil
	for k := range uint64(n) {
		if k%7 == 3 {
			rs = append(rs, rec{RecordDeleted, key(k)})
		}
	}
	for k := range uint64(n + 20) {
		if k%5 == 0 || k >= uint64(n) {
			if k%7 != 3 {
				rs = append(rs, rec{RecordRow, row(k, 1)})
			}
		}
	}
	add(Params{ID: 2, Kind: Delta, BaseID: 1, StartGCI: 12}, 15, rs)

	rs = nil
	for k := range uint64(n) {
		if k%11 == 1 {
			rs = append(rs, rec{RecordDeleted, key(k)})
		}
	}
	for k := range uint64(n) {
		if k%7 == 3 && k%2 == 0 || k%13 == 0 && k%11 != 1 {
			rs = append(rs, rec{RecordRow, row(k, 2)})
		}
	}
	add(Params{ID: 3, Kind: Delta, BaseID: 2, StartGCI: 15}, 18, rs)

	for k := range uint64(n) {
		if k%3 == 0 {
			state[k] = string(row(k, 3))
		}
	}
	add(Params{ID: 4, Kind: Full, StartGCI: 18}, 21, full())

	rs = []rec{{RecordDeleted, key(4)}, {RecordRow, row(5, 4)}, {RecordRow, row(uint64(n+100), 4)}}
	add(Params{ID: 5, Kind: Delta, BaseID: 4, StartGCI: 21}, 23, rs)
	return specs
}

func writeSpec(t testing.TB, dir string, s lcpSpec) Info {
	t.Helper()
	w, err := Create(dir, s.p)
	if err != nil {
		t.Fatalf("Create %d: %v", s.p.ID, err)
	}
	defer w.Abort()
	for _, r := range s.recs {
		if r.kind == RecordRow {
			err = w.AddRow(r.b)
		} else {
			err = w.AddDeleted(r.b)
		}
		if err != nil {
			t.Fatalf("LCP %d: add: %v", s.p.ID, err)
		}
	}
	info, err := w.Finish(s.stop)
	if err != nil {
		t.Fatalf("Finish %d: %v", s.p.ID, err)
	}
	return info
}

func writeAll(t testing.TB, dir string, specs []lcpSpec) {
	t.Helper()
	for _, s := range specs {
		writeSpec(t, dir, s)
	}
}

func restore(dir string, maxGCI uint64) (model, Info, error) {
	m := model{}
	info, err := Restore(dir, 7, 3, maxGCI, m.apply)
	return m, info, err
}

func chainIDs(info Info) []uint64 {
	var ids []uint64
	for _, e := range info.Chain {
		ids = append(ids, e.ID)
	}
	return ids
}

func dataPath(dir string, id uint64) string {
	return filepath.Join(FragmentDir(dir, 7, 3), DataFileName(id))
}

func fileBytes(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fakeClock counts the sleeps the rate limit asks for, advancing its time
// by them instead of waiting.
type fakeClock struct {
	t     time.Time
	slept time.Duration
	n     int
}

func (c *fakeClock) now() time.Time { return c.t }
func (c *fakeClock) sleep(d time.Duration) {
	c.t = c.t.Add(d)
	c.slept += d
	c.n++
}

// copyDir copies a fragment tree for a test that damages files.
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
