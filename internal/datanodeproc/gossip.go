package datanodeproc

import (
	"net"
	"strconv"
	"time"

	"github.com/gondb/gondb/datanode/node"
	"github.com/gondb/gondb/mgmnode/config"
)

// gossipLeaveTimeout bounds how long a planned stop waits for its gossip
// goodbye to go out.
const gossipLeaveTimeout = time.Second

// gossipConfig is data node id's gossip member (with NodeFailover): on
// its HostName's address and its GossipPort (0: ephemeral), seeded with
// the other data nodes' HostName:GossipPort where their GossipPort is
// set. Data nodes with ephemeral gossip ports find each other without
// seeds: each sends its gossip address to the others over the
// transporter (datanode/node, GOSSIP_ADDRREP), whose ports the
// management node publishes.
func gossipConfig(cfg *config.Config, id int) node.Gossip {
	g := node.Gossip{Enabled: true}
	for _, d := range cfg.DataNodes {
		switch {
		case d.NodeID == id:
			g.BindAddr, g.Port = bindIP(d.HostName), d.GossipPort
		case d.GossipPort != 0 && d.HostName != "":
			g.Seeds = append(g.Seeds, net.JoinHostPort(d.HostName, strconv.Itoa(d.GossipPort)))
		}
	}
	return g
}

// bindIP is the IP address host names, IPv4 first ("": unknown; the
// member then listens on every interface).
func bindIP(host string) string {
	if host == "" {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.String()
	}
	ips, err := net.LookupIP(host)
	if err != nil || len(ips) == 0 {
		return ""
	}
	for _, ip := range ips {
		if ip.To4() != nil {
			return ip.String()
		}
	}
	return ips[0].String()
}
