package config

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// holders returns the struct types that hold parameters of kind k with
// scope s: the first must have the field, the others must not.
func holders(k Section, s Scope) (want reflect.Type, not []reflect.Type) {
	switch {
	case k == SectionNDBD && s == ScopeCluster:
		return reflect.TypeFor[Cluster](), []reflect.Type{reflect.TypeFor[DataNode]()}
	case k == SectionNDBD:
		return reflect.TypeFor[DataNode](), []reflect.Type{reflect.TypeFor[Cluster]()}
	case k == SectionMgmd:
		return reflect.TypeFor[MgmNode](), nil
	case k&sectionAPIs != 0:
		return reflect.TypeFor[APINode](), nil
	case k == SectionTCP && s == ScopeNode:
		return reflect.TypeFor[TCPLink](), []reflect.Type{reflect.TypeFor[TCP]()}
	}
	return reflect.TypeFor[TCP](), nil
}

func TestParamTable(t *testing.T) {
	durationType := reflect.TypeFor[time.Duration]()
	for i := range params {
		p := &params[i]
		if p.Name == "" || p.Sections == 0 || p.Sections&^sectionAll != 0 || p.Type == 0 {
			t.Errorf("%d %q: incomplete entry %+v", i, p.Name, p)
			continue
		}
		if strings.TrimSpace(p.Desc) == "" || strings.Contains(p.Desc, "|") {
			t.Errorf("%s: description empty or with '|' (breaks the reference table)", p.Name)
		}
		// One entry per name and section kind.
		for j := range params[:i] {
			q := &params[j]
			if q.Sections&p.Sections == 0 {
				continue
			}
			for _, n := range append([]string{p.Name}, p.Aliases...) {
				if q.matches(n) {
					t.Errorf("%s and entry %d (%s) overlap in %s", n, j, q.Name, q.Sections&p.Sections)
				}
			}
		}
		if p.Scope == ScopeCluster && p.Sections != SectionNDBD {
			t.Errorf("%s: cluster scope outside [ndbd default]", p.Name)
		}
		switch p.Status {
		case Ignored:
			if p.Type != TypeAny {
				t.Errorf("%s: ignored parameters take any value", p.Name)
			}
			continue
		case Supported, Deprecated:
			if p.Type == TypeAny {
				t.Errorf("%s: TypeAny is for ignored parameters", p.Name)
			}
		}
		if p.Type.numeric() && p.Min > p.Max {
			t.Errorf("%s: Min %d > Max %d", p.Name, p.Min, p.Max)
		}
		if (p.Type == TypeEnum) != (len(p.Enum) > 0) {
			t.Errorf("%s: Enum given for type %s", p.Name, p.Type)
		}
		if p.Default != "" {
			if _, msg := parseValue(p, p.Default); msg != "" {
				t.Errorf("%s: default %q: %s", p.Name, p.Default, msg)
			}
		}
		if p.Default == "" && p.DocDefault == "" && p.Type.numeric() {
			t.Errorf("%s: a number without default must say in DocDefault what happens", p.Name)
		}
		if p.Status == Deprecated {
			continue
		}
		for _, k := range sectionOrder {
			if p.Sections&k == 0 {
				continue
			}
			want, not := holders(k, p.Scope)
			f, ok := want.FieldByName(p.fieldName())
			if !ok {
				t.Errorf("%s in [%s]: %s has no field %s", p.Name, k, want, p.fieldName())
				continue
			}
			var fits bool
			switch p.Type {
			case TypeInt:
				fits = f.Type.Kind() == reflect.Uint64 || f.Type.Kind() == reflect.Int && p.Max <= math.MaxInt32
			case TypeSize:
				fits = f.Type.Kind() == reflect.Uint64
			case TypeDuration:
				fits = f.Type == durationType
			case TypeBool:
				fits = f.Type.Kind() == reflect.Bool
			default:
				fits = f.Type.Kind() == reflect.String
			}
			if !fits {
				t.Errorf("%s in [%s]: field %s.%s is %s, which cannot hold a %s up to %d", p.Name, k, want, f.Name, f.Type, p.Type, p.Max)
			}
			for _, n := range not {
				if _, ok := n.FieldByName(p.fieldName()); ok {
					t.Errorf("%s in [%s]: also a field of %s", p.Name, k, n)
				}
			}
		}
	}
}

// TestEveryFieldIsAParameter checks the other direction: no field of the
// config structs escapes the table (it would never be parsed or written).
func TestEveryFieldIsAParameter(t *testing.T) {
	for _, c := range []struct {
		typ  reflect.Type
		kind Section
		skip []string
	}{
		{reflect.TypeFor[Cluster](), SectionNDBD, nil},
		{reflect.TypeFor[DataNode](), SectionNDBD, []string{"TLS"}},
		{reflect.TypeFor[MgmNode](), SectionMgmd, []string{"TLS"}},
		{reflect.TypeFor[APINode](), SectionAPI, []string{"TLS", "Kind"}},
		{reflect.TypeFor[TLS](), SectionNDBD, nil},
		{reflect.TypeFor[TCP](), SectionTCP, nil},
		{reflect.TypeFor[TCPLink](), SectionTCP, []string{"TCP"}},
	} {
	fields:
		for i := 0; i < c.typ.NumField(); i++ {
			name := c.typ.Field(i).Name
			for _, s := range c.skip {
				if s == name {
					continue fields
				}
			}
			found := false
			for _, p := range paramsFor(c.kind) {
				found = found || p.fieldName() == name
			}
			if !found {
				t.Errorf("%s.%s is not in the parameter table for [%s]", c.typ, name, c.kind)
			}
		}
	}
}

func TestLookupIsCaseInsensitiveWithAliases(t *testing.T) {
	for _, tc := range []struct {
		kind Section
		name string
		want string
	}{
		{SectionNDBD, "datamemory", "DataMemory"},
		{SectionNDBD, "DATAMEMORY", "DataMemory"},
		{SectionNDBD, "id", "NodeId"},
		{SectionMgmd, "Id", "NodeId"},
		{SectionMySQLD, "nodeid", "NodeId"},
		{SectionTCP, "nodeid1", "NodeId1"},
		{SectionNDBD, "lockpagesinmainmemory", "LockPagesInMainMemory"},
	} {
		p := lookup(tc.kind, tc.name)
		if p == nil || p.Name != tc.want {
			t.Errorf("lookup(%s, %q) = %v, want %s", tc.kind, tc.name, p, tc.want)
		}
	}
	if p := lookup(SectionAPI, "DataMemory"); p != nil {
		t.Errorf("lookup([api], DataMemory) = %s, want none", p.Name)
	}
}

func TestParamsReturnsACopy(t *testing.T) {
	ps := Params()
	ps[0].Name = "changed"
	ps[0].Aliases[0] = "changed"
	if params[0].Name == "changed" || params[0].Aliases[0] == "changed" {
		t.Fatal("Params exposes the table")
	}
}

func TestDefaultsComeFromTheTable(t *testing.T) {
	d := DefaultDataNode()
	if d.DataMemory != 98*mib || d.HostName != "localhost" || d.MaxNoOfConcurrentOperations != 32*kib ||
		d.TransactionDeadlockDetectionTimeout != 1200*time.Millisecond || d.TransactionInactiveTimeout != maxNDB*time.Millisecond {
		t.Errorf("DefaultDataNode() = %+v", d)
	}
	c := DefaultCluster()
	if c.NoOfReplicas != 2 || c.Arbitration != ArbitrationDefault || c.HeartbeatIntervalDbDb != 5*time.Second ||
		c.TimeBetweenGlobalCheckPoints != 2*time.Second || c.StartPartialTimeout != 30*time.Second {
		t.Errorf("DefaultCluster() = %+v", c)
	}
	if m := DefaultMgmNode(); m.PortNumber != 1186 || m.HostName != "localhost" {
		t.Errorf("DefaultMgmNode() = %+v", m)
	}
	if a := DefaultAPINode(KindMySQLD); a.HostName != "" || a.Kind != KindMySQLD {
		t.Errorf("DefaultAPINode() = %+v", a)
	}
	if tcp := DefaultTCP(); tcp.SendBufferMemory != 2*mib || tcp.ReceiveBufferMemory != 2*mib {
		t.Errorf("DefaultTCP() = %+v", tcp)
	}
}
