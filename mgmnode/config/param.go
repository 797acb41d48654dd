package config

import "strings"

// Type is how a parameter's value is written and checked.
type Type uint8

// Parameter types (in-memory only).
const (
	// TypeInt is a whole number; like NDB, a K, M or G suffix multiplies it
	// by 1024, 1024² or 1024³.
	TypeInt Type = iota + 1
	// TypeSize is a number of bytes with an optional K, M or G suffix.
	TypeSize
	// TypeDuration is a whole number of milliseconds, as NDB writes its
	// timeouts and intervals.
	TypeDuration
	// TypeBool is true/false, yes/no, y/n or 1/0, in any case.
	TypeBool
	// TypeString is free text without control characters.
	TypeString
	// TypePath is a file or directory path.
	TypePath
	// TypeHost is a host name or an IPv4 or IPv6 address.
	TypeHost
	// TypeEnum is one of Param.Enum, matched without regard to case.
	TypeEnum
	// TypeThreadConfig is NDB's ThreadConfig syntax, e.g.
	// "ldm={count=2},tc={count=1}".
	TypeThreadConfig
	// TypeAny is any value: parameters gondb ignores are not checked.
	TypeAny
)

func (t Type) String() string {
	switch t {
	case TypeInt:
		return "integer"
	case TypeSize:
		return "size"
	case TypeDuration:
		return "milliseconds"
	case TypeBool:
		return "boolean"
	case TypeString:
		return "string"
	case TypePath:
		return "path"
	case TypeHost:
		return "host"
	case TypeEnum:
		return "enumeration"
	case TypeThreadConfig:
		return "ThreadConfig"
	case TypeAny:
		return "any"
	}
	return "unknown"
}

// numeric reports whether values of t are unsigned numbers with Min and Max.
func (t Type) numeric() bool { return t == TypeInt || t == TypeSize || t == TypeDuration }

// Scope says in which of a kind's sections a parameter may be set.
type Scope uint8

// Scopes.
const (
	// ScopeAny: in the default section or a node's own section.
	ScopeAny Scope = iota
	// ScopeNode: only in a node's own section, never in a default section
	// (NodeId, HostName, NodeGroup, NodeId1/NodeId2).
	ScopeNode
	// ScopeCluster: one value for the whole cluster, set only in
	// [ndbd default] (NoOfReplicas, the GCP and heartbeat intervals, ...).
	ScopeCluster
)

// Status says what gondb does with a parameter.
type Status uint8

// Statuses.
const (
	// Supported parameters are parsed, validated and used.
	Supported Status = iota
	// Deprecated parameters are checked for type, then dropped with a
	// warning.
	Deprecated
	// Ignored parameters are NDB parameters gondb accepts so that an NDB
	// config.ini loads unchanged; their value is not checked and they give
	// a warning.
	Ignored
)

// Param describes one config.ini parameter in one set of sections. A name
// may have several entries when its default or range differs by section
// (HostName, NodeId); their Sections never overlap.
type Param struct {
	Name     string   // canonical spelling, e.g. "DataMemory"
	Aliases  []string // other accepted names, e.g. "Id" for NodeId
	Sections Section  // the section kinds where it is allowed
	Type     Type
	Scope    Scope
	Status   Status
	// Default is the value used when no section sets it, written in
	// config.ini syntax ("98M"). "" means none: for strings the empty
	// string, for NodeId and NodeGroup automatic assignment, for required
	// parameters an error.
	Default string
	// DocDefault, when set, is what the reference shows instead of Default
	// ("assigned", "required").
	DocDefault string
	Required   bool
	Min, Max   uint64   // inclusive bounds of numeric types, in Unit
	Enum       []string // allowed values of TypeEnum, canonical spelling
	Unit       string   // "bytes", "ms", ... for the reference
	// Field is the Go struct field that holds the value when it differs
	// from Name ("NodeID" for NodeId). Deprecated and ignored parameters
	// have none.
	Field string
	Desc  string // one or two sentences for the reference: what and why
}

// Params returns a copy of the parameter table in reference order.
func Params() []Param {
	out := make([]Param, len(params))
	for i, p := range params {
		out[i] = p
		out[i].Aliases = append([]string(nil), p.Aliases...)
		out[i].Enum = append([]string(nil), p.Enum...)
	}
	return out
}

// fieldName is the Go struct field holding p's value.
func (p *Param) fieldName() string {
	if p.Field != "" {
		return p.Field
	}
	return p.Name
}

// matches reports whether name (any case) is p's name or an alias.
func (p *Param) matches(name string) bool {
	if strings.EqualFold(p.Name, name) {
		return true
	}
	for _, a := range p.Aliases {
		if strings.EqualFold(a, name) {
			return true
		}
	}
	return false
}

// byName indexes the table by lower-case name and alias.
var byName = func() map[string][]*Param {
	m := map[string][]*Param{}
	for i := range params {
		p := &params[i]
		for _, n := range append([]string{p.Name}, p.Aliases...) {
			k := strings.ToLower(n)
			m[k] = append(m[k], p)
		}
	}
	return m
}()

// lookup finds the parameter called name (any case, aliases too) in a
// section of kind k.
func lookup(k Section, name string) *Param {
	for _, p := range byName[strings.ToLower(name)] {
		if p.Sections&k != 0 {
			return p
		}
	}
	return nil
}

// sectionsOf returns every kind where a parameter called name exists, for
// the message that says where a misplaced parameter belongs.
func sectionsOf(name string) Section {
	var s Section
	for _, p := range byName[strings.ToLower(name)] {
		s |= p.Sections
	}
	return s
}

// supported holds, per single section kind, the supported parameters in
// table order.
var supported = func() map[Section][]*Param {
	m := map[Section][]*Param{}
	for _, k := range sectionOrder {
		for i := range params {
			if p := &params[i]; p.Sections&k != 0 && p.Status == Supported {
				m[k] = append(m[k], p)
			}
		}
	}
	return m
}()

// paramsFor returns the supported parameters of the single kind k, in
// table order. The slice is shared: do not modify it.
func paramsFor(k Section) []*Param { return supported[k] }
