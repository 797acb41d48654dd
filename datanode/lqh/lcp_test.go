package lqh

import (
	"testing"

	"github.com/gondb/gondb/lcp"
)

// TestKeepFrom checks the in-memory mirror of lcp.PruneFragment's rule:
// the redo to keep starts at the oldest LCP of the chain before the newest
// usable one.
func TestKeepFrom(t *testing.T) {
	mk := func(kind lcp.Kind, stop, lsn uint64) lcpMark {
		return lcpMark{Entry: lcp.Entry{Kind: kind, StopGCI: stop}, startLSN: lsn}
	}
	F, D := lcp.Full, lcp.Delta
	tests := []struct {
		name    string
		marks   []lcpMark
		saved   uint64
		lsn     uint64
		dropped int
	}{
		{"none", nil, 10, 0, 0},
		{"none usable", []lcpMark{mk(F, 5, 100)}, 4, 0, 0},
		{"one full", []lcpMark{mk(F, 5, 100)}, 5, 100, 0},
		{"delta usable", []lcpMark{mk(F, 5, 100), mk(D, 7, 200)}, 9, 100, 0},
		{"second full keeps first chain", []lcpMark{mk(F, 5, 100), mk(D, 7, 200), mk(F, 9, 300)}, 9, 100, 0},
		{"third full drops first chain", []lcpMark{mk(F, 5, 100), mk(D, 7, 200), mk(F, 9, 300), mk(D, 10, 400), mk(F, 12, 500)}, 12, 300, 2},
		{"newest not usable yet", []lcpMark{mk(F, 5, 100), mk(F, 9, 300), mk(F, 12, 500)}, 11, 100, 0},
	}
	for _, tc := range tests {
		lsn, drop := keepFrom(tc.marks, tc.saved)
		if lsn != tc.lsn || drop != tc.dropped {
			t.Errorf("%s: keepFrom = (%d, %d), want (%d, %d)", tc.name, lsn, drop, tc.lsn, tc.dropped)
		}
	}
}

// TestLCPBatch checks that batch records (deleted keys and rows) reach the
// writer intact and in order, and that a truncated batch is refused.
func TestLCPBatch(t *testing.T) {
	dir := t.TempDir()
	w, err := lcp.Create(dir, lcp.Params{Table: 1, Fragment: 0, ID: 1, Kind: lcp.Full})
	if err != nil {
		t.Fatal(err)
	}
	if err := addBatch(w, appendLCPRecord(nil, lcp.RecordRow, []byte("01234567k1"))); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Finish(2); err != nil {
		t.Fatal(err)
	}
	var b []byte
	b = appendLCPRecord(b, lcp.RecordDeleted, []byte("k1"))
	b = appendLCPRecord(b, lcp.RecordRow, []byte("01234567row"))
	b = appendLCPRecord(b, lcp.RecordDeleted, []byte("k2"))
	w, err = lcp.Create(dir, lcp.Params{Table: 1, Fragment: 0, ID: 2, BaseID: 1, Kind: lcp.Delta, StartGCI: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := addBatch(w, b[:len(b)-1]); err == nil {
		t.Fatal("truncated batch accepted")
	}
	w.Abort()
	w, err = lcp.Create(dir, lcp.Params{Table: 1, Fragment: 0, ID: 2, BaseID: 1, Kind: lcp.Delta, StartGCI: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := addBatch(w, b); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Finish(3); err != nil {
		t.Fatal(err)
	}
	var got []string
	if _, err := lcp.Restore(dir, 1, 0, 3, func(k lcp.RecordKind, r []byte) error {
		got = append(got, k.String()+":"+string(r))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{"row:01234567k1", "deleted:k1", "row:01234567row", "deleted:k2"}
	if len(got) != len(want) {
		t.Fatalf("restored %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("restored %q, want %q", got, want)
		}
	}
}
