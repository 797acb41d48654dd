// Package bench holds gondb's benchmark drivers: flexasync (NDB's
// flexAsynch) and hlr (a telecom subscriber workload), each a runner behind
// a small Driver interface so that the same runner drives the ndbapi
// client (gondb bench) and the tests' in-memory backends. The storage
// engine's micro-benchmarks live beside their packages (go test -bench).
package bench
