package tc_test

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/schema/filter"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/sim"
)

// The ordered table: two ordered indexes, one over a nullable SMALLINT and
// a nullable VARCHAR (a two-column key with a var-size column), one over a
// DOUBLE.
const (
	orID    = iota // INT primary key
	orGrp          // SMALLINT NULL
	orName         // VARCHAR(10) NULL
	orScore        // DOUBLE
	orCols

	orderedTableID = 3
	ixScore        = 0 // Table.Indexes[0]: (score)
	ixGrpName      = 1 // Table.Indexes[1]: (grp, name)
)

func orderedLayout() *schema.Layout {
	return mustLayout(&schema.Table{ID: orderedTableID, Name: "ordered", Version: 1, PrimaryKey: []int{orID},
		Columns: []schema.Column{
			orID:    {Name: "id", Type: schema.TypeInt},
			orGrp:   {Name: "grp", Type: schema.TypeSmallInt, Nullable: true},
			orName:  {Name: "name", Type: schema.TypeVarchar, Length: 10, Nullable: true},
			orScore: {Name: "score", Type: schema.TypeDouble},
		},
		Indexes: []schema.Index{
			ixScore:   {Name: "by_score", Kind: schema.IndexOrdered, Columns: []int{orScore}},
			ixGrpName: {Name: "by_grp_name", Kind: schema.IndexOrdered, Columns: []int{orGrp, orName}},
		}})
}

// orow is a row of the ordered table; nil pointers are NULL.
type orow struct {
	id    int32
	grp   *int16
	name  *string
	score float64
}

// indexKey is a row's values of an index's columns (nil: NULL).
func (r *orow) indexKey(ix int) []any {
	if ix == ixScore {
		return []any{r.score}
	}
	k := []any{nil, nil}
	if r.grp != nil {
		k[0] = int64(*r.grp)
	}
	if r.name != nil {
		k[1] = *r.name
	}
	return k
}

// compareKeys orders two index keys column by column, NULL first; a
// shorter key (a bound's prefix) equals every key it is a prefix of.
func compareKeys(a, b []any) int {
	for i := 0; i < min(len(a), len(b)); i++ {
		switch {
		case a[i] == nil && b[i] == nil:
			continue
		case a[i] == nil:
			return -1
		case b[i] == nil:
			return 1
		}
		if c := compareAny(a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}

func orderedRows(seed uint64, n int) []orow {
	r := rand.New(rand.NewPCG(seed, 0x0dde7))
	names := []string{"", "a", "a ", "a\t", "ab", "abc", "b", "ba", "zz", "é", "日本"}
	rows := make([]orow, n)
	for i := range rows {
		o := orow{id: int32(i*7 + 3)}
		if r.IntN(8) != 0 {
			g := int16(r.IntN(9) - 3)
			o.grp = &g
		}
		if r.IntN(6) != 0 {
			s := names[r.IntN(len(names))]
			o.name = &s
		}
		o.score = float64(r.IntN(40)-20) / 4 // many ties
		rows[i] = o
	}
	return rows
}

func encodeOrdered(l *schema.Layout, o orow) []byte {
	b := schema.NewRowBuilder(l)
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	must(b.SetInt64(orID, int64(o.id)))
	if o.grp != nil {
		must(b.SetInt64(orGrp, int64(*o.grp)))
	}
	if o.name != nil {
		must(b.SetString(orName, *o.name))
	}
	must(b.SetFloat64(orScore, o.score))
	return b.AppendRow(nil)
}

// searchKey encodes a bound's values (a prefix of the index's columns; nil
// is NULL) in schema's search-key format.
func searchKey(l *schema.Layout, ix int, vals []any) []byte {
	key := []byte{} // not nil: a bound of zero columns would still be sent
	cols := l.Table.Indexes[ix].Columns
	for i, v := range vals {
		var raw []byte
		switch v := v.(type) {
		case int64:
			raw = binary.LittleEndian.AppendUint16(nil, uint16(v))
		case string:
			raw = []byte(v)
		case float64:
			raw = binary.LittleEndian.AppendUint64(nil, math.Float64bits(v))
		}
		key = l.AppendSearchKeyValue(key, cols[i], raw, v == nil)
	}
	return key
}

// bound is one end of an index scan in the model: nil vals is unbounded.
type bound struct {
	vals      []any
	inclusive bool
}

func (b bound) String() string {
	if b.vals == nil {
		return "unbounded"
	}
	s := fmt.Sprintf("%v", b.vals)
	if b.inclusive {
		return s + " incl"
	}
	return s + " excl"
}

// inRange reports whether key lies between lo and hi.
func inRange(key []any, lo, hi bound) bool {
	if lo.vals != nil {
		c := compareKeys(key, lo.vals)
		if c < 0 || (c == 0 && !lo.inclusive) {
			return false
		}
	}
	if hi.vals != nil {
		c := compareKeys(key, hi.vals)
		if c > 0 || (c == 0 && !hi.inclusive) {
			return false
		}
	}
	return true
}

// indexScan is one index scan of the test and its model.
type indexScan struct {
	ix     int
	lo, hi bound
	desc   bool
	// filterText, build and match: the pushed-down condition (none when
	// build is nil).
	filterText string
	build      func(b *filter.Builder) error
	match      func(o *orow) bool
}

func (s *indexScan) String() string {
	dir := "asc"
	if s.desc {
		dir = "desc"
	}
	f := ""
	if s.build != nil {
		f = " filter " + s.filterText
	}
	return fmt.Sprintf("index %d [%v, %v] %s%s", s.ix, s.lo, s.hi, dir, f)
}

// orderedScans draws the scans: bounds on one or both columns (NULL too),
// inclusive or not, either direction, sometimes with a filter.
func orderedScans(seed uint64) []indexScan {
	r := rand.New(rand.NewPCG(seed, 0x5ca9))
	names := []any{nil, "", "a", "a ", "a\t", "ab", "b", "c", "é"}
	grpVal := func() any {
		if r.IntN(6) == 0 {
			return nil
		}
		return int64(r.IntN(11) - 4)
	}
	randBound := func(ix int) bound {
		b := bound{inclusive: r.IntN(2) == 0}
		switch k := r.IntN(5); {
		case k == 0:
			return bound{} // unbounded
		case ix == ixScore:
			b.vals = []any{float64(r.IntN(48)-24) / 4}
		case k <= 2:
			b.vals = []any{grpVal()}
		default:
			b.vals = []any{grpVal(), names[r.IntN(len(names))]}
		}
		return b
	}
	filters := []struct {
		text  string
		build func(b *filter.Builder) error
		match func(o *orow) bool
	}{
		{"score > 0", func(b *filter.Builder) error { return b.Cmp(orScore, filter.Gt, filter.Float(0)) },
			func(o *orow) bool { return o.score > 0 }},
		{"name LIKE 'a%'", func(b *filter.Builder) error { return b.Like(orName, "a%") },
			func(o *orow) bool { return o.name != nil && strings.HasPrefix(*o.name, "a") }},
		{"grp IS NULL OR id % 2 bits", func(b *filter.Builder) error {
			b.Begin(filter.Or)
			b.IsNull(orGrp)
			b.Bits(orID, filter.AllSet, 1)
			return b.End()
		}, func(o *orow) bool { return o.grp == nil || o.id&1 == 1 }},
	}
	var scans []indexScan
	// Fixed cases first: the whole index both ways, NULL bounds, an empty
	// range and a point range.
	for _, desc := range []bool{false, true} {
		scans = append(scans,
			indexScan{ix: ixGrpName, desc: desc},
			indexScan{ix: ixScore, desc: desc},
			indexScan{ix: ixGrpName, lo: bound{[]any{nil}, true}, hi: bound{[]any{nil}, true}, desc: desc},
			indexScan{ix: ixGrpName, lo: bound{[]any{nil}, false}, desc: desc},
			indexScan{ix: ixGrpName, lo: bound{[]any{int64(1), nil}, true}, hi: bound{[]any{int64(1), nil}, true}, desc: desc},
			indexScan{ix: ixGrpName, lo: bound{[]any{int64(2)}, false}, hi: bound{[]any{int64(1)}, false}, desc: desc},
			indexScan{ix: ixGrpName, lo: bound{[]any{int64(1), "a"}, true}, hi: bound{[]any{int64(1), "a"}, true}, desc: desc},
			indexScan{ix: ixScore, lo: bound{[]any{0.0}, true}, hi: bound{[]any{0.0}, true}, desc: desc},
		)
	}
	for i := 0; i < 40; i++ {
		ix := ixGrpName
		if i%4 == 3 {
			ix = ixScore
		}
		s := indexScan{ix: ix, lo: randBound(ix), hi: randBound(ix), desc: r.IntN(2) == 0}
		if i%3 == 1 {
			f := filters[r.IntN(len(filters))]
			s.filterText, s.build, s.match = f.text, f.build, f.match
		}
		scans = append(scans, s)
	}
	return scans
}

// TestOrderedIndexScan runs ordered-index range scans through TC over a
// table spread on the fragments of a cluster: bounds over a prefix or the
// whole key, inclusive or exclusive, NULLs, ascending and descending, with
// and without a pushed-down filter, varied parallelism and small batches.
// Each fragment's rows must come back in index order (across its batches),
// be exactly that fragment's rows in range, and merging the fragments'
// streams on the client must give the sorted expected rows.
func TestOrderedIndexScan(t *testing.T) {
	const rowCount, fragments = 250, 4
	l := orderedLayout()
	configs := []struct{ nodes, replicas int }{{2, 2}, {3, 1}}
	var scans, batches, rowsBack int
	for _, cfg := range configs {
		for _, seed := range seedList(6, 2, 50) {
			rows := orderedRows(seed, rowCount)
			imgs := make([][]byte, len(rows))
			byID := map[int32]*orow{}
			for i := range rows {
				imgs[i] = encodeOrdered(l, rows[i])
				byID[rows[i].id] = &rows[i]
			}
			model := orderedScans(seed)
			specs := make([][]scanSpec, cfg.nodes)
			for i := range model {
				m := &model[i]
				sp := scanSpec{name: m.String(), table: orderedTableID, index: uint32(m.ix),
					parallel: uint32((uint64(i) + seed) % 5), batchRows: uint32(1 + (uint64(i)+seed)%5)}
				if m.lo.vals != nil {
					sp.lo = searchKey(l, m.ix, m.lo.vals)
					if m.lo.inclusive {
						sp.flags |= gsn.ScanLowInclusive
					}
				}
				if m.hi.vals != nil {
					sp.hi = searchKey(l, m.ix, m.hi.vals)
					if m.hi.inclusive {
						sp.flags |= gsn.ScanHighInclusive
					}
				}
				if m.desc {
					sp.flags |= gsn.ScanDescending
				}
				if i%5 == 2 {
					sp.flags |= gsn.ScanLockShared
				}
				if m.build != nil {
					b := filter.NewBuilder(l)
					if err := m.build(b); err != nil {
						t.Fatal(err)
					}
					prog, err := b.AppendProgram(nil)
					if err != nil {
						t.Fatal(err)
					}
					sp.prog = prog
				}
				specs[i%cfg.nodes] = append(specs[i%cfg.nodes], sp)
			}
			clients := map[signal.NodeID]*scanClient{}
			c := newSimCluster(t, clusterConfig{seed: seed, nodes: cfg.nodes, replicas: cfg.replicas,
				tables: []simTable{{layout: l, rows: imgs, fragments: fragments}},
				api: func(n signal.NodeID) []sim.Placed {
					cl := newScanClient(n, tcAt(n), specs[n-1])
					clients[n] = cl
					return []sim.Placed{{ID: gsn.BlockAPI, Block: cl}}
				}})
			tbl, _ := c.dist.Table(orderedTableID)
			fragOf := map[int32]uint32{}
			for i := range rows {
				fragOf[rows[i].id], _ = tbl.Locate(keyHash(l, l.Key(imgs[i])))
			}
			allDone := func() bool {
				for _, cl := range clients {
					if !cl.finished() {
						return false
					}
				}
				return true
			}
			for i := 0; i < 500 && !allDone(); i++ {
				c.s.RunTicks(10)
			}
			c.s.RunTicks(20)
			for i := range model {
				cl := clients[signal.NodeID(i%cfg.nodes+1)]
				if cl.violation != "" {
					c.fail(t, fmt.Errorf("%s", cl.violation))
				}
				res := &cl.results[i/cfg.nodes]
				if !res.done || !res.committed || res.ref != 0 {
					c.fail(t, fmt.Errorf("%s: done %v, committed %v, refused %d", &model[i], res.done, res.committed, res.ref))
				}
				if err := checkIndexScan(l, &model[i], res, rows, byID, fragOf, fragments); err != nil {
					c.fail(t, fmt.Errorf("nodes=%d,replicas=%d: %s: %v", cfg.nodes, cfg.replicas, &model[i], err))
				}
				scans++
				batches += len(res.batches)
				rowsBack += len(res.rows())
			}
			if err := c.checkQuiet(); err != nil {
				c.fail(t, err)
			}
			c.close()
		}
	}
	t.Logf("%d index scans, %d batches, %d rows", scans, batches, rowsBack)
}

// checkIndexScan checks one index scan's result against the model.
func checkIndexScan(l *schema.Layout, m *indexScan, res *scanResult, rows []orow, byID map[int32]*orow,
	fragOf map[int32]uint32, fragments int) error {
	dir := 1
	if m.desc {
		dir = -1
	}
	want := map[uint32][]*orow{} // per fragment, in range and matching
	var all []*orow
	for i := range rows {
		o := &rows[i]
		if inRange(o.indexKey(m.ix), m.lo, m.hi) && (m.match == nil || m.match(o)) {
			want[fragOf[o.id]] = append(want[fragOf[o.id]], o)
			all = append(all, o)
		}
	}
	got := res.fragRows()
	if len(got) > fragments {
		return fmt.Errorf("rows from %d fragments, the table has %d", len(got), fragments)
	}
	streams := map[uint32][]*orow{}
	for frag, imgs := range got {
		seen := map[int32]bool{}
		for k, img := range imgs {
			if _, err := l.CheckRow(img); err != nil {
				return fmt.Errorf("fragment %d: a malformed row: %v", frag, err)
			}
			id := int32(l.RowOf(img).Int64(orID))
			o, ok := byID[id]
			if !ok || string(img) != string(encodeOrdered(l, *o)) {
				return fmt.Errorf("fragment %d: row %d is not a row of the table as loaded", frag, id)
			}
			if fragOf[id] != frag {
				return fmt.Errorf("row %d came in fragment %d's batches; it lives in fragment %d", id, frag, fragOf[id])
			}
			if seen[id] {
				return fmt.Errorf("fragment %d: row %d twice", frag, id)
			}
			seen[id] = true
			if k > 0 {
				prev := streams[frag][k-1]
				if dir*compareKeys(prev.indexKey(m.ix), o.indexKey(m.ix)) > 0 {
					return fmt.Errorf("fragment %d out of index order: row %d %v before row %d %v",
						frag, prev.id, prev.indexKey(m.ix), id, o.indexKey(m.ix))
				}
			}
			streams[frag] = append(streams[frag], o)
		}
		if len(imgs) != len(want[frag]) {
			return fmt.Errorf("fragment %d: %d rows, want %d", frag, len(imgs), len(want[frag]))
		}
		for _, o := range want[frag] {
			if !seen[o.id] {
				return fmt.Errorf("fragment %d: row %d %v missing", frag, o.id, o.indexKey(m.ix))
			}
		}
	}
	for frag, w := range want {
		if len(w) > 0 && len(got[frag]) == 0 {
			return fmt.Errorf("fragment %d: no rows, want %d", frag, len(w))
		}
	}
	// Merge the fragments' ordered streams, as an API merges them for an
	// ordered scan, and compare with the expected rows sorted.
	var merged []*orow
	for {
		best := uint32(math.MaxUint32)
		for frag, s := range streams {
			if len(s) == 0 {
				continue
			}
			if best == math.MaxUint32 || dir*compareKeys(s[0].indexKey(m.ix), streams[best][0].indexKey(m.ix)) < 0 ||
				(compareKeys(s[0].indexKey(m.ix), streams[best][0].indexKey(m.ix)) == 0 && frag < best) {
				best = frag
			}
		}
		if best == math.MaxUint32 {
			break
		}
		merged = append(merged, streams[best][0])
		streams[best] = streams[best][1:]
	}
	slices.SortStableFunc(all, func(a, b *orow) int {
		return cmp.Or(dir*compareKeys(a.indexKey(m.ix), b.indexKey(m.ix)), cmp.Compare(a.id, b.id))
	})
	if len(merged) != len(all) {
		return fmt.Errorf("merged %d rows, want %d", len(merged), len(all))
	}
	for i := range all {
		if compareKeys(merged[i].indexKey(m.ix), all[i].indexKey(m.ix)) != 0 {
			return fmt.Errorf("merged row %d has key %v, want %v", i, merged[i].indexKey(m.ix), all[i].indexKey(m.ix))
		}
	}
	return nil
}

// TestOrderedIndexScanRefused: an index scan of an index that is not an
// ordered index of the table, or with a malformed bound, is refused with
// SCAN_TABREF and leaves nothing open once the API has closed the
// transaction.
func TestOrderedIndexScanRefused(t *testing.T) {
	l := orderedLayout()
	rows := orderedRows(1, 20)
	imgs := make([][]byte, len(rows))
	for i := range rows {
		imgs[i] = encodeOrdered(l, rows[i])
	}
	cases := []struct {
		name   string
		spec   scanSpec
		want   *ndberr.Error
		anyErr bool // refused, with whichever code
	}{
		// An index number beyond the table's: the API planned with another
		// version of the table (241).
		{"no such index", scanSpec{index: 7}, ndberr.ErrSchemaVersion, false},
		{"low bound with a bad null flag", scanSpec{index: ixScore, lo: []byte{2}}, nil, true},
		{"high bound truncated", scanSpec{index: ixScore, hi: []byte{0, 1, 2}}, nil, true},
		{"bound with more columns than the index", scanSpec{index: ixScore, lo: append(searchKey(l, ixScore, []any{1.0}), 1)}, nil, true},
		{"var-size bound value too long", scanSpec{index: ixGrpName, lo: searchKey(l, ixGrpName, []any{int64(1), strings.Repeat("x", 41)})}, ndberr.ErrValueTooLong, false},
	}
	for _, seed := range simFlags.List(4, 1, testing.Short()) {
		var specs []scanSpec
		for _, cs := range cases {
			for _, flags := range []uint32{0, gsn.ScanLockShared} {
				sp := cs.spec
				sp.name, sp.table, sp.flags, sp.batchRows = cs.name, orderedTableID, flags, 3
				specs = append(specs, sp)
			}
		}
		var cl *scanClient
		c := newSimCluster(t, clusterConfig{seed: seed, nodes: 2, replicas: 2,
			tables: []simTable{{layout: l, rows: imgs, fragments: 4}},
			api: func(n signal.NodeID) []sim.Placed {
				if n != 2 {
					return nil
				}
				cl = newScanClient(n, tcAt(1), specs)
				return []sim.Placed{{ID: gsn.BlockAPI, Block: cl}}
			}})
		for i := 0; i < 100 && !cl.finished(); i++ {
			c.s.RunTicks(5)
		}
		c.s.RunTicks(50)
		if cl.violation != "" {
			c.fail(t, fmt.Errorf("%s", cl.violation))
		}
		for i, sp := range specs {
			res := &cl.results[i]
			cs := cases[i/2]
			switch {
			case !res.done:
				c.fail(t, fmt.Errorf("%s: never ended", sp.name))
			case res.ref == 0:
				c.fail(t, fmt.Errorf("%s: not refused (%d rows)", sp.name, len(res.rows())))
			case !cs.anyErr && res.ref != uint32(cs.want.Code):
				c.fail(t, fmt.Errorf("%s: refused with %d, want %d", sp.name, res.ref, cs.want.Code))
			}
		}
		if err := c.checkQuiet(); err != nil {
			c.fail(t, err)
		}
		c.close()
	}
}

// updater runs single-operation update transactions through its node's
// TC, one after another: each sets a random row of the ordered table to
// new random index values.
type updater struct {
	node      signal.NodeID
	l         *schema.Layout
	r         *rand.Rand
	ids       []int32
	trans     uint64
	busy      bool
	stopped   bool
	committed int
	sig       signal.Signal
}

func (u *updater) Tick(env block.Env) {
	if u.busy || u.stopped {
		return
	}
	u.busy = true
	u.trans++
	o := orderedRows(u.r.Uint64(), 1)[0]
	o.id = u.ids[u.r.IntN(len(u.ids))]
	keyReq(&u.sig, tcAt(0), uint64(u.node)<<48|1<<40|u.trans, u.l, gsn.OpUpdate, 0, gsn.TcKeyCommit, encodeOrdered(u.l, o))
	env.Send(&u.sig)
}

func (u *updater) Handle(env block.Env, s *signal.Signal) {
	if s.TransID != uint64(u.node)<<48|1<<40|u.trans {
		return
	}
	switch s.Number {
	case gsn.TCCOMMITCONF:
		u.committed++
		u.busy = false
		u.Tick(env) // the next update at once
	case gsn.TCKEYREF, gsn.TCROLLBACKREP:
		u.busy = false
	}
}

// TestOrderedIndexScanUnderUpdates runs index scans while other
// transactions keep changing the indexed columns of the rows. Whatever the
// interleaving, every row a scan returns must lie within the scan's bounds
// and satisfy its filter as returned, and each fragment's rows must come in
// index order: a row found before a batch boundary or a lock wait and
// changed meanwhile must be checked again against the range, not only the
// filter.
func TestOrderedIndexScanUnderUpdates(t *testing.T) {
	const rowCount, fragments = 120, 4
	l := orderedLayout()
	var scans, aborted, rowsBack, updates int
	for _, seed := range seedList(10, 3, 10) {
		rows := orderedRows(seed, rowCount)
		imgs := make([][]byte, len(rows))
		ids := make([]int32, len(rows))
		for i := range rows {
			imgs[i], ids[i] = encodeOrdered(l, rows[i]), rows[i].id
		}
		model := orderedScans(seed)
		var specs []scanSpec
		for i := range model {
			m := &model[i]
			sp := scanSpec{name: m.String(), table: orderedTableID, index: uint32(m.ix), parallel: uint32(i % 3), batchRows: 3}
			if m.lo.vals != nil {
				sp.lo = searchKey(l, m.ix, m.lo.vals)
				if m.lo.inclusive {
					sp.flags |= gsn.ScanLowInclusive
				}
			}
			if m.hi.vals != nil {
				sp.hi = searchKey(l, m.ix, m.hi.vals)
				if m.hi.inclusive {
					sp.flags |= gsn.ScanHighInclusive
				}
			}
			if m.desc {
				sp.flags |= gsn.ScanDescending
			}
			switch i % 3 {
			case 0:
				sp.flags |= gsn.ScanLockShared // waits for the updaters' locks
			case 1:
				sp.batchBytes = 40 // a row or two a batch: found rows wait for the next batch
			}
			if m.build != nil {
				b := filter.NewBuilder(l)
				m.build(b)
				sp.prog, _ = b.AppendProgram(nil)
			}
			specs = append(specs, sp)
		}
		c, cl, n := runScansUnderUpdates(t, seed, simTable{layout: l, rows: imgs, fragments: fragments}, specs, 1,
			func(n signal.NodeID) updaterBlock {
				return &updater{node: n, l: l, r: rand.New(rand.NewPCG(seed, uint64(n))), ids: ids}
			})
		updates += n
		for i := range model {
			m, res := &model[i], &cl.results[i]
			if !res.done {
				c.fail(t, fmt.Errorf("%s: never finished", m))
			}
			if !res.committed {
				aborted++ // by a lock wait time-out: nothing to check
				continue
			}
			// A row a locking scan returned stays locked: it cannot move
			// and come again.
			locked := specs[i].flags&gsn.ScanLockShared != 0
			seen := map[int32]bool{}
			dir := 1
			if m.desc {
				dir = -1
			}
			for frag, imgs := range res.fragRows() {
				var prev *orow
				for _, img := range imgs {
					o, err := decodeOrdered(l, img)
					if err != nil {
						c.fail(t, fmt.Errorf("%s: %v", m, err))
					}
					key := o.indexKey(m.ix)
					if !inRange(key, m.lo, m.hi) {
						c.fail(t, fmt.Errorf("%s (flags %#x, batch %d rows %d bytes): fragment %d returned row %d with key %v, outside the range",
							m, specs[i].flags, specs[i].batchRows, specs[i].batchBytes, frag, o.id, key))
					}
					if m.match != nil && !m.match(&o) {
						c.fail(t, fmt.Errorf("%s: fragment %d returned row %d, which fails the filter", m, frag, o.id))
					}
					if locked && seen[o.id] {
						c.fail(t, fmt.Errorf("%s (locking): row %d returned twice", m, o.id))
					}
					seen[o.id] = true
					if prev != nil && dir*compareKeys(prev.indexKey(m.ix), key) > 0 {
						c.fail(t, fmt.Errorf("%s (flags %#x, batch %d rows %d bytes): fragment %d out of index order: row %d %v before row %d %v",
							m, specs[i].flags, specs[i].batchRows, specs[i].batchBytes, frag, prev.id, prev.indexKey(m.ix), o.id, key))
					}
					prev = &o
				}
				rowsBack += len(imgs)
			}
			scans++
		}
		if err := c.checkSettled(1); err != nil {
			c.fail(t, err)
		}
		c.close()
	}
	if updates == 0 {
		t.Fatal("no update committed")
	}
	if scans == 0 {
		t.Fatal("every scan was aborted")
	}
	t.Logf("%d index scans (%d rows; %d more aborted by lock wait time-outs) under %d committed updates", scans, rowsBack, aborted, updates)
}

// decodeOrdered reads a row image of the ordered table.
func decodeOrdered(l *schema.Layout, img []byte) (orow, error) {
	if _, err := l.CheckRow(img); err != nil {
		return orow{}, err
	}
	r := l.RowOf(img)
	o := orow{id: int32(r.Int64(orID)), score: r.Float64(orScore)}
	if !r.IsNull(orGrp) {
		g := int16(r.Int64(orGrp))
		o.grp = &g
	}
	if !r.IsNull(orName) {
		s := r.String(orName)
		o.name = &s
	}
	return o, nil
}
