// Package benchcpu measures the CPU time of a benchmark's own thread, which
// on a shared machine is steadier than wall-clock ns/op: time the benchmark
// spends descheduled does not count. Used by benchmarks only.
package benchcpu
