package server

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gondb/gondb/mgmnode/config"
	"github.com/gondb/gondb/mgmnode/mgmapi"
	"github.com/gondb/gondb/mgmnode/state"
)

// The plan: data nodes by id, the president last, nodes that are not
// connected or not started skipped.
func TestRollingPlan(t *testing.T) {
	d := func(id uint32, ng int, st mgmapi.NodeStatus, master bool) mgmapi.NodeInfo {
		return mgmapi.NodeInfo{NodeID: id, Type: mgmapi.TypeData, NodeGroup: ng, Status: st, Master: master}
	}
	tests := []struct {
		name  string
		nodes []mgmapi.NodeInfo
		want  string
	}{
		{"president first in id order", []mgmapi.NodeInfo{
			{NodeID: 1, Type: mgmapi.TypeMgm, Status: mgmapi.StatusStarted, NodeGroup: -1},
			d(2, 0, mgmapi.StatusStarted, true), d(3, 0, mgmapi.StatusStarted, false),
			d(4, 1, mgmapi.StatusStarted, false), d(5, 1, mgmapi.StatusStarting, false),
			{NodeID: 6, Type: mgmapi.TypeAPI, Status: mgmapi.StatusStarted, NodeGroup: -1},
		}, "3:0:waiting 4:1:waiting 5:1:waiting 2:0:waiting"},
		{"skipped nodes stay in place", []mgmapi.NodeInfo{
			d(5, 1, mgmapi.StatusNotConnected, false), d(3, 0, mgmapi.StatusStarted, true),
			d(2, 0, mgmapi.StatusNotStarted, false), d(4, 1, mgmapi.StatusStopping, false),
		}, "2:0:skipped 4:1:skipped 5:1:skipped 3:0:waiting"},
		{"a president that is not started is skipped in place", []mgmapi.NodeInfo{
			d(2, 0, mgmapi.StatusNotStarted, true), d(3, 0, mgmapi.StatusStarted, false),
		}, "2:0:skipped 3:0:waiting"},
	}
	for _, tt := range tests {
		var got []string
		for _, n := range rollingPlan(tt.nodes) {
			got = append(got, strings.Join([]string{itoa(n.NodeID), itoa(uint32(n.NodeGroup)), string(n.State)}, ":"))
		}
		if g := strings.Join(got, " "); g != tt.want {
			t.Errorf("%s: plan %s, want %s", tt.name, g, tt.want)
		}
	}
}

func itoa(v uint32) string { return strconv.Itoa(int(v)) }

// A node is restarted only when it and the rest of its node group are
// STARTED; a node that is gone by its turn is skipped.
func TestRollReady(t *testing.T) {
	cfg := map[uint32]configNode{2: {mgmapi.TypeData, "", 0}, 3: {mgmapi.TypeData, "", 0}, 4: {mgmapi.TypeData, "", 1},
		1: {mgmapi.TypeMgm, "", -1}}
	held := []state.NodeLease{{ID: 1}, {ID: 2}, {ID: 3}, {ID: 4}}
	reg := func(st2, st3, st4 state.NodeState) []state.NodeInfo {
		return []state.NodeInfo{{ID: 1, State: state.StateStarted}, {ID: 2, State: st2}, {ID: 3, State: st3}, {ID: 4, State: st4}}
	}
	S, G, N := state.StateStarted, state.StateStarting, state.StateNotConnected
	node2 := mgmapi.RollingNode{NodeID: 2, NodeGroup: 0}
	tests := []struct {
		regs []state.NodeInfo
		held []state.NodeLease
		why  string
		skip bool
	}{
		{reg(S, S, S), held, "", false},
		{reg(S, S, G), held, "", false}, // another node group's node does not matter
		{reg(S, G, S), held, "node 3 of its node group 0 is starting: restarting it would leave the node group without a live node", false},
		{reg(S, S, S), held[:2], "node 3 of its node group 0 is not connected", false},
		{reg(G, S, S), held, "the node is starting", false},
		{reg(N, S, S), held, "not started any more (START starts it)", true},
		{reg(S, S, S), held[2:], "not connected any more", true},
	}
	for i, tt := range tests {
		why, skip := rollReady(cfg, tt.regs, tt.held, node2)
		if !strings.HasPrefix(why, tt.why) || (tt.why == "" && why != "") || skip != tt.skip {
			t.Errorf("%d: rollReady = %q, %v; want %q..., %v", i, why, skip, tt.why, tt.skip)
		}
	}
}

// RESTART of every data node is rolling only with NodeFailover and a
// second node in every node group.
func TestWhyNotRolling(t *testing.T) {
	mk := func(failover bool, replicas int, groups ...int) *config.Config {
		c := &config.Config{Cluster: config.Cluster{NodeFailover: failover, NoOfReplicas: replicas}}
		for i, g := range groups {
			c.DataNodes = append(c.DataNodes, config.DataNode{NodeID: 2 + i, NodeGroup: g})
		}
		return c
	}
	tests := []struct {
		cfg  *config.Config
		want string
	}{
		{mk(true, 2, 0, 0, 1, 1), ""},
		{mk(false, 2, 0, 0), "NodeFailover is off"},
		{mk(true, 1, 0, 1), "node group 0 has one data node (NoOfReplicas=1)"},
	}
	for i, tt := range tests {
		got := whyNotRolling(tt.cfg)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%d: %q, want %q", i, got, tt.want)
		}
	}
}

func TestLatestRolling(t *testing.T) {
	t0 := time.Now()
	old := &mgmapi.RollingRestart{ID: 1, Began: t0, Ended: t0.Add(time.Second)}
	newer := &mgmapi.RollingRestart{ID: 2, Began: t0.Add(2 * time.Second), Ended: t0.Add(3 * time.Second)}
	running := &mgmapi.RollingRestart{ID: 3, Began: t0.Add(-time.Hour)}
	for i, tt := range []struct{ a, b, want *mgmapi.RollingRestart }{
		{nil, nil, nil}, {old, nil, old}, {nil, old, old}, {old, newer, newer}, {newer, old, newer},
		{newer, running, running}, {running, old, running},
	} {
		if got := latestRolling(tt.a, tt.b); got != tt.want {
			t.Errorf("%d: got %v, want %v", i, got, tt.want)
		}
	}
}
