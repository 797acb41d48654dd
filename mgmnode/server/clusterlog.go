package server

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gondb/gondb/mgmnode/mgmapi"
)

// clusterLog keeps the last events in a ring and logs each through slog.
// Safe for concurrent use.
type clusterLog struct {
	log  *slog.Logger
	mu   sync.Mutex
	ring []mgmapi.LogEvent
	next int  // where the next event goes
	full bool // the ring has wrapped
	now  func() time.Time
}

func newClusterLog(size int, log *slog.Logger) *clusterLog {
	return &clusterLog{log: log, ring: make([]mgmapi.LogEvent, size), now: time.Now}
}

// add records an event about node (0: the cluster).
func (c *clusterLog) add(sev mgmapi.Severity, category string, node uint32, format string, args ...any) {
	e := mgmapi.LogEvent{Time: c.now(), Severity: sev, Category: category, NodeID: node, Text: fmt.Sprintf(format, args...)}
	c.mu.Lock()
	c.ring[c.next] = e
	c.next++
	if c.next == len(c.ring) {
		c.next, c.full = 0, true
	}
	c.mu.Unlock()
	level := slog.LevelInfo
	switch sev {
	case mgmapi.SeverityWarning:
		level = slog.LevelWarn
	case mgmapi.SeverityAlert:
		level = slog.LevelError
	}
	c.log.Log(context.Background(), level, "cluster log: "+e.Text, "category", category, "node", node)
}

// last returns up to max events (0: all kept), oldest first.
func (c *clusterLog) last(max int) []mgmapi.LogEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.next
	if c.full {
		n = len(c.ring)
	}
	if max <= 0 || max > n {
		max = n
	}
	out := make([]mgmapi.LogEvent, 0, max)
	start := c.next - max
	if start < 0 {
		start += len(c.ring)
	}
	for i := range max {
		out = append(out, c.ring[(start+i)%len(c.ring)])
	}
	return out
}
