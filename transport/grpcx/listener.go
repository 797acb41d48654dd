package grpcx

import (
	"net"
	"sync"
)

// connListener tracks the connections it accepts by remote address, so
// that the acceptor can end a stream whose handler is stuck in SendMsg
// (a gRPC server handler cannot cancel its own stream): it closes the
// connection under it. A peer has one connection, so this ends only
// that peer's traffic.
type connListener struct {
	net.Listener
	mu    sync.Mutex
	conns map[string]*trackedConn
}

func newConnListener(ln net.Listener) *connListener {
	return &connListener{Listener: ln, conns: make(map[string]*trackedConn)}
}

func (l *connListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, l: l, key: c.RemoteAddr().String()}
	l.mu.Lock()
	l.conns[tc.key] = tc
	l.mu.Unlock()
	return tc, nil
}

// closeConn closes the accepted connection from remote, if still open.
func (l *connListener) closeConn(remote string) {
	l.mu.Lock()
	c := l.conns[remote]
	l.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

type trackedConn struct {
	net.Conn
	l    *connListener
	key  string
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		if c.l.conns[c.key] == c {
			delete(c.l.conns, c.key)
		}
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}
