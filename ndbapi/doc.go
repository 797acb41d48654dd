// Package ndbapi is gondb's native asynchronous API: distribution-aware, batched transactions, scans with pushed-down filters, and NDB-style typed errors (package ndberr). It is built by the ndbapi issue; this package holds no code yet.
//
// ndbapi never imports datanode or sqlnode.
package ndbapi
