//go:build linux

package thread

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gondb/gondb/datanode/spsc"
)

func TestWorkerBindsCPU(t *testing.T) {
	got := make(chan error, 1)
	var set unix.CPUSet
	w, err := Start(WorkerConfig{
		CPUs:   []int{0},
		Inputs: []Input{spsc.New[int](1)},
		Round: func(int) bool {
			select {
			case got <- unix.SchedGetaffinity(0, &set):
			default:
			}
			return false
		},
	})
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EINVAL) {
		t.Skipf("sandbox refuses CPU binding: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	err = <-got
	w.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if set.Count() != 1 || !set.IsSet(0) {
		t.Fatalf("worker thread affinity: %d CPUs, CPU 0 set %v", set.Count(), set.IsSet(0))
	}
}
