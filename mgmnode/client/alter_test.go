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
)

// TestAlterTable stores index changes as new versions, refuses a stale
// version and every other change, and the watch reports each version.
func TestAlterTable(t *testing.T) {
	if testing.Short() {
		t.Skip("needs etcd")
	}
	cl := mgmtest.Start(t, mgmtest.Options{})
	c := dial(t, cl.ConnectString)
	ctx := context.Background()
	v2, err := c.CreateTable(ctx, dictTable("ta"))
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events, err := c.WatchTables(wctx)
	if err != nil {
		t.Fatal(err)
	}
	// The watch's snapshot must be taken before the change, else the
	// changed table shows up in it as created rather than altered.
	for synced := false; !synced; {
		select {
		case ev := <-events:
			synced = ev.Type == client.TablesSynced
		case <-time.After(10 * time.Second):
			t.Fatal("the table watch never synced")
		}
	}
	next := func(want client.TableEventType) *schema.Table {
		t.Helper()
		for {
			select {
			case ev := <-events:
				if ev.Type == client.TablesSynced || ev.Type == client.TableCreated {
					continue
				}
				if ev.Type != want {
					t.Fatalf("event %v, want %v", ev.Type, want)
				}
				return ev.Table
			case <-time.After(10 * time.Second):
				t.Fatalf("no %v event", want)
			}
		}
	}

	add := dictTable("ta")
	add.ID, add.Version = v2.ID, v2.Version
	add.Indexes = append(add.Indexes, schema.Index{Name: "o2", Kind: schema.IndexOrdered, Columns: []int{0, 1}})
	v3, err := c.AlterTable(ctx, add)
	if err != nil {
		t.Fatal(err)
	}
	if v3.Version != v2.Version+1 || v3.ID != v2.ID || len(v3.Indexes) != 3 || add.Version != v2.Version {
		t.Fatalf("altered %+v (argument version %d)", v3, add.Version)
	}
	if ev := next(client.TableAltered); ev.Version != v3.Version || len(ev.Indexes) != 3 {
		t.Fatalf("watch: %+v", ev)
	}
	// The same change again, from the old version: a conflict.
	if _, err := c.AlterTable(ctx, add); !errors.Is(err, mgmapi.ErrConflict) {
		t.Fatalf("stale version: %v, want ErrConflict", err)
	}
	drop := v3
	drop.Indexes[0] = schema.Index{Kind: schema.IndexDropped} // the unique index
	v4, err := c.AlterTable(ctx, drop)
	if err != nil {
		t.Fatal(err)
	}
	if v4.Indexes[0].Kind != schema.IndexDropped || v4.Indexes[2].Name != "o2" {
		t.Fatalf("after drop: %+v", v4.Indexes)
	}
	if got, err := c.Table(ctx, "ta"); err != nil || got.Version != v4.Version || got.Indexes[0].Kind != schema.IndexDropped {
		t.Fatalf("read back %+v, %v", got, err)
	}
	next(client.TableAltered)
	for _, tc := range []struct {
		name   string
		change func(*schema.Table)
	}{
		{"a column", func(x *schema.Table) { x.Columns = append(x.Columns, schema.Column{Name: "z", Type: schema.TypeInt}) }},
		{"a unique index", func(x *schema.Table) {
			x.Indexes = append(x.Indexes, schema.Index{Name: "u2", Kind: schema.IndexUniqueHash, Columns: []int{1}})
		}},
		{"the dropped place reused", func(x *schema.Table) {
			x.Indexes[0] = schema.Index{Name: "again", Kind: schema.IndexOrdered, Columns: []int{1}}
		}},
		{"an index removed", func(x *schema.Table) { x.Indexes = x.Indexes[1:] }},
		{"a duplicate index name", func(x *schema.Table) {
			x.Indexes = append(x.Indexes, schema.Index{Name: "O2", Kind: schema.IndexOrdered, Columns: []int{1}})
		}},
	} {
		bad, _ := c.Table(ctx, "ta")
		tc.change(bad)
		if _, err := c.AlterTable(ctx, bad); !errors.Is(err, mgmapi.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", tc.name, err)
		}
	}
	missing := dictTable("nope")
	if _, err := c.AlterTable(ctx, missing); !errors.Is(err, mgmapi.ErrNoSuchTable) {
		t.Fatalf("unknown table: %v", err)
	}
}
