package client_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/mgmtest"
	"github.com/gondb/gondb/schema"
	"github.com/gondb/gondb/schema/schemacodec"
)

func dictTable(name string) *schema.Table {
	return &schema.Table{Name: name, PrimaryKey: []int{0},
		Columns: []schema.Column{{Name: "id", Type: schema.TypeBigInt}, {Name: "v", Type: schema.TypeVarchar, Length: 20, Nullable: true}},
		Indexes: []schema.Index{{Name: "uv", Kind: schema.IndexUniqueHash, Columns: []int{1}}, {Name: "ov", Kind: schema.IndexOrdered, Columns: []int{1}}}}
}

func dial(t *testing.T, connect string) *client.Conn {
	t.Helper()
	c, err := client.Dial(context.Background(), connect, client.Options{Logger: mgmtest.QuietLogger(),
		ConnectTimeout: time.Second, CallTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestDictionaryCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("needs etcd")
	}
	cl := mgmtest.Start(t, mgmtest.Options{MgmNodes: 2})
	c := dial(t, cl.ConnectString)
	ctx := context.Background()

	in := dictTable("t1")
	in.ID, in.Version = 99, 99 // ignored
	got, err := c.CreateTable(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID == 0 || got.ID == 99 || got.Version != 2 || got.Name != "t1" || len(got.Indexes) != 2 {
		t.Fatalf("created %+v", got)
	}
	if in.ID != 99 {
		t.Fatal("CreateTable changed its argument")
	}
	// The stored definition carries the assigned id.
	rec, err := cl.Stores[0].Table(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	if def, err := schemacodec.Decode(rec.Definition); err != nil || def.ID != got.ID || def.Version != rec.Version {
		t.Fatalf("stored definition %+v, %v; record id %d version %d", def, err, rec.ID, rec.Version)
	}

	for _, tc := range []struct {
		name string
		tbl  *schema.Table
		want error
	}{
		{"exists", dictTable("t1"), mgmapi.ErrTableExists},
		{"no primary key", func() *schema.Table { x := dictTable("bad"); x.PrimaryKey = nil; return x }(), mgmapi.ErrInvalid},
		{"blob in unique index", func() *schema.Table {
			x := dictTable("bad2")
			x.Columns[1].Type = schema.TypeBlob
			return x
		}(), mgmapi.ErrInvalid},
	} {
		if _, err := c.CreateTable(ctx, tc.tbl); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := c.CreateTable(ctx, &schema.Table{Name: "neg", Columns: []schema.Column{{Name: "a", Length: -1}}}); !errors.Is(err, schemacodec.ErrUnencodable) {
		t.Errorf("unencodable: %v", err)
	}

	// Reads, through the other server too.
	c2 := dial(t, cl.Addrs[1])
	for _, cc := range []*client.Conn{c, c2} {
		byName, err := cc.Table(ctx, "t1")
		if err != nil || byName.ID != got.ID || byName.Version != got.Version {
			t.Fatalf("Table: %+v, %v", byName, err)
		}
		byID, err := cc.TableByID(ctx, got.ID)
		if err != nil || byID.Name != "t1" {
			t.Fatalf("TableByID: %+v, %v", byID, err)
		}
	}
	t2, err := c.CreateTable(ctx, dictTable("t2"))
	if err != nil {
		t.Fatal(err)
	}
	all, err := c.Tables(ctx)
	if err != nil || len(all) != 2 || all[0].ID != got.ID || all[1].ID != t2.ID || t2.ID <= got.ID {
		t.Fatalf("Tables: %v, %v", all, err)
	}

	if err := c.DropTable(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	if err := c.DropTable(ctx, "t1"); !errors.Is(err, mgmapi.ErrNoSuchTable) {
		t.Fatalf("second drop: %v", err)
	}
	if _, err := c.Table(ctx, "t1"); !errors.Is(err, mgmapi.ErrNoSuchTable) {
		t.Fatalf("Table after drop: %v", err)
	}
	if _, err := c.TableByID(ctx, got.ID); !errors.Is(err, mgmapi.ErrNoSuchTable) {
		t.Fatalf("TableByID after drop: %v", err)
	}
	// Ids are never reused.
	t3, err := c.CreateTable(ctx, dictTable("t1"))
	if err != nil || t3.ID <= t2.ID {
		t.Fatalf("re-created: %+v, %v", t3, err)
	}
}

func next(t *testing.T, ch <-chan client.TableEvent) client.TableEvent {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("watch channel closed")
		}
		if e.Err != nil {
			t.Fatalf("watch failed: %v", e.Err)
		}
		return e
	case <-time.After(15 * time.Second):
		t.Fatal("no table event in 15 s")
	}
	return client.TableEvent{}
}

func expect(t *testing.T, ch <-chan client.TableEvent, typ client.TableEventType, name string) *schema.Table {
	t.Helper()
	e := next(t, ch)
	if e.Type != typ || (name != "" && (e.Table == nil || e.Table.Name != name)) {
		t.Fatalf("event %v %+v, want %v %s", e.Type, e.Table, typ, name)
	}
	return e.Table
}

func TestWatchTables(t *testing.T) {
	if testing.Short() {
		t.Skip("needs etcd")
	}
	cl := mgmtest.Start(t, mgmtest.Options{MgmNodes: 2})
	c := dial(t, cl.ConnectString)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := c.CreateTable(ctx, dictTable("before")); err != nil {
		t.Fatal(err)
	}
	ch, err := c.WatchTables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, ch, client.TableCreated, "before")
	expect(t, ch, client.TablesSynced, "")

	created, err := c.CreateTable(ctx, dictTable("after"))
	if err != nil {
		t.Fatal(err)
	}
	if got := expect(t, ch, client.TableCreated, "after"); got.ID != created.ID || got.Version != created.Version {
		t.Fatalf("watched %+v, created %+v", got, created)
	}
	if err := c.DropTable(ctx, "before"); err != nil {
		t.Fatal(err)
	}
	expect(t, ch, client.TableDropped, "before")

	// The watched server stops: the watch moves to the other one, and
	// what changed meanwhile arrives once.
	cl.StopServer(0)
	if _, err := c.CreateTable(ctx, dictTable("during")); err != nil {
		t.Fatal(err)
	}
	if err := c.DropTable(ctx, "after"); err != nil {
		t.Fatal(err)
	}
	got := map[string]client.TableEventType{}
	for range 2 {
		e := next(t, ch)
		got[e.Table.Name] = e.Type
	}
	if got["during"] != client.TableCreated || got["after"] != client.TableDropped {
		t.Fatalf("after failover: %v", got)
	}
	if _, err := c.CreateTable(ctx, dictTable("later")); err != nil {
		t.Fatal(err)
	}
	expect(t, ch, client.TableCreated, "later")

	cancel()
	for range ch { // closes after ctx ends
	}
}
