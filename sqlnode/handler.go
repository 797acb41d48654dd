package sqlnode

import (
	"context"
	"strings"

	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
)

// handler wraps the engine's wire handler. Today it only gives the
// engine's strict-mode and DDL errors the MySQL numbers clients expect
// (the engine reports them as 1105); the statement fast path will live
// here too.
type handler struct{ mysql.Handler }

func wrapHandler(h mysql.Handler) (mysql.Handler, error) { return handler{h}, nil }

func (h handler) ComQuery(ctx context.Context, c *mysql.Conn, query string, cb mysql.ResultSpoolFn) error {
	return fixError(h.Handler.ComQuery(ctx, c, query, cb))
}

func (h handler) ComMultiQuery(ctx context.Context, c *mysql.Conn, query string, cb mysql.ResultSpoolFn) (string, error) {
	rest, err := h.Handler.ComMultiQuery(ctx, c, query, cb)
	return rest, fixError(err)
}

func (h handler) ComStmtExecute(ctx context.Context, c *mysql.Conn, p *mysql.PrepareData, cb func(*sqltypes.Result) error) error {
	return fixError(h.Handler.ComStmtExecute(ctx, c, p, cb))
}

// engineErrors maps the engine's generic errors, by message, to MySQL's
// numbers.
var engineErrors = []struct {
	substr string
	code   int
	state  string
}{
	{" out of range for ", 1264, "22003"},                            // sql.ErrValueOutOfRange
	{"Out of range value for column of Decimal type", 1264, "22003"}, // types.ErrConvertToDecimalLimit
	{" is too large for column ", 1406, "22001"},                     // types.ErrLengthBeyondLimit
	{"table with name ", 1050, "42S01"},                              // sql.ErrTableAlreadyExists ("... already exists")
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
