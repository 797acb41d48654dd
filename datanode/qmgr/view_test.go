package qmgr

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/gondb/gondb/signal"
)

// TestViewCodec: views round-trip, and every malformed section is refused
// without a panic.
func TestViewCodec(t *testing.T) {
	v := view{failNo: 1<<40 + 7, members: []Member{{1, 1, 9}, {4, 2, 1 << 50}, {255, 9, 3}}}
	b := appendView(nil, &v)
	if len(b) != viewHeader+3*memberSize {
		t.Fatalf("encoded %d bytes", len(b))
	}
	var got view
	if err := decodeView(b, &got); err != nil || !got.equal(&v) {
		t.Fatalf("round trip: %v %+v", err, got)
	}
	bad := map[string]func([]byte) []byte{
		"empty":     func([]byte) []byte { return nil },
		"short":     func(b []byte) []byte { return b[:len(b)-1] },
		"long":      func(b []byte) []byte { return append(b, 0) },
		"no member": func(b []byte) []byte { return appendView(nil, &view{failNo: 1}) },
		"node 0":    func(b []byte) []byte { b[viewHeader] = 0; return b },
		"node 256":  func(b []byte) []byte { b[viewHeader], b[viewHeader+1] = 0, 1; return b },
		"repeated": func(b []byte) []byte {
			return appendView(nil, &view{failNo: 1, members: []Member{{2, 1, 1}, {2, 2, 1}}})
		},
		"dyn order": func(b []byte) []byte {
			return appendView(nil, &view{failNo: 1, members: []Member{{2, 5, 1}, {3, 5, 1}}})
		},
	}
	for name, mutate := range bad {
		if err := decodeView(mutate(appendView(nil, &v)), &got); !errors.Is(err, errBadView) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Random bytes never panic.
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 10000; i++ {
		b := make([]byte, r.IntN(80))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		if r.IntN(2) == 0 && len(b) >= viewHeader {
			b[8], b[9] = byte((len(b)-viewHeader)/memberSize), 0
		}
		_ = decodeView(b, &got)
	}
}

// TestRing: neighbours skip excluded members and wrap around.
func TestRing(t *testing.T) {
	v := view{failNo: 3, members: []Member{{5, 1, 1}, {2, 2, 1}, {7, 3, 1}, {1, 4, 1}}}
	for _, tc := range []struct {
		self        signal.NodeID
		out         NodeSet
		left, right signal.NodeID
		president   signal.NodeID
	}{
		{5, NodeSet{}, 1, 2, 5},
		{1, NodeSet{}, 7, 5, 5},
		{2, SetOf(7), 5, 1, 5},
		{2, SetOf(5, 7, 1), 0, 0, 2},
		{7, SetOf(5), 2, 1, 2},
		{9, NodeSet{}, 0, 0, 5},
	} {
		l, r := v.neighbours(tc.self, tc.out)
		if l != tc.left || r != tc.right || v.presidentExcept(tc.out) != tc.president {
			t.Errorf("node %d without %v: left %d right %d president %d", tc.self, tc.out, l, r, v.presidentExcept(tc.out))
		}
	}
}
