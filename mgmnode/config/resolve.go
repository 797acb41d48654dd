package config

import (
	"reflect"
	"sort"
)

// origin is where a value was written.
type origin struct {
	line    int
	section string // section name as written
	raw     string // the value as written
}

// nodeSource is where one node's section and parameters were written, so
// that validation can point at the right line.
type nodeSource struct {
	sec    origin // the section header
	params map[*Param]origin
	// bad holds the parameters whose value was invalid: they keep their
	// default, and checks that depend on them are skipped so that one
	// mistake gives one error.
	bad map[*Param]bool
}

// sources maps a parsed Config back to its text. Validation of a Config
// built in code has none.
type sources struct {
	file    string
	cluster nodeSource // [ndbd default]
	tcp     nodeSource // [tcp default]
	data    []nodeSource
	mgm     []nodeSource
	api     []nodeSource
	links   []nodeSource
}

// resolve applies defaults to every node section, assigns missing node ids
// and node groups and sorts nodes by id. Nodes that get no id are left out
// (the error is recorded).
func (p *parser) resolve() (*Config, *sources) {
	defaults := map[Section]*rawSection{}
	for _, s := range p.sections {
		if s.isDefault {
			defaults[s.kind] = s
		}
	}
	c := &Config{Cluster: DefaultCluster(), TCP: DefaultTCP()}
	src := &sources{file: p.file}
	src.cluster = sourceOf(defaults[SectionNDBD], "ndbd default")
	apply(reflect.ValueOf(&c.Cluster), defaults[SectionNDBD], &src.cluster)
	src.tcp = sourceOf(defaults[SectionTCP], "tcp default")
	apply(reflect.ValueOf(&c.TCP), defaults[SectionTCP], &src.tcp)

	// Build every node from defaults, its kind's default section and its
	// own section, in file order.
	type node struct {
		kind   Section
		ptr    reflect.Value // *DataNode, *MgmNode or *APINode
		src    nodeSource
		id     *int
		assign bool // NodeId not given
	}
	var nodes []*node
	for _, s := range p.sections {
		if s.isDefault || s.kind == SectionTCP {
			continue
		}
		n := &node{kind: s.kind, src: sourceOf(s, s.name)}
		switch s.kind {
		case SectionNDBD:
			d := DefaultDataNode()
			n.ptr, n.id = reflect.ValueOf(&d), &d.NodeID
		case SectionMgmd:
			m := DefaultMgmNode()
			n.ptr, n.id = reflect.ValueOf(&m), &m.NodeID
		case SectionMySQLD, SectionAPI:
			k := KindAPI
			if s.kind == SectionMySQLD {
				k = KindMySQLD
			}
			a := DefaultAPINode(k)
			n.ptr, n.id = reflect.ValueOf(&a), &a.NodeID
		}
		apply(n.ptr, defaults[s.kind], &n.src)
		apply(n.ptr, s, &n.src)
		n.assign = *n.id == 0
		nodes = append(nodes, n)
	}

	// Missing node ids: the lowest free id, data nodes first because
	// their ids are limited to MaxDataNodeID.
	used := map[int]bool{}
	for _, n := range nodes {
		used[*n.id] = true
	}
	for _, kind := range []Section{SectionNDBD, SectionMgmd, sectionAPIs} {
		limit := MaxNodeID
		if kind == SectionNDBD {
			limit = MaxDataNodeID
		}
		id := 1 // ids only get used, so the lowest free one only grows
		for _, n := range nodes {
			if n.kind&kind == 0 || !n.assign {
				continue
			}
			for id <= limit && used[id] {
				id++
			}
			if id > limit {
				p.errorf(n.src.sec.line, &rawSection{name: n.src.sec.section}, "", "",
					"no free node id left for this node (ids 1..%d are all in use)", limit)
				continue
			}
			used[id] = true
			*n.id = id
		}
	}

	for _, n := range nodes {
		if *n.id == 0 {
			continue
		}
		switch x := n.ptr.Interface().(type) {
		case *DataNode:
			c.DataNodes = append(c.DataNodes, *x)
			src.data = append(src.data, n.src)
		case *MgmNode:
			c.MgmNodes = append(c.MgmNodes, *x)
			src.mgm = append(src.mgm, n.src)
		case *APINode:
			c.APINodes = append(c.APINodes, *x)
			src.api = append(src.api, n.src)
		}
	}
	sortByID(c.DataNodes, src.data, func(d DataNode) int { return d.NodeID })
	sortByID(c.MgmNodes, src.mgm, func(m MgmNode) int { return m.NodeID })
	sortByID(c.APINodes, src.api, func(a APINode) int { return a.NodeID })
	p.assignNodeGroups(c, src)
	p.warnOverridden(c, src)

	for _, s := range p.sections {
		if s.isDefault || s.kind != SectionTCP {
			continue
		}
		l := TCPLink{TCP: c.TCP}
		ns := sourceOf(s, s.name)
		for k, v := range src.tcp.params {
			ns.params[k] = v
		}
		for k := range src.tcp.bad {
			ns.bad[k] = true
		}
		apply(reflect.ValueOf(&l), s, &ns)
		if l.NodeID1 > l.NodeID2 && l.NodeID2 != 0 {
			l.NodeID1, l.NodeID2 = l.NodeID2, l.NodeID1
		}
		c.TCPLinks = append(c.TCPLinks, l)
		src.links = append(src.links, ns)
	}
	return c, src
}

func sourceOf(s *rawSection, name string) nodeSource {
	ns := nodeSource{sec: origin{section: name}, params: map[*Param]origin{}, bad: map[*Param]bool{}}
	if s != nil {
		ns.sec.line = s.line
	}
	return ns
}

// apply sets the supported parameters of sec that the struct behind ptr
// has fields for, recording where each came from.
func apply(ptr reflect.Value, sec *rawSection, ns *nodeSource) {
	if sec == nil {
		return
	}
	for _, e := range sec.entries {
		if e.p.Status != Supported {
			continue
		}
		if f := fieldOf(ptr, e.p); f.IsValid() && e.bad {
			ns.bad[e.p] = true
		} else if f.IsValid() {
			setField(f, e.p, e.val)
			ns.params[e.p] = origin{line: e.line, section: sec.name, raw: e.raw}
		}
	}
}

// sortByID sorts nodes and their sources together by node id.
func sortByID[T any](nodes []T, srcs []nodeSource, id func(T) int) {
	idx := make([]int, len(nodes))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return id(nodes[idx[a]]) < id(nodes[idx[b]]) })
	n2 := make([]T, len(nodes))
	s2 := make([]nodeSource, len(srcs))
	for i, j := range idx {
		n2[i], s2[i] = nodes[j], srcs[j]
	}
	copy(nodes, n2)
	copy(srcs, s2)
}

// assignNodeGroups gives every data node without NodeGroup its group.
func (p *parser) assignNodeGroups(c *Config, src *sources) {
	prm := lookup(SectionNDBD, "NodeGroup")
	given := make([]int, len(c.DataNodes))
	for i := range c.DataNodes {
		given[i] = -1
		if _, ok := src.data[i].params[prm]; ok {
			given[i] = c.DataNodes[i].NodeGroup
		}
	}
	for i, g := range autoNodeGroups(given, c.Cluster.NoOfReplicas) {
		c.DataNodes[i].NodeGroup = g
	}
}

// autoNodeGroups returns the node group of each data node, given in node id
// order: given[i] >= 0 keeps node i's group; the others fill, in order, the
// lowest node group with fewer than replicas members. This is NDB's rule.
func autoNodeGroups(given []int, replicas int) []int {
	if replicas < 1 {
		replicas = 1 // invalid; validation reports it
	}
	members := map[int]int{}
	for _, g := range given {
		if g >= 0 {
			members[g]++
		}
	}
	out := make([]int, len(given))
	for i, g := range given {
		if g < 0 {
			g = 0
			for members[g] >= replicas {
				g++
			}
			members[g]++
		}
		out[i] = g
	}
	return out
}

// warnOverridden warns about MaxNoOfExecutionThreads set where ThreadConfig
// also applies: ThreadConfig wins, as in NDB.
func (p *parser) warnOverridden(c *Config, src *sources) {
	prm := lookup(SectionNDBD, "MaxNoOfExecutionThreads")
	warned := map[int]bool{}
	for i, d := range c.DataNodes {
		o, ok := src.data[i].params[prm]
		if !ok || d.ThreadConfig == "" || warned[o.line] {
			continue
		}
		warned[o.line] = true
		p.warnings = append(p.warnings, Warning{
			File: p.file, Line: o.line, Section: o.section, Param: prm.Name,
			Message: "ignored because ThreadConfig is set",
		})
	}
	sort.SliceStable(p.warnings, func(a, b int) bool { return p.warnings[a].Line < p.warnings[b].Line })
}
