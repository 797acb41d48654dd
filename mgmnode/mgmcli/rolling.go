package mgmcli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gondb/gondb/mgmnode/mgmapi"
)

// rollingPoll is how often a rolling restart's progress is read.
const rollingPoll = 250 * time.Millisecond

// rollingQuiet is the least time between two progress lines of one node
// whose step and start phase did not change (fragments copied).
const rollingQuiet = time.Second

// followRolling prints a rolling restart the management server runs,
// reading its progress (StatusReply.Rolling) until it ends. With no
// --wait it prints the plan only: the restart goes on in the server.
func (in *Interpreter) followRolling(ctx context.Context, r *mgmapi.RollingRestart) error {
	began := time.Now()
	p := &rollingPrinter{w: in.Out}
	p.update(r, nil, 0)
	if in.Wait <= 0 {
		fmt.Fprintf(in.Out, "The rolling restart goes on in management server %d; ALL STATUS shows where it is.\n", r.MgmNodeID)
		return nil
	}
	// The server may be answered for by another management server (a
	// failover); one that no longer reports this rolling restart for a
	// while has lost it (the server running it stopped).
	lostFor := 3 * max(in.CallTimeout, 10*time.Second)
	lastSeen, lastErr := time.Now(), error(nil)
	for r.Running() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(rollingPoll):
		}
		st, err := in.statusReply(ctx)
		switch {
		case err != nil:
			lastErr = err
		case st.Rolling == nil || st.Rolling.ID != r.ID || st.Rolling.MgmNodeID != r.MgmNodeID:
			lastErr = fmt.Errorf("management server %d answers, but no longer reports the rolling restart", st.MgmNodeID)
		default:
			r, lastSeen = st.Rolling, time.Now()
			p.update(r, st.Nodes, time.Since(began))
			continue
		}
		if time.Since(lastSeen) > lostFor {
			return fmt.Errorf("rolling restart: no news of it for %v (%v); management server %d ran it, %s",
				lostFor, lastErr, r.MgmNodeID, rollingSummary(r))
		}
	}
	if r.Error != "" {
		return fmt.Errorf("rolling restart stopped: %s; %s", r.Error, rollingSummary(r))
	}
	return nil
}

// rollingSummary says which nodes a rolling restart restarted.
func rollingSummary(r *mgmapi.RollingRestart) string {
	var done, left []string
	for _, n := range r.Nodes {
		switch n.State {
		case mgmapi.RollingStarted:
			done = append(done, fmt.Sprint(n.NodeID))
		case mgmapi.RollingWaiting, mgmapi.RollingRestarting, mgmapi.RollingFailed:
			left = append(left, fmt.Sprint(n.NodeID))
		}
	}
	return fmt.Sprintf("restarted: %s; not (yet) restarted: %s", orNone(done), orNone(left))
}

func orNone(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

// rollingPrinter prints a rolling restart's progress from successive
// states: one line when a node is restarted, lines as it starts again
// (its start phase and node restart progress), one when it is started,
// and the outcome.
type rollingPrinter struct {
	w     io.Writer
	total int // nodes planned (not skipped at the start)
	ended bool
	nodes map[uint32]*rollingSeen // nil until the plan is printed
}

type rollingSeen struct {
	nth   int // its place among the planned nodes, from 1
	state mgmapi.RollingState
	key   string        // status, phase and node restart step last printed
	line  string        // the status words last printed
	at    time.Duration // when
}

// update prints what changed since the last state: r is the rolling
// restart, nodes the cluster's status (nil: unknown), elapsed the time
// since the client began following.
func (p *rollingPrinter) update(r *mgmapi.RollingRestart, nodes []mgmapi.NodeInfo, elapsed time.Duration) {
	stamp := fmt.Sprintf("[+%.1fs]", elapsed.Seconds())
	if p.nodes == nil {
		p.nodes = map[uint32]*rollingSeen{}
		var ids []string
		for _, n := range r.Nodes {
			seen := &rollingSeen{state: mgmapi.RollingWaiting}
			if n.State != mgmapi.RollingSkipped {
				p.total++
				seen.nth = p.total
				ids = append(ids, fmt.Sprint(n.NodeID))
			}
			p.nodes[n.NodeID] = seen
		}
		fmt.Fprintf(p.w, "Rolling restart of data nodes %s, one at a time (NodeFailover is on): each is restarted once the other nodes of its node group are started, the next once it is started again.\n",
			orNone(ids))
	}
	for _, n := range r.Nodes {
		seen := p.nodes[n.NodeID]
		if seen == nil {
			continue
		}
		if seen.state == mgmapi.RollingWaiting && (n.State == mgmapi.RollingRestarting ||
			(n.State == mgmapi.RollingStarted || n.State == mgmapi.RollingFailed) && !n.Began.IsZero()) {
			fmt.Fprintf(p.w, "Node %d is being restarted (%d of %d) %s\n", n.NodeID, seen.nth, p.total, stamp)
		}
		if n.State == mgmapi.RollingRestarting {
			if i := nodeIndex(nodes, n.NodeID); i >= 0 {
				p.progress(seen, nodes[i], elapsed, stamp)
			}
		}
		if seen.state != n.State {
			switch n.State {
			case mgmapi.RollingStarted:
				took := n.Ended.Sub(n.Began).Round(100 * time.Millisecond)
				fmt.Fprintf(p.w, "Node %d: Started (restarted in %v) %s\n", n.NodeID, took, stamp)
			case mgmapi.RollingFailed:
				fmt.Fprintf(p.w, "Node %d: rolling restart failed: %s %s\n", n.NodeID, n.Note, stamp)
			case mgmapi.RollingSkipped:
				fmt.Fprintf(p.w, "Node %d: %s; not restarted.\n", n.NodeID, n.Note)
			}
			seen.state = n.State
		}
	}
	if !r.Running() && !p.ended {
		p.ended = true
		restarted := 0
		for _, n := range r.Nodes {
			if n.State == mgmapi.RollingStarted {
				restarted++
			}
		}
		took := r.Ended.Sub(r.Began).Round(100 * time.Millisecond)
		if r.Error == "" {
			fmt.Fprintf(p.w, "Rolling restart done: %d data node(s) restarted in %v.\n", restarted, took)
		} else {
			fmt.Fprintf(p.w, "Rolling restart stopped after %v: %d data node(s) restarted.\n", took, restarted)
		}
	}
}

// progress prints a restarting node's status when it moved on: at once
// for a new status, start phase or node restart step, at most every
// rollingQuiet for more fragments copied.
func (p *rollingPrinter) progress(seen *rollingSeen, n mgmapi.NodeInfo, elapsed time.Duration, stamp string) {
	if n.Status == mgmapi.StatusStarted {
		return // the Started line says it
	}
	key := fmt.Sprintf("%v/%d", n.Status, n.StartPhase)
	if n.NodeRestart != nil {
		key += "/" + n.NodeRestart.Step
	}
	line := statusWords(n)
	if line == seen.line || (key == seen.key && elapsed-seen.at < rollingQuiet) {
		return
	}
	fmt.Fprintf(p.w, "Node %d: %s %s\n", n.NodeID, line, stamp)
	seen.key, seen.line, seen.at = key, line, elapsed
}

func nodeIndex(nodes []mgmapi.NodeInfo, id uint32) int {
	for i, n := range nodes {
		if n.NodeID == id {
			return i
		}
	}
	return -1
}
