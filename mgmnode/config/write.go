package config

import (
	"io"
	"reflect"
	"sort"
	"strings"
)

// WriteINI writes c as a config.ini that Parse reads back to an equal
// Config: the cluster-wide parameters and the values all data nodes share
// in [ndbd default] (likewise for the other kinds), then one section per
// node in node id order with its id and what differs. It refuses, with
// Validate's error, a Config that is not valid.
func (c *Config) WriteINI(w io.Writer) error {
	if err := c.Validate(); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("# gondb cluster configuration (config.ini, NDB format).\n")

	data := byID(c.DataNodes, func(d DataNode) int { return d.NodeID })
	given := make([]int, len(data))
	for i := range given {
		given[i] = -1
	}
	groups := autoNodeGroups(given, c.Cluster.NoOfReplicas)
	explicitGroups := false
	for i, d := range data {
		explicitGroups = explicitGroups || d.NodeGroup != groups[i]
	}
	dataBase := common(SectionNDBD, ptrs(data), DefaultDataNode())

	b.WriteString("\n[ndbd default]\n")
	cluster, clusterDefault := c.Cluster, DefaultCluster()
	writeParams(&b, SectionNDBD, reflect.ValueOf(&cluster), reflect.ValueOf(&clusterDefault), "NoOfReplicas")
	builtin := DefaultDataNode()
	writeParams(&b, SectionNDBD, dataBase, reflect.ValueOf(&builtin))

	if tcp, base := c.TCP, DefaultTCP(); tcp != base {
		b.WriteString("\n[tcp default]\n")
		writeParams(&b, SectionTCP, reflect.ValueOf(&tcp), reflect.ValueOf(&base))
	}

	mgm := byID(c.MgmNodes, func(m MgmNode) int { return m.NodeID })
	mgmBase := writeDefaultSection(&b, "ndb_mgmd", SectionMgmd, ptrs(mgm), DefaultMgmNode())
	for _, m := range ptrs(mgm) {
		b.WriteString("\n[ndb_mgmd]\n")
		writeParams(&b, SectionMgmd, m, mgmBase, "NodeId")
	}
	for _, d := range ptrs(data) {
		b.WriteString("\n[ndbd]\n")
		always := []string{"NodeId"}
		if explicitGroups {
			always = append(always, "NodeGroup")
		}
		writeParams(&b, SectionNDBD, d, dataBase, always...)
	}
	for _, k := range []APIKind{KindMySQLD, KindAPI} {
		var slots []APINode
		for _, a := range c.APINodes {
			if a.Kind == k {
				slots = append(slots, a)
			}
		}
		slots = byID(slots, func(a APINode) int { return a.NodeID })
		base := writeDefaultSection(&b, string(k), k.section(), ptrs(slots), DefaultAPINode(k))
		for _, a := range ptrs(slots) {
			b.WriteString("\n[" + string(k) + "]\n")
			writeParams(&b, k.section(), a, base, "NodeId")
		}
	}
	for _, l := range c.TCPLinks {
		base := TCPLink{TCP: c.TCP}
		b.WriteString("\n[tcp]\n")
		writeParams(&b, SectionTCP, reflect.ValueOf(&l), reflect.ValueOf(&base), "NodeId1", "NodeId2")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeDefaultSection writes [name default] with the values all nodes
// share, when they differ from the built-in defaults, and returns the
// values the node sections are then compared with.
func writeDefaultSection[T any](b *strings.Builder, name string, k Section, nodes []reflect.Value, builtin T) reflect.Value {
	base := common(k, nodes, builtin)
	var text strings.Builder
	writeParams(&text, k, base, reflect.ValueOf(&builtin))
	if text.Len() > 0 {
		b.WriteString("\n[" + name + " default]\n" + text.String())
	}
	return base
}

// common returns a copy of builtin in which every parameter that may go in
// a default section holds the value all nodes share, if they do and there
// are at least two of them.
func common[T any](k Section, nodes []reflect.Value, builtin T) reflect.Value {
	base := reflect.ValueOf(&builtin)
	if len(nodes) < 2 {
		return base
	}
	for _, p := range paramsFor(k) {
		if p.Scope != ScopeAny {
			continue
		}
		f := fieldOf(nodes[0], p)
		if !f.IsValid() {
			continue
		}
		same := true
		for _, n := range nodes[1:] {
			same = same && fieldOf(n, p).Equal(f)
		}
		if same {
			fieldOf(base, p).Set(f)
		}
	}
	return base
}

// writeParams writes the parameters of kind k whose value in ptr differs
// from base's, plus those named in always, in table order.
func writeParams(b *strings.Builder, k Section, ptr, base reflect.Value, always ...string) {
	for _, p := range paramsFor(k) {
		f := fieldOf(ptr, p)
		if !f.IsValid() {
			continue
		}
		x, _ := getField(f, p)
		y, _ := getField(fieldOf(base, p), p)
		text := formatValue(p, x)
		forced := false
		for _, a := range always {
			forced = forced || a == p.Name
		}
		if forced || text != formatValue(p, y) {
			b.WriteString(p.Name + "=" + text + "\n")
		}
	}
}

// ptrs returns pointers to the elements of nodes, as reflect values.
func ptrs[T any](nodes []T) []reflect.Value {
	out := make([]reflect.Value, len(nodes))
	for i := range nodes {
		out[i] = reflect.ValueOf(&nodes[i])
	}
	return out
}

// byID returns a copy of nodes sorted by node id.
func byID[T any](nodes []T, id func(T) int) []T {
	out := append([]T(nil), nodes...)
	sort.SliceStable(out, func(a, b int) bool { return id(out[a]) < id(out[b]) })
	return out
}
