package state

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
)

func testDictionary(t *testing.T, endpoints []string) {
	a, b := pair(t, endpoints, Options{})
	ctx := tctx(t)
	// Each step runs through a or b; both must read the same dictionary.
	type step struct {
		name string
		via  *Store
		do   func(s *Store) (Table, error)
		want Table // compared when wantErr is nil
		err  error
	}
	def := func(s string) []byte { return []byte(s) }
	steps := []step{
		{"create t1", a, func(s *Store) (Table, error) { return s.CreateTable(ctx, "db/def/t1", def("v1")) },
			Table{ID: 1, Name: "db/def/t1", Version: 1, Definition: def("v1")}, nil},
		{"create t2", b, func(s *Store) (Table, error) { return s.CreateTable(ctx, "db/def/t2", def("x")) },
			Table{ID: 2, Name: "db/def/t2", Version: 1, Definition: def("x")}, nil},
		{"create t1 again", b, func(s *Store) (Table, error) { return s.CreateTable(ctx, "db/def/t1", nil) }, Table{}, ErrTableExists},
		{"create empty name", a, func(s *Store) (Table, error) { return s.CreateTable(ctx, "", nil) }, Table{}, ErrInvalidArgument},
		{"alter t1", a, func(s *Store) (Table, error) { return s.AlterTable(ctx, 1, 1, "", def("v2")) },
			Table{ID: 1, Name: "db/def/t1", Version: 2, Definition: def("v2")}, nil},
		{"alter t1 on a stale version", b, func(s *Store) (Table, error) { return s.AlterTable(ctx, 1, 1, "", def("lost")) }, Table{}, ErrConflict},
		{"alter unknown id", b, func(s *Store) (Table, error) { return s.AlterTable(ctx, 99, 1, "", nil) }, Table{}, ErrNoSuchTable},
		{"rename t1 to t3", b, func(s *Store) (Table, error) { return s.AlterTable(ctx, 1, 2, "db/def/t3", def("v3")) },
			Table{ID: 1, Name: "db/def/t3", Version: 3, Definition: def("v3")}, nil},
		{"old name gone", a, func(s *Store) (Table, error) { return s.Table(ctx, "db/def/t1") }, Table{}, ErrNoSuchTable},
		{"new name found", a, func(s *Store) (Table, error) { return s.Table(ctx, "db/def/t3") },
			Table{ID: 1, Name: "db/def/t3", Version: 3, Definition: def("v3")}, nil},
		{"rename onto a taken name", a, func(s *Store) (Table, error) { return s.AlterTable(ctx, 2, 1, "db/def/t3", nil) }, Table{}, ErrTableExists},
		{"by id", b, func(s *Store) (Table, error) { return s.TableByID(ctx, 2) },
			Table{ID: 2, Name: "db/def/t2", Version: 1, Definition: def("x")}, nil},
		{"drop t3", a, func(s *Store) (Table, error) { return s.DropTable(ctx, "db/def/t3") },
			Table{ID: 1, Name: "db/def/t3", Version: 3, Definition: def("v3")}, nil},
		{"drop t3 again", b, func(s *Store) (Table, error) { return s.DropTable(ctx, "db/def/t3") }, Table{}, ErrNoSuchTable},
		{"dropped id gone", b, func(s *Store) (Table, error) { return s.TableByID(ctx, 1) }, Table{}, ErrNoSuchTable},
		{"create t1 anew: ids are not reused", b, func(s *Store) (Table, error) { return s.CreateTable(ctx, "db/def/t1", def("new")) },
			Table{ID: 3, Name: "db/def/t1", Version: 1, Definition: def("new")}, nil},
	}
	for _, st := range steps {
		got, err := st.do(st.via)
		if !errors.Is(err, st.err) {
			t.Fatalf("%s: err %v, want %v", st.name, err, st.err)
		}
		if err == nil && (got.ID != st.want.ID || got.Name != st.want.Name || got.Version != st.want.Version ||
			!bytes.Equal(got.Definition, st.want.Definition) || got.Revision == 0) {
			t.Fatalf("%s: got %+v, want %+v", st.name, got, st.want)
		}
	}
	tables, rev, err := a.ListTables(ctx)
	if err != nil || rev == 0 {
		t.Fatal(rev, err)
	}
	if got := fmt.Sprint(tableNames(tables)); got != "[2:db/def/t2 3:db/def/t1]" {
		t.Fatalf("ListTables = %s", got)
	}
}

func tableNames(ts []Table) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = fmt.Sprintf("%d:%s", t.ID, t.Name)
	}
	return out
}

// Concurrent creates through two mgmds: distinct names get distinct ids
// 1..n, and of several creates of one name exactly one wins.
func testDictionaryConcurrentCreate(t *testing.T, endpoints []string) {
	a, b := pair(t, endpoints, Options{})
	ctx := tctx(t)
	const n = 10
	var wg sync.WaitGroup
	ids := make([]uint32, n)
	errs := make([]error, 2*n)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			tb, err := []*Store{a, b}[i%2].CreateTable(ctx, fmt.Sprintf("t%d", i), nil)
			ids[i], errs[i] = tb.ID, err
		}()
		go func() {
			defer wg.Done()
			_, errs[n+i] = []*Store{b, a}[i%2].CreateTable(ctx, "same", nil)
		}()
	}
	wg.Wait()
	seen := map[uint32]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("create t%d: %v", i, errs[i])
		}
		if seen[ids[i]] || ids[i] < 1 || ids[i] > 2*n {
			t.Fatalf("table id %d handed out twice or out of range: %v", ids[i], ids)
		}
		seen[ids[i]] = true
	}
	won := 0
	for _, err := range errs[n:] {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrTableExists):
			t.Fatal(err)
		}
	}
	if won != 1 {
		t.Fatalf("%d creates of one name won, want 1", won)
	}
	tables, _, err := a.ListTables(ctx)
	if err != nil || len(tables) != n+1 {
		t.Fatalf("ListTables: %d tables, %v; want %d", len(tables), err, n+1)
	}
}

func testDictionaryWatch(t *testing.T, endpoints []string) {
	a, b := pair(t, endpoints, Options{})
	ctx := tctx(t)
	_, rev, err := b.ListTables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w := b.WatchTables(ctx, rev)
	t1, err := a.CreateTable(ctx, "t1", []byte("d1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AlterTable(ctx, t1.ID, 1, "t1b", []byte("d2")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.DropTable(ctx, "t1b"); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name    string
		version uint32
		dropped bool
	}{{"t1", 1, false}, {"t1b", 2, false}, {"t1b", 2, true}}
	for i, wt := range want {
		ev := recv(t, w)
		if ev.Err != nil || ev.Table.ID != t1.ID || ev.Table.Name != wt.name || ev.Table.Version != wt.version || ev.Dropped != wt.dropped {
			t.Fatalf("event %d = %+v, want %+v", i, ev, wt)
		}
	}
}
