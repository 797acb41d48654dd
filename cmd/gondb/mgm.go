package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/gondb/gondb/mgmnode/client"
	"github.com/gondb/gondb/mgmnode/lineedit"
	"github.com/gondb/gondb/mgmnode/mgmcli"
)

// mgmStdin is where the interactive management client reads commands
// (tests replace it with a pipe).
var mgmStdin = os.Stdin

const mgmPrompt = "gondb_mgm> "

// runMgm is the management client: `gondb mgm -e CMD` runs commands and
// exits; without -e it reads commands, with line editing and history when
// stdin is a terminal.
func runMgm(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mgm", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // a bad flag is one line from run
	fs.Usage = func() {
		fmt.Fprintln(stdout, "usage: gondb mgm [-c host:port[,host:port...]] [-e \"COMMAND\"] [flags] [connect-string]")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fmt.Fprint(stdout, "\nCommands (HELP in the client):\n\n", mgmcli.Help)
	}
	var connect, execute string
	fs.StringVar(&connect, "c", "", "connect string: management servers to try in order, host[:port][,host[:port]...] (default localhost:1186)")
	fs.StringVar(&connect, "ndb-connectstring", "", "same as -c")
	fs.StringVar(&execute, "e", "", "run these commands (';' between them) and exit")
	fs.StringVar(&execute, "execute", "", "same as -e")
	wait := fs.Duration("wait", 2*time.Minute, "how long STOP, START, RESTART and SHUTDOWN wait for the nodes to get there (0: only send)")
	timeout := fs.Duration("timeout", 10*time.Second, "bound on connecting to one management server and on each other call")
	home, _ := os.UserHomeDir()
	defHist := ""
	if home != "" {
		defHist = filepath.Join(home, ".gondb_mgm_history")
	}
	hist := fs.String("history-file", defHist, "where interactive commands are remembered (empty: nowhere)")
	// ndb_mgm takes the connect string as an argument too, before or
	// after the flags.
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil // Parse has printed the usage
			}
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch {
	case len(pos) > 1:
		return fmt.Errorf("unexpected argument %q", pos[1])
	case len(pos) == 1 && connect != "":
		return fmt.Errorf("connect string given twice (-c %q and %q)", connect, pos[0])
	case len(pos) == 1:
		connect = pos[0]
	}
	if *wait < 0 || *timeout <= 0 {
		return errors.New("--wait must not be negative and --timeout must be positive")
	}
	if _, err := client.ParseConnectString(connect); err != nil {
		return err
	}
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	conn, err := client.Dial(ctx, connect, client.Options{Logger: logger, ConnectTimeout: *timeout, CallTimeout: *timeout})
	if err != nil {
		return err
	}
	defer conn.Close()
	fmt.Fprintf(stdout, "Connected to Management Server at: %s\n", conn.Addr())
	in := &mgmcli.Interpreter{Conn: conn, Out: stdout, Wait: *wait, CallTimeout: *timeout}
	if execute != "" {
		if err := in.Execute(ctx, execute); err != nil && !errors.Is(err, mgmcli.ErrQuit) {
			return err
		}
		return nil
	}

	ed := lineedit.New(mgmStdin, stdout, *hist)
	defer func() {
		if err := ed.Close(); err != nil {
			fmt.Fprintf(stderr, "gondb mgm: %v\n", err)
		}
	}()
	if ed.Terminal() {
		fmt.Fprintln(stdout, "-- gondb management client -- Type HELP for help, QUIT to leave.")
	}
	failed := 0
	for {
		line, err := ed.ReadLine(mgmPrompt)
		if errors.Is(err, lineedit.ErrInterrupted) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		eof := err != nil
		if line != "" {
			ed.AddHistory(line)
			if xerr := in.Execute(ctx, line); errors.Is(xerr, mgmcli.ErrQuit) {
				break
			} else if xerr != nil {
				failed++
				fmt.Fprintf(stderr, "* %v\n", xerr)
			}
		}
		if eof {
			break
		}
	}
	if failed > 0 && !ed.Terminal() {
		return fmt.Errorf("%d command(s) failed", failed)
	}
	return nil
}
