package sqlnode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/rowexec"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/sirupsen/logrus"

	"github.com/gondb/gondb/ndbapi"
)

// Config configures a Server. Read-only once passed to New.
type Config struct {
	// Addr is the host:port the MySQL protocol is served on (port 0: a
	// free port).
	Addr string
	// Version is what the server reports as its version.
	Version string
	// Logger; nil: slog.Default().
	Logger *slog.Logger
	// AutoIncrementPrefetch is how many AUTO_INCREMENT values the SQL
	// node reserves from a table's cluster-wide counter at a time (NDB's
	// ndb_autoincrement_prefetch_sz). 1 (the default) keeps values
	// consecutive across SQL nodes at the cost of a counter transaction
	// per generated value; more saves those round trips and lets SQL
	// nodes interleave, leaving gaps when a node stops.
	AutoIncrementPrefetch int
	// NoFastPath sends every statement to the engine (fastpath.go):
	// for comparisons and as a way out should the fast path misbehave.
	NoFastPath bool
}

// DefaultConfig returns the defaults: MySQL's port on the loopback
// interface (serving every interface is a choice the operator makes).
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:3306", Version: "8.0.31-gondb", AutoIncrementPrefetch: 1}
}

// Server is a SQL node: the MySQL protocol over a cluster connection.
type Server struct {
	cfg  Config
	c    *ndbapi.Cluster
	p    *Provider
	eng  *sqle.Engine
	srv  *server.Server
	ln   net.Listener
	log  *slog.Logger
	once sync.Once
	done chan struct{}
	err  error
}

// New builds a SQL node over cluster c and listens on cfg.Addr; Serve
// accepts connections. c stays the caller's to close, after Close.
func New(c *ndbapi.Cluster, cfg Config) (*Server, error) {
	d := DefaultConfig()
	if cfg.Addr == "" {
		cfg.Addr = d.Addr
	}
	if cfg.Version == "" {
		cfg.Version = d.Version
	}
	if cfg.AutoIncrementPrefetch <= 0 {
		cfg.AutoIncrementPrefetch = d.AutoIncrementPrefetch
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	quietEngineLogs()
	p := NewProvider(c, log)
	p.prefetch = uint64(cfg.AutoIncrementPrefetch)
	fp := newFastPath(p)
	fp.off = cfg.NoFastPath
	var o sql.EngineOverrides
	o.Hooks.CreateTable.PreSQLExecution = createTableHook
	o.SchemaFormatter = schemaFormatter{SchemaFormatter: sql.DefaultMySQLSchemaFormatter, p: p}
	a := analyzer.NewBuilder(p).AddOverrides(o).Build()
	xb := &execBuilder{}
	a.ExecBuilder = rowexec.NewBuilder(xb, o)
	xb.base = a.ExecBuilder
	eng := sqle.New(a, &sqle.Config{VersionPostfix: "gondb"})
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("sqlnode: listen on %s: %w", cfg.Addr, err)
	}
	sb := func(ctx context.Context, conn *mysql.Conn, addr string) (sql.Session, error) {
		host, user := "", ""
		if u, ok := conn.UserData.(sql.MysqlConnectionUser); ok {
			host, user = u.Host, u.User
		}
		base := sql.NewBaseSessionWithClientServer(addr, sql.Client{Address: host, User: user, Capabilities: conn.Capabilities}, conn.ConnectionID)
		s := NewSession(base, c)
		fp.addSession(conn.ConnectionID, s)
		return s, nil
	}
	wrap := func(h mysql.Handler) (mysql.Handler, error) { return handler{Handler: h, fp: fp}, nil }
	srv, err := server.NewServerWithHandler(server.Config{Protocol: "tcp", Listener: ln, Address: ln.Addr().String(), Version: cfg.Version}, eng, sql.NewContext, sb, nil, wrap)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("sqlnode: %w", err)
	}
	return &Server{cfg: cfg, c: c, p: p, eng: eng, srv: srv, ln: ln, log: log, done: make(chan struct{})}, nil
}

// Stats are the server's access counters.
func (s *Server) Stats() *Stats { return &s.p.stats }

// Cluster is the cluster connection the server uses.
func (s *Server) Cluster() *ndbapi.Cluster { return s.c }

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve accepts connections until Close; it returns nil after Close.
func (s *Server) Serve() error {
	err := s.srv.Start()
	select {
	case <-s.done:
		return nil
	default:
	}
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Close stops accepting connections (the engine's server leaves open
// ones to end with the process or the cluster connection).
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		close(s.done)
		err = s.srv.Close()
		s.p.close()
	})
	return err
}

var quietOnce sync.Once

// quietEngineLogs keeps the engine's logrus lines (one per connection and
// query error) off stdout: gondb logs with slog.
func quietEngineLogs() {
	quietOnce.Do(func() {
		if os.Getenv("GONDB_SQL_DEBUG") != "" {
			return
		}
		logrus.SetOutput(io.Discard)
		logrus.SetLevel(logrus.ErrorLevel)
	})
}
