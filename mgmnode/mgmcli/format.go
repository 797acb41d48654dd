package mgmcli

import (
	"fmt"
	"io"
	"strings"

	"github.com/gondb/gondb/mgmnode/mgmapi"
)

// WriteShow prints nodes as ndb_mgm's SHOW does:
//
//	Cluster Configuration
//	---------------------
//	[ndbd(NDB)]	2 node(s)
//	id=2	@127.0.0.1  (gondb-dev, Nodegroup: 0, *)
//	id=3 (not connected, accepting connect from localhost)
//
//	[ndb_mgmd(MGM)]	1 node(s)
//	id=1	@127.0.0.1  (gondb-dev)
//
//	[mysqld(API)]	2 node(s)
//	id=4	@10.0.0.7  (gondb-dev)
//	id=5 (not connected, accepting connect from any host)
//
// SQL and API nodes share the [mysqld(API)] group, as in NDB. A data node
// that is not started shows its status before the node group.
func WriteShow(w io.Writer, nodes []mgmapi.NodeInfo) {
	fmt.Fprintln(w, "Cluster Configuration")
	fmt.Fprintln(w, "---------------------")
	groups := []struct {
		title string
		match func(mgmapi.NodeType) bool
	}{
		{"ndbd(NDB)", func(t mgmapi.NodeType) bool { return t == mgmapi.TypeData }},
		{"ndb_mgmd(MGM)", func(t mgmapi.NodeType) bool { return t == mgmapi.TypeMgm }},
		{"mysqld(API)", func(t mgmapi.NodeType) bool { return t == mgmapi.TypeSQL || t == mgmapi.TypeAPI }},
	}
	for _, g := range groups {
		var in []mgmapi.NodeInfo
		for _, n := range nodes {
			if g.match(n.Type) {
				in = append(in, n)
			}
		}
		fmt.Fprintf(w, "[%s]\t%d node(s)\n", g.title, len(in))
		for _, n := range in {
			fmt.Fprintln(w, showLine(n))
		}
		fmt.Fprintln(w)
	}
}

func showLine(n mgmapi.NodeInfo) string {
	if n.Status == mgmapi.StatusNotConnected {
		from := n.ConfigHost
		if from == "" {
			from = "any host"
		}
		return fmt.Sprintf("id=%d (not connected, accepting connect from %s)", n.NodeID, from)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "id=%d", n.NodeID)
	if n.Host == "" {
		b.WriteString(" ")
	} else {
		fmt.Fprintf(&b, "\t@%s", n.Host)
	}
	fmt.Fprintf(&b, "  (%s", version(n))
	if n.Type == mgmapi.TypeData {
		if n.Status != mgmapi.StatusStarted {
			b.WriteString(", " + n.Status.Words())
		}
		if n.Status == mgmapi.StatusStarting && n.NodeRestart != nil {
			b.WriteString(", node restart: " + n.NodeRestart.Step)
			if f := n.NodeRestart.Fragments; f > 0 {
				fmt.Fprintf(&b, " %d%%", n.NodeRestart.FragmentsCopied*100/f)
			}
		}
		if n.NodeGroup >= 0 {
			fmt.Fprintf(&b, ", Nodegroup: %d", n.NodeGroup)
		} else {
			b.WriteString(", no nodegroup")
		}
		if n.Master {
			b.WriteString(", *")
		}
	}
	b.WriteString(")")
	return b.String()
}

func version(n mgmapi.NodeInfo) string {
	if n.Version == "" {
		return "gondb"
	}
	return n.Version
}

// WriteStatus prints one node's status as ndb_mgm's STATUS does, with a
// node restart's progress while it copies:
//
//	Node 2: started (gondb-dev)
//	Node 3: starting (Last completed phase 4) (gondb-dev)
//	Node 3: starting (Last completed phase 3) (node restart: copying, 5 of 12 fragments, 41%, 20480 rows) (gondb-dev)
//	Node 4: not connected
func WriteStatus(w io.Writer, n mgmapi.NodeInfo) {
	switch {
	case n.Status == mgmapi.StatusNotConnected:
		fmt.Fprintf(w, "Node %d: not connected\n", n.NodeID)
	case n.Type != mgmapi.TypeData:
		fmt.Fprintf(w, "Node %d: connected (%s)\n", n.NodeID, version(n))
	default:
		fmt.Fprintf(w, "Node %d: %s (%s)\n", n.NodeID, statusWords(n), version(n))
	}
}

// statusWords is a data node's status as STATUS prints it, without the
// node id and the version: "starting (Last completed phase 3) (node
// restart: copying, 5 of 12 fragments, 41%)".
func statusWords(n mgmapi.NodeInfo) string {
	if n.Status != mgmapi.StatusStarting {
		return n.Status.Words()
	}
	s := fmt.Sprintf("starting (Last completed phase %d)", n.StartPhase)
	if p := n.NodeRestart; p != nil {
		s += " (node restart: " + p.Step
		if p.Fragments > 0 {
			s += fmt.Sprintf(", %d of %d fragments, %d%%", p.FragmentsCopied, p.Fragments, p.FragmentsCopied*100/p.Fragments)
		}
		if p.RowsCopied > 0 {
			s += fmt.Sprintf(", %d rows", p.RowsCopied)
		}
		s += ")"
	}
	return s
}

// WriteMemoryUsage prints what a data node reported, as ndb_mgm's REPORT
// MEMORYUSAGE does:
//
//	Node 2: Data usage is 5%(177 32K pages of total 3200)
//	Node 2: Index usage is 0%(108 8K pages of total 12832)
func WriteMemoryUsage(w io.Writer, n mgmapi.NodeInfo) {
	switch {
	case n.Status == mgmapi.StatusNotConnected:
		fmt.Fprintf(w, "Node %d: not connected\n", n.NodeID)
		return
	case len(n.Memory) == 0:
		fmt.Fprintf(w, "Node %d: no memory usage reported\n", n.NodeID)
		return
	}
	for _, m := range n.Memory {
		pct := uint64(0)
		if m.Total > 0 {
			pct = m.Used * 100 / m.Total
		}
		if m.PageSize == 0 {
			fmt.Fprintf(w, "Node %d: %s usage is %d%%(%d bytes of total %d)\n", n.NodeID, m.Resource, pct, m.Used, m.Total)
			continue
		}
		size := fmt.Sprintf("%dK", m.PageSize/1024)
		if m.PageSize%1024 != 0 {
			size = fmt.Sprintf("%d-byte", m.PageSize)
		}
		fmt.Fprintf(w, "Node %d: %s usage is %d%%(%d %s pages of total %d)\n", n.NodeID, m.Resource, pct, m.Used, size, m.Total)
	}
}

// WriteClusterLog prints events as NDB's cluster log file has them:
//
//	2024-05-01 10:00:00 [MgmtSrvr] INFO     -- Node 2: Started (gondb-dev)
func WriteClusterLog(w io.Writer, events []mgmapi.LogEvent) {
	for _, e := range events {
		fmt.Fprintf(w, "%s [MgmtSrvr] %-8s -- %s\n", e.Time.Local().Format("2006-01-02 15:04:05"), e.Severity, e.Text)
	}
}
