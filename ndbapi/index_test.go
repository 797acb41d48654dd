package ndbapi_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/mgmnode/mgmtest"
	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
)

// itemsDef: (id BIGINT PK, k INT, pad VARCHAR(20)) with an ordered index
// on k before a unique index on pad, so dropping the first must leave the
// unique index's number (and hidden table) alone.
func itemsDef() *schema.Table {
	return &schema.Table{Name: "items", PrimaryKey: []int{0},
		Columns: []schema.Column{{Name: "id", Type: schema.TypeBigInt}, {Name: "k", Type: schema.TypeInt},
			{Name: "pad", Type: schema.TypeVarchar, Length: 20}},
		Indexes: []schema.Index{
			{Name: "old_k", Kind: schema.IndexOrdered, Columns: []int{1}},
			{Name: "u_pad", Kind: schema.IndexUniqueHash, Columns: []int{2}},
		}}
}

// itemsModel is the committed state of the items table: id -> k.
type itemsModel struct {
	mu   sync.Mutex
	rows map[int64]int64
}

func (m *itemsModel) snapshot() map[int64]int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[int64]int64, len(m.rows))
	for id, k := range m.rows {
		out[id] = k
	}
	return out
}

// writeItems inserts, updates (k) and deletes rows, one committed
// transaction each, until stop closes; it keeps m exact and returns how
// many writes committed.
func writeItems(t *testing.T, c *ndbapi.Cluster, tbl *ndbapi.Table, m *itemsModel, seed uint64, stop <-chan struct{}) int {
	ndb, err := c.NewNdb()
	if err != nil {
		t.Error(err)
		return 0
	}
	defer ndb.Close()
	rng := rand.New(rand.NewPCG(seed, 1))
	rb := tbl.NewRowBuilder()
	done := 0
	for {
		select {
		case <-stop:
			return done
		default:
		}
		id := int64(rng.IntN(30000))
		k := int64(rng.IntN(97))
		m.mu.Lock()
		_, exists := m.rows[id]
		m.mu.Unlock()
		tx, err := ndb.StartTransaction(tbl, nil)
		if err != nil {
			t.Error(err)
			return done
		}
		rb.Reset()
		rb.SetInt64(0, id)
		del := exists && rng.IntN(3) == 0
		switch {
		case del:
			tx.Delete(tbl, rb)
		case exists:
			rb.SetInt64(1, k)
			tx.Update(tbl, rb, 1)
		default:
			rb.SetInt64(1, k)
			rb.SetString(2, fmt.Sprintf("p%d", id))
			tx.Insert(tbl, rb)
		}
		err = tx.Execute(ndbapi.Commit)
		tx.Close()
		if err != nil {
			if ndbapi.IsTemporary(err) {
				continue
			}
			t.Errorf("write of row %d: %v", id, err)
			return done
		}
		m.mu.Lock()
		if del {
			delete(m.rows, id)
		} else {
			m.rows[id] = k
		}
		m.mu.Unlock()
		done++
	}
}

// scanByIndex reads every row through ordered index ix (merged into index
// order) and checks the order and the rows against want.
func scanByIndex(t *testing.T, ndb *ndbapi.Ndb, tbl *ndbapi.Table, ix int, want map[int64]int64) {
	t.Helper()
	tx, err := ndb.StartTransaction(tbl, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	s, err := tx.ScanIndex(tbl, ix, ndbapi.ScanOptions{Ordered: true, BatchRows: 64})
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]int64{}
	last := int64(-1)
	for r, ok := s.Next(); ok; r, ok = s.Next() {
		id, k := r.Int64(0), r.Int64(1)
		if k < last {
			t.Fatalf("index %d out of order: k %d after %d", ix, k, last)
		}
		last = k
		if _, dup := got[id]; dup {
			t.Fatalf("row %d twice", id)
		}
		got[id] = k
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("index %d scan: %d rows, want %d", ix, len(got), len(want))
	}
	for id, k := range want {
		if g, ok := got[id]; !ok || g != k {
			t.Fatalf("index %d scan: row %d k=%d (found %v), want %d", ix, id, g, ok, k)
		}
	}
}

// TestCreateAndDropIndexOnline creates an ordered index on a table with
// rows while other transactions write to it, checks that a scan of the
// new index returns exactly the committed rows in order (rows written
// during and after the build included), that another API node learns the
// index, and drops an index in front of a unique one.
func TestCreateAndDropIndexOnline(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a management server and two data nodes")
	}
	mc := mgmtest.Start(t, mgmtest.Options{})
	startDataNodes(t, mc)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	opts := ndbapi.DefaultTestOptions()
	opts.Client = client.Options{ConnectTimeout: time.Second, CallTimeout: 3 * time.Second}
	c, err := ndbapi.Connect(ctx, mc.ConnectString, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tbl, err := c.CreateTable(ctx, itemsDef())
	if err != nil {
		t.Fatal(err)
	}
	ndb, err := c.NewNdb()
	if err != nil {
		t.Fatal(err)
	}
	defer ndb.Close()
	m := &itemsModel{rows: map[int64]int64{}}
	rb := tbl.NewRowBuilder()
	for i := int64(0); i < 20000; i += 500 {
		tx, err := ndb.StartTransaction(tbl, nil)
		if err != nil {
			t.Fatal(err)
		}
		for id := i; id < i+500; id++ {
			rb.Reset()
			rb.SetInt64(0, id)
			rb.SetInt64(1, id%97)
			rb.SetString(2, fmt.Sprintf("p%d", id))
			tx.Insert(tbl, rb)
			m.rows[id] = id % 97
		}
		if err := tx.Execute(ndbapi.Commit); err != nil {
			t.Fatal(err)
		}
		tx.Close()
	}

	// A second API node knows the table before the index exists.
	c2, err := ndbapi.Connect(ctx, mc.ConnectString, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if t2, err := c2.Table(ctx, "items"); err != nil || t2.Index("k_1") >= 0 {
		t.Fatalf("second connection before CREATE INDEX: %v", err)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	writes := make([]int, 2)
	for w := range writes {
		wg.Add(1)
		go func() { defer wg.Done(); writes[w] = writeItems(t, c, tbl, m, uint64(w+1), stop) }()
	}
	start := time.Now()
	nt, err := c.CreateIndex(ctx, "items", schema.Index{Name: "k_1", Kind: schema.IndexOrdered, Columns: []int{1}})
	if err != nil {
		close(stop)
		wg.Wait()
		t.Fatal(err)
	}
	t.Logf("CREATE INDEX on %d rows took %v", 20000, time.Since(start))
	ix := nt.Index("k_1")
	if ix != 2 || nt.Def.Version != tbl.Def.Version+1 {
		t.Fatalf("index k_1 at %d in version %d (was %d)", ix, nt.Def.Version, tbl.Def.Version)
	}
	if cur, _ := c.Table(ctx, "items"); cur != nt {
		t.Fatal("the connection does not use the new version")
	}
	time.Sleep(50 * time.Millisecond) // more writes after the build
	close(stop)
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("writes while the index was created and after: %d", writes[0]+writes[1])
	want := m.snapshot()
	scanByIndex(t, ndb, nt, ix, want)
	scanByIndex(t, ndb, nt, 0, want) // the old index is still right

	// The second API node learns the new version from the dictionary.
	deadline := time.Now().Add(20 * time.Second)
	for {
		t2, err := c2.Table(ctx, "items")
		if err != nil {
			t.Fatal(err)
		}
		if t2.Index("k_1") == ix {
			ndb2, err := c2.NewNdb()
			if err != nil {
				t.Fatal(err)
			}
			scanByIndex(t, ndb2, t2, ix, want)
			ndb2.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second connection never saw index k_1")
		}
		time.Sleep(10 * time.Millisecond)
	}

	// Refusals.
	if _, err := c.CreateIndex(ctx, "items", schema.Index{Name: "K_1", Kind: schema.IndexOrdered, Columns: []int{2}}); !errors.Is(err, ndbapi.ErrIndexExists) {
		t.Fatalf("duplicate name: %v", err)
	}
	if _, err := c.CreateIndex(ctx, "items", schema.Index{Name: "u2", Kind: schema.IndexUniqueHash, Columns: []int{1}}); !errors.Is(err, ndbapi.ErrIndexKind) {
		t.Fatalf("unique index: %v", err)
	}
	if _, err := c.DropIndex(ctx, "items", "nope"); !errors.Is(err, ndbapi.ErrNoSuchIndex) {
		t.Fatalf("drop of an unknown index: %v", err)
	}
	if _, err := c.CreateIndex(ctx, "nosuch", schema.Index{Name: "x", Kind: schema.IndexOrdered, Columns: []int{0}}); !errors.Is(err, ndbapi.ErrNoSuchTable) {
		t.Fatalf("index on an unknown table: %v", err)
	}

	// Drop old_k, in front of the unique index: its place stays.
	dt, err := c.DropIndex(ctx, "items", "OLD_K")
	if err != nil {
		t.Fatal(err)
	}
	if dt.Index("old_k") >= 0 || dt.Def.Indexes[0].Kind != schema.IndexDropped || dt.Index("u_pad") != 1 || dt.Index("k_1") != ix {
		t.Fatalf("after DROP INDEX: %+v", dt.Def.Indexes)
	}
	// The unique index still finds rows.
	for id := range want {
		tx, _ := ndb.StartTransaction(dt, nil)
		rb.Reset()
		rb.SetString(2, fmt.Sprintf("p%d", id))
		op := tx.ReadUnique(dt, dt.Index("u_pad"), rb, ndbapi.CommittedRead)
		if err := tx.Execute(ndbapi.Commit); err != nil {
			t.Fatalf("unique read after DROP INDEX: %v", err)
		}
		if r, ok := op.Row(); !ok || r.Int64(0) != id {
			t.Fatalf("unique read of p%d: %v", id, op.Map())
		}
		tx.Close()
		break
	}
	scanByIndex(t, ndb, dt, ix, want)
	// The old version's number for old_k is refused once the data nodes
	// applied the drop: 241, the schema changed.
	for {
		err := scanOnceErr(ndb, nt, 0)
		if ndbapi.Code(err) == ndberr.ErrSchemaVersion.Code {
			break
		}
		if err != nil || time.Now().After(deadline) {
			t.Fatalf("scan of the dropped index: %v, want 241", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Creating an index of the dropped one's name takes a new place.
	rt, err := c.CreateIndex(ctx, "items", schema.Index{Name: "old_k", Kind: schema.IndexOrdered, Columns: []int{1, 0}})
	if err != nil {
		t.Fatal(err)
	}
	if rt.Index("old_k") != 3 {
		t.Fatalf("recreated old_k at %d, want 3", rt.Index("old_k"))
	}
	scanByIndex(t, ndb, rt, 3, want)
	// Dropping the unique index drops its hidden table.
	if ut, err := c.DropIndex(ctx, "items", "u_pad"); err != nil || ut.Index("u_pad") >= 0 {
		t.Fatalf("drop of the unique index: %v", err)
	}
	rb.Reset()
	rb.SetInt64(0, 100000)
	rb.SetInt64(1, 1)
	rb.SetString(2, "p1") // a duplicate of row 1's pad, allowed now
	tx, _ := ndb.StartTransaction(nil, nil)
	if cur, err := c.Table(ctx, "items"); err != nil {
		t.Fatal(err)
	} else {
		tx.Insert(cur, rb)
	}
	if err := tx.Execute(ndbapi.Commit); err != nil {
		t.Fatalf("insert of a pad the dropped unique index held: %v", err)
	}
	tx.Close()
}

// scanOnceErr runs a committed-read ordered scan of index ix and returns
// its error.
func scanOnceErr(ndb *ndbapi.Ndb, tbl *ndbapi.Table, ix int) error {
	tx, err := ndb.StartTransaction(tbl, nil)
	if err != nil {
		return err
	}
	defer tx.Close()
	s, err := tx.ScanIndex(tbl, ix, ndbapi.ScanOptions{BatchRows: 16})
	if err != nil {
		return err
	}
	for _, ok := s.Next(); ok; _, ok = s.Next() {
	}
	if err := s.Err(); err != nil {
		return err
	}
	return tx.Execute(ndbapi.Commit)
}
