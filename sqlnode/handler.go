package sqlnode

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"

	"github.com/gondb/gondb/ndbinfo"
)

// handler wraps the engine's wire handler: the statement fast path
// (fastpath.go) runs first, and the engine's strict-mode and DDL errors
// get the MySQL numbers clients expect (the engine reports them as 1105).
type handler struct {
	mysql.Handler
	fp *fastPath
}

func (h handler) ComQuery(ctx context.Context, c *mysql.Conn, query string, cb mysql.ResultSpoolFn) error {
	if ok, err := h.fp.query(c, query, func(r *sqltypes.Result) error { return cb(r, false) }); ok {
		return fixError(err)
	}
	last := h.statement(c)
	return readOnlyError(fixError(h.Handler.ComQuery(ctx, c, query, cb)), last)
}

func (h handler) ComMultiQuery(ctx context.Context, c *mysql.Conn, query string, cb mysql.ResultSpoolFn) (string, error) {
	// A text the fast path takes is one statement (normalize refuses
	// several).
	if ok, err := h.fp.query(c, query, func(r *sqltypes.Result) error { return cb(r, false) }); ok {
		return "", fixError(err)
	}
	last := h.statement(c)
	rest, err := h.Handler.ComMultiQuery(ctx, c, query, cb)
	return rest, readOnlyError(fixError(err), last)
}

func (h handler) ComPrepare(ctx context.Context, c *mysql.Conn, query string, p *mysql.PrepareData) ([]*querypb.Field, error) {
	last := h.statement(c)
	f, err := h.Handler.ComPrepare(ctx, c, query, p)
	return f, readOnlyError(fixError(err), last)
}

func (h handler) ComStmtExecute(ctx context.Context, c *mysql.Conn, p *mysql.PrepareData, cb func(*sqltypes.Result) error) error {
	if ok, err := h.fp.execute(c, p, cb); ok {
		return fixError(err)
	}
	last := h.statement(c)
	return readOnlyError(fixError(h.Handler.ComStmtExecute(ctx, c, p, cb)), last)
}

// statement starts a statement the engine runs: it forgets the ndbinfo
// table the session resolved last and returns where the statement's is
// kept (nil: no session).
func (h handler) statement(c *mysql.Conn) *atomic.Pointer[ndbinfo.Table] {
	v, ok := h.fp.sessions.Load(c.ConnectionID)
	if !ok {
		return nil
	}
	s := v.(*Session)
	s.lastInfo.Store(nil)
	return &s.lastInfo
}

// ConnectionClosed forgets the connection's session.
func (h handler) ConnectionClosed(c *mysql.Conn) {
	h.Handler.ConnectionClosed(c)
	h.fp.sessions.Delete(c.ConnectionID)
}

// engineErrors maps the engine's generic errors, by message, to MySQL's
// numbers.
var engineErrors = []struct {
	substr string
	code   int
	state  string
}{
	{" out of range for ", 1264, "22003"},                                         // sql.ErrValueOutOfRange
	{"Out of range value for column of Decimal type", 1264, "22003"},              // types.ErrConvertToDecimalLimit
	{" is too large for column ", 1406, "22001"},                                  // types.ErrLengthBeyondLimit
	{"table with name ", 1050, "42S01"},                                           // sql.ErrTableAlreadyExists ("... already exists")
	{"Incorrect column specifier for column", 1063, "42000"},                      // sql.ErrInvalidColumnSpecifier (AUTO_INCREMENT on a non-integer)
	{"doesn't have a default value", 1364, "HY000"},                               // sql.ErrInsertIntoNonNullableDefaultNullColumn
	{"number of values does not match number of columns provided", 1136, "21S01"}, // sql.ErrInsertIntoMismatchValueCount
}

func fixError(err error) error {
	se, ok := err.(*mysql.SQLError)
	if !ok || se.Num != mysql.ERUnknownError {
		return err
	}
	for _, m := range engineErrors {
		if strings.Contains(se.Message, m.substr) {
			if m.code == 1050 && !strings.HasSuffix(se.Message, "already exists") {
				continue
			}
			return mysql.NewSQLError(m.code, m.state, "%s", se.Message)
		}
	}
	return err
}
