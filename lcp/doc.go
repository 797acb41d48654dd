// Package lcp writes and reads local checkpoints: each LDM's fragments written to disk in the background, partial (only what changed since the previous LCP) and zstd-compressed, every block checksummed, under a versioned format documented in docs/formats.md. It is built by the durability issue; this package holds no code yet.
//
// lcp imports only storage-level packages (schema, datanode/mem) and never the network.
package lcp
