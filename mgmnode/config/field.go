package config

import (
	"fmt"
	"reflect"
	"time"
)

// The parameter table names struct fields; these helpers move values
// between the table's view (value) and the typed structs. A test checks
// that every supported parameter has a field of a fitting kind.

// fieldIndex caches, per config struct type, the field index of every
// parameter the struct holds (reflect's FieldByName is slow on structs with
// embedded fields, and the set of types is fixed).
var fieldIndex = func() map[reflect.Type]map[*Param][]int {
	m := map[reflect.Type]map[*Param][]int{}
	for _, t := range []reflect.Type{
		reflect.TypeFor[Cluster](), reflect.TypeFor[DataNode](), reflect.TypeFor[MgmNode](),
		reflect.TypeFor[APINode](), reflect.TypeFor[TCP](), reflect.TypeFor[TCPLink](),
	} {
		m[t] = map[*Param][]int{}
		for i := range params {
			if f, ok := t.FieldByName(params[i].fieldName()); ok && params[i].Status != Ignored {
				m[t][&params[i]] = f.Index
			}
		}
	}
	return m
}()

// fieldOf returns p's field in the struct that v points to, or an invalid
// Value when the struct has none.
func fieldOf(v reflect.Value, p *Param) reflect.Value {
	idx, ok := fieldIndex[v.Type().Elem()]
	if !ok {
		panic(fmt.Sprintf("config: %s is not a config struct", v.Type()))
	}
	if i, ok := idx[p]; ok {
		return v.Elem().FieldByIndex(i)
	}
	return reflect.Value{}
}

// setField stores x into f.
func setField(f reflect.Value, p *Param, x value) {
	switch p.Type {
	case TypeInt, TypeSize:
		switch f.Kind() {
		case reflect.Int:
			f.SetInt(int64(x.n)) // bounded by p.Max, small for every int field
		case reflect.Uint64:
			f.SetUint(x.n)
		default:
			panic(fmt.Sprintf("config: field %s of %s is %s, not an integer", p.fieldName(), f.Type(), f.Kind()))
		}
	case TypeDuration:
		f.SetInt(int64(x.n) * int64(time.Millisecond))
	case TypeBool:
		f.SetBool(x.b)
	default:
		f.SetString(x.s)
	}
}

// getField reads f as p's value. For numbers it returns a message when the
// field holds what config.ini cannot say (a negative number, a duration
// that is not whole milliseconds).
func getField(f reflect.Value, p *Param) (value, string) {
	switch p.Type {
	case TypeInt, TypeSize:
		if f.Kind() == reflect.Int {
			if f.Int() < 0 {
				return value{}, rangeMsg(p)
			}
			return value{n: uint64(f.Int())}, ""
		}
		return value{n: f.Uint()}, ""
	case TypeDuration:
		d := time.Duration(f.Int())
		if d < 0 {
			return value{}, rangeMsg(p)
		}
		if d%time.Millisecond != 0 {
			return value{}, "not a whole number of milliseconds"
		}
		return value{n: uint64(d / time.Millisecond)}, ""
	case TypeBool:
		return value{b: f.Bool()}, ""
	}
	return value{s: f.String()}, ""
}

// formatValue writes x as config.ini text for p.
func formatValue(p *Param, x value) string {
	switch p.Type {
	case TypeInt, TypeDuration:
		return formatNumber(TypeInt, x.n)
	case TypeSize:
		return formatNumber(TypeSize, x.n)
	case TypeBool:
		if x.b {
			return "true"
		}
		return "false"
	}
	return x.s
}

// formatField writes f's value as config.ini text (for messages, also when
// the value is invalid).
func formatField(f reflect.Value, p *Param) string {
	x, msg := getField(f, p)
	if msg != "" {
		switch f.Kind() {
		case reflect.Int64:
			if p.Type == TypeDuration {
				return time.Duration(f.Int()).String()
			}
		}
		return fmt.Sprint(f.Interface())
	}
	return formatValue(p, x)
}

// defaultValue parses p's built-in default; a default that does not parse
// is a bug in the table (a test parses them all).
func defaultValue(p *Param) value {
	if p.Default == "" {
		return value{}
	}
	x, msg := parseValue(p, p.Default)
	if msg != "" {
		panic(fmt.Sprintf("config: default %q of %s: %s", p.Default, p.Name, msg))
	}
	return x
}

// applyDefaults sets every supported parameter of kind k that v's struct
// has a field for to its built-in default.
func applyDefaults(v reflect.Value, k Section) {
	for _, p := range paramsFor(k) {
		if f := fieldOf(v, p); f.IsValid() {
			setField(f, p, defaultValue(p))
		}
	}
}

// DefaultCluster returns the cluster-wide parameters at their defaults.
func DefaultCluster() Cluster {
	var c Cluster
	applyDefaults(reflect.ValueOf(&c), SectionNDBD)
	return c
}

// DefaultDataNode returns a data node with every parameter at its default.
// NodeID, NodeGroup and DataDir are left for the caller.
func DefaultDataNode() DataNode {
	var d DataNode
	applyDefaults(reflect.ValueOf(&d), SectionNDBD)
	return d
}

// DefaultMgmNode returns a management node with every parameter at its
// default. NodeID and DataDir are left for the caller.
func DefaultMgmNode() MgmNode {
	var m MgmNode
	applyDefaults(reflect.ValueOf(&m), SectionMgmd)
	return m
}

// DefaultAPINode returns an API slot of kind k at its defaults.
func DefaultAPINode(k APIKind) APINode {
	a := APINode{Kind: k}
	applyDefaults(reflect.ValueOf(&a), k.section())
	return a
}

// DefaultTCP returns the connection parameters at their defaults.
func DefaultTCP() TCP {
	var t TCP
	applyDefaults(reflect.ValueOf(&t), SectionTCP)
	return t
}

func (k APIKind) section() Section {
	if k == KindMySQLD {
		return SectionMySQLD
	}
	return SectionAPI
}
