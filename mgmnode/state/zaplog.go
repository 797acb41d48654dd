package state

import (
	"context"
	"log/slog"
	"slices"
	"sync/atomic"

	"go.uber.org/zap/zapcore"
)

// slogCore sends etcd's zap logging to a slog.Logger, so an mgmd has one
// log. etcd is chatty at info; the level floor keeps only what an operator
// must see.
type slogCore struct {
	h     slog.Handler
	floor zapcore.Level
	attrs []slog.Attr
	// quiet, when set and true, drops everything: etcd reports its own
	// listeners closing as errors while we stop it on purpose.
	quiet *atomic.Bool
}

// benign are etcd warnings that say nothing about an embedded etcd on
// 127.0.0.1: one port for HTTP and gRPC, and no auth tokens (auth is off).
var benign = map[string]bool{
	"Running http and grpc server on single port. This is not recommended for production.": true,
	"simple token is not cryptographically signed":                                         true,
}

var _ zapcore.Core = (*slogCore)(nil)

func newSlogCore(l *slog.Logger, floor zapcore.Level, component string) *slogCore {
	return &slogCore{h: l.Handler(), floor: floor, attrs: []slog.Attr{slog.String("component", component)}}
}

func slogLevel(l zapcore.Level) slog.Level {
	switch {
	case l <= zapcore.DebugLevel:
		return slog.LevelDebug
	case l == zapcore.InfoLevel:
		return slog.LevelInfo
	case l == zapcore.WarnLevel:
		return slog.LevelWarn
	}
	return slog.LevelError // error, dpanic, panic, fatal
}

func (c *slogCore) Enabled(l zapcore.Level) bool {
	return l >= c.floor && c.h.Enabled(context.Background(), slogLevel(l))
}

func (c *slogCore) With(fs []zapcore.Field) zapcore.Core {
	n := *c
	n.attrs = append(slices.Clip(c.attrs), fieldAttrs(fs)...)
	return &n
}

func (c *slogCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.quiet != nil && c.quiet.Load() || benign[e.Message] {
		return ce
	}
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *slogCore) Write(e zapcore.Entry, fs []zapcore.Field) error {
	r := slog.NewRecord(e.Time, slogLevel(e.Level), e.Message, 0)
	r.AddAttrs(c.attrs...)
	if e.LoggerName != "" {
		r.AddAttrs(slog.String("logger", e.LoggerName))
	}
	r.AddAttrs(fieldAttrs(fs)...)
	return c.h.Handle(context.Background(), r)
}

func (c *slogCore) Sync() error { return nil }

// fieldAttrs turns zap fields into slog attributes, in a stable order.
func fieldAttrs(fs []zapcore.Field) []slog.Attr {
	if len(fs) == 0 {
		return nil
	}
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range fs {
		f.AddTo(enc)
	}
	names := make([]string, 0, len(enc.Fields))
	for k := range enc.Fields {
		names = append(names, k)
	}
	slices.Sort(names)
	out := make([]slog.Attr, 0, len(names))
	for _, k := range names {
		out = append(out, slog.Any(k, enc.Fields[k]))
	}
	return out
}
