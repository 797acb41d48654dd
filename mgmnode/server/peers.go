package server

import (
	"context"
	"net"
	"strconv"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/gondb/gondb/mgmnode/mgmapi"
)

// peers are the other management servers of the configuration, reached
// with the management API itself. Connections are made on first use and
// dropped when the configuration changes.
type peers struct {
	s     *Server
	mu    sync.Mutex
	conns map[string]*grpc.ClientConn
}

type peer struct {
	id   uint32
	addr string
	cl   *mgmapi.Client
}

func newPeers(s *Server) *peers { return &peers{s: s, conns: map[string]*grpc.ClientConn{}} }

// list returns the other management servers of the current configuration.
func (p *peers) list() []peer {
	conf := p.s.conf.Load().Config
	var out []peer
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range conf.MgmNodes {
		id := uint32(m.NodeID)
		if id == p.s.cfg.NodeID {
			continue
		}
		addr, ok := p.s.cfg.PeerAddrs[id]
		if !ok {
			addr = net.JoinHostPort(m.HostName, strconv.Itoa(m.PortNumber))
		}
		cc := p.conns[addr]
		if cc == nil {
			var err error
			cc, err = grpc.NewClient("passthrough:///"+addr, append([]grpc.DialOption{
				grpc.WithTransportCredentials(insecure.NewCredentials()),
				grpc.WithContextDialer(func(ctx context.Context, a string) (net.Conn, error) {
					var d net.Dialer
					return d.DialContext(ctx, "tcp", a)
				}),
				grpc.WithDisableServiceConfig(),
			}, mgmapi.DialOptions()...)...)
			if err != nil {
				p.s.log.Warn("mgmd: peer management server", "node", id, "addr", addr, "err", err)
				continue
			}
			p.conns[addr] = cc
		}
		out = append(out, peer{id: id, addr: addr, cl: mgmapi.NewClient(cc)})
	}
	return out
}

// reset drops the connections (the configuration changed).
func (p *peers) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for a, cc := range p.conns {
		cc.Close()
		delete(p.conns, a)
	}
}

func (p *peers) close() { p.reset() }

// each calls fn for every peer whose node id is held (a server that is
// down is not waited for), concurrently, each under the peer timeout, and
// waits for all.
func (p *peers) each(ctx context.Context, held map[uint32]bool, fn func(ctx context.Context, pr peer)) {
	var wg sync.WaitGroup
	for _, pr := range p.list() {
		if !held[pr.id] {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(ctx, p.s.cfg.PeerTimeout)
			defer cancel()
			fn(ctx, pr)
		}()
	}
	wg.Wait()
}
