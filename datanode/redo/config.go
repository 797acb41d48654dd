package redo

import (
	"errors"
	"log/slog"
	"strconv"
)

// Limits on the ring's shape.
const (
	minFiles    = 2
	maxFiles    = 1 << 16
	minFileSize = 4 * PageSize
	maxFileSize = 1 << 40
)

// Config describes one log part. It is read-only once Open returns.
type Config struct {
	// Dir is the node's redo directory; the part lives in Dir/part-NN.
	Dir string
	// Part is this part's number (0..NoOfFragmentLogParts-1).
	Part int
	// Files is the number of files in the ring (NDB's NoOfFragmentLogFiles).
	Files int
	// FileSize is each file's size in bytes (FragmentLogFileSize), a
	// multiple of PageSize.
	FileSize int64
	// BufferSize is the in-memory buffer in bytes (RedoBuffer per part), a
	// multiple of PageSize, at least 4 pages.
	BufferSize int
	// Margin is how close (bytes) the head may come to the tail before
	// Append returns ErrLogOverloaded. 0 means one file.
	Margin int64
	// Logger receives recovery and I/O messages; nil means slog.Default().
	Logger *slog.Logger
}

// DefaultConfig follows NDB's defaults for one part.
func DefaultConfig(dir string, part int) Config {
	return Config{
		Dir:        dir,
		Part:       part,
		Files:      16,       // NoOfFragmentLogFiles: 16 files of 16 MiB = 256 MiB per part
		FileSize:   16 << 20, // FragmentLogFileSize: large enough to group writes, small enough to free in steps
		BufferSize: 32 << 20, // RedoBuffer: absorbs ~2 s of writes at 16 MB/s per part while the disk stalls
	}
}

// DefaultTestConfig is a small ring for tests: 4 files of 8 pages, a 16-page
// buffer.
func DefaultTestConfig(dir string, part int) Config {
	return Config{
		Dir:        dir,
		Part:       part,
		Files:      4,
		FileSize:   8 * PageSize,
		BufferSize: 16 * PageSize,
	}
}

// Validate checks the config without changing it.
func (c Config) Validate() error {
	switch {
	case c.Dir == "":
		return errors.New("redo: Config.Dir is empty")
	case c.Part < 0 || c.Part > 99:
		return errors.New("redo: Config.Part must be 0..99")
	case c.Files < minFiles || c.Files > maxFiles:
		return errors.New("redo: Config.Files must be " + strconv.Itoa(minFiles) + ".." + strconv.Itoa(maxFiles))
	case c.FileSize < minFileSize || c.FileSize > maxFileSize || c.FileSize%PageSize != 0:
		return errors.New("redo: Config.FileSize must be a multiple of 32 KiB, at least 128 KiB")
	case c.BufferSize < 4*PageSize || c.BufferSize%PageSize != 0:
		return errors.New("redo: Config.BufferSize must be a multiple of 32 KiB, at least 128 KiB")
	case c.Margin < 0 || c.margin()+2*PageSize > int64(c.Files)*c.FileSize:
		return errors.New("redo: Config.Margin leaves less than two pages of the ring")
	}
	return nil
}

func (c Config) margin() int64 {
	if c.Margin == 0 {
		return c.FileSize
	}
	return c.Margin
}

func (c Config) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.Default()
	}
	return c.Logger
}
