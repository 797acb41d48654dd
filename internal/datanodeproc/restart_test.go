package datanodeproc

import (
	"slices"
	"testing"
	"time"

	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/signal"
)

func TestRestorableOf(t *testing.T) {
	g := func(v uint64) *uint64 { return &v }
	t0 := time.Unix(1000, 0)
	data := func(id uint32, st mgmapi.NodeStatus, gci *uint64, hb time.Time) mgmapi.NodeInfo {
		return mgmapi.NodeInfo{NodeID: id, Type: mgmapi.TypeData, Status: st, RestorableGCI: gci, LastHeartbeat: hb}
	}
	tests := []struct {
		name        string
		polls       [][]mgmapi.NodeInfo // the last poll's result is checked
		own         uint64
		wantGCI     uint64
		wantMissing []uint32
		wantRunning uint32
	}{
		{"all reported: the highest wins", [][]mgmapi.NodeInfo{{
			data(1, mgmapi.StatusStarting, nil, t0), // self: own counts, not the figure
			data(2, mgmapi.StatusStarting, g(90), t0),
			data(3, mgmapi.StatusStarting, g(120), t0),
			{NodeID: 4, Type: mgmapi.TypeMgm, Status: mgmapi.StatusStarted},
		}}, 100, 120, nil, 0},
		{"own is highest", [][]mgmapi.NodeInfo{{data(2, mgmapi.StatusStarting, g(90), t0)}}, 100, 100, nil, 0},
		{"not yet reported, not connected", [][]mgmapi.NodeInfo{{
			data(2, mgmapi.StatusStarting, nil, t0),
			data(3, mgmapi.StatusNotConnected, nil, time.Time{}),
		}}, 100, 100, []uint32{2, 3}, 0},
		{"a figure of a node not starting does not count", [][]mgmapi.NodeInfo{{
			data(2, mgmapi.StatusNotStarted, g(500), t0),
		}}, 100, 100, []uint32{2}, 0},
		{"STARTED whose heartbeat stands still: a killed process's lease", [][]mgmapi.NodeInfo{
			{data(2, mgmapi.StatusStarted, nil, t0)},
			{data(2, mgmapi.StatusStarted, nil, t0)},
		}, 100, 100, []uint32{2}, 0},
		{"STARTED and heartbeating: a node restart", [][]mgmapi.NodeInfo{
			{data(2, mgmapi.StatusStarted, nil, t0)},
			{data(2, mgmapi.StatusStarted, nil, t0.Add(time.Second))},
		}, 100, 100, []uint32{2}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[uint32]time.Time{}
			var gci uint64
			var missing []uint32
			var running uint32
			for _, nodes := range tt.polls {
				gci, _, missing, running = restorableOf(nodes, 1, tt.own, seen)
			}
			if gci != tt.wantGCI || !slices.Equal(missing, tt.wantMissing) || running != tt.wantRunning {
				t.Fatalf("got gci %d missing %v running %d, want %d %v %d", gci, missing, running, tt.wantGCI, tt.wantMissing, tt.wantRunning)
			}
		})
	}
}

// TestRestoringNodes: the nodes that restore the agreed GCI come from a
// report of that GCI (this node's own, or another's); none recorded (a
// version 1 sysfile, or no report with the nodes) is nil: every node.
func TestRestoringNodes(t *testing.T) {
	g := func(v uint64) *uint64 { return &v }
	set := func(ns ...int) []uint32 {
		w := make([]uint32, 8)
		for _, n := range ns {
			w[n/32] |= 1 << (n % 32)
		}
		return w
	}
	tests := []struct {
		name     string
		nodes    []mgmapi.NodeInfo
		own      uint64
		ownNodes []uint32
		gci      uint64
		want     []signal.NodeID
	}{
		{"own is the agreed one", nil, 40, set(1, 2), 40, []signal.NodeID{1, 2}},
		{"another's is", []mgmapi.NodeInfo{{NodeID: 2, RestorableGCI: g(50), RestorableNodes: set(2)}}, 40, set(1, 2), 50, []signal.NodeID{2}},
		{"not recorded", []mgmapi.NodeInfo{{NodeID: 2, RestorableGCI: g(50)}}, 40, set(1, 2), 50, nil},
		{"own not recorded", nil, 40, nil, 40, nil},
		{"a report of another GCI does not count", []mgmapi.NodeInfo{{NodeID: 2, RestorableGCI: g(45), RestorableNodes: set(2)}}, 40, set(1), 50, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var own [8]uint32
			copy(own[:], tt.ownNodes)
			got := restoringNodes(tt.nodes, 1, tt.own, own, tt.gci)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
