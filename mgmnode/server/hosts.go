package server

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	grpcpeer "google.golang.org/grpc/peer"
)

// peerHost is the address a call comes from, without the port ("" when
// gRPC does not say).
func peerHost(ctx context.Context) string {
	p, ok := grpcpeer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return ""
	}
	if ap, err := netip.ParseAddrPort(p.Addr.String()); err == nil {
		return ap.Addr().Unmap().String()
	}
	if h, _, err := net.SplitHostPort(p.Addr.String()); err == nil {
		return h
	}
	return p.Addr.String()
}

// hostResolver decides whether a connection from an address may take a
// node id whose config section names a host. Lookups are cached for a
// while: a node id is asked for at start, not per call.
type hostResolver struct {
	mu      sync.Mutex
	cache   map[string]resolved
	lookup  func(ctx context.Context, host string) ([]netip.Addr, error)
	localIP func() []netip.Addr
}

type resolved struct {
	addrs []netip.Addr
	at    time.Time
}

const resolveTTL = 30 * time.Second

func newHostResolver() *hostResolver {
	return &hostResolver{
		cache: map[string]resolved{},
		lookup: func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		},
		localIP: localAddrs,
	}
}

// localAddrs are the addresses of this host's interfaces.
func localAddrs() []netip.Addr {
	ifs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range ifs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr().Unmap())
		}
	}
	return out
}

// matches reports whether a connection from addr (an IP address) comes
// from cfgHost. A config host that is this machine (localhost, or a name
// or address of one of its interfaces) also matches a loopback
// connection, so a node on the management server's host may connect
// over 127.0.0.1.
func (r *hostResolver) matches(ctx context.Context, cfgHost, addr string) bool {
	if cfgHost == "" {
		return true
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return strings.EqualFold(cfgHost, addr)
	}
	a = a.Unmap()
	want := r.resolve(ctx, cfgHost)
	for _, w := range want {
		if w == a {
			return true
		}
	}
	if !a.IsLoopback() {
		return false
	}
	local := r.localIP()
	for _, w := range want {
		if w.IsLoopback() {
			return true
		}
		for _, l := range local {
			if w == l {
				return true
			}
		}
	}
	return false
}

func (r *hostResolver) resolve(ctx context.Context, host string) []netip.Addr {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a.Unmap()}
	}
	key := strings.ToLower(host)
	r.mu.Lock()
	c, ok := r.cache[key]
	r.mu.Unlock()
	if ok && time.Since(c.at) < resolveTTL {
		return c.addrs
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	addrs, err := r.lookup(ctx, host)
	if err != nil && key == "localhost" {
		addrs = []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()}
	}
	for i := range addrs {
		addrs[i] = addrs[i].Unmap()
	}
	if err == nil { // a failed lookup is tried again next time
		r.mu.Lock()
		r.cache[key] = resolved{addrs: addrs, at: time.Now()}
		r.mu.Unlock()
	}
	return addrs
}
