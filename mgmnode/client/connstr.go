package client

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/gondb/gondb/mgmnode/mgmapi"
)

// ConnectString is a parsed NDB connect string.
type ConnectString struct {
	// NodeID is the "nodeid=N" part, 0 when absent.
	NodeID uint32
	// Addrs are the management servers as host:port, in the order to try.
	Addrs []string
}

// ParseConnectString reads an NDB-style connect string:
//
//	[nodeid=N,]host[:port][,host[:port]]...
//
// A host without a port gets mgmapi.DefaultPort (1186); an IPv6 address
// with a port is written in brackets ("[::1]:1186"). Entries may also be
// written "host=H[:port]" as NDB allows. Spaces around entries are
// ignored; an empty string means "localhost:1186".
func ParseConnectString(s string) (ConnectString, error) {
	var cs ConnectString
	if strings.TrimSpace(s) == "" {
		cs.Addrs = []string{net.JoinHostPort("localhost", strconv.Itoa(mgmapi.DefaultPort))}
		return cs, nil
	}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return ConnectString{}, fmt.Errorf("connect string %q: empty entry", s)
		}
		if k, v, ok := strings.Cut(part, "="); ok {
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "nodeid":
				if cs.NodeID != 0 {
					return ConnectString{}, fmt.Errorf("connect string %q: nodeid given twice", s)
				}
				n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
				if err != nil || n == 0 || n > 255 {
					return ConnectString{}, fmt.Errorf("connect string %q: nodeid %q is not a node id (1..255)", s, v)
				}
				cs.NodeID = uint32(n)
				continue
			case "host":
				part = strings.TrimSpace(v)
			default:
				return ConnectString{}, fmt.Errorf("connect string %q: unknown key %q (want nodeid= or host=)", s, k)
			}
		}
		addr, err := hostPort(part)
		if err != nil {
			return ConnectString{}, fmt.Errorf("connect string %q: %v", s, err)
		}
		cs.Addrs = append(cs.Addrs, addr)
	}
	if len(cs.Addrs) == 0 {
		return ConnectString{}, fmt.Errorf("connect string %q names no management server", s)
	}
	return cs, nil
}

// hostPort adds the default port when the entry has none.
func hostPort(e string) (string, error) {
	if h, p, err := net.SplitHostPort(e); err == nil {
		n, perr := strconv.ParseUint(p, 10, 16)
		if h == "" || perr != nil || n == 0 {
			return "", fmt.Errorf("%q: want host:port with a port in 1..65535", e)
		}
		return net.JoinHostPort(h, p), nil
	}
	// No port: a bare host name, IPv4 address, or IPv6 address (with or
	// without brackets).
	h := strings.TrimSuffix(strings.TrimPrefix(e, "["), "]")
	if h == "" || strings.ContainsAny(h, " /[]") || (strings.Contains(h, ":") && net.ParseIP(h) == nil) {
		return "", fmt.Errorf("%q is not a host or host:port", e)
	}
	return net.JoinHostPort(h, strconv.Itoa(mgmapi.DefaultPort)), nil
}
