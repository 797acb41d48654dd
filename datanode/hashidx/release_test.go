package hashidx

import (
	"runtime"
	"testing"
)

// TestReleaseDuringMigration grows an array of several release blocks and checks
// that the migrated part of the old array is returned to the kernel as the
// migration passes it, reading as empty slots afterwards.
func TestReleaseDuringMigration(t *testing.T) {
	x, m := startedMigration(t, 100_000)
	defer x.Close()
	if len(x.old.slots)*8 < 2*releaseBytes {
		t.Fatalf("old array of %d bytes is too small to release a huge page", len(x.old.slots)*8)
	}
	full := x.MemoryBytes()
	prev := full
	for x.MigrateStep(15_000) {
		if err := x.checkInvariants(); err != nil {
			t.Fatal(err)
		}
		if got := x.MemoryBytes(); got > prev {
			t.Fatalf("MemoryBytes grew from %d to %d during migration", prev, got)
		} else {
			prev = got
		}
		for k := uint64(0); k < uint64(x.Len()); k += 331 {
			if _, ok := x.Lookup(xxh3High(k), keyBytes(k), m); !ok {
				t.Fatalf("Lookup(%d) missed at done=%d", k, x.done)
			}
		}
	}
	if runtime.GOOS == "linux" && prev > full-releaseBytes {
		t.Fatalf("MemoryBytes went from %d to at least %d: nothing was released", full, prev)
	}
	if got, want := x.MemoryBytes(), x.cur.bytes(); got != want {
		t.Fatalf("MemoryBytes() after migration = %d, want the new array's %d", got, want)
	}
}
