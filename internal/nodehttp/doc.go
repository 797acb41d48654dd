// Package nodehttp is the small HTTP server every gondb node (management
// node, data node, SQL node) runs for operators: Prometheus metrics on
// /metrics and a health check on /health. docs/metrics.md lists the
// metrics and the /health contract.
//
// # Use
//
// New checks the Options and builds the registry; the node registers its
// collectors on Registry; Start listens (a port conflict is its error) and
// serves in the background; Addr reports the bound address, with the port
// chosen for ":0"; Close shuts down gracefully. ExampleServer shows it.
//
// Every Server has its own prometheus.Registry, never the global default
// one, so several nodes can run in one process (gondb demo, tests) without
// their metrics colliding. New registers the Go runtime collector, the
// process collector and gondb_build_info on it.
//
// # Flags
//
// The node commands in cmd/gondb expose the address with two flags and
// turn them into Options.Addr with ListenAddr:
//
//	--http-port P      serve on port P of every interface (0: a free port)
//	--http-addr H:P    serve on this address instead (e.g. 127.0.0.1:8082)
//
// The server also answers Go's profiler on /debug/pprof/ (net/http/pprof):
// `go tool pprof http://ADDR/debug/pprof/profile?seconds=10` profiles the
// whole process. Bind it to a private address in production.
//
// Both default to unset, which means no HTTP server: NDB has no such port,
// so a node opens none unless asked. gondb demo enables it on free ports
// and prints the addresses. Giving both flags is an error.
//
// # Health
//
// Options.Health reports the node's state and whether it is healthy; it is
// called once per /health request from the HTTP server's goroutines, so it
// must be safe for concurrent use, fast, and must not block (read an
// atomic, not a lock another thread holds across I/O). /health answers 200
// with {"status":"ok","node_id":N,"kind":"...","state":"..."} when it
// returns a nil error, and 503 with status "unavailable" and the error's
// text as "reason" otherwise.
//
// # Threading
//
// A Server is safe for concurrent use. Start serves on goroutines of its
// own (net/http's); Close stops them and waits, at most
// Options.ShutdownTimeout, for requests in flight. The package keeps no
// global state and reads no flags.
//
// # Imports
//
// nodehttp imports only the standard library and client_golang. Node
// packages (mgmnode, datanode, sqlnode) and cmd/gondb import it; it must
// never import any of them.
package nodehttp
