package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/state"
)

func TestStatusMapping(t *testing.T) {
	for _, s := range []mgmapi.NodeStatus{mgmapi.StatusNotStarted, mgmapi.StatusStarting, mgmapi.StatusStarted, mgmapi.StatusStopping} {
		if got := fromStore(toStore(s), true); got != s {
			t.Errorf("%v -> %v -> %v", s, toStore(s), got)
		}
		if got := fromStore(toStore(s), false); got != mgmapi.StatusNotConnected {
			t.Errorf("%v without a held id: %v", s, got)
		}
	}
	for _, ty := range []mgmapi.NodeType{mgmapi.TypeData, mgmapi.TypeMgm, mgmapi.TypeSQL, mgmapi.TypeAPI} {
		if typeOf(kindOf(ty)) != ty {
			t.Errorf("type %v round trip", ty)
		}
	}
}

func TestGoal(t *testing.T) {
	const (
		nc       = state.StateNotConnected
		starting = state.StateStarting
		started  = state.StateStarted
		stopping = state.StateStopping
	)
	stop := mgmapi.Command{Name: mgmapi.CmdStop}
	start := mgmapi.Command{Name: mgmapi.CmdStart}
	restart := mgmapi.Command{Name: mgmapi.CmdRestart}
	restartN := mgmapi.Command{Name: mgmapi.CmdRestart, NoStart: true}
	tests := []struct {
		name  string
		cmd   mgmapi.Command
		from  state.NodeState
		steps []state.NodeState
		done  []bool // after each step
	}{
		{"stop", stop, started, []state.NodeState{started, stopping, nc}, []bool{false, false, true}},
		{"stop stays done", stop, started, []state.NodeState{nc, starting}, []bool{true, true}},
		{"start", start, nc, []state.NodeState{starting, starting, started}, []bool{false, false, true}},
		{"restart must leave first", restart, started, []state.NodeState{started, stopping, nc, starting, started}, []bool{false, false, false, false, true}},
		{"restart -n", restartN, started, []state.NodeState{stopping, nc}, []bool{false, true}},
		{"restart of a stopped node", restart, nc, []state.NodeState{starting, started}, []bool{false, true}},
	}
	for _, tt := range tests {
		g := newGoal(tt.cmd, tt.from)
		for i, st := range tt.steps {
			g.observe(st)
			if g.done != tt.done[i] {
				t.Errorf("%s: after %v (step %d) done=%v", tt.name, st, i, g.done)
			}
		}
	}
	if !newGoal(stop, nc).done {
		t.Error("STOP of a node that is not started is done at once")
	}
}

func TestBuildStatus(t *testing.T) {
	cfg := map[uint32]configNode{
		1: {mgmapi.TypeMgm, "m", -1},
		2: {mgmapi.TypeData, "h2", 0},
		3: {mgmapi.TypeData, "h3", 0},
		4: {mgmapi.TypeAPI, "", -1},
		5: {mgmapi.TypeAPI, "", -1},
	}
	hb := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	regs := []state.NodeInfo{
		{ID: 1, Kind: state.KindMgm, Host: "10.0.0.1", State: state.StateStarted, Version: "v"},
		{ID: 2, Kind: state.KindData, Host: "10.0.0.2", State: state.StateStarting, StartPhase: 5, Version: "v", Heartbeat: hb},
		{ID: 3, Kind: state.KindData, Host: "10.0.0.3", State: state.StateStarted, Heartbeat: hb}, // id not held: gone
		{ID: 9, Kind: state.KindAPI, State: state.StateStarted},                                   // not in the config
	}
	held := []state.NodeLease{{ID: 1, Lease: 1}, {ID: 2, Lease: 2, Host: "x"}, {ID: 4, Lease: 4, Host: "10.0.0.4"}}
	figs := map[uint32]mgmapi.NodeInfo{2: {Master: true, Port: 11860, LastHeartbeat: hb.Add(time.Second)}, 3: {Master: true}}
	got := buildStatus(cfg, regs, held, figs)
	want := []mgmapi.NodeInfo{
		{NodeID: 1, Type: mgmapi.TypeMgm, ConfigHost: "m", Host: "10.0.0.1", Status: mgmapi.StatusStarted, NodeGroup: -1, Version: "v"},
		{NodeID: 2, Type: mgmapi.TypeData, ConfigHost: "h2", Host: "10.0.0.2", Status: mgmapi.StatusStarting, StartPhase: 5, NodeGroup: 0,
			Version: "v", Master: true, Port: 11860, LastHeartbeat: hb.Add(time.Second)},
		{NodeID: 3, Type: mgmapi.TypeData, ConfigHost: "h3", Status: mgmapi.StatusNotConnected, NodeGroup: 0, LastHeartbeat: hb},
		{NodeID: 4, Type: mgmapi.TypeAPI, Host: "10.0.0.4", Status: mgmapi.StatusNotStarted, NodeGroup: -1},
		{NodeID: 5, Type: mgmapi.TypeAPI, Status: mgmapi.StatusNotConnected, NodeGroup: -1},
	}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Fatalf("got\n%+v\nwant\n%+v", got, want)
	}
}

func TestClusterLogRing(t *testing.T) {
	c := newClusterLog(3, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if got := c.last(0); len(got) != 0 {
		t.Fatalf("empty log: %v", got)
	}
	for i := 1; i <= 5; i++ {
		c.add(mgmapi.SeverityInfo, "Test", uint32(i), "event %d", i)
		all := c.last(0)
		if len(all) != min(i, 3) || all[len(all)-1].Text != fmt.Sprintf("event %d", i) || all[0].Text != fmt.Sprintf("event %d", max(1, i-2)) {
			t.Fatalf("after %d: %+v", i, all)
		}
	}
	if got := c.last(2); len(got) != 2 || got[0].Text != "event 4" || got[1].Text != "event 5" || got[1].NodeID != 5 {
		t.Fatalf("last(2): %+v", got)
	}
	if got := c.last(10); len(got) != 3 {
		t.Fatalf("last(10): %+v", got)
	}
}

func TestHostMatches(t *testing.T) {
	r := newHostResolver()
	lookups := 0
	r.lookup = func(_ context.Context, host string) ([]netip.Addr, error) {
		lookups++
		switch host {
		case "localhost":
			return []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}, nil
		case "db1":
			return []netip.Addr{netip.MustParseAddr("10.0.0.1")}, nil
		case "me":
			return []netip.Addr{netip.MustParseAddr("192.168.1.5")}, nil
		}
		return nil, fmt.Errorf("no such host %s", host)
	}
	r.localIP = func() []netip.Addr { return []netip.Addr{netip.MustParseAddr("192.168.1.5")} }
	tests := []struct {
		cfg, from string
		want      bool
	}{
		{"", "10.9.9.9", true},
		{"db1", "10.0.0.1", true},
		{"DB1", "10.0.0.1", true},
		{"db1", "10.0.0.2", false},
		{"db1", "127.0.0.1", false}, // db1 is not this host
		{"localhost", "127.0.0.1", true},
		{"localhost", "::1", true},
		{"localhost", "10.0.0.1", false},
		{"me", "127.0.0.1", true}, // this host, reached over loopback
		{"me", "192.168.1.5", true},
		{"10.0.0.7", "10.0.0.7", true},
		{"10.0.0.7", "::ffff:10.0.0.7", true},
		{"nosuch", "10.0.0.1", false},
	}
	for _, tt := range tests {
		if got := r.matches(context.Background(), tt.cfg, tt.from); got != tt.want {
			t.Errorf("matches(%q, %q) = %v", tt.cfg, tt.from, got)
		}
	}
	before := lookups
	r.matches(context.Background(), "db1", "10.0.0.1")
	if lookups != before {
		t.Error("a resolved name was looked up again within the cache time")
	}
}
