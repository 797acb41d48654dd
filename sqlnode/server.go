package sqlnode

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

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

	// RootPassword is the password of 'root'@'%' when the cluster has
	// no users yet (no privileges stored: a new cluster), which the
	// first SQL node creates; empty: a random one, which
	// GeneratedRootPassword returns. Ignored, with a log line, once the
	// cluster has users: it never resets a password (users.go).
	RootPassword string
	// PrivilegePollInterval is how often the SQL node checks the
	// cluster's privilege version, reloading users and grants changed
	// through another SQL node (every connection's authentication also
	// checks). Default 1 s.
	PrivilegePollInterval time.Duration

	// TLSCertFile and TLSKeyFile are PEM files of the server's
	// certificate (chain) and key; with them the server offers TLS to
	// clients (CLIENT_SSL). Both or neither.
	TLSCertFile, TLSKeyFile string
	// RequireSecureTransport refuses clients that do not use TLS
	// (MySQL's require_secure_transport); it needs the certificate.
	RequireSecureTransport bool
}

// DefaultConfig returns the defaults: MySQL's port on the loopback
// interface (serving every interface is a choice the operator makes).
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:3306", Version: "8.0.31-gondb", AutoIncrementPrefetch: 1,
		// A REVOKE on one SQL node reaches the others' running sessions
		// within about a second, for one key read a second per node.
		PrivilegePollInterval: time.Second}
}

// Validate reports a configuration New refuses.
func (cfg Config) Validate() error {
	if (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == "") {
		return errors.New("sqlnode: TLS needs both a certificate and a key file")
	}
	if cfg.RequireSecureTransport && cfg.TLSCertFile == "" {
		return errors.New("sqlnode: requiring secure transport needs a TLS certificate and key")
	}
	if cfg.PrivilegePollInterval < 0 {
		return fmt.Errorf("sqlnode: privilege poll interval %v is negative", cfg.PrivilegePollInterval)
	}
	return nil
}

// usersStartTimeout bounds New's reading (and, for a new cluster,
// writing) of the cluster's privileges.
const usersStartTimeout = 30 * time.Second

// Server is a SQL node: the MySQL protocol over a cluster connection.
type Server struct {
	cfg   Config
	c     *ndbapi.Cluster
	p     *Provider
	eng   *sqle.Engine
	srv   *server.Server
	ln    net.Listener
	log   *slog.Logger
	users *userStore
	once  sync.Once
	done  chan struct{}
	polls sync.WaitGroup
	err   error

	createdRoot bool   // this SQL node created root (a new cluster)
	generated   string // root's generated password, if it did
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
	if cfg.PrivilegePollInterval == 0 {
		cfg.PrivilegePollInterval = d.PrivilegePollInterval
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var tlsCfg *tls.Config
	if cfg.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("sqlnode: TLS certificate: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
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
	users := newUserStore(c, a.Catalog.MySQLDb, log)
	sctx, cancel := context.WithTimeout(context.Background(), usersStartTimeout)
	created, generated, err := users.start(sctx, cfg.RootPassword)
	cancel()
	if err != nil {
		users.close()
		p.close()
		return nil, fmt.Errorf("sqlnode: users and privileges: %w", err)
	}
	fp.users = users
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		users.close()
		p.close()
		return nil, fmt.Errorf("sqlnode: listen on %s: %w", cfg.Addr, err)
	}
	sb := func(ctx context.Context, conn *mysql.Conn, addr string) (sql.Session, error) {
		host, user := "", ""
		if u, ok := conn.UserData.(sql.MysqlConnectionUser); ok {
			host, user = u.Host, u.User
		}
		base := sql.NewBaseSessionWithClientServer(addr, sql.Client{Address: host, User: user, Capabilities: conn.Capabilities}, conn.ConnectionID)
		if tc, ok := conn.Conn.(*tls.Conn); ok {
			// SHOW STATUS LIKE 'Ssl_%' shows the session's TLS.
			st := tc.ConnectionState()
			_ = base.SetStatusVariable(nil, "Ssl_cipher", tls.CipherSuiteName(st.CipherSuite))
			_ = base.SetStatusVariable(nil, "Ssl_version", tlsVersionName(st.Version))
		}
		s := NewSession(base, c)
		fp.addSession(conn.ConnectionID, s)
		return s, nil
	}
	wrap := func(h mysql.Handler) (mysql.Handler, error) {
		return handler{Handler: h, fp: fp, users: users, requireTLS: cfg.RequireSecureTransport}, nil
	}
	scfg := server.Config{Protocol: "tcp", Listener: ln, Address: ln.Addr().String(), Version: cfg.Version,
		TLSConfig: tlsCfg, RequireSecureTransport: cfg.RequireSecureTransport}
	srv, err := server.NewServerWithHandler(scfg, eng, sql.NewContext, sb, nil, wrap)
	if err != nil {
		ln.Close()
		users.close()
		p.close()
		return nil, fmt.Errorf("sqlnode: %w", err)
	}
	s := &Server{cfg: cfg, c: c, p: p, eng: eng, srv: srv, ln: ln, log: log, users: users, done: make(chan struct{}),
		createdRoot: created, generated: generated}
	s.polls.Add(1)
	go func() {
		defer s.polls.Done()
		users.poll(cfg.PrivilegePollInterval, s.done)
	}()
	return s, nil
}

// CreatedRoot reports whether this SQL node found no users in the
// cluster and created 'root'@'%' (with Config.RootPassword, or the
// generated one).
func (s *Server) CreatedRoot() bool { return s.createdRoot }

// GeneratedRootPassword is the password this SQL node generated for
// 'root'@'%' when it created it without Config.RootPassword; "" otherwise.
// It is not stored anywhere in clear: show it to the operator once.
func (s *Server) GeneratedRootPassword() string { return s.generated }

// PrivilegeReloads counts the times the SQL node loaded the cluster's
// users and privileges (at start, and when another SQL node changed them).
func (s *Server) PrivilegeReloads() uint64 { return s.users.reloads.Load() }

// tlsVersionName is MySQL's name of a TLS version (Ssl_version).
func tlsVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "TLSv1"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return fmt.Sprintf("TLS 0x%04x", v)
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
		s.polls.Wait()
		s.users.close()
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
