package spsc

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

func TestNewRoundsUpToPowerOfTwo(t *testing.T) {
	for _, tc := range []struct{ in, want int }{
		{1, 1}, {2, 2}, {3, 4}, {5, 8}, {64, 64}, {65, 128}, {1000, 1024}, {1024, 1024},
	} {
		if got := New[int](tc.in).Cap(); got != tc.want {
			t.Errorf("New(%d).Cap() = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestNewPanicsOnBadCapacity(t *testing.T) {
	for _, c := range []int{0, -1, MaxCapacity + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%d) did not panic", c)
				}
			}()
			New[int](c)
		}()
	}
}

func TestFIFOFullEmpty(t *testing.T) {
	r := New[int](4)
	if _, ok := r.Pop(); ok {
		t.Fatal("Pop on a new ring succeeded")
	}
	for i := range 4 {
		if !r.Push(i) {
			t.Fatalf("Push(%d) refused with Len %d", i, r.Len())
		}
	}
	if r.Push(99) {
		t.Fatal("Push on a full ring succeeded")
	}
	if n := r.PushBatch([]int{99}); n != 0 {
		t.Fatalf("PushBatch on a full ring = %d, want 0", n)
	}
	if r.Len() != 4 {
		t.Fatalf("Len = %d, want 4", r.Len())
	}
	for i := range 4 {
		v, ok := r.Pop()
		if !ok || v != i {
			t.Fatalf("Pop = %d, %v; want %d, true", v, ok, i)
		}
	}
	if _, ok := r.Pop(); ok {
		t.Fatal("Pop on a drained ring succeeded")
	}
	if n := r.PopBatch(make([]int, 3)); n != 0 {
		t.Fatalf("PopBatch on an empty ring = %d, want 0", n)
	}
	if r.Len() != 0 {
		t.Fatalf("Len = %d, want 0", r.Len())
	}
}

func TestBatchPartial(t *testing.T) {
	r := New[int](8)
	if n := r.PushBatch([]int{0, 1, 2, 3, 4}); n != 5 {
		t.Fatalf("PushBatch(5) = %d, want 5", n)
	}
	if n := r.PushBatch([]int{5, 6, 7, 8, 9, 10}); n != 3 {
		t.Fatalf("PushBatch(6) into 3 free = %d, want 3", n)
	}
	dst := make([]int, 6)
	if n := r.PopBatch(dst); n != 6 || fmt.Sprint(dst) != "[0 1 2 3 4 5]" {
		t.Fatalf("PopBatch = %d %v", n, dst)
	}
	// The next push wraps around the end of the buffer.
	if n := r.PushBatch([]int{8, 9, 10, 11, 12}); n != 5 {
		t.Fatalf("wrapping PushBatch = %d, want 5", n)
	}
	dst = make([]int, 20)
	if n := r.PopBatch(dst); n != 7 || fmt.Sprint(dst[:n]) != "[6 7 8 9 10 11 12]" {
		t.Fatalf("wrapping PopBatch = %d %v", n, dst[:n])
	}
	if n := r.PushBatch(nil); n != 0 {
		t.Fatalf("PushBatch(nil) = %d", n)
	}
	if n := r.PopBatch(nil); n != 0 {
		t.Fatalf("PopBatch(nil) = %d", n)
	}
}

// TestAgainstModel runs random operations on a ring and on a plain slice
// queue and requires identical answers, passing the counters around the ring
// many times.
func TestAgainstModel(t *testing.T) {
	steps := 200_000
	if testing.Short() {
		steps = 20_000
	}
	for _, capacity := range []int{1, 2, 8, 64} {
		t.Run(fmt.Sprint("cap", capacity), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(capacity), 1))
			r := New[uint64](capacity)
			var model []uint64
			var next uint64
			buf := make([]uint64, 2*capacity+1)
			for step := range steps {
				switch rng.IntN(5) {
				case 0:
					ok := r.Push(next)
					if want := len(model) < capacity; ok != want {
						t.Fatalf("step %d: Push = %v, want %v", step, ok, want)
					}
					if ok {
						model = append(model, next)
						next++
					}
				case 1:
					k := rng.IntN(len(buf))
					for i := range k {
						buf[i] = next + uint64(i)
					}
					n := r.PushBatch(buf[:k])
					if want := min(k, capacity-len(model)); n != want {
						t.Fatalf("step %d: PushBatch(%d) = %d, want %d", step, k, n, want)
					}
					model = append(model, buf[:n]...)
					next += uint64(n)
				case 2:
					v, ok := r.Pop()
					if ok != (len(model) > 0) || ok && v != model[0] {
						t.Fatalf("step %d: Pop = %d, %v; model %v", step, v, ok, model)
					}
					if ok {
						model = model[1:]
					}
				case 3:
					k := rng.IntN(len(buf))
					n := r.PopBatch(buf[:k])
					if want := min(k, len(model)); n != want {
						t.Fatalf("step %d: PopBatch(%d) = %d, want %d", step, k, n, want)
					}
					for i := range n {
						if buf[i] != model[i] {
							t.Fatalf("step %d: PopBatch[%d] = %d, want %d", step, i, buf[i], model[i])
						}
					}
					model = model[n:]
				case 4:
					if r.Len() != len(model) {
						t.Fatalf("step %d: Len = %d, want %d", step, r.Len(), len(model))
					}
				}
			}
			if laps := next / uint64(r.Cap()); laps < 100 {
				t.Fatalf("only %d laps around the ring", laps)
			}
		})
	}
}

func TestPopClearsSlots(t *testing.T) {
	r := New[*int](4)
	x := new(int)
	r.Push(x)
	r.PushBatch([]*int{x, x, x})
	r.Pop()
	r.PopBatch(make([]*int, 2))
	// Three of four slots popped; one (the last) still holds x.
	live := 0
	for _, p := range r.buf {
		if p != nil {
			live++
		}
	}
	if live != 1 {
		t.Fatalf("%d slots still reference popped or live items, want 1", live)
	}
}

// TestTwoGoroutines passes sequence numbers from a producer goroutine to a
// consumer goroutine through rings of several sizes, with random mixes of
// single and batched calls, and checks order and that nothing is lost.
func TestTwoGoroutines(t *testing.T) {
	n := uint64(2_000_000)
	if testing.Short() {
		n = 20_000
	}
	for _, capacity := range []int{1, 16, 1024} {
		t.Run(fmt.Sprint("cap", capacity), func(t *testing.T) {
			r := New[uint64](capacity)
			done := make(chan struct{})
			go func() {
				defer close(done)
				rng := rand.New(rand.NewPCG(2, uint64(capacity)))
				buf := make([]uint64, 100)
				for next := uint64(0); next < n; {
					if rng.IntN(2) == 0 {
						if r.Push(next) {
							next++
						} else {
							runtime.Gosched()
						}
						continue
					}
					k := min(uint64(1+rng.IntN(len(buf))), n-next)
					for i := range k {
						buf[i] = next + i
					}
					m := r.PushBatch(buf[:k])
					if m == 0 {
						runtime.Gosched()
					}
					next += uint64(m)
				}
			}()
			rng := rand.New(rand.NewPCG(3, uint64(capacity)))
			buf := make([]uint64, 100)
			for want := uint64(0); want < n; {
				if rng.IntN(2) == 0 {
					v, ok := r.Pop()
					if !ok {
						runtime.Gosched()
						continue
					}
					if v != want {
						t.Fatalf("Pop = %d, want %d", v, want)
					}
					want++
					continue
				}
				m := r.PopBatch(buf[:1+rng.IntN(len(buf))])
				if m == 0 {
					runtime.Gosched()
				}
				for _, v := range buf[:m] {
					if v != want {
						t.Fatalf("PopBatch item = %d, want %d", v, want)
					}
					want++
				}
			}
			<-done
			if r.Len() != 0 {
				t.Fatalf("Len = %d after draining", r.Len())
			}
		})
	}
}

type withPointer struct {
	p *int
	n uint64
}

func TestZeroAllocs(t *testing.T) {
	u := New[uint64](64)
	ubuf := make([]uint64, 16)
	p := New[withPointer](64)
	pbuf := make([]withPointer, 16)
	x := new(int)
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"uint64 Push/Pop", func() { u.Push(1); u.Pop() }},
		{"uint64 PushBatch/PopBatch", func() { u.PushBatch(ubuf); u.PopBatch(ubuf) }},
		{"pointer Push/Pop", func() { p.Push(withPointer{x, 1}); p.Pop() }},
		{"pointer PushBatch/PopBatch", func() { p.PushBatch(pbuf); p.PopBatch(pbuf) }},
		{"Len", func() { _ = u.Len() }},
	} {
		if a := testing.AllocsPerRun(1000, tc.f); a != 0 {
			t.Errorf("%s: %v allocs per run, want 0", tc.name, a)
		}
	}
}
