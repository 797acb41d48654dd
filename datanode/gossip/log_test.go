package gossip

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	for _, tc := range []struct {
		line  string
		level slog.Level
		msg   string
	}{
		{"[DEBUG] memberlist: Stream connection from=127.0.0.1:5", slog.LevelDebug, "gossip: Stream connection from=127.0.0.1:5"},
		{"[INFO] memberlist: Suspect 3 has failed, no acks received", slog.LevelInfo, "gossip: Suspect 3 has failed, no acks received"},
		{"[WARN] memberlist: Refuting a suspect message (from: 2)", slog.LevelWarn, "gossip: Refuting a suspect message (from: 2)"},
		{"[ERR] memberlist: Failed to decode ping request: EOF", slog.LevelError, "gossip: Failed to decode ping request: EOF"},
		{"[ERROR] memberlist: x", slog.LevelError, "gossip: x"},
		{"[TRACE] memberlist: x", slog.LevelDebug - 4, "gossip: x"},
		{"no tag at all", slog.LevelInfo, "gossip: no tag at all"},
		{"", slog.LevelInfo, "gossip: "},
	} {
		level, msg := parseLine([]byte(tc.line))
		if level != tc.level || msg != tc.msg {
			t.Errorf("%q: %v %q, want %v %q", tc.line, level, msg, tc.level, tc.msg)
		}
	}
}

// TestLoggerAdapter: memberlist's *log.Logger lines reach slog at their
// level, below the handler's level dropped.
func TestLoggerAdapter(t *testing.T) {
	var buf bytes.Buffer
	l := newLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	l.Printf("[DEBUG] memberlist: hidden")
	l.Printf("[WARN] memberlist: shown %d", 7)
	l.Printf("[ERR] memberlist: two\nlines")
	out := buf.String()
	if strings.Contains(out, "hidden") || !strings.Contains(out, `level=WARN msg="gossip: shown 7"`) ||
		!strings.Contains(out, `level=ERROR msg="gossip: two"`) || !strings.Contains(out, `msg="gossip: lines"`) {
		t.Fatalf("logged:\n%s", out)
	}
}
