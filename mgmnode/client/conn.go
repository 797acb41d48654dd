package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/gondb/gondb/mgmnode/config"
	"github.com/gondb/gondb/mgmnode/mgmapi"
)

// ErrNoServer: no management server of the connect string answered. The
// returned error is a *NoServerError listing what each one said.
var ErrNoServer = errors.New("no management server answered")

// ErrClosed: the Conn or Node was closed.
var ErrClosed = errors.New("mgm client closed")

// NoServerError says why each management server of the connect string
// could not be used. It matches ErrNoServer with errors.Is.
type NoServerError struct {
	Addrs []string
	Errs  []error
}

func (e *NoServerError) Error() string {
	var b strings.Builder
	b.WriteString("no management server answered (")
	for i, a := range e.Addrs {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %v", a, e.Errs[i])
	}
	b.WriteString(")")
	return b.String()
}

func (e *NoServerError) Unwrap() error { return ErrNoServer }

// Options configure a Conn. Zero fields take DefaultOptions' values.
type Options struct {
	// Logger receives failovers and reconnects. Default slog.Default().
	Logger *slog.Logger
	// ConnectTimeout bounds connecting to one management server before
	// the next one of the connect string is tried.
	ConnectTimeout time.Duration
	// CallTimeout bounds one call to one server when the caller's context
	// has no deadline.
	CallTimeout time.Duration
	// DialOptions are added to the connection's (TLS credentials, ...).
	DialOptions []grpc.DialOption
}

// DefaultOptions returns the defaults, with the reason for each.
func DefaultOptions() Options {
	return Options{
		// A management server on the LAN accepts in a millisecond; 3 s
		// rides out a SYN lost once, then moves on to the next server.
		ConnectTimeout: 3 * time.Second,
		// Management calls are a few etcd round trips; 10 s is several
		// etcd leader elections.
		CallTimeout: 10 * time.Second,
	}
}

func (o Options) resolved() Options {
	d := DefaultOptions()
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = d.ConnectTimeout
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = d.CallTimeout
	}
	return o
}

// Conn is a connection to the management servers of one connect string.
// Calls go to the current server; when it cannot be reached (or is
// stopping), the next one of the connect string is tried, and the first
// that answers becomes current. A Conn is safe for concurrent use.
type Conn struct {
	cs      ConnectString
	opts    Options
	log     *slog.Logger
	conns   []*grpc.ClientConn
	clients []*mgmapi.Client
	cur     atomic.Int32
	closed  atomic.Bool
	once    sync.Once
}

// Dial parses the connect string and connects to the first management
// server in it that accepts a connection within Options.ConnectTimeout,
// trying each in order (as NDB's connect string is used). It fails with a
// *NoServerError when none does, or when ctx ends first.
func Dial(ctx context.Context, connectString string, o Options) (*Conn, error) {
	cs, err := ParseConnectString(connectString)
	if err != nil {
		return nil, err
	}
	o = o.resolved()
	c := &Conn{cs: cs, opts: o, log: o.Logger}
	for _, a := range cs.Addrs {
		opts := append([]grpc.DialOption{
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			// A plain dialer: no proxy from the environment.
			grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "tcp", addr)
			}),
			grpc.WithConnectParams(grpc.ConnectParams{
				Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second},
				MinConnectTimeout: o.ConnectTimeout,
			}),
			grpc.WithDisableServiceConfig(),
		}, mgmapi.DialOptions()...)
		opts = append(opts, o.DialOptions...)
		// passthrough: the address is dialed as written, each time, so a
		// restarted server on another address behind the name is found.
		cc, err := grpc.NewClient("passthrough:///"+a, opts...)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("management server %s: %w", a, err)
		}
		c.conns = append(c.conns, cc)
		c.clients = append(c.clients, mgmapi.NewClient(cc))
	}
	nse := &NoServerError{}
	for i, cc := range c.conns {
		err := waitReady(ctx, cc, o.ConnectTimeout)
		if err == nil {
			c.cur.Store(int32(i))
			return c, nil
		}
		nse.Addrs, nse.Errs = append(nse.Addrs, cs.Addrs[i]), append(nse.Errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	c.Close()
	return nil, nse
}

// waitReady connects cc and waits until it is ready or fails.
func waitReady(ctx context.Context, cc *grpc.ClientConn, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cc.Connect()
	for {
		s := cc.GetState()
		switch s {
		case connectivity.Ready:
			return nil
		case connectivity.TransientFailure:
			return errors.New("connection refused or failed")
		case connectivity.Shutdown:
			return ErrClosed
		}
		if !cc.WaitForStateChange(ctx, s) {
			return fmt.Errorf("no connection within %v", timeout)
		}
	}
}

// Addr is the management server calls go to now.
func (c *Conn) Addr() string { return c.cs.Addrs[c.cur.Load()] }

// ConnectString is the parsed connect string.
func (c *Conn) ConnectString() ConnectString { return c.cs }

// Close closes the connections. It is safe to call more than once.
func (c *Conn) Close() error {
	c.once.Do(func() {
		c.closed.Store(true)
		for _, cc := range c.conns {
			cc.Close()
		}
	})
	return nil
}

// call runs fn against the current server and, when it is unavailable,
// against the others in connect-string order, making the first that
// answers current. Errors other than unavailability are returned at once:
// the server answered.
func call[Rep any](c *Conn, ctx context.Context, fn func(context.Context, *mgmapi.Client) (*Rep, error)) (*Rep, error) {
	return callEach(c, ctx, 0, fn)
}

// callEach is call with each server given at most attempt (0: the
// caller's deadline, or CallTimeout without one), for calls that must
// move on quickly (heartbeats).
func callEach[Rep any](c *Conn, ctx context.Context, attempt time.Duration, fn func(context.Context, *mgmapi.Client) (*Rep, error)) (*Rep, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	n := len(c.clients)
	start := int(c.cur.Load())
	nse := &NoServerError{}
	for i := range n {
		idx := (start + i) % n
		actx, cancel := ctx, context.CancelFunc(func() {})
		if attempt > 0 {
			actx, cancel = context.WithTimeout(ctx, attempt)
		} else if _, ok := ctx.Deadline(); !ok {
			actx, cancel = context.WithTimeout(ctx, c.opts.CallTimeout)
		}
		rep, err := fn(actx, c.clients[idx])
		cancel()
		if err == nil {
			if idx != start && c.cur.CompareAndSwap(int32(start), int32(idx)) {
				c.log.Info("mgm client: switched management server", "from", c.cs.Addrs[start], "to", c.cs.Addrs[idx])
			}
			return rep, nil
		}
		if ctx.Err() != nil || c.closed.Load() {
			return nil, err
		}
		if !retryable(err) {
			return nil, err
		}
		nse.Addrs, nse.Errs = append(nse.Addrs, c.cs.Addrs[idx]), append(nse.Errs, err)
	}
	return nil, nse
}

// Status returns every configured node's status, as SHOW prints it.
func (c *Conn) Status(ctx context.Context) (*mgmapi.StatusReply, error) {
	return call(c, ctx, func(ctx context.Context, cl *mgmapi.Client) (*mgmapi.StatusReply, error) {
		return cl.Status(ctx, &mgmapi.StatusRequest{})
	})
}

// Command sends a command to data nodes (all of them when req.NodeIDs is
// empty) and, with req.WaitMillis, waits for them to reach its goal.
// Give ctx a deadline past WaitMillis.
func (c *Conn) Command(ctx context.Context, req *mgmapi.CommandRequest) (*mgmapi.CommandReply, error) {
	return call(c, ctx, func(ctx context.Context, cl *mgmapi.Client) (*mgmapi.CommandReply, error) {
		return cl.Command(ctx, req)
	})
}

// Stop stops the database on the given data nodes (all when none), and
// waits up to wait for them to stop (0: only deliver).
func (c *Conn) Stop(ctx context.Context, wait time.Duration, ids ...uint32) (*mgmapi.CommandReply, error) {
	return c.Command(ctx, &mgmapi.CommandRequest{Command: mgmapi.Command{Name: mgmapi.CmdStop}, NodeIDs: ids, WaitMillis: millis(wait)})
}

// Start starts the given data nodes (all when none), and waits up to wait
// for them to be started (0: only deliver).
func (c *Conn) Start(ctx context.Context, wait time.Duration, ids ...uint32) (*mgmapi.CommandReply, error) {
	return c.Command(ctx, &mgmapi.CommandRequest{Command: mgmapi.Command{Name: mgmapi.CmdStart}, NodeIDs: ids, WaitMillis: millis(wait)})
}

// Restart restarts the given data nodes (all when none); initial discards
// their files first, noStart leaves them NOT_STARTED. It waits up to wait.
func (c *Conn) Restart(ctx context.Context, wait time.Duration, initial, noStart bool, ids ...uint32) (*mgmapi.CommandReply, error) {
	return c.Command(ctx, &mgmapi.CommandRequest{
		Command: mgmapi.Command{Name: mgmapi.CmdRestart, Initial: initial, NoStart: noStart},
		NodeIDs: ids, WaitMillis: millis(wait)})
}

// Shutdown stops every data node, waiting up to wait, then every
// management server.
func (c *Conn) Shutdown(ctx context.Context, wait time.Duration) (*mgmapi.ShutdownReply, error) {
	return call(c, ctx, func(ctx context.Context, cl *mgmapi.Client) (*mgmapi.ShutdownReply, error) {
		return cl.Shutdown(ctx, &mgmapi.ShutdownRequest{WaitMillis: millis(wait)})
	})
}

// ClusterLog returns the last max events the current server keeps (0: all).
func (c *Conn) ClusterLog(ctx context.Context, max int) ([]mgmapi.LogEvent, error) {
	r, err := call(c, ctx, func(ctx context.Context, cl *mgmapi.Client) (*mgmapi.ClusterLogReply, error) {
		return cl.ClusterLog(ctx, &mgmapi.ClusterLogRequest{Max: max})
	})
	if err != nil {
		return nil, err
	}
	return r.Events, nil
}

// FetchConfig returns the stored config.ini text and its generation.
func (c *Conn) FetchConfig(ctx context.Context) (text string, generation uint64, err error) {
	r, err := call(c, ctx, func(ctx context.Context, cl *mgmapi.Client) (*mgmapi.ConfigReply, error) {
		return cl.FetchConfig(ctx, &mgmapi.FetchConfigRequest{})
	})
	if err != nil {
		return "", 0, err
	}
	return r.Text, r.Generation, nil
}

// Config fetches the stored configuration and parses it with opt.
func (c *Conn) Config(ctx context.Context, opt config.Options) (*config.Config, uint64, error) {
	text, gen, err := c.FetchConfig(ctx)
	if err != nil {
		return nil, 0, err
	}
	cfg, err := parseConfig(text, gen, opt)
	return cfg, gen, err
}

func parseConfig(text string, gen uint64, opt config.Options) (*config.Config, error) {
	cfg, _, err := config.ParseWith(fmt.Sprintf("config generation %d", gen), strings.NewReader(text), opt)
	if err != nil {
		return nil, fmt.Errorf("the management server's configuration (generation %d) does not parse here: %w", gen, err)
	}
	return cfg, nil
}

// SetConfig stores text as the next configuration generation if the
// stored one is still expect; mgmapi.ErrConflict otherwise.
func (c *Conn) SetConfig(ctx context.Context, text string, expect uint64) (uint64, error) {
	r, err := call(c, ctx, func(ctx context.Context, cl *mgmapi.Client) (*mgmapi.ConfigReply, error) {
		return cl.SetConfig(ctx, &mgmapi.SetConfigRequest{Text: text, ExpectGeneration: expect})
	})
	if err != nil {
		return 0, err
	}
	return r.Generation, nil
}

// Arbitrate asks the arbitrator whether the side of requester (with the
// data nodes side) may go on after a split in membership round ticket.
// It is true only when granted; any error means no.
func (c *Conn) Arbitrate(ctx context.Context, ticket uint64, requester uint32, side []uint32) (bool, error) {
	r, err := call(c, ctx, func(ctx context.Context, cl *mgmapi.Client) (*mgmapi.ArbitrateReply, error) {
		return cl.Arbitrate(ctx, &mgmapi.ArbitrateRequest{Ticket: ticket, Requester: requester, SideNodes: side})
	})
	if err != nil {
		return false, err
	}
	if !r.Granted {
		return false, fmt.Errorf("arbitration refused: %s", r.Reason)
	}
	return true, nil
}

// retryable: the server could not be reached or did not answer in time,
// so another one should be tried.
func retryable(err error) bool {
	return mgmapi.IsUnavailable(err) || errors.Is(err, context.DeadlineExceeded) ||
		status.Code(err) == codes.DeadlineExceeded
}

func millis(d time.Duration) uint32 {
	if d <= 0 {
		return 0
	}
	ms := d.Milliseconds()
	if ms > 1<<31 {
		ms = 1 << 31
	}
	if ms == 0 {
		ms = 1
	}
	return uint32(ms)
}
