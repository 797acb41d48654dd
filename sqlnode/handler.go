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
	// users keeps the grant tables in step with the cluster (users.go).
	users *userStore
	// requireTLS refuses connections without TLS after the handshake
	// (Config.RequireSecureTransport).
	requireTLS bool
}

func (h handler) ComQuery(ctx context.Context, c *mysql.Conn, query string, cb mysql.ResultSpoolFn) error {
	if res, lent, ok, err := h.fp.query(c, query); ok {
		if err == nil {
			lend(lent, true)
			err = cb(res, false)
			lend(lent, false)
		}
		return fixError(err)
	}
	s, last := h.statement(c)
	err := h.Handler.ComQuery(ctx, c, query, cb)
	h.ended(s, query, err)
	return readOnlyError(fixError(err), last)
}

func (h handler) ComMultiQuery(ctx context.Context, c *mysql.Conn, query string, cb mysql.ResultSpoolFn) (string, error) {
	// A text the fast path takes is one statement (normalize refuses
	// several).
	if res, lent, ok, err := h.fp.query(c, query); ok {
		if err == nil {
			lend(lent, true)
			err = cb(res, false)
			lend(lent, false)
		}
		return "", fixError(err)
	}
	s, last := h.statement(c)
	rest, err := h.Handler.ComMultiQuery(ctx, c, query, cb)
	h.ended(s, query, err)
	return rest, readOnlyError(fixError(err), last)
}

func (h handler) ComPrepare(ctx context.Context, c *mysql.Conn, query string, p *mysql.PrepareData) ([]*querypb.Field, error) {
	_, last := h.statement(c)
	f, err := h.Handler.ComPrepare(ctx, c, query, p)
	return f, readOnlyError(fixError(err), last)
}

func (h handler) ComStmtExecute(ctx context.Context, c *mysql.Conn, p *mysql.PrepareData, cb func(*sqltypes.Result) error) error {
	if res, lent, ok, err := h.fp.execute(c, p); ok {
		if err == nil {
			// With a server-side cursor cb keeps the result until the
			// client fetched it, while the connection goes on.
			lend(lent, true)
			err = cb(res)
			lend(lent, false)
		}
		return fixError(err)
	}
	s, last := h.statement(c)
	err := h.Handler.ComStmtExecute(ctx, c, p, cb)
	h.ended(s, p.PrepareStmt, err)
	return readOnlyError(fixError(err), last)
}

// lend marks a fast-path result that is the session's buffers as being
// written (keyResult); nil: a result of its own.
func lend(lent *atomic.Bool, on bool) {
	if lent != nil {
		lent.Store(on)
	}
}

// statement starts a statement the engine runs: it forgets the ndbinfo
// table the session resolved last and returns the session and where the
// statement's ndbinfo table is kept (nil, nil: no session yet).
func (h handler) statement(c *mysql.Conn) (*Session, *atomic.Pointer[ndbinfo.Table]) {
	s := h.fp.sessionByID(c.ConnectionID)
	if s == nil {
		return nil, nil
	}
	s.lastInfo.Store(nil)
	return s, &s.lastInfo
}

// ended ends a statement the engine ran: one that failed in autocommit
// mode has its NDB transaction rolled back now (Session.endFailedStatement),
// and the grant tables are reloaded if a change to them failed
// (userStore.afterStatement).
func (h handler) ended(s *Session, query string, err error) {
	if err != nil && s != nil {
		s.endFailedStatement()
	}
	if h.users != nil {
		h.users.afterStatement(query, err)
	}
}

// NewConnection checks the cluster's privilege version before the
// handshake (userStore.atConnect).
func (h handler) NewConnection(c *mysql.Conn) {
	if h.users != nil {
		h.users.atConnect()
	}
	h.Handler.NewConnection(c)
}

// ConnectionAuthenticated refuses a connection without TLS when secure
// transport is required: the protocol layer sends its error packet but
// goes on with the handshake, so the refusal is made sure here.
func (h handler) ConnectionAuthenticated(c *mysql.Conn) error {
	if h.requireTLS && !c.TLSEnabled() {
		return mysql.NewSQLError(erSecureTransportRequired, mysql.SSUnknownSQLState,
			"Connections using insecure transport are prohibited while --require_secure_transport=ON.")
	}
	return h.Handler.ConnectionAuthenticated(c)
}

// erSecureTransportRequired is MySQL's ER_SECURE_TRANSPORT_REQUIRED.
const erSecureTransportRequired = 3159

// ConnectionClosed forgets the connection's session.
func (h handler) ConnectionClosed(c *mysql.Conn) {
	h.Handler.ConnectionClosed(c)
	h.fp.dropSession(c.ConnectionID)
}

// engineErrors maps the engine's generic errors (1105), by message, to
// MySQL's numbers: an entry matches a message that starts with prefix,
// then contains substr and ends with suffix. The messages are those of
// the engine's error kinds named beside each entry; the text is kept,
// the number and SQLSTATE become MySQL's.
var engineErrors = []struct {
	prefix, substr, suffix string
	code                   int
	state                  string
}{
	{"", " out of range for ", "", 1264, "22003"},                                           // sql.ErrValueOutOfRange
	{"", "Out of range value for column of Decimal type", "", 1264, "22003"},                // types.ErrConvertToDecimalLimit
	{"", " is too large for column ", "", 1406, "22001"},                                    // types.ErrLengthBeyondLimit
	{"", "table with name ", " already exists", 1050, "42S01"},                              // sql.ErrTableAlreadyExists
	{"", "Incorrect column specifier for column", "", 1063, "42000"},                        // sql.ErrInvalidColumnSpecifier (AUTO_INCREMENT on a non-integer)
	{"", "doesn't have a default value", "", 1364, "HY000"},                                 // sql.ErrInsertIntoNonNullableDefaultNullColumn
	{"", "number of values does not match number of columns provided", "", 1136, "21S01"},   // sql.ErrInsertIntoMismatchValueCount
	{"column \"", "\" could not be found in any table in scope", "", 1054, "42S22"},         // sql.ErrColumnNotFound: ER_BAD_FIELD_ERROR
	{"table \"", "\" does not have column \"", "", 1054, "42S22"},                           // sql.ErrTableColumnNotFound
	{"ambiguous column name \"", "\", it's present in all these tables", "", 1052, "23000"}, // sql.ErrAmbiguousColumnName: ER_NON_UNIQ_ERROR
	{"ambiguous column or alias name \"", "", "", 1052, "23000"},                            // sql.ErrAmbiguousColumnOrAliasName
	{"syntax error at position ", "", "", 1064, "42000"},                                    // the parser's syntax errors (sql.ErrSyntaxError): ER_PARSE_ERROR
	{"command denied to user ", "", "", 1142, "42000"},                                      // sql.ErrPrivilegeCheckFailed: ER_TABLEACCESS_DENIED_ERROR
	{"Access denied for user ", " to table '", "", 1142, "42000"},                           // sql.ErrTableAccessDeniedForUser
	{"Access denied for user ", " to database '", "", 1044, "42000"},                        // sql.ErrDatabaseAccessDeniedForUser: ER_DBACCESS_DENIED_ERROR
	{"Operation ", " failed for ", "", 1396, "HY000"},                                       // sql.ErrUserCreationFailure and the like: ER_CANNOT_USER
}

func fixError(err error) error {
	se, ok := err.(*mysql.SQLError)
	if !ok || se.Num != mysql.ERUnknownError {
		return err
	}
	for _, m := range engineErrors {
		msg, ok := strings.CutPrefix(se.Message, m.prefix)
		if ok && strings.Contains(msg, m.substr) && strings.HasSuffix(msg, m.suffix) {
			return mysql.NewSQLError(m.code, m.state, "%s", se.Message)
		}
	}
	return err
}
