// Command gondb is gondb's one binary: every node kind and tool is a
// subcommand. Flags are parsed here and nowhere else.
package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"demo", "run a local gondb on this machine (what `make run` starts)", runDemo},
		{"mgmd", "run a management server: config, node ids, management API (etcd embedded or external)", runMgmd},
		{"datanode", "run a data node: joins the management servers, holds fragment replicas in memory", runDatanode},
		{"sqlnode", "run a SQL node: the MySQL protocol over the cluster (joins as an API node)", runSQLNode},
		{"mgm", "the management client: SHOW, ALL STATUS, <id> STOP|START|RESTART, SHUTDOWN, ...", runMgm},
		{"bench", "run a benchmark: flexasync (NDB's flexAsynch)", runBench},
		{"version", "print the version", func([]string, io.Writer, io.Writer) error {
			fmt.Println("gondb", version)
			return nil
		}},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: gondb <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'gondb <command> --help' for a command's flags.")
}

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			if err := c.run(args[1:], stdout, stderr); err != nil {
				fmt.Fprintf(stderr, "gondb %s: %v\n", c.name, err)
				return 1
			}
			return 0
		}
	}
	fmt.Fprintf(stderr, "gondb: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}
