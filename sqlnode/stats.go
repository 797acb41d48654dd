package sqlnode

import (
	"strings"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"
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
// table's real engine.
type schemaFormatter struct{ sql.SchemaFormatter }

func (f schemaFormatter) GenerateCreateTableStatement(tblName string, colStmts []string, temp, autoInc, tblCharsetName, tblCollName, comment string) string {
	s := f.SchemaFormatter.GenerateCreateTableStatement(tblName, colStmts, temp, autoInc, tblCharsetName, tblCollName, comment)
	return strings.Replace(s, ") ENGINE=InnoDB", ") ENGINE=ndbcluster", 1)
}
