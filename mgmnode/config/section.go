package config

import "strings"

// Section is a set of config.ini section kinds. A section kind covers both
// the per-node section ([ndbd]) and its default section ([ndbd default]).
type Section uint8

// Section kinds. They are in-memory flags only, never written anywhere.
const (
	SectionNDBD   Section = 1 << 0 // [ndbd] data nodes (alias [db])
	SectionMgmd   Section = 1 << 1 // [ndb_mgmd] management nodes (alias [mgm])
	SectionMySQLD Section = 1 << 2 // [mysqld] SQL node slots
	SectionAPI    Section = 1 << 3 // [api] API node slots
	SectionTCP    Section = 1 << 4 // [tcp] connections between two nodes

	sectionAPIs = SectionMySQLD | SectionAPI
	sectionAll  = SectionNDBD | SectionMgmd | SectionMySQLD | SectionAPI | SectionTCP
)

// sectionOrder lists the single kinds in the order the reference and
// WriteINI present them.
var sectionOrder = []Section{SectionNDBD, SectionMgmd, SectionMySQLD, SectionAPI, SectionTCP}

// String returns the canonical section name of a single kind ("ndbd"), or
// the names of a set joined by "|".
func (s Section) String() string {
	var names []string
	for _, k := range sectionOrder {
		if s&k == 0 {
			continue
		}
		switch k {
		case SectionNDBD:
			names = append(names, "ndbd")
		case SectionMgmd:
			names = append(names, "ndb_mgmd")
		case SectionMySQLD:
			names = append(names, "mysqld")
		case SectionAPI:
			names = append(names, "api")
		case SectionTCP:
			names = append(names, "tcp")
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, "|")
}

// sectionNames maps the names config.ini may use (lower case) to kinds.
// [db] and [mgm] are NDB's older names.
var sectionNames = map[string]Section{
	"ndbd":     SectionNDBD,
	"db":       SectionNDBD,
	"ndb_mgmd": SectionMgmd,
	"mgm":      SectionMgmd,
	"mysqld":   SectionMySQLD,
	"api":      SectionAPI,
	"tcp":      SectionTCP,
}

// unsupportedSections are NDB section names gondb refuses with a reason
// rather than as unknown.
var unsupportedSections = map[string]string{
	"shm":      "gondb connects nodes over TCP only",
	"sci":      "gondb connects nodes over TCP only",
	"computer": "set HostName in each node's section instead",
	"system":   "gondb has no [system] parameters",
}

// parseHeader reads the inside of a section header ("NDBD  Default"). It
// returns the kind, whether it is a default section, the name normalised to
// lower case with single spaces (for messages), or a reason it is not valid.
func parseHeader(inner string) (kind Section, isDefault bool, name, reason string) {
	fields := strings.Fields(strings.ToLower(inner))
	name = strings.Join(fields, " ")
	if len(fields) == 0 {
		return 0, false, name, "empty section name"
	}
	if len(fields) > 2 || len(fields) == 2 && fields[1] != "default" {
		return 0, false, name, "unknown section [" + name + "] (want ndbd, ndb_mgmd, mysqld, api or tcp, optionally followed by \"default\")"
	}
	isDefault = len(fields) == 2
	kind, ok := sectionNames[fields[0]]
	if !ok {
		if why, ok := unsupportedSections[fields[0]]; ok {
			return 0, false, name, "[" + name + "] is not supported: " + why
		}
		return 0, false, name, "unknown section [" + name + "] (want ndbd, ndb_mgmd, mysqld, api or tcp, optionally followed by \"default\")"
	}
	return kind, isDefault, name, ""
}
