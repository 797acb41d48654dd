package grpcx

import (
	"crypto/tls"
	"errors"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/gondb/gondb/signal"
	"github.com/gondb/gondb/transport/transporttest"
)

func validConfig() Config {
	c := DefaultConfig()
	c.Self = 2
	c.Listen = "127.0.0.1:0"
	c.Peers = map[signal.NodeID]string{1: "127.0.0.1:7001", 3: ""}
	c.Receiver = transporttest.NewCollector()
	return c
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"test default", func(c *Config) {
			d := DefaultTestConfig()
			d.Self, d.Listen, d.Peers, d.Receiver = c.Self, c.Listen, c.Peers, c.Receiver
			*c = d
		}, true},
		{"dynamic window", func(c *Config) { c.WindowBytes = 0 }, true},
		{"higher peer with address", func(c *Config) { c.Peers[3] = "127.0.0.1:7003" }, true},
		{"mutual TLS", func(c *Config) {
			c.TLS = &tls.Config{Certificates: make([]tls.Certificate, 1), ClientAuth: tls.RequireAndVerifyClientCert}
		}, true},
		{"self 0", func(c *Config) { c.Self = 0 }, false},
		{"self too large", func(c *Config) { c.Self = signal.MaxNodeID + 1 }, false},
		{"no listen", func(c *Config) { c.Listen = "" }, false},
		{"listen without port", func(c *Config) { c.Listen = "127.0.0.1" }, false},
		{"peer 0", func(c *Config) { c.Peers[0] = "127.0.0.1:1" }, false},
		{"peer is self", func(c *Config) { c.Peers[2] = "127.0.0.1:1" }, false},
		{"peer too large", func(c *Config) { c.Peers[signal.MaxNodeID+1] = "127.0.0.1:1" }, false},
		{"lower peer without address", func(c *Config) { c.Peers[1] = "" }, false},
		{"bad address", func(c *Config) { c.Peers[1] = "nowhere" }, false},
		{"TLS without certificate", func(c *Config) {
			c.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert}
		}, false},
		{"TLS without client auth", func(c *Config) {
			c.TLS = &tls.Config{Certificates: make([]tls.Certificate, 1)}
		}, false},
		{"message too small", func(c *Config) { c.MessageBytes = 1 << 10 }, false},
		{"message too large", func(c *Config) { c.MessageBytes = maxMessageBytes + 1; c.SendBufferBytes = 64 << 20 }, false},
		{"send buffer below message", func(c *Config) { c.SendBufferBytes = c.MessageBytes - 1 }, false},
		{"window too small", func(c *Config) { c.WindowBytes = 1 << 10 }, false},
		{"no handshake timeout", func(c *Config) { c.HandshakeTimeout = 0 }, false},
		{"no reconnect min", func(c *Config) { c.ReconnectMin = 0 }, false},
		{"reconnect max below min", func(c *Config) { c.ReconnectMax = c.ReconnectMin / 2 }, false},
		{"keepalive too often", func(c *Config) { c.KeepaliveInterval = 100 * time.Millisecond }, false},
		{"no keepalive timeout", func(c *Config) { c.KeepaliveTimeout = 0 }, false},
		{"no receiver", func(c *Config) { c.Receiver = nil }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			tc.edit(&c)
			before := c
			before.Peers = make(map[signal.NodeID]string)
			for k, v := range c.Peers {
				before.Peers[k] = v
			}
			err := c.Validate()
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrConfig)) {
				t.Fatalf("Validate = %v, want ok %v", err, tc.ok)
			}
			if !reflect.DeepEqual(before, c) {
				t.Fatalf("Validate changed the config")
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	c := validConfig()
	c.Self = 0
	if _, err := New(c); !errors.Is(err, ErrConfig) {
		t.Fatalf("New with an invalid config: %v", err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	c = validConfig()
	c.Listen = busy.Addr().String()
	if tr, err := New(c); err == nil {
		tr.Close()
		t.Fatal("New listened on a busy port")
	}
}
