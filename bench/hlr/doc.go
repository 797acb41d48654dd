// Package hlr is gondb's telecom HLR (home location register) benchmark: a
// subscriber table keyed by IMSI with a unique index on MSISDN, loaded
// with N subscribers, then a mix of the transactions an HLR serves:
//
//   - location update: read the subscriber by IMSI with an exclusive lock
//     and write its new VLR, MSC and location area, in one transaction;
//   - call routing: read by MSISDN through the unique index (the serving
//     MSC and status);
//   - SMS routing: read by MSISDN (MSC and SMS centre);
//   - profile read: read by IMSI (service profile and status).
//
// The mix runs at a target rate or flat out for a duration, and reports
// throughput and p50/p99/p999 latency per transaction type. As in package
// flexasync, a Driver runs the transactions; the runner holds no database
// code.
//
// hlr imports nothing from gondb but schema, for the table definition.
package hlr
