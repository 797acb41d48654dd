package gossip

import (
	"bytes"
	"context"
	"log"
	"log/slog"
)

// newLogger adapts memberlist's *log.Logger to l: memberlist writes one
// line per call, "[LEVEL] memberlist: message"; the level becomes slog's
// and the rest the message.
func newLogger(l *slog.Logger) *log.Logger { return log.New(slogWriter{l}, "", 0) }

// slogWriter is an io.Writer that logs each line it is given.
type slogWriter struct{ l *slog.Logger }

// levels are memberlist's level tags and slog's levels for them.
var levels = []struct {
	tag   string
	level slog.Level
}{
	{"[TRACE]", slog.LevelDebug - 4},
	{"[DEBUG]", slog.LevelDebug},
	{"[INFO]", slog.LevelInfo},
	{"[WARN]", slog.LevelWarn},
	{"[ERR]", slog.LevelError},
	{"[ERROR]", slog.LevelError},
}

func (w slogWriter) Write(p []byte) (int, error) {
	n := len(p)
	for _, line := range bytes.Split(bytes.TrimRight(p, "\n"), []byte("\n")) {
		level, msg := parseLine(line)
		if w.l.Enabled(context.Background(), level) {
			w.l.Log(context.Background(), level, msg)
		}
	}
	return n, nil
}

// parseLine splits a memberlist log line into its level (Info when it
// has no tag) and message (without the tag and "memberlist: ").
func parseLine(line []byte) (slog.Level, string) {
	level := slog.LevelInfo
	line = bytes.TrimSpace(line)
	for _, lv := range levels {
		if rest, ok := bytes.CutPrefix(line, []byte(lv.tag)); ok {
			level, line = lv.level, bytes.TrimSpace(rest)
			break
		}
	}
	line, _ = bytes.CutPrefix(line, []byte("memberlist: "))
	return level, "gossip: " + string(line)
}
