package sqlnode

import (
	"errors"
	"fmt"

	"github.com/dolthub/vitess/go/mysql"

	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/ndberr"
)

// MySQL error numbers the SQL node returns itself (the engine maps its own).
const (
	erDupEntry          = 1062
	erKeyNotFound       = 1032
	erNotSupportedYet   = 1235
	erLockWaitTimeout   = 1205
	erLockDeadlock      = 1213
	erRecordFileFull    = 1114
	erTableDefChanged   = 1412
	erGetErrmsg         = 1296 // Got error %d '%s' from NDBCLUSTER
	erGetTemporaryError = 1297 // Got temporary error %d '%s' from NDBCLUSTER
	erWarnOtherHandler  = 1266 // Using storage engine %s for table '%s'
	erIllegalHaOption   = 1478 // Table storage engine does not support the create option
)

func sqlErr(code int, state, format string, args ...any) error {
	return mysql.NewSQLError(code, state, format, args...)
}

func errNotSupported(format string, args ...any) error {
	return mysql.NewSQLError(erNotSupportedYet, "42000", "This version of gondb doesn't yet support: %s", fmt.Sprintf(format, args...))
}

// mysqlError maps an error from the cluster to the MySQL error a client
// expects (the table is in docs/sqlnode.md). Errors that are not NDB
// errors pass unchanged.
func mysqlError(err error) error {
	if err == nil {
		return nil
	}
	var me *mysql.SQLError
	if errors.As(err, &me) {
		return me
	}
	var ne *ndbapi.Error
	if !errors.As(err, &ne) {
		var ke *ndberr.Error
		if !errors.As(err, &ke) {
			return err
		}
		ne = &ndbapi.Error{Code: ke.Code, Message: ke.Message, Classification: ke.Classification}
	}
	switch ne.Code {
	case ndberr.ErrRowExists.Code, ndberr.ErrUniqueExists.Code:
		return sqlErr(erDupEntry, "23000", "Duplicate entry for key (NDB error %d: %s)", ne.Code, ne.Message)
	case ndberr.ErrNoSuchRow.Code:
		return sqlErr(erKeyNotFound, "HY000", "Can't find record (NDB error %d: %s)", ne.Code, ne.Message)
	case ndberr.ErrDeadlockTimeout.Code, ndberr.ErrInactiveTimeout.Code:
		return sqlErr(erLockWaitTimeout, "HY000", "Lock wait timeout exceeded; try restarting transaction (NDB error %d: %s)", ne.Code, ne.Message)
	case ndberr.ErrNoSuchTable.Code, ndberr.ErrSchemaVersion.Code:
		return sqlErr(erTableDefChanged, "HY000", "Table definition has changed, please retry transaction (NDB error %d: %s)", ne.Code, ne.Message)
	}
	switch ne.Classification {
	case ndberr.ClassInsufficientSpace:
		return sqlErr(erRecordFileFull, "HY000", "The table is full (NDB error %d: %s)", ne.Code, ne.Message)
	case ndberr.ClassTimeout:
		return sqlErr(erLockWaitTimeout, "HY000", "Lock wait timeout exceeded; try restarting transaction (NDB error %d: %s)", ne.Code, ne.Message)
	}
	if ne.Temporary() {
		return sqlErr(erGetTemporaryError, "HY000", "Got temporary error %d '%s' from NDBCLUSTER", ne.Code, ne.Message)
	}
	return sqlErr(erGetErrmsg, "HY000", "Got error %d '%s' from NDBCLUSTER", ne.Code, ne.Message)
}
