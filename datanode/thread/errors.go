package thread

import "errors"

// Operating errors. Functions wrap them with details; check with errors.Is.
var (
	// ErrThreadConfig: a ThreadConfig string or value that is not valid.
	// The wrapping *ConfigError says where and why.
	ErrThreadConfig = errors.New("thread: invalid ThreadConfig")
	// ErrCPUList: a CPU list ("0-3,8") that does not parse.
	ErrCPUList = errors.New("thread: invalid CPU list")
	// ErrTopology: the sysfs NUMA tree exists but cannot be read or parsed.
	ErrTopology = errors.New("thread: unreadable NUMA topology")
	// ErrAffinityUnsupported: CPU binding is not available on this OS.
	ErrAffinityUnsupported = errors.New("thread: CPU affinity not supported on this OS")
	// ErrAffinity: a CPU set that cannot be bound (empty, or a CPU number
	// out of range).
	ErrAffinity = errors.New("thread: invalid CPU binding")
	// ErrWorkerConfig: a WorkerConfig that is not valid.
	ErrWorkerConfig = errors.New("thread: invalid WorkerConfig")
)
