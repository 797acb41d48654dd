package mgmcli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/mgmnode/mgmapi"
)

// ErrQuit is returned by Execute for QUIT and EXIT.
var ErrQuit = errors.New("quit")

// Interpreter runs management client commands.
type Interpreter struct {
	Conn *client.Conn
	Out  io.Writer
	// Wait bounds how long STOP, START, RESTART and SHUTDOWN wait for the
	// nodes to get there (0: only send the command).
	Wait time.Duration
	// CallTimeout bounds every other call.
	CallTimeout time.Duration
}

// Help is the text HELP prints.
const Help = `---------------------------------------------------------------------------
 gondb -- management client -- Help
---------------------------------------------------------------------------
HELP                                   Print help text
SHOW                                   Print information about the cluster
SHUTDOWN                               Shutdown all data nodes and management servers
CLUSTERLOG [<n>]                       Print the last n events of the cluster log (default 30)
<id> STATUS                            Print status of node <id> (or ALL data nodes)
<id> REPORT MEMORYUSAGE                Print memory usage of data node <id> (or ALL)
<id> STOP [-a]                         Stop data node <id> (or ALL); -a: abort
<id> START                             Start a data node stopped with STOP or RESTART -n (or ALL)
<id> RESTART [-n] [-i] [-a]            Restart data node <id> (or ALL)
                                       -n: stay not started; -i: initial (discard the node's files)
                                       ALL with NodeFailover on: a rolling restart, one node at a time
QUIT, EXIT                             Leave the management client

<id> = ALL | any node id of the configuration (ALL: every data node)
Commands are case-insensitive. STOP, START, RESTART and SHUTDOWN wait for the
nodes to get there (gondb mgm --wait; in a rolling restart, for each node).
`

// Execute runs one command line (several may be given separated by ';').
// Output goes to Out; a command that failed returns an error saying why,
// in one line.
func (in *Interpreter) Execute(ctx context.Context, line string) error {
	var errs []error
	for cmd := range strings.SplitSeq(line, ";") {
		if err := in.execOne(ctx, strings.Fields(cmd)); err != nil {
			if errors.Is(err, ErrQuit) {
				return err
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (in *Interpreter) callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	d := in.CallTimeout
	if d <= 0 {
		d = 10 * time.Second
	}
	return context.WithTimeout(ctx, d)
}

func (in *Interpreter) waitCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	d := in.CallTimeout
	if d <= 0 {
		d = 10 * time.Second
	}
	return context.WithTimeout(ctx, in.Wait+d)
}

func invalid(words []string) error {
	return fmt.Errorf("invalid command: %s (type HELP for help)", strings.Join(words, " "))
}

func (in *Interpreter) execOne(ctx context.Context, w []string) error {
	if len(w) == 0 {
		return nil
	}
	verb := strings.ToUpper(w[0])
	switch verb {
	case "HELP", "?":
		fmt.Fprint(in.Out, Help)
		return nil
	case "QUIT", "EXIT", "BYE":
		return ErrQuit
	case "SHOW":
		if len(w) != 1 {
			return invalid(w)
		}
		return in.show(ctx)
	case "SHUTDOWN":
		if len(w) != 1 {
			return invalid(w)
		}
		return in.shutdown(ctx)
	case "CLUSTERLOG":
		return in.clusterLog(ctx, w[1:])
	}
	// <id>|ALL <verb> ...
	var ids []uint32 // nil: ALL
	if verb != "ALL" {
		n, err := strconv.ParseUint(w[0], 10, 8)
		if err != nil || n == 0 {
			return invalid(w)
		}
		ids = []uint32{uint32(n)}
	}
	if len(w) < 2 {
		return invalid(w)
	}
	args := w[2:]
	switch strings.ToUpper(w[1]) {
	case "STATUS":
		if len(args) != 0 {
			return invalid(w)
		}
		return in.status(ctx, ids)
	case "REPORT":
		if len(args) != 1 || !slices.Contains([]string{"MEMORYUSAGE", "MEMORY", "MEM"}, strings.ToUpper(args[0])) {
			return fmt.Errorf("REPORT takes MEMORYUSAGE (the only report gondb has): %s", strings.Join(w, " "))
		}
		return in.memory(ctx, ids)
	case "STOP":
		c, err := flags(mgmapi.Command{Name: mgmapi.CmdStop}, args, "-a")
		if err != nil {
			return err
		}
		return in.command(ctx, c, ids)
	case "START":
		if len(args) != 0 {
			return invalid(w)
		}
		return in.command(ctx, mgmapi.Command{Name: mgmapi.CmdStart}, ids)
	case "RESTART":
		c, err := flags(mgmapi.Command{Name: mgmapi.CmdRestart}, args, "-a-n-i")
		if err != nil {
			return err
		}
		return in.command(ctx, c, ids)
	}
	return invalid(w)
}

// flags reads -a, -n, -i (those allowed) into c.
func flags(c mgmapi.Command, args []string, allowed string) (mgmapi.Command, error) {
	for _, a := range args {
		f := strings.ToLower(a)
		if len(f) != 2 || f[0] != '-' || !strings.Contains(allowed, f) {
			var opts []string
			for i := 0; i+1 < len(allowed); i += 2 {
				opts = append(opts, allowed[i:i+2])
			}
			return c, fmt.Errorf("%s: unknown option %q (allowed: %s)", c.Name, a, strings.Join(opts, " "))
		}
		switch f {
		case "-a":
			c.Abort = true
		case "-n":
			c.NoStart = true
		case "-i":
			c.Initial = true
		}
	}
	return c, nil
}

func (in *Interpreter) statusReply(ctx context.Context) (*mgmapi.StatusReply, error) {
	ctx, cancel := in.callCtx(ctx)
	defer cancel()
	return in.Conn.Status(ctx)
}

func (in *Interpreter) show(ctx context.Context) error {
	r, err := in.statusReply(ctx)
	if err != nil {
		return err
	}
	WriteShow(in.Out, r.Nodes)
	return nil
}

// pick returns the nodes named by ids, or every data node for nil.
func pick(nodes []mgmapi.NodeInfo, ids []uint32) ([]mgmapi.NodeInfo, error) {
	var out []mgmapi.NodeInfo
	if ids == nil {
		for _, n := range nodes {
			if n.Type == mgmapi.TypeData {
				out = append(out, n)
			}
		}
		return out, nil
	}
	for _, id := range ids {
		i := slices.IndexFunc(nodes, func(n mgmapi.NodeInfo) bool { return n.NodeID == id })
		if i < 0 {
			return nil, fmt.Errorf("node %d is not in the configuration", id)
		}
		out = append(out, nodes[i])
	}
	return out, nil
}

func (in *Interpreter) status(ctx context.Context, ids []uint32) error {
	r, err := in.statusReply(ctx)
	if err != nil {
		return err
	}
	nodes, err := pick(r.Nodes, ids)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		WriteStatus(in.Out, n)
	}
	return nil
}

func (in *Interpreter) memory(ctx context.Context, ids []uint32) error {
	r, err := in.statusReply(ctx)
	if err != nil {
		return err
	}
	nodes, err := pick(r.Nodes, ids)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		if n.Type != mgmapi.TypeData {
			return fmt.Errorf("node %d is not a data node", n.NodeID)
		}
		WriteMemoryUsage(in.Out, n)
	}
	return nil
}

func (in *Interpreter) command(ctx context.Context, c mgmapi.Command, ids []uint32) error {
	all := ids == nil
	if all {
		switch c.Name {
		case mgmapi.CmdStop:
			fmt.Fprintln(in.Out, "Executing STOP on all nodes.")
		case mgmapi.CmdStart:
			fmt.Fprintln(in.Out, "NDB Cluster is being started.")
		case mgmapi.CmdRestart:
			fmt.Fprintln(in.Out, "Executing RESTART on all nodes.")
		}
	}
	wctx, cancel := in.waitCtx(ctx)
	defer cancel()
	// ALL RESTART is a rolling restart when the cluster runs with
	// NodeFailover: the server answers at once and this client follows
	// it (rolling.go); --wait then bounds each node's restart.
	rep, err := in.Conn.Command(wctx, &mgmapi.CommandRequest{Command: c, NodeIDs: ids, WaitMillis: uint32(in.Wait.Milliseconds()),
		Follow: all && c.Name == mgmapi.CmdRestart})
	if err != nil {
		return err
	}
	if rep.Rolling != nil {
		return in.followRolling(ctx, rep.Rolling)
	}
	if rep.Note != "" {
		fmt.Fprintf(in.Out, "(%s.)\n", strings.TrimSuffix(rep.Note, "."))
	}
	var errs []error
	acted := 0
	for _, r := range rep.Results {
		switch {
		case r.Error != "":
			// ALL: nodes that are not connected (or, for START, not
			// stopped) are left out quietly, as ndb_mgm does.
			if all && (r.Status == mgmapi.StatusNotConnected || c.Name == mgmapi.CmdStart) {
				continue
			}
			errs = append(errs, errors.New(r.Error))
		case !r.Delivered:
			errs = append(errs, fmt.Errorf("node %d: %s not delivered", r.NodeID, c.Name))
		default:
			acted++
			in.report(c, r)
			if in.Wait > 0 && !r.Done {
				errs = append(errs, fmt.Errorf("node %d: %s sent, but the node is %s after %v", r.NodeID, c.Name, r.Status.Words(), in.Wait))
			}
		}
	}
	if all && acted == 0 && len(errs) == 0 {
		fmt.Fprintln(in.Out, "No data node to act on.")
	}
	if all && c.Name == mgmapi.CmdStop && acted > 0 && len(errs) == 0 && in.Wait > 0 {
		fmt.Fprintln(in.Out, "NDB Cluster has shutdown.")
	}
	return errors.Join(errs...)
}

// report prints what ndb_mgm prints for a command to one node.
func (in *Interpreter) report(c mgmapi.Command, r mgmapi.CommandResult) {
	id := r.NodeID
	switch c.Name {
	case mgmapi.CmdStop:
		if r.Done {
			fmt.Fprintf(in.Out, "Node %d has shutdown.\n", id)
		} else {
			fmt.Fprintf(in.Out, "Node %d: Node shutdown initiated\n", id)
		}
	case mgmapi.CmdStart:
		fmt.Fprintf(in.Out, "Database node %d is being started.\n", id)
		if r.Done {
			fmt.Fprintf(in.Out, "Node %d: Started\n", id)
		}
	case mgmapi.CmdRestart:
		fmt.Fprintf(in.Out, "Node %d is being restarted\n", id)
		if r.Done && c.NoStart {
			fmt.Fprintf(in.Out, "Node %d: Node shutdown completed, restarting, no start.\n", id)
		} else if r.Done {
			fmt.Fprintf(in.Out, "Node %d: Started\n", id)
		}
	}
}

func (in *Interpreter) shutdown(ctx context.Context) error {
	wctx, cancel := in.waitCtx(ctx)
	defer cancel()
	rep, err := in.Conn.Shutdown(wctx, in.Wait)
	if err != nil {
		return err
	}
	fmt.Fprintf(in.Out, "%d NDB Cluster node(s) have shutdown.\n", len(rep.DataNodes))
	fmt.Fprintln(in.Out, "Disconnecting to allow management server to shutdown.")
	if len(rep.Errors) > 0 {
		return fmt.Errorf("shutdown: %s", strings.Join(rep.Errors, "; "))
	}
	return nil
}

func (in *Interpreter) clusterLog(ctx context.Context, args []string) error {
	n := 30
	switch {
	case len(args) == 1 && strings.EqualFold(args[0], "ALL"):
		n = 0
	case len(args) == 1:
		v, err := strconv.Atoi(args[0])
		if err != nil || v <= 0 {
			return fmt.Errorf("CLUSTERLOG [<n>|ALL] shows the last events (gondb has no cluster log filters): %q", args[0])
		}
		n = v
	case len(args) > 1:
		return fmt.Errorf("CLUSTERLOG [<n>|ALL] shows the last events (gondb has no cluster log filters)")
	}
	cctx, cancel := in.callCtx(ctx)
	defer cancel()
	events, err := in.Conn.ClusterLog(cctx, n)
	if err != nil {
		return err
	}
	WriteClusterLog(in.Out, events)
	return nil
}
