package sqlnode

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// Stats counts how the SQL node reached the data nodes, so tests (and
// later EXPLAIN and metrics) can tell a key batch from a scan. Safe for
// concurrent use.
type Stats struct {
	KeyBatches atomic.Uint64 // Executes of primary/unique key read batches
	KeysRead   atomic.Uint64 // keys in them (resends after a missing key included)
	IndexScans atomic.Uint64 // ordered index scans (one per range)
	TableScans atomic.Uint64 // table scans
	WriteOps   atomic.Uint64 // insert/update/delete/write operations sent

	KeyRows     atomic.Uint64 // rows key reads returned
	ScanRows    atomic.Uint64 // rows the SQL node took from scans
	ScanRowsIn  atomic.Uint64 // rows the data nodes sent to scans (ScanRows and rows left unread)
	ScanBatches atomic.Uint64 // scan batches the data nodes sent
	PushedScans atomic.Uint64 // scans that sent a pushed condition (ndbinfo reads included)
	FastPath    atomic.Uint64 // statements the fast path ran (fastpath.go)

	InfoReads  atomic.Uint64 // ndbinfo table reads (Cluster.NdbInfoScan calls)
	InfoRowsIn atomic.Uint64 // rows the data nodes sent to them (after their filter)
}

// schemaFormatter prints SHOW CREATE TABLE as the engine does, with the
// table's real engine and the UNSIGNED of FLOAT, DOUBLE and DECIMAL
// columns (which the engine's types cannot say; the dictionary keeps it).
type schemaFormatter struct {
	sql.SchemaFormatter
	p *Provider
}

func (f schemaFormatter) GenerateCreateTableColumnDefinition(col *sql.Column, colDefault, onUpdate string, tc sql.CollationID) string {
	s := f.SchemaFormatter.GenerateCreateTableColumnDefinition(col, colDefault, onUpdate, tc)
	if f.p == nil || !types.IsFloat(col.Type) && !types.IsDecimal(col.Type) || col.Source == "" {
		return s
	}
	t, ok, err := f.p.table(context.Background(), col.DatabaseSource, col.Source)
	if err != nil || !ok {
		return s
	}
	if c := t.def.Column(col.Name); c < 0 || !t.def.Columns[c].Unsigned {
		return s
	}
	ts := " " + col.Type.String()
	if i := strings.Index(s, ts); i >= 0 {
		i += len(ts)
		s = s[:i] + " unsigned" + s[i:]
	}
	return s
}

func (f schemaFormatter) GenerateCreateTableStatement(tblName string, colStmts []string, temp, autoInc, tblCharsetName, tblCollName, comment string) string {
	s := f.SchemaFormatter.GenerateCreateTableStatement(tblName, colStmts, temp, autoInc, tblCharsetName, tblCollName, comment)
	return strings.Replace(s, ") ENGINE=InnoDB", ") ENGINE=ndbcluster", 1)
}
