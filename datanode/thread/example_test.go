package thread_test

import (
	"fmt"

	"github.com/gondb/gondb/datanode/spsc"
	"github.com/gondb/gondb/datanode/thread"
)

func ExampleParseThreadConfig() {
	c, err := thread.ParseThreadConfig("ldm={count=4,cpubind=0-3},tc={count=2},recv={}")
	if err != nil {
		panic(err)
	}
	ldm, _ := c.Spec(thread.KindLDM)
	fmt.Println(ldm.Count, ldm.CPUBind, c.Count(thread.KindTC))
	fmt.Println(c)

	_, err = thread.ParseThreadConfig("ldm={count=2,cpubind=0}")
	fmt.Println(err)
	// Output:
	// 4 [0 1 2 3] 2
	// ldm={count=4,cpubind=0-3},tc={count=2},recv={count=1}
	// thread: invalid ThreadConfig: at offset 13: cpubind lists 1 CPUs, shorter than count 2
}

func ExampleStart() {
	in := spsc.New[string](64)
	done := make(chan struct{})
	buf := make([]string, 16)
	w, err := thread.Start(thread.WorkerConfig{
		Name:   "tc0",
		Inputs: []thread.Input{in},
		Round: func(budget int) bool {
			n := in.PopBatch(buf[:min(budget, len(buf))])
			for _, s := range buf[:n] {
				fmt.Println("got", s)
				if s == "last" {
					close(done)
				}
			}
			return n > 0
		},
	})
	if err != nil {
		panic(err)
	}
	for _, s := range []string{"first", "last"} {
		in.Push(s) // this goroutine is the ring's one producer
		w.Wake()
	}
	<-done
	w.Stop()
	// Output:
	// got first
	// got last
}
