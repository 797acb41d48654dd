package sqlnode

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"

	"github.com/gondb/gondb/ndbapi"
	"github.com/gondb/gondb/ndbinfo"
)

// Session is one client connection: the engine's session plus the
// connection's Ndb and its open NDB transaction. The engine may call a
// session's tables from more than one goroutine (row fetching and writing
// run apart), never at once for one statement's rows; mu serializes every
// use of the Ndb anyway, as ndbapi requires.
//
// Transactions (docs/sqlnode.md): every statement in autocommit mode, and
// BEGIN..COMMIT otherwise, is one engine transaction; its writes (and its
// locking reads) go to one NDB transaction, started at the first write
// with that row's key as the distribution hint, committed by
// CommitTransaction and rolled back by Rollback. A statement that fails
// after it sent operations aborts the whole NDB transaction (NDB aborts a
// transaction on an operation error).
type Session struct {
	*sql.BaseSession
	c *ndbapi.Cluster

	mu      sync.Mutex
	ndb     *ndbapi.Ndb
	tx      *ndbapi.Transaction
	written map[uint32]bool // tables the open transaction wrote

	// pendingCreate is the CREATE TABLE being executed (createTableHook).
	pendingCreate *plan.CreateTable

	// rewrites caches the statement's pushdown rewrites (explain.go).
	rewrites rewriteCache
	// fast is the fast path's scratch (fastpath.go); used by the
	// connection's goroutine only.
	fast fastScratch
	// prepared holds the fast plans of the connection's prepared
	// statements by statement id (fastpath.go); connection goroutine only.
	prepared map[uint32]*preparedPlan
	// privOK caches the fast path's privilege checks per resolved plan
	// while the session's privileges stay the same (privN: the engine's
	// update counter they were computed at; users.go); connection
	// goroutine only.
	privOK  map[*fastRes]bool
	privN   uint64
	privGen uint64 // userStore.gen they were computed at
	// autoPid and autoN: the statement generating AUTO_INCREMENT values
	// and how many it generated (autoinc.go). Under mu.
	autoPid uint64
	autoN   int
	// lastInfo is the ndbinfo table the statement resolved last, so that
	// a refused write names it (ndbinfo.go); the handler clears it before
	// each statement.
	lastInfo atomic.Pointer[ndbinfo.Table]
}

var (
	_ sql.TransactionSession    = (*Session)(nil)
	_ sql.LifecycleAwareSession = (*Session)(nil)
	_ sql.Transaction           = (*transaction)(nil)
)

// NewSession returns a session over base that uses cluster c.
func NewSession(base *sql.BaseSession, c *ndbapi.Cluster) *Session {
	s := &Session{BaseSession: base, c: c, written: map[uint32]bool{}}
	s.fast.ctx = sql.NewContext(context.Background(), sql.WithSession(s))
	return s
}

func sessionOf(ctx *sql.Context) (*Session, error) {
	s, ok := ctx.Session.(*Session)
	if !ok {
		return nil, errNoSession
	}
	return s, nil
}

// getNdb returns the session's Ndb. Called with s.mu held.
func (s *Session) getNdb() (*ndbapi.Ndb, error) {
	if s.ndb == nil {
		ndb, err := s.c.NewNdb()
		if err != nil {
			return nil, mysqlError(err)
		}
		s.ndb = ndb
		registerSessionNdb(ndb, s.ID()) // for server_locks (ndbinfo.go)
	}
	return s.ndb, nil
}

// transaction returns the open NDB transaction, starting it on the node
// of key's primary replica when there is none. Called with s.mu held.
func (s *Session) transaction(t *ndbapi.Table, key []byte) (*ndbapi.Transaction, error) {
	if s.tx != nil {
		return s.tx, nil
	}
	ndb, err := s.getNdb()
	if err != nil {
		return nil, err
	}
	tx, err := ndb.StartTransaction(t, key)
	if err != nil {
		return nil, err
	}
	s.tx = tx
	return tx, nil
}

// abortTx throws the open NDB transaction away (rolled back by the data
// nodes). Called with s.mu held.
func (s *Session) abortTx() {
	if s.tx != nil {
		s.tx.Close()
		s.tx = nil
	}
	clear(s.written)
}

// endFailedStatement rolls back, at once, the NDB transaction that a
// statement which failed in autocommit mode left open: its locks (an
// UPDATE's locking scan) are released and its writes (the rows of a
// multi-row INSERT sent before the failing one) discarded now, not when
// the session's next statement starts. Within BEGIN..COMMIT the
// transaction is kept for COMMIT or ROLLBACK to end.
func (s *Session) endFailedStatement() {
	s.mu.Lock()
	open := s.tx != nil
	s.mu.Unlock()
	if !open || !s.autocommitMode(s.fastContext()) {
		return
	}
	s.mu.Lock()
	s.abortTx()
	s.mu.Unlock()
}

// fastContext is the engine context the SQL node uses for the session
// outside the engine's statements (fast path, handler).
func (s *Session) fastContext() *sql.Context { return s.fast.ctx }

// transaction is the engine's handle of a transaction.
type transaction struct{ readOnly bool }

func (t *transaction) String() string   { return "ndbcluster transaction" }
func (t *transaction) IsReadOnly() bool { return t.readOnly }

// StartTransaction implements sql.TransactionSession. An NDB transaction
// left open by a failed statement is rolled back.
func (s *Session) StartTransaction(_ *sql.Context, tc sql.TransactionCharacteristic) (sql.Transaction, error) {
	s.mu.Lock()
	s.abortTx()
	s.mu.Unlock()
	return &transaction{readOnly: tc == sql.ReadOnly}, nil
}

// CommitTransaction implements sql.TransactionSession.
func (s *Session) CommitTransaction(*sql.Context, sql.Transaction) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := s.tx
	if tx == nil {
		return nil
	}
	s.tx = nil
	clear(s.written)
	err := tx.Execute(ndbapi.Commit)
	tx.Close()
	return mysqlError(err)
}

// Rollback implements sql.TransactionSession.
func (s *Session) Rollback(*sql.Context, sql.Transaction) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tx != nil {
		// An error means the data nodes had aborted it already.
		_ = s.tx.Execute(ndbapi.Rollback)
		s.tx.Close()
		s.tx = nil
		clear(s.written)
	}
	return nil
}

// CreateSavepoint implements sql.TransactionSession.
func (s *Session) CreateSavepoint(*sql.Context, sql.Transaction, string) error {
	return errNotSupported("SAVEPOINT")
}

// RollbackToSavepoint implements sql.TransactionSession.
func (s *Session) RollbackToSavepoint(*sql.Context, sql.Transaction, string) error {
	return errNotSupported("SAVEPOINT")
}

// ReleaseSavepoint implements sql.TransactionSession.
func (s *Session) ReleaseSavepoint(*sql.Context, sql.Transaction, string) error {
	return errNotSupported("SAVEPOINT")
}

// CommandBegin implements sql.LifecycleAwareSession.
func (s *Session) CommandBegin() error { return nil }

// CommandEnd implements sql.LifecycleAwareSession.
func (s *Session) CommandEnd() {}

// SessionEnd implements sql.LifecycleAwareSession: the connection closed;
// an open transaction is rolled back and the Ndb released.
func (s *Session) SessionEnd() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.abortTx()
	if s.ndb != nil {
		unregisterSessionNdb(s.ndb, s.ID())
		s.ndb.Close()
		s.ndb = nil
	}
}
