package state

import (
	"errors"
	"sync"
	"testing"
)

func testConfig(t *testing.T, endpoints []string) {
	a, b := pair(t, endpoints, Options{})
	ctx := tctx(t)
	if c, err := a.Config(ctx); err != nil || c.Generation != 0 || c.Text != "" {
		t.Fatalf("empty store: Config = %+v, %v; want generation 0", c, err)
	}
	steps := []struct {
		via     *Store
		text    string
		expect  uint64
		wantGen uint64
		wantErr error
	}{
		{a, "[ndbd default]\nNoOfReplicas=2\n", 0, 1, nil},
		{b, "stale writer", 0, 0, ErrConflict},
		{b, "[ndbd default]\nNoOfReplicas=1\n", 1, 2, nil},
		{a, "from the future", 5, 0, ErrConflict},
		{a, "[ndbd default]\nNoOfReplicas=2\n", 2, 3, nil},
	}
	last := ""
	for i, st := range steps {
		c, err := st.via.PutConfig(ctx, st.text, st.expect)
		if !errors.Is(err, st.wantErr) {
			t.Fatalf("step %d: PutConfig(expect %d) err = %v, want %v", i, st.expect, err, st.wantErr)
		}
		if err == nil {
			if c.Generation != st.wantGen || c.Text != st.text || c.Revision == 0 {
				t.Fatalf("step %d: PutConfig = %+v, want generation %d", i, c, st.wantGen)
			}
			last = st.text
		}
		// Both mgmds read the same config after every step.
		for _, s := range []*Store{a, b} {
			got, err := s.Config(ctx)
			if err != nil || got.Text != last {
				t.Fatalf("step %d: Config = %+v, %v; want text %q", i, got, err, last)
			}
		}
	}
}

// Two mgmds write on the same generation at once: exactly one wins.
func testConfigConcurrentCAS(t *testing.T, endpoints []string) {
	a, b := pair(t, endpoints, Options{})
	ctx := tctx(t)
	if _, err := a.PutConfig(ctx, "gen1", 0); err != nil {
		t.Fatal(err)
	}
	for round := uint64(1); round <= 10; round++ {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, s := range []*Store{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.PutConfig(ctx, "writer", round)
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, ErrConflict):
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d writers won the same generation, errors %v", round, won, errs)
		}
	}
	if c, _ := b.Config(ctx); c.Generation != 11 {
		t.Fatalf("generation %d after 10 rounds, want 11", c.Generation)
	}
}

func testConfigWatch(t *testing.T, endpoints []string) {
	a, b := pair(t, endpoints, Options{})
	ctx := tctx(t)
	c0, err := b.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w := b.WatchConfig(ctx, c0.Revision)
	for gen := uint64(1); gen <= 3; gen++ {
		if _, err := a.PutConfig(ctx, "text", gen-1); err != nil {
			t.Fatal(err)
		}
	}
	for gen := uint64(1); gen <= 3; gen++ {
		ev := recv(t, w)
		if ev.Err != nil || ev.Config.Generation != gen || ev.Config.Text != "text" {
			t.Fatalf("event %+v, want generation %d", ev, gen)
		}
	}
}
