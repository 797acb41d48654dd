package config

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Validate checks c as Parse checks a file: every value in range, node ids
// unique, node groups complete, TLS files given where required, and so on.
// It returns an errors.Join of *Error, or nil. It never changes c.
func (c *Config) Validate() error { return c.ValidateWith(Options{}) }

// ValidateWith is Validate with options.
func (c *Config) ValidateWith(opt Options) error {
	v := &validator{c: c, opt: opt}
	v.run()
	if len(v.errs) == 0 {
		return nil
	}
	return joinErrors(v.errs)
}

// joinErrors sorts errs by line (those without a line last), drops
// repeats (a bad value in a default section is found once per node that
// inherits it) and joins them.
func joinErrors(errs []*Error) error {
	sort.SliceStable(errs, func(a, b int) bool {
		la, lb := errs[a].Line, errs[b].Line
		if la == 0 || lb == 0 {
			return la != 0 && lb == 0
		}
		return la < lb
	})
	seen := map[string]bool{}
	var out []error
	for _, e := range errs {
		if text := e.Error(); !seen[text] {
			seen[text] = true
			out = append(out, e)
		}
	}
	return errors.Join(out...)
}

// validator checks a Config; src, when not nil, points errors at lines.
type validator struct {
	c    *Config
	src  *sources
	opt  Options
	errs []*Error
	all  []nodeRef // every node, built once by nodes
}

// loc is a node (or default section) being checked.
type loc struct {
	src     *nodeSource // nil for a Config built in code
	section string      // section name for a Config built in code
	nodeID  int
}

func (v *validator) loc(srcs []nodeSource, i int, section string, nodeID int) loc {
	l := loc{section: section, nodeID: nodeID}
	if v.src != nil && i < len(srcs) {
		l.src = &srcs[i]
	}
	return l
}

// errAt records an error about parameter p (nil: the section itself) of l;
// val is the value to show when l has no source text for it.
func (v *validator) errAt(l loc, p *Param, val, format string, args ...any) {
	e := &Error{Section: l.section, NodeID: l.nodeID, Value: val, Msg: fmt.Sprintf(format, args...)}
	if p != nil {
		e.Param = p.Name
	}
	if l.src != nil {
		e.File = v.src.file
		e.Line, e.Section = l.src.sec.line, l.src.sec.section
		if o, ok := l.src.params[p]; ok && p != nil {
			e.Line, e.Section, e.Value = o.line, o.section, o.raw
		}
	}
	v.errs = append(v.errs, e)
}

// errFile records an error about the file as a whole.
func (v *validator) errFile(format string, args ...any) {
	e := &Error{Msg: fmt.Sprintf(format, args...)}
	if v.src != nil {
		e.File = v.src.file
	}
	v.errs = append(v.errs, e)
}

func (v *validator) run() {
	c := v.c
	var s *sources
	if v.src != nil {
		s = v.src
	} else {
		s = &sources{}
	}
	v.params(reflect.ValueOf(&c.Cluster), SectionNDBD, v.defaultLoc(&s.cluster, "ndbd default"))
	v.cluster(v.defaultLoc(&s.cluster, "ndbd default"))
	v.params(reflect.ValueOf(&c.TCP), SectionTCP, v.defaultLoc(&s.tcp, "tcp default"))
	for i := range c.DataNodes {
		d := &c.DataNodes[i]
		l := v.loc(s.data, i, "ndbd", d.NodeID)
		v.params(reflect.ValueOf(d), SectionNDBD, l)
		v.tls(&d.TLS, SectionNDBD, l)
	}
	for i := range c.MgmNodes {
		m := &c.MgmNodes[i]
		l := v.loc(s.mgm, i, "ndb_mgmd", m.NodeID)
		v.params(reflect.ValueOf(m), SectionMgmd, l)
		v.tls(&m.TLS, SectionMgmd, l)
	}
	for i := range c.APINodes {
		a := &c.APINodes[i]
		l := v.loc(s.api, i, string(a.Kind), a.NodeID)
		if a.Kind != KindMySQLD && a.Kind != KindAPI {
			v.errAt(l, nil, "", "Kind %q is neither %q nor %q", a.Kind, KindMySQLD, KindAPI)
			continue
		}
		v.params(reflect.ValueOf(a), a.Kind.section(), l)
		v.tls(&a.TLS, a.Kind.section(), l)
	}
	v.nodeIDs(s)
	v.nodeGroups(s)
	v.ports(s)
	v.links(s)
}

func (v *validator) defaultLoc(ns *nodeSource, section string) loc {
	l := loc{section: section}
	if v.src != nil {
		l.src = ns
	}
	return l
}

// params checks every supported parameter of kind k that the struct behind
// ptr holds against the table.
func (v *validator) params(ptr reflect.Value, k Section, l loc) {
	for _, p := range paramsFor(k) {
		f := fieldOf(ptr, p)
		if !f.IsValid() {
			continue
		}
		var msg string
		if p.Type.numeric() {
			x, m := getField(f, p)
			switch {
			case m != "":
				msg = m
			case p.Required && x.n == 0:
				msg = "required"
			case x.n < p.Min || x.n > p.Max:
				msg = rangeMsg(p)
			}
		} else if p.Type != TypeBool {
			msg = stringMsg(p, f.String(), v.opt.CheckThreadConfig)
			if msg == "required" && p.Scope == ScopeAny {
				msg = fmt.Sprintf("required (set it here or in [%s default])", k)
			}
		}
		if msg == "required" {
			v.errAt(l, p, "", "%s", msg)
		} else if msg != "" {
			v.errAt(l, p, formatField(f, p), "%s", msg)
		}
	}
}

// bad reports whether any of the named parameters of kind k had an invalid
// value in l's source (its default stands in, so checks on it would only
// repeat the error).
func (l loc) bad(k Section, names ...string) bool {
	if l.src == nil {
		return false
	}
	for _, n := range names {
		if l.src.bad[lookup(k, n)] {
			return true
		}
	}
	return false
}

// cluster checks relations between cluster-wide parameters.
func (v *validator) cluster(l loc) {
	c := v.c.Cluster
	if l.bad(SectionNDBD, "TimeBetweenEpochs", "TimeBetweenGlobalCheckPoints") {
		return
	}
	if c.TimeBetweenEpochs > c.TimeBetweenGlobalCheckPoints {
		v.errAt(l, lookup(SectionNDBD, "TimeBetweenEpochs"), msString(c.TimeBetweenEpochs.Milliseconds()),
			"longer than TimeBetweenGlobalCheckPoints=%d: an epoch cannot outlast a global checkpoint",
			c.TimeBetweenGlobalCheckPoints.Milliseconds())
	}
}

func msString(ms int64) string { return strconv.FormatInt(ms, 10) }

// tls checks that the files TLS needs are named.
func (v *validator) tls(t *TLS, k Section, l loc) {
	missing := func(names ...string) []string {
		var out []string
		for _, n := range names {
			if (n == "CertFile" && t.CertFile == "") || (n == "KeyFile" && t.KeyFile == "") || (n == "CAFile" && t.CAFile == "") {
				out = append(out, n)
			}
		}
		return out
	}
	if m := missing("CertFile", "KeyFile", "CAFile"); t.RequireTLS && len(m) > 0 {
		v.errAt(l, lookup(k, "RequireTls"), "true", "needs CertFile, KeyFile and CAFile (missing: %s)", strings.Join(m, ", "))
	}
	if m := missing("CertFile", "KeyFile"); t.RequireCertificate && len(m) > 0 {
		v.errAt(l, lookup(k, "RequireCertificate"), "true", "needs CertFile and KeyFile (missing: %s)", strings.Join(m, ", "))
	}
	switch {
	case t.CertFile != "" && t.KeyFile == "":
		v.errAt(l, lookup(k, "CertFile"), t.CertFile, "given without KeyFile: the two go together")
	case t.KeyFile != "" && t.CertFile == "":
		v.errAt(l, lookup(k, "KeyFile"), t.KeyFile, "given without CertFile: the two go together")
	}
}

// nodeRef is one node for the cross-node checks.
type nodeRef struct {
	kind   Section
	id     int
	loc    loc
	prmID  *Param
	prmPrt *Param // the port parameter, nil for API nodes
	host   string
	port   int
}

// what names the node in a message about another one.
func (r nodeRef) what() string {
	if r.loc.src != nil {
		return fmt.Sprintf("the [%s] at line %d", r.loc.src.sec.section, r.loc.src.sec.line)
	}
	return fmt.Sprintf("[%s] node %d", r.loc.section, r.id)
}

// nodes lists every node, in file order for a parsed config.
func (v *validator) nodes(s *sources) []nodeRef {
	if v.all != nil {
		return v.all
	}
	out := []nodeRef{}
	add := func(kind Section, id int, l loc, host string, port int, portParam string) {
		r := nodeRef{kind: kind, id: id, loc: l, host: host, port: port, prmID: lookup(kind, "NodeId")}
		if portParam != "" {
			r.prmPrt = lookup(kind, portParam)
		}
		out = append(out, r)
	}
	for i, d := range v.c.DataNodes {
		add(SectionNDBD, d.NodeID, v.loc(s.data, i, "ndbd", d.NodeID), d.HostName, d.ServerPort, "ServerPort")
	}
	for i, m := range v.c.MgmNodes {
		add(SectionMgmd, m.NodeID, v.loc(s.mgm, i, "ndb_mgmd", m.NodeID), m.HostName, m.PortNumber, "PortNumber")
	}
	for i, a := range v.c.APINodes {
		add(a.Kind.section(), a.NodeID, v.loc(s.api, i, string(a.Kind), a.NodeID), a.HostName, 0, "")
	}
	sort.SliceStable(out, func(a, b int) bool { return lineOf(out[a].loc) < lineOf(out[b].loc) })
	v.all = out
	return out
}

func lineOf(l loc) int {
	if l.src == nil {
		return 0
	}
	return l.src.sec.line
}

// nodeIDs checks that node ids are unique across all kinds.
func (v *validator) nodeIDs(s *sources) {
	first := map[int]nodeRef{}
	for _, n := range v.nodes(s) {
		if n.id < 1 || n.id > MaxNodeID {
			continue // reported by the range check
		}
		if f, dup := first[n.id]; dup {
			v.errAt(n.loc, n.prmID, strconv.Itoa(n.id), "node id %d is already used by %s", n.id, f.what())
			continue
		}
		first[n.id] = n
	}
}

// ports checks that no two nodes listen on the same host and port (a
// data node's GossipPort included).
func (v *validator) ports(s *sources) {
	first := map[string]nodeRef{}
	all := v.nodes(s)
	for i, d := range v.c.DataNodes {
		if d.GossipPort != 0 {
			all = append(all, nodeRef{kind: SectionNDBD, id: d.NodeID, loc: v.loc(s.data, i, "ndbd", d.NodeID),
				prmPrt: lookup(SectionNDBD, "GossipPort"), host: d.HostName, port: d.GossipPort})
		}
	}
	for _, n := range all {
		if n.prmPrt == nil || n.port == 0 || n.loc.bad(n.kind, n.prmPrt.Name, "HostName") {
			continue
		}
		key := strings.ToLower(n.host) + "\x00" + strconv.Itoa(n.port)
		if f, dup := first[key]; dup {
			v.errAt(n.loc, n.prmPrt, strconv.Itoa(n.port), "port %d on %s is already used by %s", n.port, n.host, f.what())
			continue
		}
		first[key] = n
	}
}

// nodeGroups checks the node and data node counts and that every node
// group has NoOfReplicas members.
func (v *validator) nodeGroups(s *sources) {
	c := v.c
	if len(c.MgmNodes) == 0 {
		v.errFile("no [ndb_mgmd] section: a cluster needs at least one management node")
	}
	if len(c.DataNodes) == 0 {
		v.errFile("no [ndbd] section: a cluster needs at least one data node")
		return
	}
	r := c.Cluster.NoOfReplicas
	if r < 1 || r > 4 || v.defaultLoc(&s.cluster, "").bad(SectionNDBD, "NoOfReplicas") {
		return // reported by the range check
	}
	n := len(c.DataNodes)
	if n%r != 0 {
		v.errAt(v.defaultLoc(&s.cluster, "ndbd default"), lookup(SectionNDBD, "NoOfReplicas"), strconv.Itoa(r),
			"%s cannot form node groups of %d: the number of data nodes must be a multiple of NoOfReplicas", plural(n, "data node"), r)
		return
	}
	groups := n / r
	prm := lookup(SectionNDBD, "NodeGroup")
	members := map[int][]int{}
	last := map[int]int{}
	for i, d := range c.DataNodes {
		if d.NodeGroup < 0 || d.NodeGroup > MaxDataNodeID-1 || v.loc(s.data, i, "", 0).bad(SectionNDBD, "NodeGroup") {
			continue // reported by the range check
		}
		if d.NodeGroup >= groups {
			v.errAt(v.loc(s.data, i, "ndbd", d.NodeID), prm, strconv.Itoa(d.NodeGroup),
				"node group %d does not exist: %d data nodes with NoOfReplicas=%d form node groups 0..%d",
				d.NodeGroup, n, r, groups-1)
			continue
		}
		members[d.NodeGroup] = append(members[d.NodeGroup], d.NodeID)
		last[d.NodeGroup] = i
	}
	// n = groups × r, so a group with too few members implies one with too
	// many or a node in a group that does not exist: report only those.
	for g := 0; g < groups; g++ {
		ids := members[g]
		if len(ids) <= r {
			continue
		}
		i := last[g]
		d := c.DataNodes[i]
		v.errAt(v.loc(s.data, i, "ndbd", d.NodeID), prm, strconv.Itoa(g),
			"node group %d has %d data nodes (%s); every node group needs NoOfReplicas=%d", g, len(ids), joinInts(ids), r)
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// links checks [tcp] sections: both ends are nodes, not the same node,
// not two API nodes, one section per pair.
func (v *validator) links(s *sources) {
	kinds := map[int]Section{}
	for _, n := range v.nodes(s) {
		kinds[n.id] = n.kind
	}
	p1, p2 := lookup(SectionTCP, "NodeId1"), lookup(SectionTCP, "NodeId2")
	first := map[[2]int]int{}
	for i := range v.c.TCPLinks {
		t := &v.c.TCPLinks[i]
		l := v.loc(s.links, i, "tcp", 0)
		v.params(reflect.ValueOf(t), SectionTCP, l)
		if t.NodeID1 == 0 || t.NodeID2 == 0 {
			continue // reported as required
		}
		bad := false
		for _, end := range []struct {
			p  *Param
			id int
		}{{p1, t.NodeID1}, {p2, t.NodeID2}} {
			if _, ok := kinds[end.id]; !ok && end.id >= 1 && end.id <= MaxNodeID {
				v.errAt(l, end.p, strconv.Itoa(end.id), "node %d is not defined in this configuration", end.id)
				bad = true
			}
		}
		switch {
		case bad:
		case t.NodeID1 == t.NodeID2:
			v.errAt(l, p2, strconv.Itoa(t.NodeID2), "NodeId1 and NodeId2 are the same node")
		case kinds[t.NodeID1]&sectionAPIs != 0 && kinds[t.NodeID2]&sectionAPIs != 0:
			v.errAt(l, p2, strconv.Itoa(t.NodeID2), "nodes %d and %d are both API nodes, which never connect to each other", t.NodeID1, t.NodeID2)
		default:
			pair := [2]int{min(t.NodeID1, t.NodeID2), max(t.NodeID1, t.NodeID2)}
			if j, dup := first[pair]; dup {
				what := fmt.Sprintf("[tcp] %d", j+1)
				if l.src != nil {
					what = fmt.Sprintf("the [tcp] at line %d", v.src.links[j].sec.line)
				}
				v.errAt(l, nil, "", "a second [tcp] for nodes %d and %d (the first is %s)", pair[0], pair[1], what)
				continue
			}
			first[pair] = i
		}
	}
}
