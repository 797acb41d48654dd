package tc_test

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/gondb/gondb/block"
	"github.com/gondb/gondb/datanode/dih"
	"github.com/gondb/gondb/ndberr"
	"github.com/gondb/gondb/partition"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/signal/gsn"
	"github.com/gondb/gondb/sim"
)

const userTableID = 7

// userLayout: users(id BIGINT PRIMARY KEY, email VARCHAR(20) NULL UNIQUE).
func userLayout() *schema.Layout {
	return mustLayout(&schema.Table{ID: userTableID, Name: "users", Version: 1, PrimaryKey: []int{0},
		Columns: []schema.Column{{Name: "id", Type: schema.TypeBigInt},
			{Name: "email", Type: schema.TypeVarchar, Length: 20, Nullable: true}},
		Indexes: []schema.Index{{Name: "email", Kind: schema.IndexUniqueHash, Columns: []int{1}}}})
}

var emails = []string{"a", "b", "c", "d", ""} // "" stands for NULL

// userClient runs one-operation transactions on the users table, by
// primary key and by the unique email index, chosen at random, and checks
// what reads by email return.
type userClient struct {
	node      signal.NodeID
	l, hidden *schema.Layout
	rng       uint64
	next      uint64
	trans     uint64
	busy      bool
	stopped   bool
	email     string // what a read by email asked for
	outcomes  map[string]int
	violation string
}

func (c *userClient) rand(n int) int {
	c.rng = c.rng*6364136223846793005 + 1442695040888963407
	return int(c.rng>>33) % n
}

func (c *userClient) row(id int64, email string) []byte {
	b := schema.NewRowBuilder(c.l)
	b.SetInt64(0, id)
	if email == "" {
		b.SetNull(1)
	} else {
		b.SetString(1, email)
	}
	return b.AppendRow(nil)
}

func (c *userClient) hiddenKey(email string) []byte {
	b := schema.NewRowBuilder(c.hidden)
	b.SetString(0, email)
	return b.AppendKey(nil)
}

func (c *userClient) Tick(env block.Env) {
	if c.busy || c.stopped {
		return
	}
	c.next++
	c.trans = uint64(c.node)<<48 | 1<<40 | c.next
	c.busy = true
	id := int64(1 + c.rand(6))
	email, other := emails[c.rand(len(emails))], emails[c.rand(len(emails)-1)]
	s := &signal.Signal{}
	all := schema.AllColumns(2)
	cols := make([]byte, 8*len(all))
	for i, w := range all {
		binary.LittleEndian.PutUint64(cols[8*i:], w)
	}
	switch k := c.rand(6); {
	case k == 0:
		keyReq(s, tcAt(0), c.trans, c.l, gsn.OpInsert, 0, gsn.TcKeyCommit, c.row(id, email))
	case k == 1:
		keyReq(s, tcAt(0), c.trans, c.l, gsn.OpUpdate, 0, gsn.TcKeyCommit, c.row(id, email))
	case k == 2:
		keyReq(s, tcAt(0), c.trans, c.l, gsn.OpDelete, 0, gsn.TcKeyCommit, c.row(id, "")[:c.l.KeySize])
	case k >= 3: // by unique key: read, update to another email, delete
		op := []uint32{gsn.OpRead, gsn.OpUpdate, gsn.OpDelete}[k-3]
		key := c.hiddenKey(other)
		h := partition.Hash(key)
		s.Number, s.Receiver, s.TransID = gsn.TCKEYREQ, tcAt(0), c.trans
		s.SetWords(op, userTableID, 0, gsn.TcKeyCommit|gsn.TcKeyUniqueIndex, uint32(h), uint32(h>>32), 0)
		s.AddSection(key)
		if op == gsn.OpUpdate {
			s.AddSection(c.row(0, email))
			s.AddSection(cols)
		}
		c.email = ""
		if op == gsn.OpRead {
			c.email = other
		}
	}
	env.Send(s)
}

func (c *userClient) Handle(env block.Env, s *signal.Signal) {
	if s.TransID != c.trans || !c.busy {
		return
	}
	switch s.Number {
	case gsn.TCKEYCONF:
		if row := s.Section(0); c.email != "" && row != nil {
			if got := c.l.RowOf(row).String(1); got != c.email && c.violation == "" {
				c.violation = fmt.Sprintf("node %d: read by email %q returned a row with email %q", c.node, c.email, got)
			}
		}
		return
	case gsn.TCCOMMITCONF:
		c.outcomes["commit"]++
	case gsn.TCKEYREF:
		c.outcomes[fmt.Sprint(s.Words[1])]++
	case gsn.TCROLLBACKREP:
		c.outcomes[fmt.Sprint(s.Words[0])]++
	default:
		return
	}
	c.busy = false
}

// TestUniqueIndexConsistent runs concurrent inserts, updates and deletes by
// primary key and by unique key from every node. Afterwards the unique
// index's hidden table holds exactly one row per non-NULL email of the base
// table, naming that row's key; no two base rows share an email; and
// duplicates were refused with 893.
func TestUniqueIndexConsistent(t *testing.T) {
	for _, cfg := range []struct{ nodes, replicas int }{{2, 1}, {2, 2}, {3, 3}} {
		t.Run(fmt.Sprintf("nodes=%d,replicas=%d", cfg.nodes, cfg.replicas), func(t *testing.T) {
			total := map[string]int{}
			for _, seed := range simFlags.List(100, 15, testing.Short()) {
				l := userLayout()
				var clients []*userClient
				c := newSimCluster(t, clusterConfig{seed: seed, nodes: cfg.nodes, replicas: cfg.replicas,
					tables: []simTable{{layout: l}},
					api: func(n signal.NodeID) []sim.Placed {
						cl := &userClient{node: n, l: l, rng: seed*31 + uint64(n), outcomes: map[string]int{}}
						clients = append(clients, cl)
						return []sim.Placed{{ID: gsn.BlockAPI, Block: cl}}
					}})
				tbl, _ := c.dist.Table(userTableID)
				hid, _ := c.dist.Table(tbl.Uniques[0].Hidden)
				for _, cl := range clients {
					cl.hidden = hid.Layout
				}
				c.s.RunTicks(150)
				for _, cl := range clients {
					cl.stopped = true
				}
				c.s.RunTicks(100)
				for _, cl := range clients {
					if cl.violation != "" {
						c.fail(t, fmt.Errorf("%s", cl.violation))
					}
					for k, v := range cl.outcomes {
						total[k] += v
					}
				}
				if err := c.checkSettled(5); err != nil {
					c.fail(t, err)
				}
				if err := checkUniqueIndex(c, tbl, hid); err != nil {
					c.fail(t, err)
				}
				c.close()
			}
			dup := fmt.Sprint(ndberr.ErrUniqueExists.Code)
			if total["commit"] == 0 || total[dup] == 0 {
				t.Fatalf("outcomes %v: want commits and unique violations (%s)", total, dup)
			}
			t.Logf("outcomes: %v", total)
		})
	}
}

// checkUniqueIndex compares the base table's rows with the hidden table's.
func checkUniqueIndex(c *cluster, base, hidden *dih.Table) error {
	want := map[string]int64{} // email -> id
	for frag, chain := range base.Replicas {
		f, _ := c.lqhs[chain[0]].Fragment(userTableID, uint32(frag))
		for _, img := range fragmentRows(f) {
			r := base.Layout.RowOf(img)
			if r.IsNull(1) {
				continue
			}
			if prev, dup := want[r.String(1)]; dup {
				return fmt.Errorf("rows %d and %d share email %q", prev, r.Int64(0), r.String(1))
			}
			want[r.String(1)] = r.Int64(0)
		}
	}
	got := map[string]int64{}
	hid := hidden.Layout.Table.ID
	for frag, chain := range hidden.Replicas {
		f, _ := c.lqhs[chain[0]].Fragment(hid, uint32(frag))
		for _, img := range fragmentRows(f) {
			r := hidden.Layout.RowOf(img)
			got[r.String(0)] = int64(binary.LittleEndian.Uint64(r.Raw(1)))
		}
	}
	if len(got) != len(want) {
		return fmt.Errorf("unique index holds %v, base table %v", got, want)
	}
	for e, id := range want {
		if got[e] != id {
			return fmt.Errorf("unique index maps %q to %d, base row is %d (index %v, base %v)", e, got[e], id, got, want)
		}
	}
	return nil
}
