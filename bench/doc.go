// Package bench holds gondb's benchmark drivers: flexAsync, the HLR workload and drivers for standard benchmarks. It is built by the ndbapi issue; the storage engine's micro-benchmarks live beside their packages (go test -bench) until then.
package bench
