package block

import (
	"testing"
	"time"

	"github.com/gondb/gondb/signal"
)

type nopEnv struct{}

func (nopEnv) Self() signal.Address      { return signal.Address{} }
func (nopEnv) Now() time.Duration        { return 0 }
func (nopEnv) Send(*signal.Signal) error { return nil }

func TestHandlersDispatch(t *testing.T) {
	var h Handlers
	got := 0
	h.On(7, func(env Env, s *signal.Signal) { got = int(s.Words[0]) })
	s := &signal.Signal{Number: 7}
	s.SetWords(42)
	if !h.Dispatch(nopEnv{}, s) || got != 42 {
		t.Fatalf("dispatch: got %d", got)
	}
	if h.Dispatch(nopEnv{}, &signal.Signal{Number: 8}) {
		t.Fatal("unknown signal dispatched")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("duplicate registration did not panic")
		}
	}()
	h.On(7, func(Env, *signal.Signal) {})
}
