package tcp_test

import (
	"errors"
	"maps"
	"testing"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport/tcp"
	"github.com/gondb/gondb/transport/transporttest"
)

func TestConfigValidate(t *testing.T) {
	good := testConfig(2, transporttest.NewCollector())
	good.Peers = map[signal.NodeID]string{1: "127.0.0.1:1186", 3: ""}
	tests := []struct {
		name   string
		mutate func(*tcp.Config)
		ok     bool
	}{
		{"default", func(*tcp.Config) {}, true},
		{"self zero", func(c *tcp.Config) { c.Self = 0 }, false},
		{"self too big", func(c *tcp.Config) { c.Self = signal.MaxNodeID + 1 }, false},
		{"no listen address", func(c *tcp.Config) { c.Listen = "" }, false},
		{"listen without port", func(c *tcp.Config) { c.Listen = "127.0.0.1" }, false},
		{"self as peer", func(c *tcp.Config) { c.Peers[2] = "127.0.0.1:1" }, false},
		{"peer zero", func(c *tcp.Config) { c.Peers[0] = "127.0.0.1:1" }, false},
		{"lower peer without address", func(c *tcp.Config) { c.Peers[1] = "" }, false},
		{"bad peer address", func(c *tcp.Config) { c.Peers[3] = "nowhere" }, false},
		{"no send buffer", func(c *tcp.Config) { c.SendBufferBytes = 0 }, false},
		{"no heartbeat", func(c *tcp.Config) { c.HeartbeatInterval = 0 }, false},
		{"reconnect min zero", func(c *tcp.Config) { c.ReconnectMin = 0 }, false},
		{"reconnect max below min", func(c *tcp.Config) { c.ReconnectMax = c.ReconnectMin / 2 }, false},
		{"no handshake timeout", func(c *tcp.Config) { c.HandshakeTimeout = 0 }, false},
		{"no receiver", func(c *tcp.Config) { c.Receiver = nil }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			c.Peers = maps.Clone(good.Peers)
			tc.mutate(&c)
			before := c
			before.Peers = maps.Clone(c.Peers)
			err := c.Validate()
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, tcp.ErrConfig)) {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
			if c.Self != before.Self || c.Listen != before.Listen || c.SendBufferBytes != before.SendBufferBytes ||
				c.HeartbeatInterval != before.HeartbeatInterval || !maps.Equal(c.Peers, before.Peers) {
				t.Fatal("Validate changed the config")
			}
			if !tc.ok {
				if _, err := tcp.New(c); !errors.Is(err, tcp.ErrConfig) {
					t.Fatalf("New accepted an invalid config: %v", err)
				}
			}
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	c := tcp.DefaultConfig()
	if c.SendBufferBytes != 8<<20 || c.HeartbeatInterval.Milliseconds() != 500 ||
		c.ReconnectMin.Milliseconds() != 50 || c.ReconnectMax.Milliseconds() != 2000 {
		t.Fatalf("defaults changed: %+v", c)
	}
}
