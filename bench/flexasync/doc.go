// Package flexasync is gondb's flexAsynch: NDB's classic asynchronous
// throughput benchmark. Threads (-t), each with its own connection object,
// run parallel transactions (-p) of operations (-o) on rows of attributes
// (-a, each -s words), in phases: insert, read (every value checked),
// update, read again (checking the update), delete; -l loops of them.
// For each phase it reports operations and transactions per second and
// p50/p99/p999 latency from an HDR histogram, as aligned text or JSON
// lines.
//
// The runner knows nothing of the database: a Driver (the ndbapi one in
// cmd/gondb, or a test's) runs a thread's batches. Row values are a pure
// function of key, attribute and generation (Value), so a read checks
// what it got without keeping anything.
//
// flexasync imports nothing from gondb; its drivers do.
package flexasync
