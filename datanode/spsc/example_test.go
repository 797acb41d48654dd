package spsc_test

import (
	"fmt"
	"runtime"

	"github.com/gondb/gondb/datanode/spsc"
)

func Example() {
	r := spsc.New[string](3) // rounded up to 4
	done := make(chan struct{})
	go func() { // the one producer
		defer close(done)
		for _, s := range []string{"a", "b", "c", "d", "e"} {
			for !r.Push(s) {
				runtime.Gosched() // full: let the consumer run
			}
		}
	}()
	var got []string
	buf := make([]string, 2)
	for len(got) < 5 { // the one consumer
		n := r.PopBatch(buf)
		if n == 0 {
			runtime.Gosched() // empty: let the producer run
		}
		got = append(got, buf[:n]...)
	}
	<-done
	fmt.Println(r.Cap(), got)
	// Output: 4 [a b c d e]
}
