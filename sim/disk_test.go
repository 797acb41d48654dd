package sim_test

import (
	"fmt"
	"testing"

	"github.com/gondb/gondb/sim"
)

func getString(d *sim.Disk, key string) string {
	v, ok := d.Get(nil, key)
	if !ok {
		return "<absent>"
	}
	return string(v)
}

func durableString(d *sim.Disk, key string) string {
	v, ok := d.Durable(nil, key)
	if !ok {
		return "<absent>"
	}
	return string(v)
}

// TestDiskWritesBecomeDurableAtSync: Get sees every write at once, Durable
// only synced ones.
func TestDiskWritesBecomeDurableAtSync(t *testing.T) {
	c := newCluster(t, sim.DefaultConfig(1), 1)
	d := c.s.Disk(1)
	steps := []struct {
		do           func()
		key          string
		get, durable string
		unsynced     int
	}{
		{func() { d.Put("a", []byte("1")) }, "a", "1", "<absent>", 1},
		{func() { d.Sync() }, "a", "1", "1", 0},
		{func() { d.Put("a", []byte("2")) }, "a", "2", "1", 1},
		{func() { d.Put("b", []byte("x")); d.Delete("a") }, "a", "<absent>", "1", 3},
		{func() { d.Put("a", []byte("3")) }, "a", "3", "1", 4},
		{func() { d.Sync() }, "a", "3", "3", 0},
		{func() { d.Delete("b"); d.Sync() }, "b", "<absent>", "<absent>", 0},
	}
	for i, st := range steps {
		st.do()
		if g, du := getString(d, st.key), durableString(d, st.key); g != st.get || du != st.durable || d.Unsynced() != st.unsynced {
			t.Fatalf("step %d: %s: get %q durable %q unsynced %d, want %q %q %d",
				i, st.key, g, du, d.Unsynced(), st.get, st.durable, st.unsynced)
		}
	}
	buf := []byte("prefix:")
	if v, ok := d.Get(buf, "a"); !ok || string(v) != "prefix:3" {
		t.Fatalf("Get appends to dst: %q", v)
	}
}

// TestCrashLosesUnsyncedWrites: a crash keeps every synced write and a
// random, non-trivial subset of the unsynced ones; the disk survives into
// the restarted node.
func TestCrashLosesUnsyncedWrites(t *testing.T) {
	const n = 200
	c := newCluster(t, sim.DefaultConfig(11), 1, 2)
	d, d2 := c.s.Disk(1), c.s.Disk(2)
	for i := range n {
		d.Put(fmt.Sprint("k", i), []byte("synced"))
	}
	d.Sync()
	for i := range n {
		d.Put(fmt.Sprint("k", i), []byte("unsynced"))
		d.Put(fmt.Sprint("new", i), []byte("unsynced"))
	}
	d2.Put("seq", []byte("0"))
	d2.Sync()
	for i := 1; i <= 100; i++ {
		d2.Put("seq", []byte(fmt.Sprint(i)))
	}
	c.s.Crash(1)
	if d.Unsynced() != 0 {
		t.Fatalf("%d writes still pending after the crash", d.Unsynced())
	}
	kept := 0
	for i := range n {
		switch v := durableString(d, fmt.Sprint("k", i)); v {
		case "unsynced":
			kept++
		case "synced":
		default:
			t.Fatalf("k%d = %q after crash: a synced write was lost", i, v)
		}
		if v := durableString(d, fmt.Sprint("new", i)); v == "unsynced" {
			kept++
		} else if v != "<absent>" {
			t.Fatalf("new%d = %q", i, v)
		}
	}
	if kept == 0 || kept == 2*n {
		t.Fatalf("crash kept %d of %d unsynced writes: want a random subset", kept, 2*n)
	}
	if lost := c.s.Stats().LostWrites; lost != uint64(2*n-kept) {
		t.Fatalf("LostWrites %d, want %d", lost, 2*n-kept)
	}
	// One key written over and over: it ends at one of its writes, never
	// below the synced one.
	c.s.Crash(2)
	var v int
	if _, err := fmt.Sscan(durableString(d2, "seq"), &v); err != nil || v < 0 || v > 100 {
		t.Fatalf("seq = %q after crash", durableString(d2, "seq"))
	}
	c.s.Restart(1)
	if c.s.Disk(1) != d {
		t.Fatal("restart changed the node's disk")
	}
}
