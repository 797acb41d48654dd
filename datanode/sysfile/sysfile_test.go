package sysfile

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func sample(gci uint64) Sysfile {
	return Sysfile{NodeID: 3, Flags: FlagRestartOngoing, LastCompletedGCI: gci, OldestRestorableGCI: gci - 5, LastLCPID: 7}
}

func TestRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Current(); ok {
		t.Fatal("fresh store has a sysfile")
	}
	if _, err := Read(dir); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Read of an empty dir: %v", err)
	}
	for gci := uint64(10); gci < 15; gci++ {
		if err := st.Save(sample(gci)); err != nil {
			t.Fatal(err)
		}
		got, err := Read(dir)
		want := sample(gci)
		want.Seq, want.Version = gci-9, CurrentVersion
		if err != nil || got != want {
			t.Fatalf("Read = %+v, %v; want %+v", got, err, want)
		}
	}
	// A new Store goes on from the highest sequence.
	st2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if cur, _ := st2.Current(); cur.Seq != 5 || cur.LastCompletedGCI != 14 {
		t.Fatalf("reopened: %+v", cur)
	}
	st2.Save(sample(20))
	if got, _ := Read(dir); got.Seq != 6 || got.LastCompletedGCI != 20 {
		t.Fatalf("after reopen and save: %+v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "sysfile.tmp")); !os.IsNotExist(err) {
		t.Error("sysfile.tmp left behind")
	}
	if err := Remove(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(dir); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after Remove: %v", err)
	}
}

// TestGolden pins each version's bytes: version 3 as written, versions 2
// and 1 as still read (version 2: no History; version 1: Nodes unknown
// too, every node covered).
func TestGolden(t *testing.T) {
	s := sample(100)
	s.Seq = 2
	s.Nodes[0] = 1<<2 | 1<<3
	s.History = 0x1122334455667788
	const want3 = "6753595303000000020000000000000003000000020000006400000000000000" +
		"5f000000000000000700000000000000" + "0c000000" + "00000000000000000000000000000000000000000000000000000000" +
		"8877665544332211"
	got := hex.EncodeToString(s.Marshal())
	if got[:len(want3)] != want3 || len(got) != 2*size {
		t.Fatalf("encoding changed:\n got %s\nwant %s........", got, want3)
	}
	d, err := Unmarshal(s.Marshal())
	s.Version = Version3
	if err != nil || d != s {
		t.Fatalf("decode version 3: %+v %v", d, err)
	}
	if !d.Covers(2) || !d.Covers(3) || d.Covers(1) || d.Covers(300) {
		t.Fatalf("Covers: %+v", d.Nodes)
	}

	// Version 2, as written before History.
	b2, _ := hex.DecodeString("6753595302000000020000000000000003000000020000006400000000000000" +
		"5f000000000000000700000000000000" + "0c000000" + "00000000000000000000000000000000000000000000000000000000")
	b2 = binary.LittleEndian.AppendUint32(b2, crcOf(b2))
	d, err = Unmarshal(b2)
	s.Version, s.History = Version2, 0
	if err != nil || d != s {
		t.Fatalf("decode version 2: %+v %v", d, err)
	}
	if !d.Covers(2) || !d.Covers(3) || d.Covers(1) || d.Covers(300) {
		t.Fatalf("Covers: %+v", d.Nodes)
	}

	const want1 = "6753595301000000020000000000000003000000020000006400000000000000" +
		"5f000000000000000700000000000000139afa1a"
	b, _ := hex.DecodeString(want1)
	d1, err := Unmarshal(b)
	s.Version, s.Nodes = Version1, [8]uint32{}
	if err != nil || d1 != s {
		t.Fatalf("decode golden version 1: %+v %v", d1, err)
	}
	if !d1.Covers(1) || !d1.Covers(7) {
		t.Fatal("a version 1 sysfile must cover every node")
	}
}

func TestDamagedCopies(t *testing.T) {
	damage := map[string]func(b []byte) []byte{
		"flipped byte": func(b []byte) []byte { b[30] ^= 1; return b },
		"torn (short)": func(b []byte) []byte { return b[:20] },
		"empty":        func(b []byte) []byte { return nil },
		"bad magic":    func(b []byte) []byte { b[0] = 'x'; return b },
		"bad CRC":      func(b []byte) []byte { b[size-1] ^= 0x80; return b },
		"trailing":     func(b []byte) []byte { return append(b, 0) },
	}
	for name, fn := range damage {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			st, _ := Open(dir)
			st.Save(sample(10)) // seq 1: sysfile.1
			st.Save(sample(11)) // seq 2: sysfile.0
			// Damage the newest copy: the older one is read.
			newest := filepath.Join(dir, "sysfile.0")
			b, _ := os.ReadFile(newest)
			os.WriteFile(newest, fn(b), 0o644)
			got, err := Read(dir)
			if err != nil || got.Seq != 1 || got.LastCompletedGCI != 10 {
				t.Fatalf("fallback: %+v, %v", got, err)
			}
			// A save after the fallback overwrites the damaged copy.
			st2, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := st2.Save(sample(12)); err != nil {
				t.Fatal(err)
			}
			if got, err := Read(dir); err != nil || got.Seq != 2 || got.LastCompletedGCI != 12 {
				t.Fatalf("save after fallback: %+v, %v", got, err)
			}
			// Both bad: a clear error, and Open refuses.
			for _, n := range []string{"sysfile.0", "sysfile.1"} {
				b, _ := os.ReadFile(filepath.Join(dir, n))
				os.WriteFile(filepath.Join(dir, n), fn(b), 0o644)
			}
			if _, err := Read(dir); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("both damaged: %v", err)
			}
			if _, err := Open(dir); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open with both damaged: %v", err)
			}
		})
	}
	// One copy missing and the other corrupt.
	dir := t.TempDir()
	st, _ := Open(dir)
	st.Save(sample(10))
	os.WriteFile(filepath.Join(dir, "sysfile.1"), []byte("junk"), 0o644)
	if _, err := Read(dir); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("single corrupt copy: %v", err)
	}
}

func TestUnmarshalRejects(t *testing.T) {
	g := sample(9)
	good := g.Marshal()
	for _, tc := range []struct {
		name string
		mod  func(b []byte)
	}{
		{"version 0", func(b []byte) { b[4] = 0 }},
		{"version 2", func(b []byte) { b[4] = 2 }},
		{"reserved", func(b []byte) { b[6] = 1 }},
		{"unknown flag", func(b []byte) { b[23] = 0x80 }},
	} {
		b := append([]byte(nil), good...)
		tc.mod(b)
		// Re-seal so only the field check can refuse it.
		copy(b[48:], reseal(b))
		if _, err := Unmarshal(b); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

func reseal(b []byte) []byte {
	var out [4]byte
	c := crcOf(b[:48])
	out[0], out[1], out[2], out[3] = byte(c), byte(c>>8), byte(c>>16), byte(c>>24)
	return out[:]
}
