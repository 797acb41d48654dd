// Package ndbdriver runs gondb's benchmarks (bench/flexasync, bench/hlr)
// through the native API: a flexasync Driver whose workers are ndbapi Ndb
// objects running each batch asynchronously (ExecuteAsync, then
// SendPollNdb until every transaction completed), as NDB's flexAsynch
// does with executeAsynchPrepare and sendPollNdb.
//
// It imports ndbapi, schema and the benchmark runners.
package ndbdriver
