package state

import (
	"fmt"
	"strconv"
	"strings"
)

// keys builds every key under the prefix; the layout is the table in
// doc.go. Numbers in keys are zero-padded decimal so that etcd's byte order
// is numeric order.
type keys struct{ p string }

func (k keys) config() string          { return k.p + "config" }
func (k keys) nodes() string           { return k.p + "nodes/" }
func (k keys) node(id uint32) string   { return fmt.Sprintf("%snodes/%03d", k.p, id) }
func (k keys) nodeIDs() string         { return k.p + "nodeids/" }
func (k keys) nodeID(id uint32) string { return fmt.Sprintf("%snodeids/%03d", k.p, id) }
func (k keys) tables() string          { return k.p + "dict/tables/" }
func (k keys) table(id uint32) string  { return fmt.Sprintf("%sdict/tables/%010d", k.p, id) }
func (k keys) tableName(name string) string {
	return k.p + "dict/names/" + name
}
func (k keys) nextTableID() string { return k.p + "dict/nextid" }
func (k keys) arbRound() string    { return k.p + "arbitration/round" }
func (k keys) arbGrant() string    { return k.p + "arbitration/grant" }

// idFromKey reads the number after the last '/' of key.
func idFromKey(key string) (uint32, error) {
	i := strings.LastIndexByte(key, '/')
	v, err := strconv.ParseUint(key[i+1:], 10, 32)
	if err != nil {
		return 0, corrupt(key, err)
	}
	return uint32(v), nil
}
